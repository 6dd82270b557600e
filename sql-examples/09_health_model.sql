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
    -- the last eight weeks of usage, counted back from the newest week
    -- (a value, so only those weeks' row groups are read)
    SELECT u.*,
           CASE WHEN u.week_start > (SELECT max(week_start) FROM customer_usage)
                                    - INTERVAL '28 days'
                THEN 'current' ELSE 'previous' END AS period
    FROM customer_usage u
    WHERE u.week_start > (SELECT max(week_start) FROM customer_usage) - INTERVAL '56 days'
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
measures AS (
    SELECT u.*, t.ticket_response_minutes, t.tickets_per_100_seats
    FROM usage u JOIN tickets t USING (customer_id, period)
),
signals AS (
    -- one row per customer, period and signal, with the signal's bounds
    -- and weight from the model
    SELECT x.customer_id, x.period, m.weight,
           scale_minmax(CASE m.signal
                            WHEN 'device_uptime'           THEN x.device_uptime
                            WHEN 'api_calls_per_seat'      THEN x.api_calls_per_seat
                            WHEN 'active_user_share'       THEN x.active_user_share
                            WHEN 'feature_adoption'        THEN x.feature_adoption
                            WHEN 'training_completion'     THEN x.training_completion
                            WHEN 'community_posts'         THEN x.community_posts
                            WHEN 'login_days'              THEN x.login_days
                            WHEN 'nps'                     THEN x.nps
                            WHEN 'invoice_days_late'       THEN x.invoice_days_late
                            WHEN 'exec_meetings'           THEN x.exec_meetings
                            WHEN 'ticket_response_minutes' THEN x.ticket_response_minutes
                            WHEN 'tickets_per_100_seats'   THEN x.tickets_per_100_seats
                        END, m.bad, m.good) AS scaled
    FROM measures x CROSS JOIN model m
),
scores AS (
    -- a NULL signal (no NPS answer, no ticket) is skipped and the other
    -- weights re-normalised; so is every signal of the other period, which
    -- scores both periods in one pass
    SELECT customer_id,
           health_score(CASE WHEN period = 'current' THEN scaled END, weight)  AS score,
           health_score(CASE WHEN period = 'previous' THEN scaled END, weight) AS previous
    FROM signals
    GROUP BY customer_id
    HAVING bool_or(period = 'current')
)
SELECT c.customer_id, c.name, c.segment,
       round(s.score, 1)                         AS score,
       health_band(s.score)                      AS band,
       round(s.score - s.previous, 1)            AS trend
FROM scores s
JOIN customers c USING (customer_id);

-- How many customers are in each band, and their average trend.
SELECT band, count(*) AS customers, round(avg(score), 1) AS avg_score,
       round(avg(trend), 1) AS avg_trend
FROM health GROUP BY band ORDER BY avg_score;

-- The customers to call first: red, and getting worse fastest.
SELECT * FROM health WHERE band = 'red' ORDER BY trend, score LIMIT 10;
