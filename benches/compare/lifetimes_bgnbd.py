#!/usr/bin/env python3
"""Compare Lakecast's `bgnbd_fit` with the `lifetimes` package's BG/NBD fit.

For each size N (default 10,000, 100,000 and 1,000,000; `--sizes`) the script
simulates N customers from a BG/NBD process with known parameters (r=0.25,
alpha=4.0, a=0.8, b=2.5, in weeks; customer ages T uniform on [1, 78] weeks;
fixed seed), writes `frequency,recency,t` to a CSV file in a temporary
folder, then fits the model twice:

* Lakecast: the `fit_csv` benchmark target (`benches/benches/fit_csv.rs`, run
  through `cargo bench`, so with the optimised build) reads the CSV into
  memory with DataFusion, then runs `SELECT bgnbd_fit(frequency, recency, t)`
  on it. The time is that query's (the median of five runs), like lifetimes'
  which starts from data in memory; reading the CSV is shown beside it.
* lifetimes 0.11.3: `BetaGeoFitter(penalizer_coef=0.0).fit(frequency, recency,
  T)` on the same file read with pandas (the read is not timed; `fit` includes
  the standard errors lifetimes computes after the optimisation). It runs in a
  child process under a time limit (`--timeout`, default 600 s, which covers
  the child's imports and CSV read too), so a fit that is too slow or runs out
  of memory is reported as such instead of hanging the script.

It prints one table row per size (times, the ratio lifetimes/lakecast and the
largest relative difference |lakecast - lifetimes| / |lifetimes| over r, alpha,
a and b), then both parameter sets with the log-likelihood each reaches on the
data (computed with lifetimes' own formula, so they compare directly: the
higher one is the better maximum).

lifetimes lives in a venv at ~/.cache/lakecast-bench-venv; the script creates
it (python3 -m venv, pip install lifetimes==0.11.3) when `import lifetimes`
fails there, and re-executes itself with that venv's python. It exits non-zero
only when it crashes or Lakecast fails, not when lifetimes cannot finish.

    python3 benches/compare/lifetimes_bgnbd.py [--sizes 10000,100000]
        [--timeout 600]
"""

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

VENV = Path.home() / ".cache" / "lakecast-bench-venv"
PARAMS = ("r", "alpha", "a", "b")
TRUE = {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5}
SEED = 20050101


def ensure_venv() -> None:
    """Re-execute inside the benchmark venv, creating it first if needed."""
    if Path(sys.prefix).resolve() == VENV.resolve():
        return
    python = VENV / "bin" / "python"
    check = [str(python), "-c", "import lifetimes"]
    if not python.exists() or subprocess.run(check, capture_output=True).returncode:
        print(f"setting up {VENV} with lifetimes==0.11.3 ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        pip = [str(python), "-m", "pip", "install", "-q", "lifetimes==0.11.3"]
        subprocess.run(pip, check=True)
    os.execv(str(python), [str(python), os.path.abspath(__file__), *sys.argv[1:]])


def simulate(n: int, seed: int):
    """frequency, recency and T of n customers from the BG/NBD process."""
    import numpy as np

    rng = np.random.default_rng(seed)
    T = rng.uniform(1.0, 78.0, n)
    lam = rng.gamma(TRUE["r"], 1.0 / TRUE["alpha"], n)
    p = np.maximum(rng.beta(TRUE["a"], TRUE["b"], n), np.finfo(float).tiny)
    made = rng.poisson(lam * T)  # purchases the Poisson process makes in (0, T]
    drop = rng.geometric(p)  # the repeat purchase after which the customer leaves
    freq = np.minimum(made, drop)
    # Given `made` events in (0, T], their times are sorted uniforms on (0, T],
    # and the k-th of m sorted uniforms is Beta(k, m - k + 1).
    recency = np.zeros(n)
    seen = freq > 0
    recency[seen] = T[seen] * rng.beta(freq[seen], made[seen] - freq[seen] + 1)
    return freq, recency, T


def write_csv(path: Path, freq, recency, T) -> None:
    import numpy as np

    data = np.column_stack([freq, recency, T])
    np.savetxt(path, data, fmt=["%d", "%.10g", "%.10g"], delimiter=",",
               header="frequency,recency,t", comments="")


def lakecast(path: Path) -> dict:
    """Lakecast's fit of the CSV: seconds, count(*) seconds and parameters."""
    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, LAKECAST_FIT_CSV=str(path))
    run = subprocess.run(["cargo", "bench", "-q", "-p", "lakecast-benches",
                          "--bench", "fit_csv"], cwd=root, env=env,
                         capture_output=True, text=True)
    lines = [l for l in run.stdout.splitlines() if l.startswith("{")]
    if run.returncode or not lines:
        raise RuntimeError(f"fit_csv failed ({run.returncode}): {run.stderr.strip()[-2000:]}")
    return json.loads(lines[-1])


def worker(path: str, lakecast_params: str) -> None:
    """Child process: fit lifetimes on the CSV and print one JSON line."""
    import numpy as np
    import pandas as pd
    from lifetimes import BetaGeoFitter

    df = pd.read_csv(path)
    freq, rec, T = (df[c].to_numpy() for c in ("frequency", "recency", "t"))
    try:
        start = time.perf_counter()
        model = BetaGeoFitter(penalizer_coef=0.0).fit(freq, rec, T)
        seconds = time.perf_counter() - start
    except Exception as e:  # e.g. lifetimes' ConvergenceError
        print(json.dumps({"error": f"{type(e).__name__}: {str(e).strip()}"}))
        return
    ones = np.ones(len(freq))

    def loglik(p):
        logp = np.log([p[k] for k in PARAMS])
        nll = BetaGeoFitter._negative_log_likelihood(logp, freq, rec, T, ones, 0.0)
        return -float(nll) * len(freq)

    params = {k: float(model.params_[k]) for k in PARAMS}
    theirs = json.loads(lakecast_params)
    print(json.dumps({"seconds": seconds, "params": params, "ll": loglik(params),
                      "ll_lakecast": loglik(theirs) if theirs else None}))


def lifetimes(path: Path, lakecast_params, timeout: float) -> dict:
    """Run `worker` under the time limit; {'error': ...} when it does not finish."""
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", str(path),
           json.dumps(lakecast_params)]
    try:
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"did not finish within {timeout:g} s"}
    if run.returncode:
        if run.returncode < 0:
            why = f"killed by signal {-run.returncode}"
            why += " (out of memory?)" if run.returncode == -9 else ""
        else:
            lines = run.stderr.strip().splitlines()
            why = lines[-1] if lines else f"exit code {run.returncode}"
        return {"error": f"failed: {why}"}
    lines = run.stdout.strip().splitlines()
    result = json.loads(lines[-1]) if lines else {"error": "no output"}
    if "error" in result and not result["error"].startswith("failed"):
        result["error"] = f"failed: {result['error']}"
    return result


def fmt(params) -> str:
    return "  ".join(f"{k}={params[k]:.6g}".ljust(14) for k in PARAMS).rstrip()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000,1000000",
                    help="comma-separated numbers of customers")
    ap.add_argument("--timeout", type=float, default=600.0,
                    help="seconds lifetimes may take per size")
    ap.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(*args.worker)
        return 0
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]

    header = (f"{'N':>9} {'lakecast s':>10} {'read s':>10} {'lifetimes s':>11}"
              f" {'ratio':>7} {'max rel diff':>12}")
    rows, details = [], []
    with tempfile.TemporaryDirectory(prefix="lakecast-bgnbd-") as tmp:
        for n in sizes:
            path = Path(tmp) / f"bgnbd_{n}.csv"
            write_csv(path, *simulate(n, SEED))
            row = lakecast(path)
            lc_s, count_s = row["seconds"], row["read_seconds"]
            ours = {k: float(row[k]) for k in PARAMS}
            print(f"N={n}: lakecast {lc_s:.3f} s; running lifetimes ...", file=sys.stderr)
            lt = lifetimes(path, ours, args.timeout)
            if "error" in lt:
                lt_s, ratio, diff = "-", "-", f"{'-':>12}  lifetimes {lt['error']}"
            else:
                theirs = lt["params"]
                lt_s = f"{lt['seconds']:11.3f}"
                ratio = f"{lt['seconds'] / lc_s:7.3g}"
                diff = f"{max(abs(ours[k] - theirs[k]) / abs(theirs[k]) for k in PARAMS):12.2e}"
            rows.append(f"{n:>9} {lc_s:>10.3f} {count_s:>10.3f} {lt_s:>11} {ratio:>7} {diff:>12}")
            lines = [f"N={n}", f"  true       {fmt(TRUE)}",
                     f"  lakecast   {fmt(ours)}  converged={row['converged']}"
                     f"  iterations={row['iterations']}"
                     f"  loglik={float(row['log_likelihood']):.6f}"]
            if "error" not in lt:
                lines[-1] += f"  loglik(lifetimes formula)={lt['ll_lakecast']:.6f}"
                lines.append(f"  lifetimes  {fmt(lt['params'])}  loglik={lt['ll']:.6f}")
            else:
                lines.append(f"  lifetimes  {lt['error']}")
            details.append("\n".join(lines))
    print(header)
    print("\n".join(rows))
    print()
    print("\n\n".join(details))
    return 0


if __name__ == "__main__":
    ensure_venv()
    sys.exit(main())
