"""Lakecast's functions inside the `datafusion` Python package, over the FFI."""

from __future__ import annotations

import math
import sys

import datafusion
import pyarrow as pa
import pytest

import lakecast


def _examples() -> list[tuple[str, str]]:
    """Each catalogue example that needs no table, as (function, SQL)."""
    cases = []
    for info in lakecast.functions():
        for line in (info.example or "").splitlines():
            if line.startswith("> ") and " FROM " not in line.upper():
                cases.append((info.name, line[2:].rstrip(";")))
    return cases


def _rows(table: pa.Table) -> list[tuple]:
    return [tuple(row.values()) for row in table.to_pylist()]


def _same(left: object, right: object) -> bool:
    if isinstance(left, float) and isinstance(right, float):
        return left == right or (math.isnan(left) and math.isnan(right))
    return left == right


@pytest.fixture(scope="module")
def ctx() -> datafusion.SessionContext:
    config = datafusion.SessionConfig().with_information_schema(True)
    context = datafusion.SessionContext(config)
    lakecast.udfs.register_all(context)
    return context


def test_every_function_registers(ctx):
    routines = ctx.sql("SELECT routine_name FROM information_schema.routines").to_arrow_table()
    registered = set(routines["routine_name"].to_pylist())
    assert set(lakecast.udfs.names()) <= registered


def test_udf_objects_by_attribute():
    udf = lakecast.udfs.weighted_win_rate()
    assert isinstance(udf, datafusion.ScalarUDF)
    fit = lakecast.udfs.bgnbd_fit()
    assert isinstance(fit, datafusion.AggregateUDF)
    assert "weighted_win_rate" in dir(lakecast.udfs)
    with pytest.raises(AttributeError):
        lakecast.udfs.no_such_function  # noqa: B018
    with pytest.raises(lakecast.PlanningError, match="no_such_function"):
        lakecast.udfs.function("no_such_function")


EXAMPLES = _examples()


def test_examples_cover_most_functions():
    assert len({name for name, _ in EXAMPLES}) >= 15


@pytest.mark.parametrize(("name", "sql"), EXAMPLES, ids=[f"{n}:{i}" for i, (n, _) in enumerate(EXAMPLES)])
def test_same_results_as_lakecast(ctx, name, sql):
    native = _rows(lakecast.connect().sql(sql).to_arrow())
    shared = _rows(ctx.sql(sql).to_arrow_table())
    assert len(native) == len(shared)
    for a, b in zip(native, shared):
        assert all(_same(x, y) for x, y in zip(a, b)), (name, a, b)


def test_aggregates_group_and_merge_across_partitions(ctx):
    rows = pa.table(
        {
            "grp": [i % 4 for i in range(2000)],
            "p": [((i * 37) % 100) / 100 for i in range(2000)],
            "won": [((i * 37) % 100) / 100 > 0.5 for i in range(2000)],
        }
    )
    ctx.register_record_batches("scored", [rows.to_batches(max_chunksize=97)])
    local = lakecast.connect()
    local.register("scored", rows)
    query = (
        "SELECT grp, brier_score(p, won) AS brier, roc_auc(p, won) AS auc "
        "FROM scored GROUP BY grp ORDER BY grp"
    )
    native = local.sql(query).to_arrow().to_pylist()
    shared = ctx.sql(query).to_arrow_table().to_pylist()
    assert len(native) == 4
    for a, b in zip(native, shared):
        assert a["grp"] == b["grp"]
        assert a["brier"] == pytest.approx(b["brier"], rel=1e-12)
        assert a["auc"] == pytest.approx(b["auc"], rel=1e-12)


def test_fit_over_the_lake_matches(ctx, session):
    summary = session.sql(
        "WITH days AS (SELECT customer_id, CAST(transaction_date AS INT) AS day "
        "  FROM transactions GROUP BY customer_id, transaction_date) "
        "SELECT customer_id, CAST(count(*) - 1 AS DOUBLE) AS frequency, "
        "  (max(day) - min(day)) / 7.0 AS recency, "
        "  ((SELECT max(day) FROM days) - min(day)) / 7.0 AS t "
        "FROM days GROUP BY customer_id"
    ).to_arrow()
    ctx.register_record_batches("summary", [summary.to_batches()])
    local = lakecast.connect()
    local.register("summary", summary)
    query = "SELECT bgnbd_fit(frequency, recency, t) AS fit FROM summary"
    native = local.sql(query).to_arrow()["fit"][0].as_py()
    shared = ctx.sql(query).to_arrow_table()["fit"][0].as_py()
    assert native["converged"] and shared["converged"]
    for key in ("r", "alpha", "a", "b"):
        assert native[key] == pytest.approx(shared[key], rel=1e-9), key


def test_errors_cross_the_ffi_with_their_message(ctx):
    with pytest.raises(Exception, match=r"health_band: argument `score` is 200"):
        ctx.sql("SELECT health_band(200.0)").collect()


def test_wrong_datafusion_major_version_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(datafusion, "__version__", "54.1.0")
    with pytest.raises(lakecast.LakecastError, match=r"datafusion 54.1.0.*datafusion 55"):
        lakecast.udfs.weighted_win_rate()


def test_missing_datafusion_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "datafusion", None)
    with pytest.raises(lakecast.LakecastError, match=r"pip install 'datafusion==55\.\*'"):
        lakecast.udfs.register_all(object())


def test_ffi_version_is_the_datafusion_major():
    assert lakecast.udfs.ffi_version() == 55
