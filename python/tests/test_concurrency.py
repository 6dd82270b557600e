"""Queries release the GIL while they run, and Ctrl-C cancels them."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time

import lakecast

#: A query that keeps the engine busy for a while in any build.
LONG = "SELECT count(*) AS n FROM generate_series(1, 20000000000) AS t(v) WHERE v % 7 = 3"
#: A query of about a second in a debug build.
MEDIUM = "SELECT sum(v % 13) AS s FROM generate_series(1, 30000000) AS t(v)"


def test_other_threads_run_while_a_query_runs():
    session = lakecast.connect()
    done = threading.Event()
    outcome: dict[str, object] = {}

    def work() -> None:
        started = time.perf_counter()
        outcome["rows"] = session.sql(MEDIUM).num_rows
        outcome["seconds"] = time.perf_counter() - started
        done.set()

    worker = threading.Thread(target=work)
    worker.start()
    spins = 0
    while not done.is_set():
        spins += 1
        time.sleep(0.001)
    worker.join()
    assert outcome["rows"] == 1
    # With the GIL held for the whole query this loop could not advance.
    assert spins >= 0.2 * float(outcome["seconds"]) * 1000 / 2, (spins, outcome)


def test_ctrl_c_cancels_a_running_query():
    script = (
        "import lakecast, sys, time\n"
        "session = lakecast.connect()\n"
        "print('ready', flush=True)\n"
        "started = time.perf_counter()\n"
        "try:\n"
        f"    session.sql({LONG!r})\n"
        "except KeyboardInterrupt:\n"
        "    print('interrupted after', round(time.perf_counter() - started, 1), flush=True)\n"
        "    print(session.sql('SELECT 41 + 1 AS x').to_arrow()['x'][0].as_py(), flush=True)\n"
        "    sys.exit(0)\n"
        "sys.exit(3)\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "ready"
    time.sleep(1.0)
    sent = time.perf_counter()
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=30)
    waited = time.perf_counter() - sent
    assert child.returncode == 0, (out, err)
    assert "interrupted after" in out
    assert out.strip().endswith("42"), "the session must still work after a cancel"
    assert waited < 10, waited
