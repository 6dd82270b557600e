-- Forecast heatmap: amount-weighted win probability of the open pipeline
-- by customer x product line (rows) and delivery cycle (columns), from the
-- latest forecast snapshot, for the twelve customers with the most open
-- pipeline. Draw it: lakecast heatmap --lake LAKE -f sql-examples/05_forecast_heatmap.sql --out heatmap.png
-- Run: lakecast sql --lake LAKE -f sql-examples/05_forecast_heatmap.sql
WITH latest AS (
    SELECT opportunity_id, win_probability
    FROM forecast_snapshots
    WHERE snapshot_date = (SELECT max(snapshot_date) FROM forecast_snapshots)
),
open_deals AS (
    SELECT o.customer_id, c.name AS customer, o.product_line, o.delivery_cycle,
           o.amount, l.win_probability
    FROM opportunities o
    JOIN latest l USING (opportunity_id)
    JOIN customers c USING (customer_id)
    WHERE o.won IS NULL
),
top_customers AS (
    SELECT customer_id FROM open_deals
    GROUP BY customer_id ORDER BY sum(amount) DESC, customer_id LIMIT 12
)
SELECT
    customer || ' / ' || product_line                      AS "customer / product line",
    delivery_cycle                                         AS "delivery cycle",
    round(sum(amount * win_probability) / sum(amount), 3)  AS "win probability (amount-weighted)"
FROM open_deals
WHERE customer_id IN (SELECT customer_id FROM top_customers)
GROUP BY customer, product_line, delivery_cycle
ORDER BY 1, 2;
