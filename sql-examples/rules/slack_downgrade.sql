-- Rule: when a delivery region has less than 15% engineer slack in a
-- cycle, downgrade every open deal that needs it and tell the resource
-- planner. One action per deal and cycle.
-- Add: lakecast rules add slack_downgrade -f sql-examples/rules/slack_downgrade.sql
WITH slack AS (
    SELECT region, delivery_cycle,
           resource_slack_agg(capacity_hours, booked_hours) AS slack
    FROM resource_capacity
    GROUP BY region, delivery_cycle
)
SELECT concat('deal-', o.opportunity_id, '-', s.delivery_cycle) AS key,
       'downgrade_and_dispatch'                                AS kind,
       concat('resource-planner-', lower(s.region))            AS target,
       named_struct('opportunity_id', o.opportunity_id,
                    'region', s.region,
                    'delivery_cycle', s.delivery_cycle,
                    'slack', round(s.slack, 3),
                    'amount', o.amount)                        AS payload
FROM slack s
JOIN opportunities o ON o.region = s.region AND o.delivery_cycle = s.delivery_cycle
WHERE slack_alert(s.slack) AND o.won IS NULL;
