"""Query results: Arrow data with a table view for terminals and notebooks."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import pyarrow as pa

if TYPE_CHECKING:
    import pandas
    import polars

    from lakecast._internal import QueryResult

#: Rows shown by :meth:`Result.show` and the notebook display by default.
DISPLAY_ROWS = 20


class Result:
    """The rows of one query, held as Arrow record batches.

    Conversions share the Arrow buffers instead of copying where the target
    allows it: :meth:`to_arrow` and :meth:`to_polars` never copy, and
    :meth:`to_pandas` copies only what pandas' own column types require.

    >>> import lakecast
    >>> result = lakecast.connect().sql("SELECT 1 AS one, 'a' AS letter")
    >>> result.num_rows, result.columns
    (1, ['one', 'letter'])
    >>> result.to_arrow().to_pylist()
    [{'one': 1, 'letter': 'a'}]
    """

    def __init__(self, inner: QueryResult) -> None:
        self._inner = inner

    @property
    def num_rows(self) -> int:
        """Number of rows."""
        return self._inner.num_rows

    @property
    def elapsed(self) -> float:
        """Seconds the query took, planning included."""
        return self._inner.elapsed

    @property
    def columns(self) -> list[str]:
        """Column names in order."""
        return self._inner.column_names

    def __len__(self) -> int:
        return self.num_rows

    def to_arrow(self) -> pa.Table:
        """The result as a :class:`pyarrow.Table` sharing its buffers."""
        return self._inner.to_pyarrow()

    def to_pandas(self, *, arrow_dtypes: bool = False, **options: Any) -> pandas.DataFrame:
        """The result as a pandas DataFrame.

        With ``arrow_dtypes=True`` every column keeps its Arrow buffers
        (``pandas.ArrowDtype``), so nothing is copied; otherwise pandas'
        NumPy-backed types are used, as :meth:`pyarrow.Table.to_pandas` does.
        Other keyword options go to :meth:`pyarrow.Table.to_pandas`.
        """
        if arrow_dtypes:
            import pandas

            options.setdefault("types_mapper", pandas.ArrowDtype)
        return self.to_arrow().to_pandas(**options)

    def to_polars(self) -> polars.DataFrame:
        """The result as a polars DataFrame sharing its buffers."""
        import polars

        frame = polars.from_arrow(self.to_arrow(), rechunk=False)
        if not isinstance(frame, polars.DataFrame):  # a one-column Series
            frame = frame.to_frame()
        return frame

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object:
        """The Arrow PyCapsule stream, read by pyarrow, polars, DuckDB and others."""
        return self._inner.__arrow_c_stream__(requested_schema)

    def text(self, max_rows: int = DISPLAY_ROWS) -> str:
        """The first ``max_rows`` rows as a text table with a summary line."""
        table = self._inner.format(max_rows)
        return f"{table}\n{self._summary(max_rows)}"

    def show(self, max_rows: int = DISPLAY_ROWS) -> None:
        """Prints the first ``max_rows`` rows.

        >>> import lakecast
        >>> lakecast.connect().sql("SELECT health_band(82.0) AS band").show()
        +-------+
        | band  |
        +-------+
        | green |
        +-------+
        1 row
        """
        print(self.text(max_rows))

    def _summary(self, shown: int) -> str:
        rows = f"{self.num_rows} row{'' if self.num_rows == 1 else 's'}"
        if self.num_rows > shown:
            rows += f", first {shown} shown"
        return rows

    def __repr__(self) -> str:
        return f"<lakecast.Result {self._summary(self.num_rows)}, columns {self.columns}>"

    def _repr_html_(self) -> str:
        head = self._inner.head_pyarrow(DISPLAY_ROWS)
        cells = ["<table class='lakecast-result'>", "<thead><tr>"]
        cells += [f"<th>{html.escape(name)}</th>" for name in head.column_names]
        cells.append("</tr></thead><tbody>")
        for row in head.to_pylist():
            cells.append("<tr>")
            cells += [
                f"<td>{'NULL' if value is None else html.escape(str(value))}</td>"
                for value in row.values()
            ]
            cells.append("</tr>")
        cells.append("</tbody></table>")
        summary = self._summary(DISPLAY_ROWS)
        cells.append(f"<p>{summary} &middot; {self.elapsed * 1000:.1f} ms</p>")
        return "".join(cells)
