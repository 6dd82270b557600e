-- Rule: a closed deal whose last forecast missed its outcome by more than
-- 15% (in expected dollars) is assigned to its owner for review.
-- Add: lakecast rules add forecast_review -f sql-examples/rules/forecast_review.sql
WITH last_forecast AS (
    -- each deal's forecast at its newest snapshot (one per deal and date)
    SELECT s.opportunity_id, s.snapshot_date,
           s.forecast_amount * s.win_probability AS forecast_usd
    FROM forecast_snapshots s
    JOIN (SELECT opportunity_id, max(snapshot_date) AS snapshot_date
          FROM forecast_snapshots GROUP BY opportunity_id) newest
      USING (opportunity_id, snapshot_date)
)
SELECT concat('review-', o.opportunity_id)                    AS key,
       'forecast_review'                                       AS kind,
       concat('member-', o.owner_id)                           AS target,
       named_struct('opportunity_id', o.opportunity_id,
                    'forecast_usd', round(f.forecast_usd),
                    'actual_usd', o.won_amount,
                    'deviation', round(forecast_deviation(f.forecast_usd, o.won_amount), 3)
       )                                                       AS payload
FROM last_forecast f
JOIN opportunities o USING (opportunity_id)
WHERE o.won IS NOT NULL
  AND forecast_deviation(f.forecast_usd, o.won_amount) > 0.15;
