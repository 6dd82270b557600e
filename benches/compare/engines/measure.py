"""One measurement = one fresh child process, timed from outside, with its own
peak resident memory, and killed (with everything it started) when it passes
the time limit.

The peak comes from wait4's ru_maxrss, but not of a child of this script:
Linux carries the forking process's peak RSS into a child across exec, so
every child of a large parent would report at least the parent's size. A
small launcher (a fresh `python -I -S`, about 10 MB) forks the command itself
and reports its wall time and ru_maxrss through a file."""

from __future__ import annotations

import os
import platform
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path


LAUNCHER = """
import os, sys, time
report, cmd = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(cmd[0], cmd)
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - start
with open(report, "w") as f:
    f.write(f"{wall} {usage.ru_maxrss} {usage.ru_utime + usage.ru_stime}")
code = os.waitstatus_to_exitcode(status)
if code < 0:
    os.kill(os.getpid(), -code)
sys.exit(code)
"""


def run_child(cmd: list[str], timeout: float, stdout_path: Path | None = None,
              env: dict | None = None) -> dict:
    """Runs `cmd`; returns wall seconds, peak RSS, CPU seconds, exit code, stderr."""
    out = open(stdout_path, "wb") if stdout_path else open(os.devnull, "wb")
    err = tempfile.TemporaryFile()
    report = tempfile.NamedTemporaryFile(prefix="lakecast-measure-", delete=False)
    report.close()
    lock, state = threading.Lock(), {"done": False, "killed": False}
    with out, err:
        start = time.perf_counter()
        launcher = [sys.executable, "-I", "-S", "-c", LAUNCHER, report.name]
        proc = subprocess.Popen(launcher + [str(c) for c in cmd], stdout=out, stderr=err,
                                env=env, start_new_session=True)

        def kill() -> None:
            with lock:
                if not state["done"]:
                    state["killed"] = True
                    os.killpg(proc.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, kill)
        timer.daemon = True
        timer.start()
        # Wait without reaping first, so the timer can never signal a reused pid.
        os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
        outside = time.perf_counter() - start
        with lock:
            state["done"] = True
        timer.cancel()
        _, status, _ = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read().decode(errors="replace")
    fields = Path(report.name).read_text().split()
    os.unlink(report.name)
    wall, rss_kib, cpu = (float(fields[0]), float(fields[1]), float(fields[2])) \
        if len(fields) == 3 else (outside, float("nan"), float("nan"))
    return {
        "wall": wall,
        "peak_rss_mb": rss_kib / 1024.0,  # KiB on Linux
        "cpu_seconds": cpu,
        "returncode": proc.returncode,
        "timed_out": state["killed"],
        "stderr": stderr,
    }


def failure(m: dict, timeout: float) -> str | None:
    """Why a child failed, or None."""
    if m["timed_out"]:
        return f"did not finish within {timeout:g} s"
    if m["returncode"] == 0:
        return None
    if m["returncode"] < 0:
        why = f"killed by signal {-m['returncode']}"
        return why + (" (out of memory?)" if m["returncode"] == -9 else "")
    lines = [line for line in m["stderr"].strip().splitlines() if line.strip()]
    return f"exit code {m['returncode']}: " + (lines[-1] if lines else "no message")


def machine() -> dict:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "memory_gib": memory_gib,
        "os": platform.platform(),
        "python": platform.python_version(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
