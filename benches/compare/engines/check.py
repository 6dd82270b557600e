"""Results in one plain form, and the comparison between engines.

A result is {"columns": [...], "rows": [[...], ...], "complete": bool}, with
values as JSON types: NULL and NaN are both None (pandas cannot keep them
apart), dates and midnight timestamps are 'YYYY-MM-DD' strings, decimals
are floats. `complete` is false for the Lakecast CLI's JSON output, which
leaves NULL fields out of each object: a column that is NULL in every row
is then missing, and is accepted when the other side has it all NULL.

Two results are equal when they have the same columns, the same number of
rows, and, row by row in their order (every analysis ends in ORDER BY),
equal text, dates and integers, and floats within `rel` relative (1e-9
absolute near zero).
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math

ABS_TOL = 1e-9


def _value(v):
    if v is None:
        return None
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return int(v)
    if isinstance(v, float):
        return None if math.isnan(v) else v
    if isinstance(v, decimal.Decimal):
        return float(v)
    if isinstance(v, dt.datetime):
        if v.tzinfo is None and v.time() == dt.time(0):
            return v.date().isoformat()
        return v.isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if hasattr(v, "item"):  # numpy scalars
        return _value(v.item())
    return v if isinstance(v, str) else str(v)


def from_arrow(table) -> dict:
    columns = list(table.column_names)
    rows = [[_value(row[c]) for c in columns] for row in table.to_pylist()]
    return {"columns": columns, "rows": rows, "complete": True}


def from_any(result) -> dict:
    """A pyarrow Table, or a pandas DataFrame (index dropped)."""
    if hasattr(result, "to_pylist") and hasattr(result, "column_names"):
        return from_arrow(result)
    import pyarrow as pa

    return from_arrow(pa.Table.from_pandas(result, preserve_index=False))


def from_cli_json(text: str, statements: int, wanted: list[int]) -> list[dict]:
    """The CLI's `--format json` output: one JSON array per statement."""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) != statements:
        raise ValueError(f"expected {statements} JSON lines (one per statement), "
                         f"got {len(lines)}")
    out = []
    for i in wanted:
        objects = json.loads(lines[i])
        columns = []
        for obj in objects:
            columns.extend(k for k in obj if k not in columns)
        rows = [[_value(obj.get(c)) for c in columns] for obj in objects]
        out.append({"columns": columns, "rows": rows, "complete": False})
    return out


def _same(a, b, rel: float) -> bool:
    if a is None or b is None:
        return a is None and b is None
    numbers = (int, float)
    if isinstance(a, numbers) and isinstance(b, numbers):
        if isinstance(a, int) and isinstance(b, int):
            return a == b
        return math.isclose(float(a), float(b), rel_tol=rel, abs_tol=ABS_TOL)
    return a == b


def _columns(ref: dict, got: dict) -> tuple[list[str], list[str]]:
    """Columns to compare, and problems with the column lists."""
    if ref["complete"] and got["complete"]:
        if ref["columns"] != got["columns"]:
            return [], [f"columns differ: {got['columns']} vs {ref['columns']}"]
        return ref["columns"], []
    full, part = (ref, got) if ref["complete"] else (got, ref)
    extra = [c for c in part["columns"] if c not in full["columns"]]
    if extra:
        return [], [f"unexpected columns {extra} (expected {full['columns']})"]
    problems = []
    for c in full["columns"]:
        if c not in part["columns"]:
            j = full["columns"].index(c)
            if any(row[j] is not None for row in full["rows"]):
                problems.append(f"column {c!r} missing (all NULL?) but has values")
    return full["columns"], problems


def compare(ref: list[dict], got: list[dict], rel: float) -> list[str]:
    """Differences of `got` from `ref`; empty when they are equal."""
    if len(ref) != len(got):
        return [f"{len(got)} results instead of {len(ref)}"]
    problems = []
    for k, (r, g) in enumerate(zip(ref, got)):
        tag = f"result {k + 1}"
        columns, column_problems = _columns(r, g)
        problems += [f"{tag}: {p}" for p in column_problems]
        if not columns:
            continue
        if len(r["rows"]) != len(g["rows"]):
            problems.append(f"{tag}: {len(g['rows'])} rows instead of {len(r['rows'])}")
            continue
        ri = {c: r["columns"].index(c) for c in columns if c in r["columns"]}
        gi = {c: g["columns"].index(c) for c in columns if c in g["columns"]}
        differences = 0
        for n, (rrow, grow) in enumerate(zip(r["rows"], g["rows"])):
            for c in columns:
                a = rrow[ri[c]] if c in ri else None
                b = grow[gi[c]] if c in gi else None
                if not _same(a, b, rel):
                    differences += 1
                    if differences <= 4:
                        problems.append(f"{tag} row {n + 1} {c!r}: {b!r} vs {a!r}")
        if differences > 4:
            problems.append(f"{tag}: {differences} differing values in all")
    return problems


def max_rel_diff(ref: list[dict], got: list[dict]) -> float | None:
    """Largest |a - b| / max(|a|, |b|) over the float values both have, when
    the results have the same shape; None otherwise."""
    worst = 0.0
    if len(ref) != len(got):
        return None
    for r, g in zip(ref, got):
        if len(r["rows"]) != len(g["rows"]):
            return None
        shared = [c for c in r["columns"] if c in g["columns"]]
        ri = [r["columns"].index(c) for c in shared]
        gi = [g["columns"].index(c) for c in shared]
        for rrow, grow in zip(r["rows"], g["rows"]):
            for i, j in zip(ri, gi):
                a, b = rrow[i], grow[j]
                if isinstance(a, (int, float)) and isinstance(b, (int, float)) \
                        and not isinstance(a, bool) and not isinstance(b, bool):
                    scale = max(abs(a), abs(b))
                    if scale > 0:
                        worst = max(worst, abs(a - b) / scale)
    return worst


def agreement(results: dict[str, list[dict]], rel: float) -> list[list[str]]:
    """Engines grouped by equal results (each group compared to its first)."""
    groups: list[list[str]] = []
    for engine, result in results.items():
        for group in groups:
            if not compare(results[group[0]], result, rel):
                group.append(engine)
                break
        else:
            groups.append([engine])
    return groups
