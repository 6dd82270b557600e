"""Errors: one hierarchy, messages that name what is at fault, no crashes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import lakecast


def test_hierarchy():
    for kind in (lakecast.PlanningError, lakecast.ExecutionError, lakecast.LakeContractError):
        assert issubclass(kind, lakecast.LakecastError)
    assert issubclass(lakecast.LakecastError, Exception)
    assert not issubclass(lakecast.PlanningError, lakecast.ExecutionError)


@pytest.mark.parametrize(
    ("sql", "named"),
    [
        ("SELECT * FROM no_such_table", "no_such_table"),
        ("SELECT no_such_column FROM customers", "no_such_column"),
        ("SELECT no_such_function(1)", "no_such_function"),
        ("SELECT weighted_win_rate()", "weighted_win_rate"),
        ("SELEC 1", "SELEC"),
    ],
)
def test_planning_errors_name_what_is_wrong(session, sql, named):
    with pytest.raises(lakecast.PlanningError, match=named):
        session.sql(sql)


@pytest.mark.parametrize(
    ("sql", "named"),
    [
        ("SELECT health_band(200.0)", r"health_band: argument `score` is 200"),
        ("SELECT weighted_win_rate(1.5, 0.1)", r"weighted_win_rate: argument `base_p` is 1.5"),
        ("SELECT resource_slack(-1.0, 1.0)", r"resource_slack: argument `capacity_hours`"),
    ],
)
def test_execution_errors_name_function_argument_and_value(sql, named):
    with pytest.raises(lakecast.ExecutionError, match=named):
        lakecast.connect().sql(sql)


def test_error_from_a_column_value_names_it(session):
    session_local = lakecast.connect()
    session_local.register("scores", {"score": [50.0, 140.0]})
    with pytest.raises(lakecast.ExecutionError, match="140"):
        session_local.sql("SELECT health_band(score) FROM scores")


def test_missing_lake(tmp_path: Path):
    missing = tmp_path / "nowhere"
    with pytest.raises(lakecast.LakeContractError, match="nowhere"):
        lakecast.connect(missing)


def test_broken_lake_names_table_file_and_column(lake: Path, tmp_path: Path):
    broken = tmp_path / "broken"
    shutil.copytree(lake, broken)
    victim = sorted((broken / "customers").rglob("*.parquet"))[0]
    pq.write_table(pa.table({"customer_id": ["c1"]}), victim)
    with pytest.raises(lakecast.LakeContractError) as caught:
        lakecast.connect(broken)
    message = str(caught.value)
    assert "customers" in message and victim.name in message


def test_session_survives_errors(session):
    with pytest.raises(lakecast.LakecastError):
        session.sql("SELECT * FROM no_such_table")
    assert session.sql("SELECT count(*) AS n FROM customers").num_rows == 1


def test_unsupported_lake_scheme():
    with pytest.raises(lakecast.LakeContractError, match="ftp"):
        lakecast.connect("ftp://example.invalid/lake")
