#!/usr/bin/env bash
# Runs Lakecast's whole test suite: formatting, lints, Rust unit and
# integration tests, the SQL logic tests and (once the package exists) the
# Python tests. Installs what it needs itself; exits non-zero on any failure.
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

if [ -d python/tests ]; then
  step "Python tests"
  python3 -m pytest -q python/tests
fi

step "all tests passed"
