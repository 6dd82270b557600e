"""Sessions over a lake and over registered Python data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import lakecast


def test_lake_tables_are_registered_with_their_rows(session, lake_rows):
    _, rows = lake_rows
    assert set(rows) <= set(session.tables())
    for table in ("customers", "opportunities", "transactions"):
        counted = session.sql(f"SELECT count(*) AS n FROM {table}").to_arrow()
        assert counted["n"][0].as_py() == rows[table]


def test_generate_is_deterministic(tmp_path: Path, lake_rows):
    _, rows = lake_rows
    again = lakecast.generate(tmp_path / "again", scale=0.01, seed=7)
    assert again == rows
    first = lakecast.connect(lake_rows[0]).sql(
        "SELECT sum(amount) AS s FROM opportunities"
    )
    second = lakecast.connect(tmp_path / "again").sql(
        "SELECT sum(amount) AS s FROM opportunities"
    )
    assert first.to_arrow().equals(second.to_arrow())


def test_generate_refuses_an_existing_lake_unless_replacing(lake: Path):
    with pytest.raises(lakecast.LakecastError):
        lakecast.generate(lake, scale=0.01, seed=7)


@pytest.mark.parametrize("scale", [0.0, -1.0, float("nan"), 5000.0])
def test_generate_rejects_bad_scales(tmp_path: Path, scale: float):
    with pytest.raises(lakecast.LakecastError, match="scale"):
        lakecast.generate(tmp_path / "x", scale=scale)


def test_session_without_lake_has_functions_only():
    session = lakecast.connect()
    assert session.lake is None
    assert session.tables() == []
    value = session.sql("SELECT resource_slack(100.0, 90.0) AS s").to_arrow()
    assert value["s"][0].as_py() == pytest.approx(0.1)


def test_repr_names_the_lake(session, lake):
    assert str(lake) in repr(session)


@pytest.mark.parametrize(
    "make",
    [
        lambda: pa.table({"p": [0.2, 0.6, None], "amount": [100.0, 50.0, 10.0]}),
        lambda: pd.DataFrame({"p": [0.2, 0.6, None], "amount": [100.0, 50.0, 10.0]}),
        lambda: pl.DataFrame({"p": [0.2, 0.6, None], "amount": [100.0, 50.0, 10.0]}),
        lambda: {"p": [0.2, 0.6, None], "amount": [100.0, 50.0, 10.0]},
        lambda: pa.record_batch({"p": [0.2, 0.6, None], "amount": [100.0, 50.0, 10.0]}),
        lambda: pa.table({"p": [0.2, 0.6, None], "amount": [100.0, 50.0, 10.0]})
        .to_reader(),
    ],
    ids=["pyarrow", "pandas", "polars", "dict", "record_batch", "reader"],
)
def test_register_python_data(make):
    session = lakecast.connect()
    session.register("deals", make())
    result = session.sql(
        "SELECT sum(p * amount) AS expected, count(*) AS n, count(p) AS known FROM deals"
    ).to_arrow()
    assert result.to_pylist() == [{"expected": pytest.approx(50.0), "n": 3, "known": 2}]


def test_register_replaces_and_deregister_removes():
    session = lakecast.connect()
    session.register("t", {"x": [1, 2]})
    session.register("t", {"x": [1, 2, 3]})
    assert session.sql("SELECT count(*) AS n FROM t").to_arrow()["n"][0].as_py() == 3
    session.deregister("t")
    assert "t" not in session.tables()
    with pytest.raises(lakecast.PlanningError, match="`t`"):
        session.deregister("t")


def test_register_many_batches_joins_lake_tables(session):
    customers = session.sql("SELECT customer_id FROM customers ORDER BY customer_id")
    ids = customers.to_arrow()["customer_id"].to_pylist()
    batches = [
        pa.record_batch({"customer_id": ids[i : i + 7], "flag": [True] * len(ids[i : i + 7])})
        for i in range(0, len(ids), 7)
    ]
    local = lakecast.connect(session.lake)
    local.register("flags", pa.Table.from_batches(batches))
    joined = local.sql(
        "SELECT count(*) AS n FROM customers c JOIN flags f USING (customer_id)"
    )
    assert joined.to_arrow()["n"][0].as_py() == len(ids)


def test_register_rejects_what_is_not_tabular():
    session = lakecast.connect()
    with pytest.raises(lakecast.LakecastError, match="cannot register int as table `t`"):
        session.register("t", 42)
    with pytest.raises(lakecast.PlanningError, match="empty"):
        session.register(" ", {"x": [1]})


def test_sql_needs_a_string():
    with pytest.raises(TypeError, match="str"):
        lakecast.connect().sql(b"SELECT 1")  # type: ignore[arg-type]
