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
    SELECT * FROM (
        SELECT scored.*, row_number() OVER (
                   PARTITION BY opportunity_id ORDER BY snapshot_date DESC) AS newest
        FROM scored)
    WHERE newest = 1
),
signals AS (
    SELECT opportunity_id,
           sum(CASE WHEN page = 'spec_sheet' THEN 1 ELSE 0 END)           AS spec_views,
           max(CASE WHEN event_type = 'legal_review' THEN 1 ELSE 0 END)   AS legal_review,
           round(sum(CASE WHEN event_type = 'email_click' THEN 1 ELSE 0 END)
                 / nullif(sum(CASE WHEN event_type = 'email_sent' THEN 1 ELSE 0 END), 0)::double, 2)
                                                                          AS click_rate
    FROM customer_signals WHERE opportunity_id IS NOT NULL
    GROUP BY opportunity_id
)
SELECT
    f.opportunity_id,
    f.snapshot_date                                    AS last_forecast,
    round(f.forecast_usd)                              AS forecast,
    f.actual_usd                                       AS actual,
    round(forecast_deviation(f.forecast_usd, f.actual_usd), 2) AS deviation,
    round(f.p, 2)                                      AS p,
    s.spec_views, s.legal_review, s.click_rate
FROM last_forecast f
LEFT JOIN signals s USING (opportunity_id)
WHERE abs(forecast_deviation(f.forecast_usd, f.actual_usd)) > 0.15
ORDER BY abs(f.actual_usd - f.forecast_usd) DESC
LIMIT 15;
