"""The analyses written in pandas, as a data scientist would: read the columns
needed with pandas/pyarrow, then merge, groupby and vectorised arithmetic.

They compute what the SQL computes (see queries.py: the examples without
rounding), NULL handling included: pandas means skip NaN like SQL's avg, a
LEFT JOIN leaves NaN, and a group whose weights are all missing has no
score. `ROUND` is not needed since the SQL does not round either.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from engines import queries

PARTITION_TYPES = {"snapshot_date": pa.date32(), "month": pa.string()}


def read(lake: Path, table: str, columns: list[str]) -> pd.DataFrame:
    """A lake table's columns as pandas (dates as datetime64, not objects)."""
    folder = lake / table
    parts = queries.partition_columns(folder)
    partitioning = None
    if parts:
        schema = pa.schema([(p, PARTITION_TYPES.get(p, pa.string())) for p in parts])
        partitioning = ds.partitioning(schema, flavor="hive")
    table = pq.read_table(folder, columns=columns, partitioning=partitioning)
    return table.to_pandas(date_as_object=False)


def heatmap(lake: Path) -> list[pd.DataFrame]:
    snaps = read(lake, "forecast_snapshots", ["snapshot_date", "opportunity_id", "win_probability"])
    latest = snaps.loc[snaps.snapshot_date == snaps.snapshot_date.max(),
                       ["opportunity_id", "win_probability"]]
    opps = read(lake, "opportunities",
                ["opportunity_id", "customer_id", "product_line", "delivery_cycle", "amount", "won"])
    customers = read(lake, "customers", ["customer_id", "name"])
    open_deals = (opps[opps.won.isna()]
                  .merge(latest, on="opportunity_id")
                  .merge(customers, on="customer_id"))
    pipeline = open_deals.groupby("customer_id", as_index=False).amount.sum()
    top = pipeline.sort_values(["amount", "customer_id"], ascending=[False, True]).head(12)
    deals = open_deals[open_deals.customer_id.isin(top.customer_id)].copy()
    deals["weighted"] = deals.amount * deals.win_probability
    cells = deals.groupby(["name", "product_line", "delivery_cycle"], as_index=False).agg(
        weighted=("weighted", "sum"), amount=("amount", "sum"))
    out = pd.DataFrame({
        "customer / product line": cells.name + " / " + cells.product_line,
        "delivery cycle": cells.delivery_cycle,
        "win probability (amount-weighted)": cells.weighted / cells.amount,
    })
    return [out.sort_values(["customer / product line", "delivery cycle"])]


# signal, weight, bad, good: the `model` table of 09_health_model.sql
MODEL = [
    ("device_uptime", 1.0, 97, 100),
    ("api_calls_per_seat", 1.0, 5, 60),
    ("active_user_share", 1.5, 0.3, 0.9),
    ("feature_adoption", 1.0, 20, 80),
    ("training_completion", 0.5, 20, 90),
    ("community_posts", 0.5, 0, 3),
    ("login_days", 1.5, 1, 6),
    ("nps", 1.0, 0, 10),
    ("invoice_days_late", 1.0, 30, 0),
    ("exec_meetings", 0.5, 0, 1),
    ("ticket_response_minutes", 1.0, 240, 15),
    ("tickets_per_100_seats", 0.5, 5, 0),
]


def health_frame(lake: Path) -> pd.DataFrame:
    """The `health` view: score, band and trend of every customer."""
    usage = read(lake, "customer_usage", [
        "customer_id", "week_start", "device_uptime_pct", "api_calls", "active_users",
        "licensed_seats", "feature_adoption_pct", "training_completion_pct",
        "community_posts", "login_days", "nps", "invoice_days_late", "exec_meetings"])
    last_week = usage.week_start.max()
    usage = usage[usage.week_start > last_week - pd.Timedelta(days=56)].copy()
    usage["period"] = np.where(usage.week_start > last_week - pd.Timedelta(days=28),
                               "current", "previous")
    per = usage.groupby(["customer_id", "period"]).agg(
        device_uptime=("device_uptime_pct", "mean"), api_calls=("api_calls", "mean"),
        active_users=("active_users", "mean"), seats=("licensed_seats", "max"),
        feature_adoption=("feature_adoption_pct", "mean"),
        training_completion=("training_completion_pct", "mean"),
        community_posts=("community_posts", "mean"), login_days=("login_days", "mean"),
        nps=("nps", "mean"), invoice_days_late=("invoice_days_late", "max"),
        exec_meetings=("exec_meetings", "mean"), period_start=("week_start", "min"),
    ).reset_index()
    per["api_calls_per_seat"] = per.api_calls / per.seats
    per["active_user_share"] = per.active_users / per.seats

    tickets = read(lake, "service_tickets",
                   ["customer_id", "ticket_id", "opened_at", "first_response_minutes"])
    tickets["opened_on"] = tickets.opened_at.dt.tz_convert("UTC").dt.tz_localize(None).dt.floor("D")
    pairs = per[["customer_id", "period", "period_start"]].merge(
        tickets[["customer_id", "opened_on", "first_response_minutes"]],
        on="customer_id", how="left")
    start = pairs.period_start.astype("datetime64[us]")
    opened = pairs.opened_on.astype("datetime64[us]")
    pairs["hit"] = (opened >= start) & (opened < start + pd.Timedelta(days=28))
    pairs["response"] = pairs.first_response_minutes.where(pairs.hit)
    per_tickets = pairs.groupby(["customer_id", "period"]).agg(
        ticket_response_minutes=("response", "mean"), tickets=("hit", "sum")).reset_index()
    per = per.merge(per_tickets, on=["customer_id", "period"])
    per["tickets_per_100_seats"] = per.tickets * 100.0 / per.seats

    weighted = pd.Series(0.0, index=per.index)
    weights = pd.Series(0.0, index=per.index)
    for signal, weight, bad, good in MODEL:
        scaled = ((per[signal].astype(float) - bad) / (good - bad)).clip(0.0, 1.0)
        weighted += (scaled * weight).fillna(0.0)
        weights += scaled.notna() * weight
    per["score"] = (100.0 * weighted / weights).where(weights > 0)

    customers = read(lake, "customers", ["customer_id", "name", "segment"])
    current = per.loc[per.period == "current", ["customer_id", "score"]]
    previous = per.loc[per.period == "previous", ["customer_id", "score"]]
    health = current.merge(customers, on="customer_id").merge(
        previous, on="customer_id", how="left", suffixes=("", "_previous"))
    score = health.score
    band = np.where(score < 50, "red", np.where(score >= 75, "green", "amber"))
    health["band"] = pd.Series(band, index=health.index).where(score.notna())
    health["trend"] = score - health.score_previous
    return health[["customer_id", "name", "segment", "score", "band", "trend"]]


def health(lake: Path) -> list[pd.DataFrame]:
    frame = health_frame(lake)
    bands = frame.groupby("band", dropna=False).agg(
        customers=("customer_id", "size"), avg_score=("score", "mean"),
        avg_trend=("trend", "mean")).reset_index()
    bands = bands.sort_values("avg_score", na_position="last")
    red = frame[frame.band == "red"].sort_values(["trend", "score"], na_position="last")
    return [bands, red.head(10)]


def _auc(group: pd.DataFrame) -> float:
    positives = group.y.sum()
    negatives = len(group) - positives
    if positives == 0 or negatives == 0:
        return np.nan
    rank_sum = group.rank_p[group.y == 1].sum()
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def review(lake: Path) -> list[pd.DataFrame]:
    snaps = read(lake, "forecast_snapshots",
                 ["snapshot_date", "opportunity_id", "win_probability", "forecast_amount"])
    opps = read(lake, "opportunities", ["opportunity_id", "won_amount", "won"])
    closed = opps[opps.won.notna()]
    scored = snaps.merge(closed, on="opportunity_id")
    scored["p"] = scored.win_probability
    scored["forecast_usd"] = scored.forecast_amount * scored.win_probability
    scored["actual_usd"] = scored.won_amount
    f, a, p = scored.forecast_usd, scored.actual_usd, scored.p
    y = scored.won.astype(float)
    clipped = p.clip(1e-15, 1 - 1e-15)
    terms = pd.DataFrame({
        "snapshot_date": scored.snapshot_date, "abs_error": (a - f).abs(), "abs_actual": a.abs(),
        "ape": ((a - f) / a).abs().where(a != 0), "over": f - a, "actual": a,
        "squared": (p - y) ** 2, "loss": -(y * np.log(clipped) + (1 - y) * np.log(1 - clipped)),
        "y": y, "rank_p": scored.groupby("snapshot_date").p.rank(method="average"),
    })
    by = terms.groupby("snapshot_date")
    sums = by.agg(closed_deals=("y", "size"), abs_error=("abs_error", "sum"),
                  abs_actual=("abs_actual", "sum"), mape=("ape", "mean"), over=("over", "sum"),
                  actual=("actual", "sum"), brier=("squared", "mean"), log_loss=("loss", "mean"))
    metrics = pd.DataFrame({
        "closed_deals": sums.closed_deals,
        "wape": (sums.abs_error / sums.abs_actual).where(sums.abs_actual != 0),
        "mape": sums.mape,
        "bias": (sums.over / sums.actual).where(sums.actual != 0),
        "brier": sums.brier, "log_loss": sums.log_loss,
        "roc_auc": by[["y", "rank_p"]].apply(_auc),
    }).reset_index().sort_values("snapshot_date", ascending=False).head(12)

    last = scored.sort_values("snapshot_date", ascending=False).drop_duplicates("opportunity_id")
    events = read(lake, "customer_signals", ["opportunity_id", "event_type", "page"])
    events = events[events.opportunity_id.notna()]
    flags = pd.DataFrame({
        "opportunity_id": events.opportunity_id.astype("int64"),
        "spec": (events.page == "spec_sheet").astype("int64"),
        "legal": (events.event_type == "legal_review").astype("int64"),
        "click": (events.event_type == "email_click").astype("int64"),
        "sent": (events.event_type == "email_sent").astype("int64"),
    })
    signals = flags.groupby("opportunity_id").agg(
        spec_views=("spec", "sum"), legal_review=("legal", "max"),
        clicks=("click", "sum"), sent=("sent", "sum")).reset_index()
    signals["click_rate"] = (signals.clicks / signals.sent).where(signals.sent != 0)
    deals = last.merge(signals, on="opportunity_id", how="left")
    forecast, actual = deals.forecast_usd, deals.actual_usd
    deals["deviation"] = ((actual - forecast) / forecast).where(forecast != 0)
    deals["miss"] = (actual - forecast).abs()
    missed = deals[deals.deviation.abs() > 0.15].sort_values("miss", ascending=False).head(15)
    missed = missed.rename(columns={"snapshot_date": "last_forecast", "forecast_usd": "forecast",
                                    "actual_usd": "actual"})
    columns = ["opportunity_id", "last_forecast", "forecast", "actual", "deviation", "p",
               "spec_views", "legal_review", "click_rate"]
    return [metrics, missed[columns]]


def run(analysis, lake: Path, tables: list[str]) -> list:
    return {"heatmap": heatmap, "health": health, "review": review}[analysis.name](lake)


def version() -> str:
    return pd.__version__
