"""The SQL function catalogue, read from the functions' own documentation."""

from __future__ import annotations

from dataclasses import dataclass

from lakecast import _internal


@dataclass(frozen=True)
class FunctionInfo:
    """One SQL function: what it computes and how to call it."""

    name: str
    kind: str
    section: str
    description: str
    syntax: str
    arguments: list[tuple[str, str]]
    example: str | None


def functions() -> list[FunctionInfo]:
    """Every Lakecast SQL function, grouped by catalogue section.

    >>> import lakecast
    >>> info = {f.name: f for f in lakecast.functions()}
    >>> info["weighted_win_rate"].kind, info["bgnbd_fit"].kind
    ('scalar', 'aggregate')
    """
    return [
        FunctionInfo(
            name=entry["name"],
            kind=entry["kind"],
            section=entry.get("section", ""),
            description=entry.get("description", ""),
            syntax=entry.get("syntax", ""),
            arguments=[tuple(pair) for pair in entry.get("arguments", [])],
            example=entry.get("example"),
        )
        for entry in _internal.catalogue()
    ]
