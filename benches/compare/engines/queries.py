"""The four analyses as Lakecast SQL, built from the files in `sql-examples/`.

Each analysis takes statements from its example file as they are, with two
changes made in code so they stay in step with the examples:

* comments are dropped and every `round(x[, d])` becomes `(x)`, so results
  compare to 1e-6 across engines instead of to the last rounded digit (a
  value on a rounding boundary would otherwise round either way depending
  on summation order), and `ORDER BY ... LIMIT` on rounded values cannot tie
  differently in different engines; rounding costs nothing next to the
  queries, so the timings are those of the examples;
* the BG/NBD analysis keeps the two views that build the customer summary
  of `10_customer_lifetime_value.sql` and replaces the rest with one
  `bgnbd_fit` over it (plus the number of customers, to check the summary).

`Analysis.statements` run in order; `Analysis.results` are the indexes of
the statements whose rows are compared (every query statement, not only
the last one).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[3] / "sql-examples"

ANALYSES = ("heatmap", "health", "review", "bgnbd")
TITLES = {
    "heatmap": "forecast heatmap (05)",
    "health": "health model (09)",
    "review": "forecast review (07)",
    "bgnbd": "BG/NBD fit (10)",
}


# The lake tables each analysis reads.
TABLES = {
    "heatmap": ["forecast_snapshots", "opportunities", "customers"],
    "health": ["customer_usage", "service_tickets", "customers"],
    "review": ["forecast_snapshots", "opportunities", "customer_signals"],
    "bgnbd": ["transactions"],
}


@dataclass
class Analysis:
    name: str
    statements: list[str]
    results: list[int]

    @property
    def tables(self) -> list[str]:
        return TABLES[self.name]

    def text(self) -> str:
        return ";\n\n".join(self.statements) + ";\n"


def split_statements(sql: str) -> list[str]:
    """Statements of `sql` without comments, split at top-level `;`."""
    out, current, i, n = [], [], 0, len(sql)
    while i < n:
        c = sql[i]
        if c == "-" and sql.startswith("--", i):
            end = sql.find("\n", i)
            i = n if end < 0 else end
            continue
        if c == "/" and sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            i = n if end < 0 else end + 2
            current.append(" ")
            continue
        if c in "'\"":
            end = i + 1
            while end < n:
                if sql[end] == c:
                    if end + 1 < n and sql[end + 1] == c:  # doubled quote
                        end += 2
                        continue
                    break
                end += 1
            current.append(sql[i:end + 1])
            i = end + 1
            continue
        if c == ";":
            out.append("".join(current))
            current = []
        else:
            current.append(c)
        i += 1
    out.append("".join(current))
    cleaned = []
    for statement in out:
        lines = [line.rstrip() for line in statement.strip().splitlines()]
        text = "\n".join(line for line in lines if line.strip())
        if text:
            cleaned.append(text)
    return cleaned


def _skip_quoted(sql: str, i: int) -> int:
    """Index after the quoted string or identifier starting at `i`."""
    quote, j = sql[i], i + 1
    while j < len(sql):
        if sql[j] == quote:
            if j + 1 < len(sql) and sql[j + 1] == quote:
                j += 2
                continue
            return j + 1
        j += 1
    return j


def _call_arguments(sql: str, open_paren: int) -> tuple[list[str], int]:
    """Top-level arguments of the call whose `(` is at `open_paren`, and the
    index after its `)`."""
    depth, start, args, i = 0, open_paren + 1, [], open_paren
    while i < len(sql):
        c = sql[i]
        if c in "'\"":
            i = _skip_quoted(sql, i)
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                args.append(sql[start:i])
                return args, i + 1
        elif c == "," and depth == 1:
            args.append(sql[start:i])
            start = i + 1
        i += 1
    raise ValueError(f"unbalanced parentheses in: {sql[open_paren:open_paren + 80]}")


ROUND = re.compile(r"(?<![\w.])round\s*\(", re.IGNORECASE)


def strip_round(sql: str) -> str:
    """`sql` with every `round(x)` and `round(x, d)` replaced by `(x)`."""
    while True:
        match = next((m for m in ROUND.finditer(sql) if not _in_quotes(sql, m.start())), None)
        if match is None:
            return sql
        args, end = _call_arguments(sql, match.end() - 1)
        if len(args) not in (1, 2):
            raise ValueError(f"round with {len(args)} arguments: {sql[match.start():end]}")
        sql = sql[:match.start()] + "(" + args[0].strip() + ")" + sql[end:]


def _in_quotes(sql: str, position: int) -> bool:
    i = 0
    while i < position:
        if sql[i] in "'\"":
            end = _skip_quoted(sql, i)
            if end > position:
                return True
            i = end
        else:
            i += 1
    return False


def is_query(statement: str) -> bool:
    head = statement.lstrip().split(None, 1)[0].upper()
    return head in ("SELECT", "WITH", "VALUES")


def _example(name: str) -> list[str]:
    return [strip_round(s) for s in split_statements((EXAMPLES / name).read_text())]


def _expect(statement: str, prefix: str, file: str) -> None:
    if not " ".join(statement.split()).upper().startswith(prefix.upper()):
        raise SystemExit(f"{file} changed: expected a statement starting {prefix!r}, "
                         f"found {statement[:60]!r}; update benches/compare/engines/")


BGNBD_FIT = """SELECT customers, bg.r AS r, bg.alpha AS alpha, bg.a AS a, bg.b AS b,
       bg.converged AS converged
FROM (SELECT count(*) AS customers, bgnbd_fit(frequency, recency, t) AS bg
      FROM customer_summary)"""


def analyses() -> dict[str, Analysis]:
    """The analyses, keyed by name, in the Lakecast (DataFusion) dialect."""
    found = {}
    heat = _example("05_forecast_heatmap.sql")
    found["heatmap"] = Analysis("heatmap", heat, [len(heat) - 1])
    health = _example("09_health_model.sql")
    _expect(health[0], "CREATE VIEW health AS", "09_health_model.sql")
    found["health"] = Analysis("health", health, [i for i, s in enumerate(health) if is_query(s)])
    review = _example("07_forecast_review.sql")
    _expect(review[0], "CREATE VIEW scored AS", "07_forecast_review.sql")
    found["review"] = Analysis("review", review, [i for i, s in enumerate(review) if is_query(s)])
    ltv = _example("10_customer_lifetime_value.sql")
    _expect(ltv[0], "CREATE VIEW purchase_days AS", "10_customer_lifetime_value.sql")
    _expect(ltv[1], "CREATE VIEW customer_summary AS", "10_customer_lifetime_value.sql")
    found["bgnbd"] = Analysis("bgnbd", ltv[:2] + [BGNBD_FIT], [2])
    return found


def partition_columns(table_dir: Path) -> list[str]:
    """Hive partition columns of a table folder (`name=value` sub-folders)."""
    names, level = [], table_dir
    while True:
        subdirs = sorted(p for p in level.iterdir() if p.is_dir() and "=" in p.name)
        if not subdirs:
            return names
        names.append(subdirs[0].name.split("=", 1)[0])
        level = subdirs[0]
