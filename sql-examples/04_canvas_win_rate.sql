-- Canvas win rate: each open deal's win probability from its stage, the
-- signal canvas in force on the forecast date, the owner's load and the
-- delivery region's slack, with the rules that moved it.
-- Change the forecast date in `params` to replay any day.
-- Run: lakecast sql --lake LAKE -f sql-examples/04_canvas_win_rate.sql
WITH params AS (
    SELECT TIMESTAMP '2026-11-30T00:00:00Z' AS as_of
),
stage_probability(stage, base_p) AS (
    VALUES ('Prospecting', 0.10), ('Qualification', 0.20),
           ('Proposal', 0.40), ('Negotiation', 0.60)
),
-- the deal features the canvas rules read
deal_features AS (
    SELECT
        o.opportunity_id,
        coalesce(s.spec_page_views, 0)    AS spec_page_views,
        coalesce(s.max_dwell_seconds, 0)  AS max_dwell_seconds,
        coalesce(s.email_click_rate, 0)   AS email_click_rate,
        coalesce(s.legal_review, 0)       AS legal_review,
        r.accounts_per_day                AS rep_accounts_per_day,
        k.slack                           AS delivery_slack
    FROM opportunities o
    LEFT JOIN (
        SELECT opportunity_id,
               sum(CASE WHEN page = 'spec_sheet' THEN 1 ELSE 0 END) AS spec_page_views,
               max(CASE WHEN page = 'spec_sheet' THEN dwell_seconds END) AS max_dwell_seconds,
               sum(CASE WHEN event_type = 'email_click' THEN 1 ELSE 0 END)
                 / nullif(sum(CASE WHEN event_type = 'email_sent' THEN 1 ELSE 0 END), 0)::double
                   AS email_click_rate,
               max(CASE WHEN event_type = 'legal_review' THEN 1 ELSE 0 END) AS legal_review
        FROM customer_signals, params
        WHERE opportunity_id IS NOT NULL AND event_time < params.as_of
        GROUP BY opportunity_id
    ) s USING (opportunity_id)
    JOIN (SELECT rep_id, avg(accounts_touched) AS accounts_per_day
          FROM rep_activity GROUP BY rep_id) r ON r.rep_id = o.owner_id
    LEFT JOIN (SELECT region, delivery_cycle,
                      resource_slack_agg(capacity_hours, booked_hours) AS slack
               FROM resource_capacity GROUP BY region, delivery_cycle) k
        ON k.region = o.region AND k.delivery_cycle = o.delivery_cycle
    WHERE o.won IS NULL
),
features(opportunity_id, signal, value) AS (
    SELECT opportunity_id, 'spec_page_views', spec_page_views FROM deal_features
    UNION ALL SELECT opportunity_id, 'max_dwell_seconds', max_dwell_seconds FROM deal_features
    UNION ALL SELECT opportunity_id, 'email_click_rate', email_click_rate FROM deal_features
    UNION ALL SELECT opportunity_id, 'legal_review', legal_review FROM deal_features
    UNION ALL SELECT opportunity_id, 'rep_accounts_per_day', rep_accounts_per_day FROM deal_features
    UNION ALL SELECT opportunity_id, 'delivery_slack', delivery_slack FROM deal_features
),
-- the canvas version in force on the forecast date
canvas AS (
    SELECT w.* FROM signal_weights w, params
    WHERE w.version = (SELECT max(version) FROM signal_weights, params p
                       WHERE effective_from <= p.as_of)
),
rules_that_hold AS (
    SELECT f.opportunity_id, c.rule_id, c.lift
    FROM features f JOIN canvas c ON c.signal = f.signal
    WHERE CASE c.operator
              WHEN '>'  THEN f.value >  c.threshold
              WHEN '>=' THEN f.value >= c.threshold
              WHEN '<'  THEN f.value <  c.threshold
              WHEN '<=' THEN f.value <= c.threshold
              ELSE f.value = c.threshold
          END
),
lifts AS (
    SELECT opportunity_id,
           combine_lifts(lift)                                  AS combined,
           string_agg(rule_id || ' ' || CAST(lift AS VARCHAR), ', ' ORDER BY rule_id) AS drivers
    FROM rules_that_hold GROUP BY opportunity_id
)
SELECT
    o.opportunity_id,
    c.name                                                       AS customer,
    o.product_line,
    o.stage,
    o.amount,
    round(p.base_p, 2)                                           AS stage_p,
    round(weighted_win_rate(p.base_p, coalesce(l.combined, 1) - 1), 3) AS canvas_p,
    round(rep_load_penalty(d.rep_accounts_per_day), 2)           AS rep_latency_x,
    round(d.delivery_slack, 2)                                   AS slack,
    coalesce(l.drivers, '')                                      AS drivers
FROM opportunities o
JOIN customers c USING (customer_id)
JOIN stage_probability p ON p.stage = o.stage
JOIN deal_features d USING (opportunity_id)
LEFT JOIN lifts l USING (opportunity_id)
ORDER BY o.amount * weighted_win_rate(p.base_p, coalesce(l.combined, 1) - 1) DESC
LIMIT 15;
