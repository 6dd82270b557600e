-- Rule: a customer whose health turns red (red over the last four weeks,
-- not red over the four before) gets a call from their success manager.
-- A short form of sql-examples/09_health_model.sql (usage signals only).
-- Add: lakecast rules add red_health_call -f sql-examples/rules/red_health_call.sql
WITH last AS (SELECT max(week_start) AS week FROM customer_usage),
usage AS (
    SELECT u.customer_id,
           CASE WHEN u.week_start > l.week - INTERVAL '28 days' THEN 'current'
                ELSE 'previous' END                      AS period,
           avg(u.device_uptime_pct)                     AS uptime,
           avg(u.active_users) / max(u.licensed_seats)  AS active_share,
           avg(u.feature_adoption_pct)                  AS adoption,
           avg(u.login_days)                            AS login_days,
           max(u.invoice_days_late)                     AS days_late
    FROM customer_usage u CROSS JOIN last l
    WHERE u.week_start > l.week - INTERVAL '56 days'
    GROUP BY u.customer_id, 2
),
scores AS (
    SELECT customer_id, period,
           health_band(health_score(v.value, v.weight)) AS band,
           health_score(v.value, v.weight)              AS score
    FROM (
        SELECT customer_id, period, scale_minmax(uptime, 97, 100) AS value, 1.0 AS weight FROM usage
        UNION ALL SELECT customer_id, period, scale_minmax(active_share, 0.3, 0.9), 1.5 FROM usage
        UNION ALL SELECT customer_id, period, scale_minmax(adoption, 20, 80), 1.0 FROM usage
        UNION ALL SELECT customer_id, period, scale_minmax(login_days, 1, 6), 1.5 FROM usage
        UNION ALL SELECT customer_id, period, scale_minmax(days_late, 30, 0), 1.0 FROM usage
    ) v
    GROUP BY customer_id, period
)
SELECT concat('red-', cur.customer_id, '-', CAST(l.week AS VARCHAR)) AS key,
       'call_customer'                                            AS kind,
       'customer-success'                                         AS target,
       named_struct('customer_id', cur.customer_id,
                    'score', round(cur.score, 1),
                    'previous_band', prev.band)                   AS payload
FROM scores cur
JOIN scores prev ON prev.customer_id = cur.customer_id AND prev.period = 'previous'
CROSS JOIN last l
WHERE cur.period = 'current' AND cur.band = 'red' AND prev.band <> 'red';
