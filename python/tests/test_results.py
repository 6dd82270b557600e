"""Results: Arrow, pandas and polars conversions and their display."""

from __future__ import annotations

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import lakecast

QUERY = (
    "SELECT value AS id, value * 0.5 AS half, "
    "CASE WHEN value % 3 = 0 THEN NULL ELSE 'row ' || value END AS label "
    "FROM generate_series(1, 5000) AS t(value)"
)


@pytest.fixture(scope="module")
def result() -> lakecast.Result:
    return lakecast.connect().sql(QUERY)


def test_arrow_values_and_schema(result):
    table = result.to_arrow()
    assert result.num_rows == len(result) == table.num_rows == 5000
    assert result.columns == ["id", "half", "label"]
    assert table.schema.field("id").type == pa.int64()
    assert table.schema.field("half").type == pa.float64()
    assert table["half"][9].as_py() == 5.0
    assert table["label"][2].as_py() is None
    assert table["label"][3].as_py() == "row 4"
    assert table["label"].null_count == 5000 // 3


def test_arrow_shares_the_buffers_instead_of_copying(result):
    first = result.to_arrow()["half"].chunks[0].buffers()[1]
    second = result.to_arrow()["half"].chunks[0].buffers()[1]
    assert first.address == second.address


def test_arrow_c_stream_is_read_by_pyarrow_and_polars(result):
    via_stream = pa.table(result)
    assert via_stream.equals(result.to_arrow())
    frame = pl.DataFrame(result)
    assert frame.shape == (5000, 3)


def test_pandas(result):
    frame = result.to_pandas()
    assert isinstance(frame, pd.DataFrame)
    assert frame.shape == (5000, 3)
    assert frame["half"].sum() == pytest.approx(sum(i * 0.5 for i in range(1, 5001)))
    assert frame["label"].isna().sum() == 5000 // 3
    arrow_backed = result.to_pandas(arrow_dtypes=True)
    assert isinstance(arrow_backed["id"].dtype, pd.ArrowDtype)


def test_polars(result):
    frame = result.to_polars()
    assert isinstance(frame, pl.DataFrame)
    assert frame.columns == ["id", "half", "label"]
    assert frame["id"].sum() == 5000 * 5001 // 2
    single = lakecast.connect().sql("SELECT 1 AS only").to_polars()
    assert isinstance(single, pl.DataFrame) and single.shape == (1, 1)


def test_show_prints_a_table_with_the_row_count(result, capsys):
    result.show(max_rows=3)
    out = capsys.readouterr().out
    assert out.count("\n") == 3 + 4 + 1
    assert "| 1  | 0.5  | row 1 |" in out
    assert out.rstrip().endswith("5000 rows, first 3 shown")


def test_empty_result_keeps_its_columns():
    empty = lakecast.connect().sql("SELECT 1 AS a, 'x' AS b WHERE false")
    assert empty.num_rows == 0
    assert empty.columns == ["a", "b"]
    assert empty.to_arrow().num_rows == 0
    assert "| a | b |" in empty.text()
    assert empty.to_pandas().shape == (0, 2)


def test_notebook_display_has_rows_count_and_time(result):
    page = result._repr_html_()
    assert page.count("<tr>") == 1 + 20
    assert "<th>label</th>" in page and "<td>NULL</td>" in page
    assert "5000 rows, first 20 shown" in page
    assert " ms</p>" in page
    escaped = lakecast.connect().sql("SELECT '<b>' AS tag")._repr_html_()
    assert "&lt;b&gt;" in escaped and "<b>" not in escaped


def test_repr(result):
    assert repr(result) == "<lakecast.Result 5000 rows, columns ['id', 'half', 'label']>"


def test_elapsed_is_measured(result):
    assert 0.0 < result.elapsed < 600.0
