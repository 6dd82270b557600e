"""The exceptions Lakecast raises.

Every error is a :class:`LakecastError`; the subclasses say at which stage
it happened. Messages name the table, column, function or value at fault.

>>> import lakecast
>>> try:
...     lakecast.connect().sql("SELECT * FROM no_such_table")
... except lakecast.PlanningError as error:
...     print(type(error).__name__, isinstance(error, lakecast.LakecastError))
PlanningError True
"""

from __future__ import annotations

from lakecast._internal import (
    ExecutionError,
    LakeContractError,
    LakecastError,
    PlanningError,
)

__all__ = ["ExecutionError", "LakeContractError", "LakecastError", "PlanningError"]
