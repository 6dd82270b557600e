-- Rule: the first 90 days of a new customer. Day 7: a success manager is
-- assigned; day 30: training; day 90: a community invitation. "Today" is
-- the last day the lake has usage for, so a generated lake has customers
-- at every step. One action per customer and step.
-- Add: lakecast rules add customer_journey -f sql-examples/rules/customer_journey.sql
WITH today AS (SELECT max(week_start) AS day FROM customer_usage),
steps(step_day, kind, target) AS (
    VALUES (7,  'assign_success_manager', 'customer-success'),
           (30, 'schedule_training',      'training-team'),
           (90, 'community_invitation',   'community-team')
)
SELECT concat('customer-', c.customer_id, '-day-', st.step_day) AS key,
       st.kind                                                   AS kind,
       st.target                                                 AS target,
       named_struct('customer_id', c.customer_id, 'name', c.name,
                    'acquired_on', CAST(c.acquired_on AS VARCHAR),
                    'day', st.step_day)                          AS payload
FROM customers c CROSS JOIN today t CROSS JOIN steps st
WHERE c.churned_on IS NULL
  -- due, and not more than 120 days overdue (older customers were onboarded
  -- before these rules existed)
  AND CAST(t.day AS INT) - CAST(c.acquired_on AS INT) BETWEEN st.step_day AND st.step_day + 120;
