#!/usr/bin/env python3
"""How long a 10M-row query result takes to reach pandas: Lakecast's Python
package against the `datafusion` 55 package and DuckDB.

The script writes one Parquet file of ROWS rows (default 10,000,000; `--rows`)
with the shape of a deal table: id (int64), customer (string, 5,000
distinct), amount (float64), close_date (date32), won (bool with NULLs). Each
engine then runs `SELECT * FROM` that file and hands the result to pandas
(NumPy-backed columns, each engine's default conversion):

* lakecast: `connect().sql(...).to_pandas()` over a `CREATE EXTERNAL TABLE`;
* datafusion: `SessionContext.register_parquet`, `.sql(...).to_pandas()`;
* duckdb: `duckdb.sql("SELECT * FROM read_parquet(...)").df()`.

Engines alternate in each of `--repeat` rounds (default 5) after one warm-up
round; the table gives the median seconds of the whole step and of the
Arrow-only part (`to_arrow()`, `to_arrow_table()`, `.arrow()`), and the ratio
to Lakecast. Before timing counts, every engine's DataFrame is checked to
have the same rows, the same sum of amount and the same count of won deals.

Run it with a Python that has lakecast (built with `maturin build --release`),
datafusion 55, duckdb and pandas installed:

    python benches/compare/to_pandas.py [--rows 10000000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq


def write_file(folder: Path, rows: int) -> Path:
    rng = np.random.default_rng(2026)
    won = rng.random(rows) < 0.3
    won_mask = rng.random(rows) < 0.2
    table = pa.table(
        {
            "id": pa.array(np.arange(rows, dtype=np.int64)),
            "customer": pa.array(
                np.char.add("customer ", rng.integers(0, 5000, rows).astype(str))
            ),
            "amount": pa.array(rng.lognormal(9.0, 1.2, rows)),
            "close_date": pa.array(
                rng.integers(19000, 20500, rows).astype("int32"), pa.int32()
            ).cast(pa.date32()),
            "won": pa.array(won, mask=won_mask),
        }
    )
    path = folder / "deals.parquet"
    pq.write_table(table, path, row_group_size=1_000_000)
    return path


def engines(path: Path) -> dict:
    import datafusion
    import duckdb

    import lakecast

    session = lakecast.connect()
    session.sql(f"CREATE EXTERNAL TABLE deals STORED AS PARQUET LOCATION '{path}'")
    ctx = datafusion.SessionContext()
    ctx.register_parquet("deals", str(path))
    duck = duckdb.connect()
    query = "SELECT * FROM deals"
    duck_query = f"SELECT * FROM read_parquet('{path}')"
    return {
        "lakecast": (
            lambda: session.sql(query).to_pandas(),
            lambda: session.sql(query).to_arrow(),
            lakecast.__version__,
        ),
        "datafusion": (
            lambda: ctx.sql(query).to_pandas(),
            lambda: ctx.sql(query).to_arrow_table(),
            datafusion.__version__,
        ),
        "duckdb": (
            lambda: duck.sql(duck_query).df(),
            lambda: duck.sql(duck_query).arrow(),
            duckdb.__version__,
        ),
    }


def fingerprint(frame) -> tuple:
    return (len(frame), round(float(frame["amount"].sum()), 2), int((frame["won"] == True).sum()))  # noqa: E712


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = write_file(Path(folder), args.rows)
        runners = engines(path)
        expected = None
        for name, (to_pandas, _, _) in runners.items():
            got = fingerprint(to_pandas())
            expected = expected or got
            if got != expected:
                raise SystemExit(f"{name} disagrees: {got} != {expected}")
        times = {name: {"pandas": [], "arrow": []} for name in runners}
        for _ in range(args.repeat):
            for name, (to_pandas, to_arrow, _) in runners.items():
                for kind, step in (("pandas", to_pandas), ("arrow", to_arrow)):
                    started = time.perf_counter()
                    result = step()
                    times[name][kind].append(time.perf_counter() - started)
                    del result
    base = statistics.median(times["lakecast"]["pandas"])
    print(
        f"{args.rows:,} rows to pandas; {platform.machine()}, {platform.python_version()}, "
        f"pandas {__import__('pandas').__version__}, pyarrow {pa.__version__}; "
        f"median of {args.repeat}"
    )
    print("| engine | version | to pandas (s) | to Arrow (s) | pandas time / Lakecast's |")
    print("|---|---|---|---|---|")
    for name, (_, _, version) in runners.items():
        p = statistics.median(times[name]["pandas"])
        a = statistics.median(times[name]["arrow"])
        print(f"| {name} | {version} | {p:.3f} | {a:.3f} | {p / base:.2f} |")


if __name__ == "__main__":
    main()
