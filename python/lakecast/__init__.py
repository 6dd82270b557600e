"""Lakecast in Python: sales forecasts, win-rate heatmaps, customer health and
lifetime value over a lake of Parquet files, written as SQL.

>>> import lakecast
>>> session = lakecast.connect()
>>> result = session.sql("SELECT round(weighted_win_rate(0.3, 1.5), 3) AS p")
>>> result.to_arrow()["p"][0].as_py()
0.517
"""

from __future__ import annotations

from lakecast import plot, udfs
from lakecast._internal import __version__
from lakecast.catalogue import FunctionInfo, functions
from lakecast.errors import (
    ExecutionError,
    LakeContractError,
    LakecastError,
    PlanningError,
)
from lakecast.result import Result
from lakecast.session import Session, connect, examples, generate

__all__ = [
    "ExecutionError",
    "FunctionInfo",
    "LakeContractError",
    "LakecastError",
    "PlanningError",
    "Result",
    "Session",
    "__version__",
    "connect",
    "examples",
    "functions",
    "generate",
    "plot",
    "udfs",
]
