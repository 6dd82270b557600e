-- Resource-slack alerts: delivery cycles in which a region has less than
-- 15% engineer slack, and the open deals they downgrade. `p_if_staffed` is
-- the forecast with the canvas's slack penalty taken back out: what the
-- deal would be worth if the resource planner found the engineers.
-- Run: lakecast sql --lake LAKE -f sql-examples/06_slack_alerts.sql
WITH slack AS (
    SELECT region, delivery_cycle,
           resource_slack_agg(capacity_hours, booked_hours) AS slack
    FROM resource_capacity
    GROUP BY region, delivery_cycle
),
penalty AS (
    SELECT lift FROM signal_weights
    WHERE rule_id = 'slack_under_15pct'
      AND version = (SELECT max(version) FROM signal_weights)
),
latest AS (
    SELECT opportunity_id, win_probability
    FROM forecast_snapshots
    WHERE snapshot_date = (SELECT max(snapshot_date) FROM forecast_snapshots)
)
SELECT
    s.region,
    s.delivery_cycle,
    round(s.slack, 3)                                              AS slack,
    o.opportunity_id,
    o.stage,
    o.amount,
    round(l.win_probability, 3)                                    AS p_now,
    round(weighted_win_rate(l.win_probability, 1 / (1 + penalty.lift) - 1), 3) AS p_if_staffed,
    round(o.amount * (weighted_win_rate(l.win_probability, 1 / (1 + penalty.lift) - 1)
                      - l.win_probability))                        AS usd_at_risk
FROM slack s
JOIN opportunities o ON o.region = s.region AND o.delivery_cycle = s.delivery_cycle
JOIN latest l USING (opportunity_id)
CROSS JOIN penalty
WHERE slack_alert(s.slack) AND o.won IS NULL
ORDER BY usd_at_risk DESC
LIMIT 20;
