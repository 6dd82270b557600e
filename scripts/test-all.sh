#!/usr/bin/env bash
# Runs Lakecast's whole test suite: formatting, lints, Rust unit and
# integration tests (SQL logic, model references, CLI, cluster, S3) and the
# Python package tests. Installs what it needs itself (a virtualenv under
# ~/.cache, or LAKECAST_VENV, with maturin, moto and the package's test
# dependencies), starts a local S3 server on loopback for the S3 tests and
# stops it after; exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }
target="${CARGO_TARGET_DIR:-target}"

step "rustfmt"
cargo fmt --all -- --check

step "clippy (-D warnings)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "test tools: virtualenv with maturin, moto (local S3), boto3 and the BI clients"
venv="${LAKECAST_VENV:-$HOME/.cache/lakecast-py}"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check \
  'maturin>=1.9,<2' 'moto[server]>=5.1,<6' 'boto3>=1.35' \
  'psycopg[binary]>=3.2,<4' 'sqlalchemy>=2.0,<2.1' \
  'adbc-driver-flightsql>=1.3' 'adbc-driver-manager>=1.3'

step "local S3 server on loopback"
s3_env="$(mktemp)"
"$venv/bin/python" scripts/s3-server.py "$s3_env"
# shellcheck disable=SC1090
source "$s3_env"
stop_s3() { kill "$LAKECAST_S3_SERVER_PID" 2>/dev/null || true; rm -f "$s3_env"; }
trap stop_s3 EXIT

step "CDNOW reference data (from the lifetimes wheel on PyPI, cached)"
python3 scripts/fetch-cdnow.py

step "Rust tests: unit, SQL logic, model references, CLI, cluster, S3"
cargo test --workspace --locked

step "Python package: wheel, test dependencies, pytest (with doctests and the notebook)"
wheels="$target/wheels-test"
rm -rf "$wheels"
"$venv/bin/maturin" build --profile dev --locked -m python/Cargo.toml \
  -i "$venv/bin/python" -o "$wheels"
wheel="$(ls "$wheels"/lakecast-*.whl)"
"$venv/bin/python" -m pip install -q --disable-pip-version-check "$wheel[test]"
"$venv/bin/python" -m pip install -q --disable-pip-version-check \
  --force-reinstall --no-deps "$wheel"
LAKECAST_BIN="$target/debug/lakecast" \
  "$venv/bin/python" -m pytest -q -p no:cacheprovider python/tests \
  --doctest-modules --pyargs lakecast

step "all tests passed"
