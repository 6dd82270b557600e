-- Customer lifetime value: turns the transactions into one summary per
-- customer (in weeks), fits BG/NBD (how often customers buy and when they
-- stop) and Gamma-Gamma (how much they spend per purchase) on a
-- calibration period, checks the predictions against the 26 weeks held
-- out after it, then lists the customers worth most over the next year.
-- The period unit is the week everywhere: frequency counts purchase days
-- after the first, recency and t are in weeks, the discount rate is per
-- week. Change `calibration_end` in `params` to move the split.
-- Run: lakecast sql --lake LAKE -f sql-examples/10_customer_lifetime_value.sql
CREATE VIEW purchase_days AS
SELECT customer_id, transaction_date AS day, sum(amount) AS amount
FROM transactions
GROUP BY customer_id, transaction_date;

CREATE VIEW customer_summary AS
WITH params AS (
    SELECT max(day) - INTERVAL '182 days' AS calibration_end FROM purchase_days
),
first_day AS (
    SELECT customer_id, min(day) AS first FROM purchase_days GROUP BY customer_id
)
SELECT
    d.customer_id,
    -- repeat purchase days before the end of calibration
    CAST(count(*) FILTER (WHERE d.day <= p.calibration_end) - 1 AS DOUBLE) AS frequency,
    (CAST(max(d.day) FILTER (WHERE d.day <= p.calibration_end) AS INT)
        - CAST(f.first AS INT)) / 7.0                                    AS recency,
    (CAST(p.calibration_end AS INT) - CAST(f.first AS INT)) / 7.0        AS t,
    -- mean value of the repeat purchases (the first one is the acquisition)
    coalesce(avg(d.amount) FILTER (WHERE d.day > f.first AND d.day <= p.calibration_end), 0)
                                                                          AS monetary_value,
    -- what happened in the 26 held-out weeks
    count(*) FILTER (WHERE d.day > p.calibration_end)                     AS holdout_purchases,
    coalesce(sum(d.amount) FILTER (WHERE d.day > p.calibration_end), 0)   AS holdout_spend
FROM purchase_days d
JOIN first_day f USING (customer_id)
CROSS JOIN params p
WHERE f.first <= p.calibration_end
GROUP BY d.customer_id, f.first, p.calibration_end;

CREATE VIEW models AS
SELECT bgnbd_fit(frequency, recency, t)                  AS bg,
       gamma_gamma_fit(frequency, monetary_value)         AS gg
FROM customer_summary;

-- The fitted models: check `converged` before trusting them.
SELECT round(bg.r, 3) AS r, round(bg.alpha, 2) AS alpha, round(bg.a, 3) AS a,
       round(bg.b, 3) AS b, bg.converged AS bgnbd_converged,
       round(gg.p, 2) AS p, round(gg.q, 2) AS q, round(gg.v, 1) AS v,
       gg.converged AS gamma_gamma_converged
FROM models;

-- Holdout check: predicted against actual purchases in the 26 weeks after
-- calibration, by how often customers had bought before.
SELECT
    CASE WHEN frequency >= 7 THEN '7+' ELSE CAST(CAST(frequency AS INT) AS VARCHAR) END
                                                                     AS repeat_purchases,
    count(*)                                                         AS customers,
    round(avg(bgnbd_expected_purchases(bg, 26, frequency, recency, t)), 3) AS predicted,
    round(avg(holdout_purchases), 3)                                 AS actual
FROM customer_summary CROSS JOIN models
GROUP BY 1
ORDER BY min(frequency);

-- The customers worth most over the next 52 weeks (1% discount per week,
-- full spend counted), with the chance they are still buying.
SELECT
    s.customer_id,
    c.name                                                           AS customer,
    CAST(s.frequency AS INT)                                         AS repeat_purchases,
    round(s.monetary_value, 0)                                       AS mean_spend,
    round(bgnbd_p_alive(bg, s.frequency, s.recency, s.t), 2)         AS p_alive,
    round(bgnbd_expected_purchases(bg, 52, s.frequency, s.recency, s.t), 2) AS purchases_52w,
    round(gamma_gamma_expected_spend(gg, s.frequency, s.monetary_value), 0) AS expected_spend,
    round(customer_ltv(bg, gg, s.frequency, s.recency, s.t, s.monetary_value, 52, 0.01), 0)
                                                                     AS ltv_52w
FROM customer_summary s
JOIN customers c USING (customer_id)
CROSS JOIN models
ORDER BY ltv_52w DESC
LIMIT 15;
