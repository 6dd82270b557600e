#!/usr/bin/env bash
# Runs Lakecast's whole test suite: formatting, lints, Rust unit and
# integration tests, the SQL logic tests and the
# Python package tests. Installs what it needs itself (a virtualenv under
# ~/.cache, or LAKECAST_VENV); exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "rustfmt"
cargo fmt --all -- --check

step "clippy (-D warnings)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "CDNOW reference data (from the lifetimes wheel on PyPI, cached)"
python3 scripts/fetch-cdnow.py

step "Rust tests, SQL logic tests, model references, CLI tests"
cargo test --workspace --locked

step "Python package: wheel, test dependencies, pytest (with doctests and the notebook)"
venv="${LAKECAST_VENV:-$HOME/.cache/lakecast-py}"
wheels="${CARGO_TARGET_DIR:-target}/wheels-test"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check 'maturin>=1.9,<2'
rm -rf "$wheels"
"$venv/bin/maturin" build --profile dev --locked -m python/Cargo.toml \
  -i "$venv/bin/python" -o "$wheels"
wheel="$(ls "$wheels"/lakecast-*.whl)"
"$venv/bin/python" -m pip install -q --disable-pip-version-check "$wheel[test]"
"$venv/bin/python" -m pip install -q --disable-pip-version-check \
  --force-reinstall --no-deps "$wheel"
"$venv/bin/python" -m pytest -q -p no:cacheprovider python/tests \
  --doctest-modules --pyargs lakecast

step "all tests passed"
