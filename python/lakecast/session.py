"""Sessions: SQL over a lake and over data registered from Python."""

from __future__ import annotations

import os
from typing import Any

import pyarrow as pa

from lakecast import _internal
from lakecast.errors import LakecastError
from lakecast.result import Result


class Session:
    """A connection to a lake (or to no lake) with every Lakecast function.

    Queries run with the GIL released, so other Python threads keep going,
    and Ctrl-C (``KeyboardInterrupt``) cancels a running query.

    >>> import lakecast
    >>> session = lakecast.connect()
    >>> session.sql("SELECT slack_alert(0.1) AS alert").to_arrow().to_pylist()
    [{'alert': True}]
    """

    def __init__(self, inner: _internal.Session) -> None:
        self._inner = inner

    @property
    def lake(self) -> str | None:
        """The lake location given to :func:`lakecast.connect`, if any."""
        return self._inner.lake

    def sql(self, query: str) -> Result:
        """Runs SQL and returns the rows of its last statement.

        ``query`` may hold several statements separated by ``;`` (for
        example ``CREATE VIEW`` steps before a ``SELECT``, as in the files
        of :func:`lakecast.examples`); they run in order.

        Raises :class:`lakecast.PlanningError` for SQL that cannot be
        planned and :class:`lakecast.ExecutionError` for failures while it
        runs.
        """
        if not isinstance(query, str):
            raise TypeError(f"query must be a str, got {type(query).__name__}")
        return Result(self._inner.sql(query))

    def register(self, name: str, data: Any) -> None:
        """Makes in-memory data queryable as table ``name``.

        ``data`` is a pyarrow Table, RecordBatch or RecordBatchReader, a
        pandas or polars DataFrame, a dict of columns, or anything else that
        speaks the Arrow PyCapsule interface. A table of the same name is
        replaced.

        >>> import lakecast
        >>> session = lakecast.connect()
        >>> session.register("deals", {"p": [0.2, 0.6], "amount": [100.0, 50.0]})
        >>> session.sql("SELECT sum(p * amount) AS expected FROM deals").to_arrow()[0][0]
        <pyarrow.DoubleScalar: 50.0>
        """
        self._inner.register(name, _as_arrow_stream(name, data))

    def deregister(self, name: str) -> None:
        """Removes table ``name``."""
        self._inner.deregister(name)

    def tables(self) -> list[str]:
        """The names of the tables this session can query."""
        return self._inner.tables()

    def __repr__(self) -> str:
        where = f"lake {self.lake!r}" if self.lake else "no lake"
        return f"<lakecast.Session on {where}, {len(self.tables())} tables>"


def _as_arrow_stream(name: str, data: Any) -> Any:
    """``data`` as an object with ``__arrow_c_stream__``."""
    if hasattr(data, "__arrow_c_stream__"):
        return data
    try:
        if isinstance(data, pa.RecordBatch):
            return pa.Table.from_batches([data])
        if type(data).__module__.startswith("pandas"):
            return pa.Table.from_pandas(data, preserve_index=False)
        return pa.table(data)
    except (TypeError, ValueError, pa.ArrowException) as error:
        raise LakecastError(
            f"cannot register {type(data).__name__} as table `{name}`: {error}"
        ) from error


def connect(
    lake: str | os.PathLike[str] | None = None, *, cluster: str | None = None
) -> Session:
    """Opens a session.

    ``lake`` is a lake folder, ``file://`` URL or ``s3://bucket/prefix``
    (configured by the standard AWS environment variables); its tables are
    checked against the lake contract and registered. Without a lake the
    session has only the functions and whatever you
    :meth:`~Session.register`. With ``cluster="df://HOST:PORT"`` queries
    run on that Ballista cluster (started with ``lakecast cluster``).
    Raises :class:`lakecast.LakeContractError` when the lake is missing or
    breaks the contract.
    """
    location = None if lake is None else os.fspath(lake)
    return Session(_internal.connect(location, cluster))


def examples() -> dict[str, str]:
    """The SQL examples shipped with Lakecast, by file name.

    Each is commented for an analyst and runs on a generated lake with
    :meth:`Session.sql`.

    >>> import lakecast
    >>> "05_forecast_heatmap.sql" in lakecast.examples()
    True
    """
    return {name: sql for name, _title, sql in _internal.examples()}


def generate(
    out: str | os.PathLike[str],
    *,
    scale: float = 0.05,
    seed: int = 42,
    replace: bool = False,
) -> dict[str, int]:
    """Writes a generated demo lake to ``out`` and returns rows per table.

    The same scale and seed always give the same data. ``replace`` allows
    writing over an existing lake; otherwise ``out`` must be empty or absent.

    >>> import lakecast, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> rows = lakecast.generate(folder, scale=0.01)
    >>> rows["customers"] > 0 and "opportunities" in rows
    True
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise LakecastError(f"seed must be a whole number of 0 or more, got {seed!r}")
    scale = float(scale)
    if not (0.0 < scale <= 1000.0):  # also false for NaN
        raise LakecastError(f"scale must be above 0 and at most 1000, got {scale}")
    return _internal.generate(os.fspath(out), scale, seed, replace)
