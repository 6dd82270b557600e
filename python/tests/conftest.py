"""Shared fixtures: one small generated lake per test run."""

from __future__ import annotations

from pathlib import Path

import pytest

import lakecast

#: The scale of the test lake: a few hundred customers, seconds to build.
SCALE = 0.01


@pytest.fixture(scope="session")
def lake_rows(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    folder = tmp_path_factory.mktemp("lake")
    rows = lakecast.generate(folder, scale=SCALE, seed=7)
    return folder, rows


@pytest.fixture(scope="session")
def lake(lake_rows: tuple[Path, dict[str, int]]) -> Path:
    return lake_rows[0]


@pytest.fixture(scope="session")
def session(lake: Path) -> lakecast.Session:
    return lakecast.connect(lake)


@pytest.fixture(scope="session")
def repo() -> Path:
    return Path(__file__).resolve().parents[2]
