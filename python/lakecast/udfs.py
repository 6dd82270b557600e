"""Lakecast's SQL functions for the ``datafusion`` Python package.

``lakecast.udfs.<name>()`` returns the function as a ``datafusion``
``ScalarUDF`` or ``AggregateUDF``, shared through DataFusion's stable FFI,
so it runs natively inside your own ``SessionContext``::

    import datafusion, lakecast
    ctx = datafusion.SessionContext()
    ctx.register_udf(lakecast.udfs.weighted_win_rate())
    lakecast.udfs.register_all(ctx)  # or every function at once

The FFI is stable only within one DataFusion major version: the installed
``datafusion`` must have the major version given by :func:`ffi_version`,
else a :class:`lakecast.LakecastError` says which version to install.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from lakecast import _internal
from lakecast.errors import LakecastError


def ffi_version() -> int:
    """The DataFusion major version whose FFI these functions speak."""
    return _internal.ffi_major_version()


@cache
def _kinds() -> dict[str, str]:
    return {entry["name"]: entry["kind"] for entry in _internal.catalogue()}


def names() -> list[str]:
    """Every function name, sorted."""
    return sorted(_kinds())


def _datafusion() -> Any:
    want = ffi_version()
    try:
        import datafusion
    except ImportError as error:
        raise LakecastError(
            "sharing Lakecast functions needs the `datafusion` package: "
            f"pip install 'datafusion=={want}.*'"
        ) from error
    version = getattr(datafusion, "__version__", "unknown")
    major = version.split(".")[0]
    if major != str(want):
        raise LakecastError(
            f"the installed datafusion {version} cannot load Lakecast's functions, "
            f"which are built for datafusion {want}: pip install 'datafusion=={want}.*'"
        )
    return datafusion


def function(name: str) -> Any:
    """The function ``name`` as a ``datafusion`` UDF object.

    Raises :class:`lakecast.PlanningError` for an unknown name and
    :class:`lakecast.LakecastError` when ``datafusion`` is missing or of
    another major version.
    """
    kind = _kinds().get(name)
    if kind is None:
        raise _internal.PlanningError(
            f"Lakecast has no function named `{name}`; lakecast.udfs.names() lists them"
        )
    datafusion = _datafusion()
    if kind == "aggregate":
        return datafusion.udaf(_internal.AggregateFunction(name))
    return datafusion.udf(_internal.ScalarFunction(name))


def register_all(ctx: Any) -> None:
    """Registers every Lakecast function in a ``datafusion.SessionContext``."""
    for name in names():
        udf = function(name)
        if _kinds()[name] == "aggregate":
            ctx.register_udaf(udf)
        else:
            ctx.register_udf(udf)


def __getattr__(name: str) -> Any:
    if name.startswith("__") or name not in _kinds():
        raise AttributeError(f"module 'lakecast.udfs' has no attribute '{name}'")

    def make() -> Any:
        return function(name)

    make.__name__ = name
    make.__doc__ = f"The Lakecast SQL function `{name}` as a datafusion UDF."
    return make


def __dir__() -> list[str]:
    return sorted([*globals(), *_kinds()])
