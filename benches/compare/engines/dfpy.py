"""The `datafusion` Python package with Lakecast's functions as Python UDFs.

This is how a data scientist adds domain functions to DataFusion from
Python today: `datafusion.udf` over pyarrow compute for scalars and
`datafusion.udaf` with an `Accumulator` class for aggregates, registered
under Lakecast's names so the analyses' SQL runs unchanged. Semantics follow
docs/functions.md (aggregates skip rows with a NULL input; NULL when the
result is undefined); domain errors are not raised.

A Python aggregate gets one Accumulator object per group and a Python call
per group and batch (DataFusion adapts it with its GroupsAccumulatorAdapter),
which is what this engine's timings measure next to Lakecast's native ones.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from datafusion import Accumulator

from engines import queries

F64 = pa.float64()

# Types of the contract's partition columns; others are read as text.
PARTITION_TYPES = {"snapshot_date": pa.date32(), "month": pa.string()}


def _scale_minmax(value, lo, hi):
    scaled = pc.divide(pc.subtract(value, lo), pc.subtract(hi, lo))
    clamped = pc.min_element_wise(scaled, 1.0, skip_nulls=False)
    return pc.max_element_wise(clamped, 0.0, skip_nulls=False)


def _health_band(score):
    amber_or_green = pc.if_else(pc.greater_equal(score, 75.0), "green", "amber")
    return pc.if_else(pc.less(score, 50.0), "red", amber_or_green)


def _forecast_deviation(forecast, actual):
    deviation = pc.divide(pc.subtract(actual, forecast), forecast)
    return pc.if_else(pc.not_equal(forecast, 0.0), deviation, pa.scalar(None, F64))


def _both_valid(x, y):
    """The rows of x and y where both are non-NULL, as float64 arrays."""
    keep = pc.and_(pc.is_valid(x), pc.is_valid(y))
    return pc.cast(pc.filter(x, keep), F64), pc.cast(pc.filter(y, keep), F64)


class _Sums(Accumulator):
    """Two running sums and a row count; subclasses say what to add."""

    def __init__(self):
        self.a = self.b = self.n = 0.0

    def update(self, x, y):
        x, y = _both_valid(x, y)
        a, b, n = self.terms(x, y)
        self.a += pc.sum(a).as_py() or 0.0
        self.b += pc.sum(b).as_py() or 0.0
        self.n += n

    def state(self):
        return [pa.scalar(self.a), pa.scalar(self.b), pa.scalar(self.n)]

    def merge(self, states):
        self.a += pc.sum(states[0]).as_py() or 0.0
        self.b += pc.sum(states[1]).as_py() or 0.0
        self.n += pc.sum(states[2]).as_py() or 0.0

    def evaluate(self):
        return pa.scalar(self.finish(), F64)


class Wape(_Sums):
    def terms(self, f, a):
        return pc.abs(pc.subtract(a, f)), pc.abs(a), len(a)

    def finish(self):
        return self.a / self.b if self.b != 0 else None


class Mape(_Sums):
    def terms(self, f, a):
        nonzero = pc.not_equal(a, 0.0)
        f, a = pc.filter(f, nonzero), pc.filter(a, nonzero)
        return pc.abs(pc.divide(pc.subtract(a, f), a)), pa.array([], F64), len(a)

    def finish(self):
        return self.a / self.n if self.n > 0 else None


class Bias(_Sums):
    def terms(self, f, a):
        return pc.subtract(f, a), a, len(a)

    def finish(self):
        return self.a / self.b if self.n > 0 and self.b != 0 else None


class Brier(_Sums):
    def terms(self, p, y):
        miss = pc.subtract(p, y)
        return pc.multiply(miss, miss), pa.array([], F64), len(p)

    def finish(self):
        return self.a / self.n if self.n > 0 else None


class LogLoss(_Sums):
    def terms(self, p, y):
        p = pc.min_element_wise(pc.max_element_wise(p, 1e-15), 1 - 1e-15)
        hit = pc.multiply(y, pc.ln(p))
        miss = pc.multiply(pc.subtract(1.0, y), pc.ln(pc.subtract(1.0, p)))
        return pc.negate(pc.add(hit, miss)), pa.array([], F64), len(p)

    def finish(self):
        return self.a / self.n if self.n > 0 else None


class HealthScore(_Sums):
    def terms(self, value, weight):
        return pc.multiply(value, weight), weight, len(value)

    def finish(self):
        return 100.0 * self.a / self.b if self.b > 0 else None


class RocAuc(Accumulator):
    """Keeps every (p, outcome) pair; ranks them once in evaluate."""

    def __init__(self):
        self.p, self.y = [], []

    def update(self, p, y):
        p, y = _both_valid(p, y)
        self.p.append(p)
        self.y.append(y)

    def state(self):
        return [pa.scalar(self._all(self.p).to_pylist(), pa.list_(F64)),
                pa.scalar(self._all(self.y).to_pylist(), pa.list_(F64))]

    def merge(self, states):
        self.p.append(pc.list_flatten(states[0]))
        self.y.append(pc.list_flatten(states[1]))

    @staticmethod
    def _all(chunks):
        return pa.concat_arrays([pa.array([], F64)] + [c for c in chunks if len(c)])

    def evaluate(self):
        p, y = self._all(self.p), self._all(self.y)
        positives = pc.sum(y).as_py() or 0.0
        negatives = len(y) - positives
        if positives == 0 or negatives == 0:
            return pa.scalar(None, F64)
        # average ranks of ties = mean of the lowest and highest rank
        low = pc.rank(p, sort_keys="ascending", tiebreaker="min")
        high = pc.rank(p, sort_keys="ascending", tiebreaker="max")
        ranks = pc.divide(pc.cast(pc.add(low, high), F64), 2.0)
        rank_sum = pc.sum(pc.multiply(ranks, y)).as_py()
        auc = (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)
        return pa.scalar(auc, F64)


def register(ctx) -> None:
    from datafusion import udaf, udf

    scalars = [
        (_scale_minmax, [F64, F64, F64], F64, "scale_minmax"),
        (_health_band, [F64], pa.string(), "health_band"),
        (_forecast_deviation, [F64, F64], F64, "forecast_deviation"),
    ]
    for function, inputs, output, name in scalars:
        ctx.register_udf(udf(function, inputs, output, "immutable", name))
    sums_state = [F64, F64, F64]
    aggregates = [
        (Wape, [F64, F64], sums_state, "wape"),
        (Mape, [F64, F64], sums_state, "mape"),
        (Bias, [F64, F64], sums_state, "forecast_bias"),
        (Brier, [F64, pa.bool_()], sums_state, "brier_score"),
        (LogLoss, [F64, pa.bool_()], sums_state, "log_loss"),
        (HealthScore, [F64, F64], sums_state, "health_score"),
        (RocAuc, [F64, pa.bool_()], [pa.list_(F64), pa.list_(F64)], "roc_auc"),
    ]
    for accumulator, inputs, state, name in aggregates:
        ctx.register_udaf(udaf(accumulator, inputs, F64, state, "immutable", name))


def run(analysis, lake: Path, tables: list[str]) -> list:
    import datafusion

    ctx = datafusion.SessionContext()
    register(ctx)
    for table in tables:
        parts = [(p, PARTITION_TYPES.get(p, pa.string()))
                 for p in queries.partition_columns(lake / table)]
        ctx.register_parquet(table, str(lake / table), table_partition_cols=parts or None)
    results = []
    for i, statement in enumerate(analysis.statements):
        frame = ctx.sql(statement)
        if i in analysis.results:
            results.append(frame.to_arrow_table())
    return results


def version() -> str:
    import datafusion

    return datafusion.__version__
