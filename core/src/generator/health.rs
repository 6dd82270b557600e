//! Weekly usage, support tickets and churn, all driven by one latent health
//! per customer that drifts week to week.

use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::array::{
    Date32Array, Float64Array, Int64Array, StringArray, TimestampMicrosecondArray,
};
use datafusion::arrow::compute::{SortColumn, lexsort_to_indices, take_record_batch};
use datafusion::arrow::error::ArrowError;

use super::calendar::{DAY_MICROS, HOUR_MICROS, as_of, micros};
use super::customers::Customer;
use super::dice::{Dice, sigmoid};
use super::truth::{CHURN_HEALTH, CHURN_INTERCEPT, HEALTH_PERSISTENCE};
use super::{GenOptions, TableData, batch};

/// Weeks of usage history kept.
const USAGE_WEEKS: i32 = 52;

#[derive(Default)]
struct Usage {
    customer: Vec<i64>,
    week: Vec<i32>,
    uptime: Vec<f64>,
    api_calls: Vec<i64>,
    active_users: Vec<i64>,
    seats: Vec<i64>,
    adoption: Vec<f64>,
    training: Vec<f64>,
    posts: Vec<i64>,
    login_days: Vec<i64>,
    nps: Vec<Option<i64>>,
    days_late: Vec<i64>,
    exec_meetings: Vec<i64>,
}

#[derive(Default)]
struct Tickets {
    customer: Vec<i64>,
    opened: Vec<i64>,
    severity: Vec<&'static str>,
    first_response: Vec<f64>,
    resolved: Vec<Option<i64>>,
    csat: Vec<Option<i64>>,
}

/// Usage, tickets and churn dates (indexed like the customers).
pub struct Health {
    pub churned_on: Vec<Option<i32>>,
    usage: Usage,
    tickets: Tickets,
}

pub fn generate(options: GenOptions, customers: &[Customer]) -> Health {
    let mut dice = Dice::new(options.seed, "health");
    let first_week = as_of() - USAGE_WEEKS * 7;
    let mut health = Health {
        churned_on: Vec::with_capacity(customers.len()),
        usage: Usage::default(),
        tickets: Tickets::default(),
    };
    let stationary_sd = 0.25 / (1.0 - HEALTH_PERSISTENCE * HEALTH_PERSISTENCE).sqrt();
    for c in customers {
        let mut h = dice.normal(0.0, stationary_sd);
        let mut churned = None;
        let mut week = first_week;
        while week < as_of() {
            if week >= c.acquired_on {
                health.week(&mut dice, c, week, h);
                if dice.chance(sigmoid(CHURN_INTERCEPT + CHURN_HEALTH * h)) {
                    churned = Some(week + dice.int(0, 6) as i32);
                    break;
                }
            }
            h = HEALTH_PERSISTENCE * h + dice.normal(0.0, 0.25);
            week += 7;
        }
        health.churned_on.push(churned);
    }
    health
}

impl Health {
    fn week(&mut self, dice: &mut Dice, c: &Customer, week: i32, h: f64) {
        let u = &mut self.usage;
        let seats = c.seats as f64;
        let tenure_weeks = f64::from(week - c.acquired_on) / 7.0;
        u.customer.push(c.id);
        u.week.push(week);
        u.uptime.push(round2(
            (99.0 + 0.6 * h + dice.normal(0.0, 0.4)).clamp(80.0, 100.0),
        ));
        u.api_calls
            .push((seats * 40.0 * dice.lognormal(0.5 * h, 0.3)).round() as i64);
        u.active_users
            .push(dice.binomial(c.seats, sigmoid(0.5 + 0.8 * h)));
        u.seats.push(c.seats);
        u.adoption.push(round2(
            100.0 * sigmoid(0.2 + 0.7 * h + dice.normal(0.0, 0.2)),
        ));
        u.training.push(round2(
            100.0 * sigmoid(-0.5 + 0.6 * h + 0.03 * tenure_weeks.min(52.0)),
        ));
        u.posts.push(dice.poisson((-0.5 + 0.6 * h).exp()));
        u.login_days.push(dice.binomial(7, sigmoid(1.0 + 0.9 * h)));
        u.nps.push(dice.chance(1.0 / 13.0).then(|| {
            (7.0 + 1.5 * h + dice.normal(0.0, 1.5))
                .round()
                .clamp(0.0, 10.0) as i64
        }));
        u.days_late.push(dice.poisson((1.0 - 0.8 * h).exp()));
        u.exec_meetings.push(dice.poisson(0.3 * (0.5 * h).exp()));

        let t = &mut self.tickets;
        for _ in 0..dice.poisson(0.01 * seats.sqrt() * (-0.5 * h).exp()) {
            let opened = micros(week) + dice.int(0, 7 * DAY_MICROS - 1);
            let severity = ["low", "medium", "high", "critical"]
                [dice.weighted(&[0.4, 0.35, 0.2, 0.05])];
            let resolved =
                opened + (dice.lognormal(24f64.ln(), 1.0) * HOUR_MICROS as f64) as i64;
            t.customer.push(c.id);
            t.opened.push(opened);
            t.severity.push(severity);
            t.first_response
                .push(round2(dice.lognormal(60f64.ln() - 0.3 * h, 0.5)));
            t.resolved
                .push((resolved < micros(as_of())).then_some(resolved));
            t.csat.push(dice.chance(0.4).then(|| {
                (3.5 + 0.8 * h + dice.normal(0.0, 0.8))
                    .round()
                    .clamp(1.0, 5.0) as i64
            }));
        }
    }

    pub fn tables(&self) -> Result<Vec<TableData>, ArrowError> {
        let u = &self.usage;
        let int = |v: &Vec<i64>| Arc::new(Int64Array::from(v.clone()));
        let float = |v: &Vec<f64>| Arc::new(Float64Array::from(v.clone()));
        let usage = batch(
            "customer_usage",
            vec![
                ("customer_id", int(&u.customer)),
                ("week_start", Arc::new(Date32Array::from(u.week.clone()))),
                ("device_uptime_pct", float(&u.uptime)),
                ("api_calls", int(&u.api_calls)),
                ("active_users", int(&u.active_users)),
                ("licensed_seats", int(&u.seats)),
                ("feature_adoption_pct", float(&u.adoption)),
                ("training_completion_pct", float(&u.training)),
                ("community_posts", int(&u.posts)),
                ("login_days", int(&u.login_days)),
                ("nps", Arc::new(Int64Array::from(u.nps.clone()))),
                ("invoice_days_late", int(&u.days_late)),
                ("exec_meetings", int(&u.exec_meetings)),
            ],
        )?;
        let t = &self.tickets;
        let ts = |v: Vec<Option<i64>>| {
            Arc::new(TimestampMicrosecondArray::from(v).with_timezone("UTC"))
        };
        let tickets = batch(
            "service_tickets",
            vec![
                (
                    "ticket_id",
                    Arc::new(Int64Array::from_iter_values(1..=t.customer.len() as i64)),
                ),
                ("customer_id", int(&t.customer)),
                (
                    "opened_at",
                    ts(t.opened.iter().copied().map(Some).collect()),
                ),
                (
                    "severity",
                    Arc::new(StringArray::from_iter_values(t.severity.iter().copied())),
                ),
                ("first_response_minutes", float(&t.first_response)),
                ("resolved_at", ts(t.resolved.clone())),
                ("csat", Arc::new(Int64Array::from(t.csat.clone()))),
            ],
        )?;
        Ok(vec![
            TableData::new("customer_usage", vec![(None, by_week(&usage)?)])?,
            TableData::new("service_tickets", vec![(None, tickets)])?,
        ])
    }
}

/// `usage` ordered by week, then customer: each row group then holds a few
/// weeks, so a query over the last weeks (the health model's) reads only
/// theirs, pruned by row-group statistics.
fn by_week(usage: &RecordBatch) -> Result<RecordBatch, ArrowError> {
    let schema = usage.schema();
    let key = |name: &str| -> Result<SortColumn, ArrowError> {
        let values = Arc::clone(usage.column(schema.index_of(name)?));
        Ok(SortColumn {
            values,
            options: None,
        })
    };
    let order = lexsort_to_indices(&[key("week_start")?, key("customer_id")?], None)?;
    take_record_batch(usage, &order)
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
