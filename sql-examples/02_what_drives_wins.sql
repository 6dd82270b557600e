-- What drives wins: the win rate of closed deals with and without each
-- signal of the forecast canvas. Deals where the customer's legal team
-- reviewed the contract, or who read the spec sheet three times or more,
-- should win clearly more often; deals owned by overloaded reps (more than
-- 8 accounts a day) or delivered by regions short of engineers (slack under
-- 15%) should win less.
-- Run: lakecast sql --lake LAKE -f sql-examples/02_what_drives_wins.sql
WITH deal_signals AS (
    SELECT
        opportunity_id,
        sum(CASE WHEN event_type = 'page_view' AND page = 'spec_sheet' THEN 1 ELSE 0 END)
            AS spec_page_views,
        max(CASE WHEN page = 'spec_sheet' THEN dwell_seconds END) AS max_dwell_seconds,
        sum(CASE WHEN event_type = 'email_click' THEN 1 ELSE 0 END)
            / nullif(sum(CASE WHEN event_type = 'email_sent' THEN 1 ELSE 0 END), 0)::double
            AS email_click_rate,
        max(CASE WHEN event_type = 'legal_review' THEN 1 ELSE 0 END) AS legal_review
    FROM customer_signals
    WHERE opportunity_id IS NOT NULL
    GROUP BY opportunity_id
),
rep_load AS (
    SELECT rep_id, avg(accounts_touched) AS accounts_per_day
    FROM rep_activity
    GROUP BY rep_id
),
slack AS (
    SELECT region, delivery_cycle,
           (sum(capacity_hours) - sum(booked_hours)) / sum(capacity_hours) AS delivery_slack
    FROM resource_capacity
    GROUP BY region, delivery_cycle
),
closed AS (
    SELECT
        o.won,
        coalesce(s.spec_page_views, 0) >= 3             AS spec_views_3_plus,
        coalesce(s.max_dwell_seconds, 0) > 120          AS dwell_over_120s,
        coalesce(s.email_click_rate, 0) < 0.05          AS click_rate_under_5pct,
        coalesce(s.legal_review, 0) = 1                 AS legal_reviewing,
        r.accounts_per_day > 8                          AS rep_over_8_accounts,
        coalesce(k.delivery_slack, 1) < 0.15            AS slack_under_15pct
    FROM opportunities o
    LEFT JOIN deal_signals s USING (opportunity_id)
    JOIN rep_load r ON r.rep_id = o.owner_id
    LEFT JOIN slack k ON k.region = o.region AND k.delivery_cycle = o.delivery_cycle
    WHERE o.won IS NOT NULL
),
by_signal AS (
    SELECT 'spec_views_3_plus' AS signal, spec_views_3_plus AS present, won FROM closed
    UNION ALL SELECT 'dwell_over_120s', dwell_over_120s, won FROM closed
    UNION ALL SELECT 'click_rate_under_5pct', click_rate_under_5pct, won FROM closed
    UNION ALL SELECT 'legal_reviewing', legal_reviewing, won FROM closed
    UNION ALL SELECT 'rep_over_8_accounts', rep_over_8_accounts, won FROM closed
    UNION ALL SELECT 'slack_under_15pct', slack_under_15pct, won FROM closed
)
SELECT
    signal,
    sum(CASE WHEN present THEN 1 ELSE 0 END)                                AS deals_with,
    round(avg(CASE WHEN present THEN CASE WHEN won THEN 1.0 ELSE 0.0 END END), 3)
        AS win_rate_with,
    round(avg(CASE WHEN NOT present THEN CASE WHEN won THEN 1.0 ELSE 0.0 END END), 3)
        AS win_rate_without
FROM by_signal
GROUP BY signal
ORDER BY signal;
