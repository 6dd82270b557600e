"""The Python-side engines other than DuckDB, DataFusion and pandas:
Lakecast's own Python package and the `lifetimes` BG/NBD pipeline."""

from __future__ import annotations

from pathlib import Path


def lakecast_run(analysis, lake: Path, tables: list[str]) -> list:
    """`lakecast.connect(lake)`, then each statement through `Session.sql`.

    Statements are sent one at a time (Session.sql of the whole text runs
    them all too, but returns only the last result) so that every query's
    rows can be compared; it is the same work.
    """
    import lakecast

    session = lakecast.connect(str(lake))
    results = []
    for i, statement in enumerate(analysis.statements):
        result = session.sql(statement)
        if i in analysis.results:
            results.append(result.to_arrow())
    return results


def lakecast_version() -> str:
    import lakecast

    return lakecast.__version__


def lifetimes_run(analysis, lake: Path, tables: list[str]) -> list:
    """The customer summary with lifetimes' own helper, then BetaGeoFitter.

    The summary matches the SQL view `customer_summary`: purchases are
    counted per day, the calibration ends 182 days before the last
    transaction, and `freq="D", freq_multiplier=7` gives recency and T in
    weeks from exact day counts (lifetimes' documented way to get CDNOW's
    fractional weeks). `converged` is true when the fit returns: lifetimes
    raises ConvergenceError when scipy's optimiser reports failure.
    """
    import pandas as pd
    import pyarrow.parquet as pq
    from lifetimes import BetaGeoFitter
    from lifetimes.utils import summary_data_from_transaction_data

    if analysis.name != "bgnbd":
        raise ValueError("lifetimes runs only the BG/NBD fit")
    transactions = pq.read_table(
        lake / "transactions", columns=["customer_id", "transaction_date", "amount"]
    ).to_pandas(date_as_object=False)
    calibration_end = transactions.transaction_date.max() - pd.Timedelta(days=182)
    summary = summary_data_from_transaction_data(
        transactions, "customer_id", "transaction_date",
        observation_period_end=calibration_end, freq="D", freq_multiplier=7)
    model = BetaGeoFitter(penalizer_coef=0.0)
    model.fit(summary["frequency"], summary["recency"], summary["T"])
    params = model.params_
    return [pd.DataFrame([{
        "customers": len(summary), "r": float(params["r"]), "alpha": float(params["alpha"]),
        "a": float(params["a"]), "b": float(params["b"]), "converged": True,
    }])]


def lifetimes_version() -> str:
    import lifetimes

    return getattr(lifetimes, "__version__", "?")
