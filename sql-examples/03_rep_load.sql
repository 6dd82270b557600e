-- Rep load and response time: on days a rep works more than 8 accounts,
-- customers wait longer for an answer (the lake's truth: 41% longer).
-- Each rep is compared with themselves, so fast and slow reps do not blur
-- the effect.
-- Run: lakecast sql --lake LAKE -f sql-examples/03_rep_load.sql
WITH per_rep AS (
    SELECT
        rep_id,
        avg(CASE WHEN accounts_touched > 8 THEN avg_response_minutes END)  AS busy_minutes,
        avg(CASE WHEN accounts_touched <= 8 THEN avg_response_minutes END) AS normal_minutes,
        sum(CASE WHEN accounts_touched > 8 THEN 1 ELSE 0 END)              AS busy_days
    FROM rep_activity
    GROUP BY rep_id
)
SELECT
    count(*)                                       AS reps_with_busy_days,
    sum(busy_days)                                 AS busy_days,
    round(avg(normal_minutes), 1)                  AS normal_response_minutes,
    round(avg(busy_minutes), 1)                    AS busy_response_minutes,
    round(avg(busy_minutes / normal_minutes) - 1, 3) AS latency_increase
FROM per_rep
WHERE busy_minutes IS NOT NULL AND normal_minutes IS NOT NULL;
