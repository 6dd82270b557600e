-- Open pipeline by stage: how many deals are open, what they are worth, and
-- what the latest forecast snapshot expects them to book.
-- Run: lakecast sql --lake LAKE -f sql-examples/01_open_pipeline.sql
WITH latest AS (
    -- the most recent month-end forecast of every deal
    SELECT opportunity_id, win_probability
    FROM forecast_snapshots
    WHERE snapshot_date = (SELECT max(snapshot_date) FROM forecast_snapshots)
)
SELECT
    o.stage,
    count(*)                                   AS open_deals,
    round(sum(o.amount))                       AS pipeline_usd,
    round(sum(o.amount * l.win_probability))   AS forecast_usd,
    round(avg(l.win_probability), 3)           AS avg_win_probability
FROM opportunities o
JOIN latest l USING (opportunity_id)
WHERE o.won IS NULL
GROUP BY o.stage
ORDER BY avg_win_probability;
