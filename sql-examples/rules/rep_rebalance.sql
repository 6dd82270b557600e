-- Rule: a rep who worked more than 8 accounts on most days of the last
-- four weeks is overloaded (customers wait longer for answers); their
-- manager is asked to move accounts. One action per rep per four weeks.
-- Add: lakecast rules add rep_rebalance -f sql-examples/rules/rep_rebalance.sql
WITH last AS (SELECT max(activity_date) AS day FROM rep_activity),
recent AS (
    SELECT a.rep_id,
           count(*)                                                 AS days,
           sum(CASE WHEN a.accounts_touched > 8 THEN 1 ELSE 0 END)  AS busy_days,
           avg(a.avg_response_minutes)                              AS response_minutes
    FROM rep_activity a CROSS JOIN last l
    WHERE a.activity_date > l.day - INTERVAL '28 days'
    GROUP BY a.rep_id
)
SELECT concat('rebalance-', r.rep_id, '-', CAST(l.day AS VARCHAR)) AS key,
       'rebalance_accounts'                                        AS kind,
       concat('manager-of-', r.rep_id)                             AS target,
       named_struct('rep_id', r.rep_id, 'name', m.name,
                    'busy_days', r.busy_days, 'days', r.days,
                    'response_minutes', round(r.response_minutes, 1)) AS payload
FROM recent r
JOIN members m ON m.member_id = r.rep_id
CROSS JOIN last l
WHERE r.busy_days * 2 > r.days;
