"""The Markdown table and the JSON file of a run."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

from engines.queries import TITLES


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def summarise(cells: list[dict], base_engine: str = "lakecast-cli") -> None:
    """Adds medians and the ratio to the Lakecast CLI's median to each cell."""
    base = {}
    for c in cells:
        c["median_seconds"] = median(c["times"])
        c["median_peak_rss_mb"] = median(c["peak_rss_mb"])
        c["median_process_seconds"] = median(c["process_seconds"])
        if c["engine"] == base_engine and c["status"] == "ok":
            base[(c["scale"], c["analysis"])] = c["median_seconds"]
    for c in cells:
        b = base.get((c["scale"], c["analysis"]))
        ok = c["status"] == "ok" and c["median_seconds"] is not None
        c["ratio_to_lakecast_cli"] = c["median_seconds"] / b if ok and b else None


def _seconds(x) -> str:
    if x is None:
        return "-"
    return f"{x:.3g}" if x < 1 else f"{x:.2f}" if x < 100 else f"{x:.0f}"


def _ratio(x) -> str:
    return "-" if x is None else f"{x:.2f}" if x >= 0.1 else f"{x:.2g}"


def _mb(x) -> str:
    return "-" if x is None else f"{x:.0f}"


def _diff(cell: dict) -> str:
    """Largest relative difference from the reference engine's values."""
    if cell.get("reference") in (None, cell["engine"]) or "max_rel_diff" not in cell:
        return "-"
    d = cell["max_rel_diff"]
    return "0" if d == 0 else f"{d:.1e}"


def markdown(run: dict) -> str:
    m = run["machine"]
    lines = [
        "# Lakecast against other engines (benches/compare/engines.py)",
        "",
        f"- machine: {m['cpu']}, {m['cores']} cores ({m['usable_cores']} usable), "
        f"{m['memory_gib']} GiB; {m['os']}; load average at start "
        f"{', '.join(str(x) for x in m['load_average_at_start'])}, at end "
        f"{', '.join(str(x) for x in run['load_average_at_end'])}",
        "- versions: " + "; ".join(f"{k} {v}" for k, v in run["versions"].items()),
        f"- {run['repeat']} timed rounds after one warm-up round; engines alternate "
        "within each round; every measurement is a fresh process",
        "- seconds: the Lakecast CLI is timed as a whole process (start, lake check, "
        "queries, JSON output); the Python engines inside their process, from opening "
        "the lake (connect, register or read) to the results as Arrow or pandas, "
        "imports excluded",
        "- peak RSS: of the whole child process, so the Python engines include their "
        "interpreter and libraries (idle figures below)",
        "- SQL: the example files' statements with round() removed (engines/queries.py), "
        "as run by the Lakecast CLI from " + run["sql_dir"] + "; DuckDB (with macros) and "
        "datafusion (with Python UDFs) run the same statements; pandas and lifetimes are "
        "their own code",
        "- check: results equal to the reference engine's (same rows, keys and text, "
        "numbers within 1e-6 relative; fitted BG/NBD parameters within 1e-3), in every "
        "round; max rel diff: the largest relative difference of any number from the "
        "reference's, over all rounds",
        "",
        "## Lake generation (`lakecast gen`)",
        "",
        "| scale | rows | seconds (process) | seconds (as gen prints) | rows/s (process) "
        "| peak RSS MB | note |",
        "|---|---|---|---|---|---|---|",
    ]
    for g in run["generation"]:
        note = "reused; timing from when it was generated" if g.get("reused") else ""
        rate = f"{g['rows_per_second']:,.0f}" if g.get("rows_per_second") else "-"
        lines.append(f"| {g['scale']:g} | {g['rows']:,} | {_seconds(g.get('seconds'))} "
                     f"| {_seconds(g.get('reported_seconds'))} | {rate} "
                     f"| {_mb(g.get('peak_rss_mb'))} | {note} |")
    lines += [
        "",
        "## Analyses",
        "",
        "| scale | analysis | engine | median s | × Lakecast CLI | peak RSS MB | check "
        "| max rel diff |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for c in run["cells"]:
        status = {"ok": "equal", "mismatch": "**MISMATCH** (time invalid)"}.get(
            c["status"], c["status"])
        if c["status"] == "ok" and not c.get("checked"):
            status = "not checked: no other engine ran it"
        elif c["status"] == "ok" and c.get("reference") == c["engine"]:
            status = "reference"
        if c["status"] in ("n/a", "error", "timeout", "not run"):
            status = f"{c['status']}: {c.get('reason', '')}".strip(": ")
        ratio = c["ratio_to_lakecast_cli"]
        seconds = _seconds(c["median_seconds"]) if c["status"] in ("ok", "mismatch") else "-"
        if c["status"] == "mismatch":
            seconds = f"~~{seconds}~~"
        lines.append(
            f"| {c['scale']:g} | {TITLES[c['analysis']]} | {c['engine']} | {seconds} "
            f"| {_ratio(ratio)} | {_mb(c['median_peak_rss_mb'])} "
            f"| {status} | {_diff(c)} |")
    lines += ["", "Idle process (start, imports, exit) peak RSS MB: " + ", ".join(
        f"{k} {_mb(v)}" for k, v in run["idle_rss_mb"].items())]
    groups: dict = {}
    for c in run["cells"]:
        if c["problems"]:
            groups.setdefault((c["scale"], c["analysis"]), []).append(c)
    if groups:
        lines += ["", "## Differences", ""]
    for (scale, analysis), bad in groups.items():
        agree = bad[0].get("agreement")
        lines.append(f"- scale {scale:g}, {TITLES[analysis]}"
                     + (": engines that agree with each other: "
                        + " | ".join(", ".join(g) for g in agree) if agree else ""))
        for c in bad:
            lines.append(f"  - {c['engine']} differs from {c.get('reference', '?')}:")
            lines += [f"    - {p}" for p in c["problems"][:8]]
    return "\n".join(lines) + "\n"


def write(run: dict, out: Path, stamp: str) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    json_path = out / f"engines-{stamp}.json"
    md_path = out / f"engines-{stamp}.md"
    json_path.write_text(json.dumps(run, indent=1) + "\n")
    md_path.write_text(markdown(run))
    return md_path, json_path
