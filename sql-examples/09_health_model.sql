-- Customer health: twelve signal classes, each scaled to 0..1 between a
-- "bad" and a "good" value and weighted (both live in the `model` table
-- below; edit them there), scored 0..100 per customer over the last four
-- weeks and the four before, banded red / amber / green, with the trend.
-- Run: lakecast sql --lake LAKE -f sql-examples/09_health_model.sql
CREATE VIEW health AS
WITH model(signal, weight, bad, good) AS (
    VALUES ('device_uptime',           1.0,  97,  100),
           ('api_calls_per_seat',      1.0,   5,   60),
           ('active_user_share',       1.5, 0.3,  0.9),
           ('feature_adoption',        1.0,  20,   80),
           ('training_completion',     0.5,  20,   90),
           ('community_posts',         0.5,   0,    3),
           ('login_days',              1.5,   1,    6),
           ('nps',                     1.0,   0,   10),
           ('invoice_days_late',       1.0,  30,    0),
           ('exec_meetings',           0.5,   0,    1),
           ('ticket_response_minutes', 1.0, 240,   15),
           ('tickets_per_100_seats',   0.5,   5,    0)
),
periods AS (
    SELECT u.*, CASE WHEN u.week_start > w.last_week - INTERVAL '28 days' THEN 'current'
                     ELSE 'previous' END AS period
    FROM customer_usage u,
         (SELECT max(week_start) AS last_week FROM customer_usage) w
    WHERE u.week_start > w.last_week - INTERVAL '56 days'
),
usage AS (
    SELECT customer_id, period,
           avg(device_uptime_pct)                          AS device_uptime,
           avg(api_calls) / max(licensed_seats)            AS api_calls_per_seat,
           avg(active_users) / max(licensed_seats)         AS active_user_share,
           avg(feature_adoption_pct)                       AS feature_adoption,
           avg(training_completion_pct)                    AS training_completion,
           avg(community_posts)                            AS community_posts,
           avg(login_days)                                 AS login_days,
           avg(nps)                                        AS nps,
           max(invoice_days_late)                          AS invoice_days_late,
           avg(exec_meetings)                              AS exec_meetings,
           max(licensed_seats)                             AS seats,
           min(week_start)                                 AS period_start
    FROM periods GROUP BY customer_id, period
),
tickets AS (
    SELECT u.customer_id, u.period,
           avg(t.first_response_minutes)                   AS ticket_response_minutes,
           count(t.ticket_id) * 100.0 / max(u.seats)       AS tickets_per_100_seats
    FROM usage u
    LEFT JOIN service_tickets t
      ON t.customer_id = u.customer_id
     AND CAST(t.opened_at AS DATE) >= u.period_start
     AND CAST(t.opened_at AS DATE) < u.period_start + INTERVAL '28 days'
    GROUP BY u.customer_id, u.period
),
signals(customer_id, period, signal, value) AS (
    SELECT customer_id, period, 'device_uptime', device_uptime FROM usage
    UNION ALL SELECT customer_id, period, 'api_calls_per_seat', api_calls_per_seat FROM usage
    UNION ALL SELECT customer_id, period, 'active_user_share', active_user_share FROM usage
    UNION ALL SELECT customer_id, period, 'feature_adoption', feature_adoption FROM usage
    UNION ALL SELECT customer_id, period, 'training_completion', training_completion FROM usage
    UNION ALL SELECT customer_id, period, 'community_posts', community_posts FROM usage
    UNION ALL SELECT customer_id, period, 'login_days', login_days FROM usage
    UNION ALL SELECT customer_id, period, 'nps', nps FROM usage
    UNION ALL SELECT customer_id, period, 'invoice_days_late', invoice_days_late FROM usage
    UNION ALL SELECT customer_id, period, 'exec_meetings', exec_meetings FROM usage
    UNION ALL SELECT customer_id, period, 'ticket_response_minutes', ticket_response_minutes FROM tickets
    UNION ALL SELECT customer_id, period, 'tickets_per_100_seats', tickets_per_100_seats FROM tickets
),
scores AS (
    -- a NULL signal (no NPS answer, no ticket) is skipped and the other
    -- weights re-normalised
    SELECT s.customer_id, s.period,
           health_score(scale_minmax(s.value, m.bad, m.good), m.weight) AS score
    FROM signals s JOIN model m USING (signal)
    GROUP BY s.customer_id, s.period
)
SELECT c.customer_id, c.name, c.segment,
       round(cur.score, 1)                       AS score,
       health_band(cur.score)                    AS band,
       round(cur.score - prev.score, 1)          AS trend
FROM scores cur
JOIN customers c USING (customer_id)
LEFT JOIN scores prev ON prev.customer_id = cur.customer_id AND prev.period = 'previous'
WHERE cur.period = 'current';

-- How many customers are in each band, and their average trend.
SELECT band, count(*) AS customers, round(avg(score), 1) AS avg_score,
       round(avg(trend), 1) AS avg_trend
FROM health GROUP BY band ORDER BY avg_score;

-- The customers to call first: red, and getting worse fastest.
SELECT * FROM health WHERE band = 'red' ORDER BY trend, score LIMIT 10;
