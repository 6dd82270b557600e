-- Learned win model: a logistic regression trained on closed deals, from
-- what was known at each deal's last forecast (its stage then, and the
-- buyer signals, rep load and delivery slack up to that day). A quarter of
-- the closed deals (opportunity_id divisible by 4) is held out; on those
-- the learned probabilities are compared with the canvas forecast the
-- deals actually got, then the open deals are scored with the reasons.
-- Run: lakecast sql --lake LAKE -f sql-examples/11_learned_win_model.sql
CREATE VIEW last_forecast AS
SELECT * FROM (
    SELECT s.opportunity_id, s.snapshot_date, s.stage, s.win_probability, o.won,
           row_number() OVER (PARTITION BY s.opportunity_id
                              ORDER BY s.snapshot_date DESC) AS newest
    FROM forecast_snapshots s
    JOIN opportunities o USING (opportunity_id)
    WHERE o.won IS NOT NULL)
WHERE newest = 1;

-- One row per deal with the features the model reads. Closed deals are
-- seen as of their last forecast; open deals as of now.
CREATE VIEW deal_rows AS
WITH seen AS (
    SELECT opportunity_id, stage, won, win_probability AS canvas_p,
           CAST(snapshot_date AS TIMESTAMP) AS seen_at
    FROM last_forecast
    UNION ALL
    SELECT opportunity_id, stage, NULL, NULL, TIMESTAMP '2100-01-01T00:00:00'
    FROM opportunities WHERE won IS NULL
),
signals AS (
    SELECT v.opportunity_id,
           sum(CASE WHEN e.page = 'spec_sheet' THEN 1 ELSE 0 END)              AS spec_views,
           coalesce(max(CASE WHEN e.page = 'spec_sheet' THEN e.dwell_seconds END), 0)
                                                                              AS max_dwell,
           coalesce(sum(CASE WHEN e.event_type = 'email_click' THEN 1 ELSE 0 END)
                    / nullif(sum(CASE WHEN e.event_type = 'email_sent' THEN 1 ELSE 0 END), 0)::double,
                    0)                                                        AS click_rate,
           max(CASE WHEN e.event_type = 'legal_review' THEN 1 ELSE 0 END)      AS legal_review
    FROM seen v
    JOIN customer_signals e
      ON e.opportunity_id = v.opportunity_id AND e.event_time < v.seen_at
    GROUP BY v.opportunity_id
)
SELECT
    v.opportunity_id, v.won, v.canvas_p,
    v.won IS NOT NULL AND v.opportunity_id % 4 = 0                     AS held_out,
    [CASE WHEN v.stage = 'Qualification' THEN 1.0 ELSE 0.0 END,
     CASE WHEN v.stage = 'Proposal' THEN 1.0 ELSE 0.0 END,
     CASE WHEN v.stage = 'Negotiation' THEN 1.0 ELSE 0.0 END,
     ln(1 + coalesce(s.spec_views, 0)),
     coalesce(s.max_dwell, 0) / 60.0,
     coalesce(s.click_rate, 0),
     CAST(coalesce(s.legal_review, 0) AS DOUBLE),
     r.accounts_per_day,
     coalesce(k.slack, 0)]                                             AS features
FROM seen v
JOIN opportunities o USING (opportunity_id)
LEFT JOIN signals s USING (opportunity_id)
JOIN (SELECT rep_id, avg(accounts_touched) AS accounts_per_day
      FROM rep_activity GROUP BY rep_id) r ON r.rep_id = o.owner_id
LEFT JOIN (SELECT region, delivery_cycle,
                  resource_slack_agg(capacity_hours, booked_hours) AS slack
           FROM resource_capacity GROUP BY region, delivery_cycle) k
    ON k.region = o.region AND k.delivery_cycle = o.delivery_cycle;

CREATE VIEW model AS
SELECT logreg_fit(won, features, 1.0) AS m
FROM deal_rows WHERE won IS NOT NULL AND NOT held_out;

-- The fitted model (l2 = 1 keeps rare features from running away): the
-- change in log-odds per unit of each feature.
SELECT m['converged'] AS converged, m['iterations'] AS iterations,
       round(m['log_likelihood'], 1) AS log_likelihood,
       round(m['intercept'], 3) AS intercept,
       round(m['coefficients'][1], 3) AS qualification,
       round(m['coefficients'][2], 3) AS proposal,
       round(m['coefficients'][3], 3) AS negotiation,
       round(m['coefficients'][4], 3) AS spec_views,
       round(m['coefficients'][5], 3) AS dwell_minutes,
       round(m['coefficients'][6], 3) AS click_rate,
       round(m['coefficients'][7], 3) AS legal_review,
       round(m['coefficients'][8], 3) AS rep_accounts_per_day,
       round(m['coefficients'][9], 3) AS delivery_slack
FROM model;

-- Held-out deals: the learned model against the canvas forecast they got.
-- Lower Brier score and log loss are better; higher ROC AUC is better.
SELECT 'canvas forecast' AS forecast, count(*) AS deals,
       round(brier_score(canvas_p, won), 4) AS brier,
       round(log_loss(canvas_p, won), 4) AS log_loss,
       round(roc_auc(canvas_p, won), 4) AS roc_auc
FROM deal_rows WHERE held_out
UNION ALL
SELECT 'learned model', count(*),
       round(brier_score(logreg_predict(m, features), won), 4),
       round(log_loss(logreg_predict(m, features), won), 4),
       round(roc_auc(logreg_predict(m, features), won), 4)
FROM deal_rows CROSS JOIN model WHERE held_out
ORDER BY forecast;

-- Open deals, biggest expected bookings first, with what drives each score.
SELECT
    d.opportunity_id, o.stage, o.amount,
    round(logreg_predict(m, d.features), 3)                          AS learned_p,
    logreg_top_factors(m, d.features,
        ['qualification', 'proposal', 'negotiation', 'spec_views', 'dwell_minutes',
         'click_rate', 'legal_review', 'rep_accounts_per_day', 'delivery_slack'], 3)
                                                                     AS top_factors
FROM deal_rows d
JOIN opportunities o USING (opportunity_id)
CROSS JOIN model
WHERE d.won IS NULL
ORDER BY o.amount * logreg_predict(m, d.features) DESC
LIMIT 12;
