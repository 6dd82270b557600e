"""Pictures of query results, drawn with matplotlib."""

from __future__ import annotations

import io
import math
from functools import cache
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from lakecast.errors import LakecastError

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def _table(data: Any) -> pa.Table:
    if isinstance(data, pa.Table):
        return data
    if hasattr(data, "to_arrow"):
        return data.to_arrow()
    if type(data).__module__.startswith("pandas"):
        return pa.Table.from_pandas(data, preserve_index=False)
    if hasattr(data, "__arrow_c_stream__"):
        return pa.table(data)
    raise LakecastError(f"cannot draw a {type(data).__name__}; pass a query result or table")


@cache
def _figure_class() -> type[Figure]:
    """A matplotlib ``Figure`` that notebooks show as a PNG even when pyplot
    (and with it IPython's figure display) was never imported."""
    from matplotlib.figure import Figure

    class HeatmapFigure(Figure):
        def _repr_png_(self) -> bytes:
            buffer = io.BytesIO()
            self.savefig(buffer, format="png")
            return buffer.getvalue()

    return HeatmapFigure


def heatmap(
    data: Any,
    row: str | None = None,
    column: str | None = None,
    value: str | None = None,
    *,
    title: str | None = None,
    cmap: str = "RdYlGn",
    annotate: bool = True,
) -> Figure:
    """Draws rows of (row label, column label, value) as a heatmap.

    ``data`` is a :class:`lakecast.Result`, a pyarrow Table or a pandas
    DataFrame. ``row``, ``column`` and ``value`` name its columns and
    default to the first three, which is how the forecast-heatmap query
    orders them. Cells without a row are left blank; each cell shows its
    value when ``annotate`` is set. Returns a matplotlib ``Figure``, which
    a notebook displays.

    >>> import lakecast
    >>> session = lakecast.connect()
    >>> result = session.sql(
    ...     "SELECT * FROM (VALUES ('acme', 'Q1', 0.4), ('acme', 'Q2', 0.7),"
    ...     " ('beta', 'Q1', 0.2)) AS t(customer, cycle, p)")
    >>> figure = lakecast.plot.heatmap(result, title="win probability")
    >>> [label.get_text() for label in figure.axes[0].get_yticklabels()]
    ['acme', 'beta']
    """
    import matplotlib
    import numpy as np

    table = _table(data)
    names = table.column_names
    if len(names) < 3 and None in (row, column, value):
        raise LakecastError(
            f"a heatmap needs three columns (row, column, value); got {names}"
        )
    row = row or names[0]
    column = column or names[1]
    value = value or names[2]
    for role, name in (("row", row), ("column", column), ("value", value)):
        if name not in names:
            raise LakecastError(f"heatmap {role} column `{name}` is not in {names}")
    if not pa.types.is_floating(table.schema.field(value).type) and not pa.types.is_integer(
        table.schema.field(value).type
    ) and not pa.types.is_decimal(table.schema.field(value).type):
        raise LakecastError(
            f"heatmap value column `{value}` must be numeric, "
            f"not {table.schema.field(value).type}"
        )

    rows_in = [None if v is None else str(v) for v in table.column(row).to_pylist()]
    cols_in = [None if v is None else str(v) for v in table.column(column).to_pylist()]
    values = table.column(value).to_pylist()
    row_labels = sorted({r for r in rows_in if r is not None})
    col_labels = sorted({c for c in cols_in if c is not None})
    if not row_labels or not col_labels:
        raise LakecastError("nothing to draw: the result has no labelled rows")
    r_at = {label: i for i, label in enumerate(row_labels)}
    c_at = {label: i for i, label in enumerate(col_labels)}
    grid = np.full((len(row_labels), len(col_labels)), math.nan)
    for r, c, v in zip(rows_in, cols_in, values):
        if r is not None and c is not None and v is not None:
            grid[r_at[r], c_at[c]] = float(v)

    width = min(4 + 0.9 * len(col_labels), 24)
    height = min(2 + 0.35 * len(row_labels), 30)
    figure = _figure_class()(figsize=(width, height), layout="constrained")
    axes = figure.subplots()
    colours = matplotlib.colormaps[cmap].with_extremes(bad="#d9d9d9")
    image = axes.imshow(np.ma.masked_invalid(grid), cmap=colours, aspect="auto")
    axes.set_xticks(range(len(col_labels)), labels=col_labels, rotation=45, ha="right")
    axes.set_yticks(range(len(row_labels)), labels=row_labels)
    axes.set_xlabel(column)
    axes.set_ylabel(row)
    figure.colorbar(image, ax=axes, label=value)
    if title:
        axes.set_title(title)
    if annotate and len(row_labels) * len(col_labels) <= 600:
        for (i, j), cell in np.ndenumerate(grid):
            if not math.isnan(cell):
                red, green, blue, _ = image.cmap(image.norm(cell))
                dark = 0.299 * red + 0.587 * green + 0.114 * blue < 0.45
                axes.text(
                    j, i, f"{cell:.2f}", ha="center", va="center", fontsize=7,
                    color="white" if dark else "black",
                )
    return figure
