"""The heatmap picture."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import lakecast


def test_forecast_heatmap_from_the_lake(session, repo):
    sql = (repo / "sql-examples" / "05_forecast_heatmap.sql").read_text()
    result = session.sql(sql)
    table = result.to_arrow()
    figure = lakecast.plot.heatmap(result, title="forecast")
    axes = figure.axes[0]
    rows = sorted(set(table.column(0).to_pylist()))
    cols = sorted(set(table.column(1).to_pylist()))
    assert [t.get_text() for t in axes.get_yticklabels()] == rows
    assert [t.get_text() for t in axes.get_xticklabels()] == cols
    grid = axes.images[0].get_array()
    assert grid.shape == (len(rows), len(cols))
    first = table.slice(0, 1).to_pylist()[0]
    r, c, v = first.values()
    assert grid[rows.index(r), cols.index(c)] == pytest.approx(float(v))
    assert int((~np.ma.getmaskarray(grid)).sum()) == table.num_rows
    assert axes.get_title() == "forecast"


def test_heatmap_of_pandas_with_named_columns():
    frame = pd.DataFrame({"v": [1.0, 2.0, 3.0], "a": ["x", "x", "y"], "b": ["1", "2", "1"]})
    figure = lakecast.plot.heatmap(frame, row="a", column="b", value="v", annotate=False)
    grid = figure.axes[0].images[0].get_array()
    assert grid.tolist() == [[1.0, 2.0], [3.0, None]]  # the missing cell is masked
    assert figure._repr_png_().startswith(b"\x89PNG")


def test_heatmap_errors_name_the_column():
    frame = pd.DataFrame({"a": ["x"], "b": ["1"], "v": ["high"]})
    with pytest.raises(lakecast.LakecastError, match="`v` must be numeric"):
        lakecast.plot.heatmap(frame)
    with pytest.raises(lakecast.LakecastError, match="`nope`"):
        lakecast.plot.heatmap(frame, value="nope")
    with pytest.raises(lakecast.LakecastError, match="three columns"):
        lakecast.plot.heatmap(pd.DataFrame({"a": ["x"]}))
    with pytest.raises(lakecast.LakecastError, match="cannot draw a int"):
        lakecast.plot.heatmap(3)
