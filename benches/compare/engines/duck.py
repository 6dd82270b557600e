"""DuckDB: the lake as views over read_parquet, Lakecast's functions as macros.

The analyses' statements are Lakecast's own (see queries.py): DuckDB parses
them unchanged once the domain functions exist. Scalar functions are scalar
macros; aggregates are macros whose body is an aggregate expression, so they
work in any GROUP BY. Their semantics follow docs/functions.md and
docs/notes.md (NULL inputs skipped by aggregates, NULL when the result is
undefined); unlike Lakecast's they do not raise errors for values outside a
function's domain, which the generated lakes never contain.

roc_auc is the Mann-Whitney rank sum with ties counted one half, in
O(n log n) without window functions: sort the group's (p, outcome) pairs
once with positives before negatives at equal p and once after; the
0-based position of a positive counts the negatives below it (plus the
positives before it), and the mean of the two sorts counts tied negatives
one half:

    sum over positives of (#neg with lower p + #neg with equal p / 2)
      = (sum of positions in sort A + sum in sort B - n1 (n1 - 1)) / 2
"""

from __future__ import annotations

from pathlib import Path

from engines import queries

MACROS = r"""
CREATE MACRO scale_minmax(value, lo, hi) AS (
    CASE WHEN (value::DOUBLE - lo::DOUBLE) / (hi::DOUBLE - lo::DOUBLE) < 0 THEN 0.0
         WHEN (value::DOUBLE - lo::DOUBLE) / (hi::DOUBLE - lo::DOUBLE) > 1 THEN 1.0
         ELSE (value::DOUBLE - lo::DOUBLE) / (hi::DOUBLE - lo::DOUBLE) END);

CREATE MACRO health_band(score, red_below := 50, green_from := 75) AS (
    CASE WHEN score < red_below THEN 'red'
         WHEN score >= green_from THEN 'green'
         WHEN score IS NOT NULL THEN 'amber' END);

CREATE MACRO health_score(value, weight) AS (
    100.0::DOUBLE * sum(value::DOUBLE * weight::DOUBLE)
    / nullif(sum(CASE WHEN value IS NOT NULL THEN weight::DOUBLE END), 0));

CREATE MACRO forecast_deviation(forecast, actual) AS (
    CASE WHEN forecast::DOUBLE <> 0 THEN (actual::DOUBLE - forecast::DOUBLE) / forecast::DOUBLE END);

CREATE MACRO wape(forecast, actual) AS (
    sum(abs(actual::DOUBLE - forecast::DOUBLE))
    / nullif(sum(CASE WHEN forecast IS NOT NULL THEN abs(actual::DOUBLE) END), 0));

CREATE MACRO mape(forecast, actual) AS (
    avg(CASE WHEN actual::DOUBLE <> 0
             THEN abs((actual::DOUBLE - forecast::DOUBLE) / actual::DOUBLE) END));

CREATE MACRO forecast_bias(forecast, actual) AS (
    sum(forecast::DOUBLE - actual::DOUBLE)
    / nullif(sum(CASE WHEN forecast IS NOT NULL THEN actual::DOUBLE END), 0));

CREATE MACRO brier_score(p, outcome) AS (
    avg((p::DOUBLE - outcome::DOUBLE) * (p::DOUBLE - outcome::DOUBLE)));

CREATE MACRO log_loss(p, outcome) AS (
    avg(-(outcome::DOUBLE * ln(CASE WHEN p::DOUBLE < 1e-15 THEN 1e-15
                                    WHEN p::DOUBLE > 1 - 1e-15 THEN 1 - 1e-15
                                    ELSE p::DOUBLE END)
          + (1 - outcome::DOUBLE) * ln(1 - CASE WHEN p::DOUBLE < 1e-15 THEN 1e-15
                                                WHEN p::DOUBLE > 1 - 1e-15 THEN 1 - 1e-15
                                                ELSE p::DOUBLE END))));

CREATE MACRO roc_auc(p, outcome) AS (
    (list_sum(list_transform(
         list_sort(list({'p': p::DOUBLE, 'negative': 1 - outcome::INT})
                   FILTER (WHERE p IS NOT NULL AND outcome IS NOT NULL)),
         lambda x, i: CASE WHEN x.negative = 0 THEN i - 1 ELSE 0 END))
     + list_sum(list_transform(
         list_sort(list({'p': p::DOUBLE, 'positive': outcome::INT})
                   FILTER (WHERE p IS NOT NULL AND outcome IS NOT NULL)),
         lambda x, i: CASE WHEN x.positive = 1 THEN i - 1 ELSE 0 END))
     - count(*) FILTER (WHERE p IS NOT NULL AND outcome::INT = 1)
       * (count(*) FILTER (WHERE p IS NOT NULL AND outcome::INT = 1) - 1)
    )::DOUBLE / 2.0
    / nullif(count(*) FILTER (WHERE p IS NOT NULL AND outcome::INT = 1)
             * count(*) FILTER (WHERE p IS NOT NULL AND outcome::INT = 0), 0));
"""

# Partition columns of the contract's partitioned tables, as DuckDB types;
# any other partition column is read as text, as Lakecast does.
PARTITION_TYPES = {"snapshot_date": "DATE", "month": "VARCHAR"}


def table_views(lake: Path, tables: list[str]) -> list[str]:
    views = []
    for table in tables:
        folder = lake / table
        parts = queries.partition_columns(folder)
        if parts:
            types = ", ".join(f"'{p}': {PARTITION_TYPES.get(p, 'VARCHAR')}" for p in parts)
            source = (f"read_parquet('{folder}/**/*.parquet', hive_partitioning = true, "
                      f"hive_types = {{{types}}})")
        else:
            source = f"read_parquet('{folder}/*.parquet')"
        views.append(f"CREATE VIEW {table} AS SELECT * FROM {source}")
    return views


def run(analysis, lake: Path, tables: list[str]) -> list:
    """Runs `analysis` (a queries.Analysis) and returns its results as Arrow."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")  # CAST(timestamptz AS DATE) as Lakecast does it
    for statement in MACROS.split(";"):
        if statement.strip():
            con.execute(statement)
    for view in table_views(lake, tables):
        con.execute(view)
    results = []
    for i, statement in enumerate(analysis.statements):
        if i in analysis.results:
            results.append(con.sql(statement).to_arrow_table())
        else:
            con.execute(statement)
    con.close()
    return results


def version() -> str:
    import duckdb

    return duckdb.__version__
