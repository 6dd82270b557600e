#!/usr/bin/env python3
"""Lakecast against DuckDB, the datafusion package, pandas and lifetimes on four
analyses of a generated lake (issue 7).

    python3 benches/compare/engines.py --scale 0.1 [--repeat 5]
        [--engines lakecast-cli,lakecast-py,duckdb,datafusion-py,pandas,lifetimes]
        [--analyses heatmap,health,review,bgnbd] [--lakecast PATH] [--wheel PATH]
        [--out DIR] [--lakes DIR] [--timeout SECONDS]
    python3 benches/compare/engines.py --scales 0.1,1,10    # the scaling curve, one table

Steps, for each scale:

1. `lakecast gen --out LAKES/lake-<scale> --scale S --seed 42` (reused when its
   `_generator.json` has that scale and seed), timed; rows/s from the row
   counts in `_generator.json`.
2. The analyses: the forecast heatmap (sql-examples/05), the health model
   (09), the forecast review (07: per-snapshot WAPE, MAPE, bias, Brier, log
   loss, ROC AUC, and the missed deals) and the BG/NBD fit of the customer
   summary of 10. engines/queries.py builds their SQL from the example files
   (rounding removed so results compare to 1e-6; see there) and writes it to
   OUT/sql/. Engines:
   - lakecast-cli: `lakecast sql --lake LAKE -f OUT/sql/<analysis>.sql --format json`;
   - lakecast-py: `lakecast.connect(lake)`, `Session.sql(...).to_arrow()`;
   - duckdb: the same statements, domain functions as DuckDB macros, tables as
     views over read_parquet (engines/duck.py);
   - datafusion-py: the same statements, domain functions as Python UDFs and
     UDAFs over pyarrow compute (engines/dfpy.py);
   - pandas: the analyses in pandas (engines/pandas_impl.py);
   - lifetimes: for BG/NBD only, lifetimes' summary helper and BetaGeoFitter
     (engines/pyengines.py). DuckDB, datafusion and pandas have no BG/NBD fit:
     "n/a".
   One warm-up round, then --repeat rounds; within a round every analysis
   runs on every engine, the engine order rotating from round to round.
   Each measurement is a fresh child process (peak RSS from wait4; killed
   after --timeout seconds).
3. Results are compared with a reference engine (lakecast-py, else the first
   engine that ran); an engine that differs is reported with the differing
   values and its time is marked invalid; the run goes on.
4. OUT/engines-<time>.md and .json (machine, versions, lake generation, median
   seconds, ratio to the Lakecast CLI, peak RSS, checks); the Markdown is
   printed at the end.

The Python engines run in a venv at ~/.cache/lakecast-bench-venv
($LAKECAST_BENCH_VENV), shared with lifetimes_bgnbd.py. The script creates it
with the pinned packages below and installs the Lakecast wheel (--wheel, else
the newest $CARGO_TARGET_DIR/wheels*/lakecast-*.whl), again whenever the pins
or the wheel file change. The script itself needs only the standard library.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from engines import check, measure, queries, report  # noqa: E402
from engines.environment import TARGET, ensure_lake, ensure_venv, find_wheel  # noqa: E402


ENGINES = ["lakecast-cli", "lakecast-py", "duckdb", "datafusion-py", "pandas", "lifetimes"]
# engine -> (module, run function, version function, modules imported before timing)
RUNNERS = {
    "lakecast-py": ("engines.pyengines", "lakecast_run", "lakecast_version", ["lakecast"]),
    "duckdb": ("engines.duck", "run", "version", ["duckdb"]),
    "datafusion-py": ("engines.dfpy", "run", "version", ["datafusion"]),
    "pandas": ("engines.pandas_impl", "run", "version", ["pandas"]),
    "lifetimes": ("engines.pyengines", "lifetimes_run", "lifetimes_version",
                  ["lifetimes", "lifetimes.utils", "pandas"]),
}
NOT_APPLICABLE = {
    ("duckdb", "bgnbd"): "no BG/NBD fit in DuckDB SQL (no optimiser)",
    ("datafusion-py", "bgnbd"): "no BG/NBD fit in the datafusion package",
    ("pandas", "bgnbd"): "no BG/NBD fit in pandas (see lifetimes)",
}
REFERENCE_ORDER = ["lakecast-py", "lakecast-cli", "duckdb", "datafusion-py", "pandas", "lifetimes"]
TOLERANCE = {"bgnbd": 1e-3}  # fitted parameters; everything else 1e-6


def applies(engine: str, analysis: str) -> str | None:
    """None when `engine` runs `analysis`, else why not."""
    if engine == "lifetimes" and analysis != "bgnbd":
        return "lifetimes fits BG/NBD only"
    return NOT_APPLICABLE.get((engine, analysis))


# ---------------------------------------------------------------- child side

def worker(engine: str, analysis_name: str, lake: str, out: str) -> int:
    """In the venv: import the engine, run one analysis, write JSON to `out`."""
    import importlib

    started = time.perf_counter()
    module, run_name, _, preload = RUNNERS[engine]
    try:
        for name in ["pyarrow", *preload]:
            importlib.import_module(name)
        run = getattr(importlib.import_module(module), run_name)
        imported = time.perf_counter() - started
        if analysis_name == "idle":
            Path(out).write_text(json.dumps({"import_seconds": imported}))
            return 0
        analysis = queries.analyses()[analysis_name]
        start = time.perf_counter()
        results = run(analysis, Path(lake), analysis.tables)
        seconds = time.perf_counter() - start
        plain = [check.from_any(r) for r in results]
    except Exception as e:  # reported by the parent, which goes on
        Path(out).write_text(json.dumps({"error": f"{type(e).__name__}: {e}"[:4000]}))
        return 1
    Path(out).write_text(json.dumps({"seconds": seconds, "import_seconds": imported,
                                     "results": plain}))
    return 0


def versions_worker() -> int:
    import importlib

    found = {}
    for engine, (module, _, version_name, _) in RUNNERS.items():
        try:
            found[engine] = getattr(importlib.import_module(module), version_name)()
        except Exception as e:
            found[engine] = f"not available ({type(e).__name__}: {e})"
    for name in ("pyarrow", "numpy", "scipy"):
        try:
            found[name] = importlib.import_module(name).__version__
        except Exception:
            found[name] = "not installed"
    print(json.dumps(found))
    return 0


# --------------------------------------------------------------- parent side

class Bench:
    def __init__(self, args, python: Path, sql_dir: Path, scratch: Path):
        self.args, self.python, self.sql_dir, self.scratch = args, python, sql_dir, scratch
        self.cli = Path(args.lakecast)
        self.analyses = queries.analyses()
        self.count = 0
        self.references = []  # the reference results, kept in the JSON file

    def measure(self, engine: str, analysis: queries.Analysis, lake: Path) -> dict:
        """One fresh-process run: seconds, peak RSS, results or error."""
        self.count += 1
        out = self.scratch / f"run-{self.count}.out"
        timeout = self.args.timeout
        if engine == "lakecast-cli":
            cmd = [self.cli, "sql", "--lake", lake, "-f", self.sql_dir / f"{analysis.name}.sql",
                   "--format", "json"]
            m = measure.run_child(cmd, timeout, stdout_path=out)
            run = {"process_seconds": m["wall"], "seconds": m["wall"]}
            why = measure.failure(m, timeout)
            if not why:
                try:
                    run["results"] = check.from_cli_json(
                        out.read_text(), len(analysis.statements), analysis.results)
                except ValueError as e:
                    why = f"unreadable output: {e}"
        else:
            cmd = [self.python, Path(__file__).resolve(), "--worker", engine, analysis.name,
                   lake, out]
            m = measure.run_child(cmd, timeout)
            run = {"process_seconds": m["wall"]}
            why = measure.failure(m, timeout)
            data = json.loads(out.read_text()) if out.exists() and out.stat().st_size else {}
            if "error" in data:
                why = data["error"]
            elif not why:
                run.update(seconds=data["seconds"], results=data["results"])
        out.unlink(missing_ok=True)
        run.update(peak_rss_mb=m["peak_rss_mb"], cpu_seconds=m["cpu_seconds"])
        if why:
            run["error"] = why
            run["timeout"] = m["timed_out"]
        return run

    def idle_rss(self, engines: list[str]) -> dict:
        idle = {}
        for engine in engines:
            if engine == "lakecast-cli":
                m = measure.run_child([self.cli, "--version"], 60)
            else:
                out = self.scratch / "idle.out"
                m = measure.run_child([self.python, Path(__file__).resolve(), "--worker",
                                       engine, "idle", "-", out], 300)
            idle[engine] = m["peak_rss_mb"] if m["returncode"] == 0 else None
        return idle

    def scale(self, scale: float, lake: Path, engines: list[str], names: list[str]) -> list[dict]:
        cells = {}
        for name in names:
            for engine in engines:
                why = applies(engine, name)
                cells[(name, engine)] = {
                    "scale": scale, "analysis": name, "engine": engine,
                    "status": "n/a" if why else "ok", "reason": why or "", "times": [],
                    "process_seconds": [], "peak_rss_mb": [], "cpu_seconds": [],
                    "problems": []}
        references = {}
        for round_no in range(self.args.repeat + 1):
            shift = round_no % len(engines)
            order = engines[shift:] + engines[:shift]
            label = "warm-up" if round_no == 0 else f"round {round_no}/{self.args.repeat}"
            for name in names:
                analysis = self.analyses[name]
                for engine in order:
                    cell = cells[(name, engine)]
                    if cell["status"] in ("n/a", "error", "timeout"):
                        continue
                    run = self.measure(engine, analysis, lake)
                    print(f"scale {scale:g} {label}: {name} {engine}: "
                          + (run["error"][:200] if "error" in run else f"{run['seconds']:.3f} s"),
                          file=sys.stderr)
                    if "error" in run:
                        cell["status"] = "timeout" if run.get("timeout") else "error"
                        cell["reason"] = run["error"]
                        continue
                    if round_no == 0:
                        cell["first"] = run["results"]
                    else:
                        self._check(cell, run["results"], references.get(name), name)
                        for key in ("times", "process_seconds", "peak_rss_mb", "cpu_seconds"):
                            cell[key].append(run["seconds" if key == "times" else key])
                if round_no == 0:
                    references[name] = self._reference(name, engines, cells)
        for cell in cells.values():
            cell.pop("first", None)
        return list(cells.values())

    def _reference(self, name: str, engines: list[str], cells: dict):
        ran = {e: cells[(name, e)]["first"] for e in engines if "first" in cells[(name, e)]}
        if not ran:
            return None
        ref_engine = next(e for e in REFERENCE_ORDER if e in ran)
        self.references.append({"scale": cells[(name, ref_engine)]["scale"], "analysis": name,
                                "engine": ref_engine, "results": ran[ref_engine]})
        rel = TOLERANCE.get(name, 1e-6)
        groups = check.agreement(ran, rel) if len(ran) > 1 else [list(ran)]
        for engine, results in ran.items():
            cell = cells[(name, engine)]
            cell["reference"] = ref_engine
            cell["checked"] = len(ran) > 1
            self._check(cell, results, (ref_engine, ran[ref_engine]), name)
            if len(groups) > 1:
                cell["agreement"] = groups
        return ref_engine, ran[ref_engine]

    def _check(self, cell: dict, results, reference, name: str) -> None:
        """Compares a run's results with the reference engine's warm-up results
        (the reference engine's own later runs too: they must not change)."""
        if reference is None:
            return
        ref_engine, ref_results = reference
        problems = check.compare(ref_results, results, TOLERANCE.get(name, 1e-6))
        diff = check.max_rel_diff(ref_results, results)
        if diff is not None:
            cell["max_rel_diff"] = max(diff, cell.get("max_rel_diff", 0.0))
        if problems:
            if cell["status"] != "mismatch":
                print(f"MISMATCH: {name} on {cell['engine']} differs from {ref_engine}:\n  "
                      + "\n  ".join(problems[:8]), file=sys.stderr)
            cell["status"] = "mismatch"
            cell["problems"] = list(dict.fromkeys(cell["problems"] + problems))[:20]


def versions(cli: Path, python: Path, stamp: dict) -> dict:
    found = {}
    try:
        out = subprocess.run([cli, "--version"], capture_output=True, text=True, timeout=60)
        build = "debug build" if "/debug/" in str(cli) else "release build" \
            if "/release/" in str(cli) else "build"
        found["lakecast-cli"] = f"{out.stdout.strip() or out.stderr.strip()} ({build}, {cli})"
    except OSError as e:
        found["lakecast-cli"] = f"not available ({e})"
    out = subprocess.run([python, Path(__file__).resolve(), "--versions"], capture_output=True,
                         text=True, timeout=300)
    try:
        found.update(json.loads(out.stdout.strip().splitlines()[-1]))
    except (ValueError, IndexError):
        found["python engines"] = f"versions unavailable: {out.stderr.strip()[-500:]}"
    if stamp.get("wheel") and "lakecast-py" in found:
        wheel = stamp["wheel"]
        kind = " (dev profile, from scripts/test-all.sh)" if "wheels-test" in wheel else ""
        found["lakecast-py"] += f" (wheel {wheel}{kind})"
    return found


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, help="one scale factor (default 0.1)")
    ap.add_argument("--scales", help="comma-separated scale factors, for the scaling curve")
    ap.add_argument("--repeat", type=int, default=5, help="timed rounds (default 5)")
    ap.add_argument("--engines", default=",".join(ENGINES))
    ap.add_argument("--analyses", default=",".join(queries.ANALYSES))
    ap.add_argument("--lakecast", default=str(TARGET / "release" / "lakecast"),
                    help="the lakecast binary (default $CARGO_TARGET_DIR/release/lakecast)")
    ap.add_argument("--wheel", help="Lakecast wheel to install into the venv")
    ap.add_argument("--out", default=str(HERE / "results"), help="where results go")
    ap.add_argument("--lakes", help="where the lakes go (default: --out)")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per measurement")
    ap.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    ap.add_argument("--versions", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return worker(*args.worker)
    if args.versions:
        return versions_worker()

    if args.scale is not None and args.scales:
        ap.error("give --scale or --scales, not both")
    scales = [float(s) for s in args.scales.split(",")] if args.scales else [args.scale or 0.1]
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    names = [a.strip() for a in args.analyses.split(",") if a.strip()]
    for e in engines:
        if e not in ENGINES:
            ap.error(f"unknown engine {e!r}; choose from {', '.join(ENGINES)}")
    for a in names:
        if a not in queries.ANALYSES:
            ap.error(f"unknown analysis {a!r}; choose from {', '.join(queries.ANALYSES)}")
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")
    cli = Path(args.lakecast)
    if not cli.is_file():
        ap.error(f"no lakecast binary at {cli}; build it or pass --lakecast PATH")

    out = Path(args.out).resolve()
    lakes = Path(args.lakes).resolve() if args.lakes else out
    sql_dir = out / "sql"
    sql_dir.mkdir(parents=True, exist_ok=True)
    for name, analysis in queries.analyses().items():
        (sql_dir / f"{name}.sql").write_text(analysis.text())
    python, stamp = ensure_venv(find_wheel(args.wheel))

    run = {"machine": measure.machine(), "versions": versions(cli, python, stamp),
           "repeat": args.repeat, "scales": scales, "engines": engines, "analyses": names,
           "sql_dir": str(sql_dir), "generation": [], "cells": []}
    with tempfile.TemporaryDirectory(prefix="lakecast-engines-") as scratch:
        bench = Bench(args, python, sql_dir, Path(scratch))
        run["idle_rss_mb"] = bench.idle_rss(engines)
        for scale in scales:
            lake, gen = ensure_lake(cli, lakes, scale, args.timeout)
            run["generation"].append(gen)
            run["cells"] += bench.scale(scale, lake, engines, names)
        run["reference_results"] = bench.references
    run["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    report.summarise(run["cells"])
    md, js = report.write(run, out, time.strftime("%Y%m%d-%H%M%S"))
    print(report.markdown(run))
    print(f"wrote {md} and {js}", file=sys.stderr)
    failed = [c for c in run["cells"] if c["status"] == "mismatch"
              or c["status"] in ("error", "timeout") and c["engine"].startswith("lakecast")]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
