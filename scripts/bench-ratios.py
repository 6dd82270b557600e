#!/usr/bin/env python3
"""Prints each Lakecast function's throughput as a share of its baseline
from the last criterion run: `udf` against `arrow` (a bare Arrow kernel doing
the same arithmetic) in the scalar group, `lakecast` against `builtin_sql`
(the same measure written with DataFusion's built-in SQL) in the aggregate
groups. A ratio of 0.5 means half the baseline's throughput."""

import json
import os
import sys
from pathlib import Path

target = Path(os.environ.get("CARGO_TARGET_DIR", "target"))
root = target / "criterion"
if not root.is_dir():
    sys.exit(f"no criterion results under {root}; run `cargo bench -p lakecast-benches` first")


def mean_ns(bench: Path) -> float:
    estimates = json.loads((bench / "new" / "estimates.json").read_text())
    return estimates["mean"]["point_estimate"]


# Criterion stores "case/udf" as the directory "case_udf".
PAIRS = (("_udf", "_arrow"), ("_lakecast", "_builtin_sql"))

rows = []
for group in sorted(p for p in root.iterdir() if p.is_dir() and p.name != "report"):
    for ours_suffix, base_suffix in PAIRS:
        for udf in sorted(group.glob(f"*{ours_suffix}")):
            case = udf.name[: -len(ours_suffix)]
            baseline = group / f"{case}{base_suffix}"
            if not (udf / "new").is_dir():
                continue
            ours = mean_ns(udf)
            theirs = mean_ns(baseline) if (baseline / "new").is_dir() else None
            rows.append((f"{group.name}/{case}", ours, theirs))

print(f"{'benchmark':44} {'lakecast':>10} {'baseline':>10} {'ratio':>6}")
for name, ours, theirs in rows:
    base = f"{theirs / 1e3:8.1f}us" if theirs else f"{'-':>10}"
    ratio = f"{theirs / ours:6.2f}" if theirs else f"{'-':>6}"
    print(f"{name:44} {ours / 1e3:8.1f}us {base} {ratio}")
