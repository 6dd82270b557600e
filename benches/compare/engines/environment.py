"""The benchmark venv and the generated lakes."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from engines import measure

TARGET = Path(os.environ.get("CARGO_TARGET_DIR", Path.home() / ".cache" / "lakecast-target"))
VENV = Path(os.environ.get("LAKECAST_BENCH_VENV", Path.home() / ".cache" / "lakecast-bench-venv"))
# Pinned for Python 3.11 (pandas 3 needs 3.11 or newer); lifetimes_bgnbd.py uses
# the same venv and needs only lifetimes.
PINS = ["duckdb==2.0.0", "datafusion>=55,<56", "pyarrow==26.0.1", "pandas==3.1.1",
        "numpy==2.4.6", "lifetimes==0.11.3", "scipy==1.17.1", "autograd==1.9.1", "dill==0.4.1"]
SEED = 42


def find_wheel(given: str | None) -> Path | None:
    if given:
        return Path(given).resolve()
    wheels = sorted(TARGET.glob("wheels*/lakecast-*.whl"), key=lambda p: p.stat().st_mtime)
    return wheels[-1] if wheels else None


def ensure_venv(wheel: Path | None) -> tuple[Path, dict]:
    """The venv's python, created or updated to the pins and wheel."""
    python = VENV / "bin" / "python"
    stamp_path = VENV / "lakecast-engines.json"
    stamp = json.loads(stamp_path.read_text()) if stamp_path.exists() else {}
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest() if wheel else None
    if not python.exists():
        print(f"creating {VENV} ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    if stamp.get("pins") != PINS:
        print(f"installing {' '.join(PINS)} into {VENV} ...", file=sys.stderr)
        if subprocess.run(pip + PINS).returncode:
            raise SystemExit(f"pip could not install the pinned packages into {VENV}")
        stamp = {"pins": PINS}
        stamp_path.write_text(json.dumps(stamp))
    if digest and stamp.get("wheel_sha256") != digest:
        print(f"installing {wheel} into {VENV} ...", file=sys.stderr)
        if subprocess.run(pip + ["--force-reinstall", "--no-deps", str(wheel)]).returncode:
            raise SystemExit(f"pip could not install {wheel} into {VENV}")
        stamp.update(wheel=str(wheel), wheel_sha256=digest)
        stamp_path.write_text(json.dumps(stamp))
    elif not digest and not stamp.get("wheel"):
        print("warning: no Lakecast wheel found (--wheel, or build one with maturin into "
              f"{TARGET}/wheels*/); lakecast-py will fail", file=sys.stderr)
    return python, stamp


def ensure_lake(cli: Path, lakes: Path, scale: float, timeout: float) -> tuple[Path, dict]:
    lake = lakes / f"lake-{scale:g}"
    record = lakes / f"lake-{scale:g}.gen.json"
    meta = lake / "_generator.json"
    if meta.exists():
        g = json.loads(meta.read_text())
        if float(g.get("scale", -1)) == scale and int(g.get("seed", -1)) == SEED:
            info = json.loads(record.read_text()) if record.exists() else {}
            info.update(scale=scale, reused=True, rows=sum(g["rows"].values()),
                        rows_per_table=g["rows"])
            return lake, info
    lakes.mkdir(parents=True, exist_ok=True)
    cmd = [cli, "gen", "--out", lake, "--scale", f"{scale:g}", "--seed", str(SEED)]
    if lake.exists() and any(lake.iterdir()):
        cmd.append("--replace")
    print(f"generating {lake} ...", file=sys.stderr)
    printed = lakes / f"lake-{scale:g}.gen.out"
    m = measure.run_child(cmd, timeout, stdout_path=printed)
    why = measure.failure(m, timeout)
    if why:
        raise SystemExit(f"lakecast gen failed ({why}):\n{m['stderr'][-3000:]}")
    g = json.loads(meta.read_text())
    rows = sum(g["rows"].values())
    # its own summary line: "wrote N rows to DIR in S s (scale F, seed N)"
    said = re.search(r"wrote (\d+) rows .* in ([\d.]+) s", printed.read_text() + m["stderr"])
    printed.unlink()
    info = {"scale": scale, "rows": rows, "rows_per_table": g["rows"], "seconds": m["wall"],
            "rows_per_second": rows / m["wall"], "peak_rss_mb": m["peak_rss_mb"],
            "reported_seconds": float(said.group(2)) if said else None, "reused": False}
    record.write_text(json.dumps(info, indent=1))
    return lake, info


