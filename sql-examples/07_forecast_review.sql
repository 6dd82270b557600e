-- Forecast review: how good each month's forecast was once the deals
-- closed (WAPE, MAPE and bias of the expected bookings; Brier score, log
-- loss and ROC AUC of the win probabilities), then the deals whose last
-- forecast missed the outcome by more than 15%, biggest dollar misses
-- first, with the signals that drove the forecast.
-- Run: lakecast sql --lake LAKE -f sql-examples/07_forecast_review.sql
CREATE VIEW scored AS
SELECT s.snapshot_date, s.opportunity_id, s.win_probability AS p,
       s.forecast_amount * s.win_probability AS forecast_usd,
       o.won_amount AS actual_usd, o.won
FROM forecast_snapshots s
JOIN opportunities o USING (opportunity_id)
WHERE o.won IS NOT NULL;

SELECT
    snapshot_date,
    count(*)                                  AS closed_deals,
    round(wape(forecast_usd, actual_usd), 3)  AS wape,
    round(mape(forecast_usd, actual_usd), 3)  AS mape,
    round(forecast_bias(forecast_usd, actual_usd), 3) AS bias,
    round(brier_score(p, won), 3)             AS brier,
    round(log_loss(p, won), 3)                AS log_loss,
    round(roc_auc(p, won), 3)                 AS roc_auc
FROM scored
GROUP BY snapshot_date
ORDER BY snapshot_date DESC
LIMIT 12;

WITH last_forecast AS (
    -- each deal's forecast at its newest snapshot (one per deal and date)
    SELECT scored.*
    FROM scored
    JOIN (SELECT opportunity_id, max(snapshot_date) AS snapshot_date
          FROM scored GROUP BY opportunity_id) newest
      USING (opportunity_id, snapshot_date)
),
missed AS (
    SELECT * FROM last_forecast
    WHERE abs(forecast_deviation(forecast_usd, actual_usd)) > 0.15
    ORDER BY abs(actual_usd - forecast_usd) DESC
    LIMIT 15
)
-- The signals of those deals only: joined after the misses are picked,
-- the event stream is read for fifteen deals, not aggregated for all.
SELECT
    f.opportunity_id,
    f.snapshot_date                                    AS last_forecast,
    round(f.forecast_usd)                              AS forecast,
    f.actual_usd                                       AS actual,
    round(forecast_deviation(f.forecast_usd, f.actual_usd), 2) AS deviation,
    round(f.p, 2)                                      AS p,
    sum(CASE WHEN s.page = 'spec_sheet' THEN 1 ELSE 0 END)         AS spec_views,
    max(CASE WHEN s.event_type = 'legal_review' THEN 1 ELSE 0 END) AS legal_review,
    round(sum(CASE WHEN s.event_type = 'email_click' THEN 1 ELSE 0 END)
          / nullif(sum(CASE WHEN s.event_type = 'email_sent' THEN 1 ELSE 0 END), 0)::double, 2)
                                                       AS click_rate
FROM missed f
LEFT JOIN customer_signals s ON s.opportunity_id = f.opportunity_id
GROUP BY f.opportunity_id, f.snapshot_date, f.forecast_usd, f.actual_usd, f.p
ORDER BY abs(f.actual_usd - f.forecast_usd) DESC;
