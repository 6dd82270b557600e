"""The function catalogue seen from Python."""

from __future__ import annotations

import re

import lakecast


def test_catalogue_matches_the_reference_page(repo):
    page = (repo / "docs" / "functions.md").read_text()
    documented = set(re.findall(r"^### `(\w+)`", page, flags=re.MULTILINE))
    listed = {f.name for f in lakecast.functions()}
    assert listed == documented
    assert len(listed) >= 25


def test_every_function_is_documented():
    for info in lakecast.functions():
        assert info.kind in ("scalar", "aggregate"), info.name
        assert len(info.description) > 20, info.name
        assert info.name in info.syntax, info.name
        assert info.arguments and all(len(a) == 2 for a in info.arguments), info.name
        assert info.example and info.name in info.example, info.name
        assert info.section, info.name


def test_every_function_is_callable_in_a_session():
    session = lakecast.connect()
    names = {f.name for f in lakecast.functions()}
    listed = session.sql(
        "SELECT DISTINCT routine_name FROM information_schema.routines"
    ).to_arrow()["routine_name"].to_pylist()
    assert names <= set(listed)
