//! Deals and everything that happens around them: the customer signal
//! stream, the outcome drawn from the true win model, the monthly forecast
//! snapshots, the signal canvas and project access grants.

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::arrow::array::{
    BooleanArray, Date32Array, Float64Array, Int64Array, ListBuilder, StringArray,
    StringBuilder, TimestampMicrosecondArray,
};
use datafusion::arrow::error::ArrowError;

use super::calendar::{
    DAY_MICROS, HOUR_MICROS, as_of, day_of, micros, month_label, quarter_label, start,
};
use super::customers::Customer;
use super::dice::{Dice, sigmoid};
use super::people::People;
use super::truth::win_probability;
use super::world::{PRODUCT_LINES, SEGMENTS, SOFT_SKILLS, stage_at};
use super::{GenOptions, TableData, batch};

/// One event of the signal stream.
struct Event {
    time: i64,
    customer: i64,
    opportunity: Option<i64>,
    kind: &'static str,
    page: Option<&'static str>,
    dwell: Option<f64>,
}

pub(super) struct Deal {
    pub id: i64,
    pub customer: i64,
    pub owner: i64,
    pub product: usize,
    pub region: usize,
    pub amount: f64,
    pub created: i64,
    pub expected_close: i32,
    pub quarter: String,
    pub overloaded: bool,
    pub tight_slack: bool,
    pub closed: Option<i64>,
    pub won: Option<bool>,
    pub won_amount: Option<f64>,
    pub stage: &'static str,
    pub tags: Vec<&'static str>,
    /// Signal events of this deal, in time order (kept for snapshots).
    pub events: Vec<(i64, &'static str, Option<f64>)>,
}

/// Everything the deal family generates.
pub struct Deals {
    deals: Vec<Deal>,
    events: BTreeMap<String, Vec<Event>>,
    grants: Grants,
}

#[derive(Default)]
struct Grants {
    member: Vec<i64>,
    project: Vec<i64>,
    granted: Vec<i64>,
    expires: Vec<i64>,
    revoked: Vec<Option<i64>>,
    by: Vec<&'static str>,
}

pub fn generate(options: GenOptions, customers: &[Customer], people: &People) -> Deals {
    let mut dice = Dice::new(options.seed, "deals");
    let reps = people.reps();
    let mut events: BTreeMap<String, Vec<Event>> = BTreeMap::new();
    let mut deals = Vec::new();
    for i in 0..options.count(100_000.0, 300) {
        let customer = &customers[dice.index(customers.len())];
        let local: Vec<_> = reps
            .iter()
            .filter(|r| r.region == customer.region)
            .collect();
        let owner = if local.is_empty() {
            *dice.pick(&reps)
        } else {
            **dice.pick(&local)
        };
        let product = dice.index(PRODUCT_LINES.len());
        let created = micros(dice.int(i64::from(start()), i64::from(as_of() - 7)) as i32)
            + dice.int(8, 18) * HOUR_MICROS;
        let cycle = dice.lognormal(75f64.ln(), 0.5).clamp(14.0, 300.0) as i32;
        let expected_close = day_of(created) + cycle;
        let quarter = quarter_label(expected_close);
        let tight_slack = people.slack(customer.region, &quarter) < 0.15;
        let amount = (SEGMENTS[customer.segment].2
            * PRODUCT_LINES[product].1
            * dice.lognormal(0.0, 0.6)
            / 100.0)
            .round()
            .max(10.0)
            * 100.0;
        let mut deal = Deal {
            id: i as i64 + 1,
            customer: customer.id,
            owner: owner.id,
            product,
            region: customer.region,
            amount,
            created,
            expected_close,
            quarter,
            overloaded: owner.load > 8.0,
            tight_slack,
            closed: None,
            won: None,
            won_amount: None,
            stage: "Prospecting",
            tags: required_tags(&mut dice, product),
            events: Vec::new(),
        };
        live_deal(&mut dice, &mut deal, &mut events);
        deals.push(deal);
    }
    background_events(&mut dice, customers, &mut events);
    for bucket in events.values_mut() {
        bucket.sort_by_key(|e| e.time);
    }
    let grants = grants(&mut dice, &deals, people);
    Deals {
        deals,
        events,
        grants,
    }
}

fn required_tags(dice: &mut Dice, product: usize) -> Vec<&'static str> {
    let count = 2 + dice.index(2);
    let mut tags = dice.sample(PRODUCT_LINES[product].2, count);
    if dice.chance(0.4) {
        tags.push(*dice.pick(SOFT_SKILLS));
    }
    tags
}

/// Draws a deal's signals, its outcome from the true model and its events.
fn live_deal(
    dice: &mut Dice,
    deal: &mut Deal,
    events: &mut BTreeMap<String, Vec<Event>>,
) {
    let interest = dice.normal(0.0, 1.0);
    let slip = if deal.tight_slack {
        dice.int(14, 56)
    } else {
        dice.int(-7, 14)
    };

    // What the customer will do over the whole deal...
    let spec_dwells: Vec<f64> = (0..dice.poisson((0.55 + 0.5 * interest).exp()))
        .map(|_| {
            (dice.lognormal(70f64.ln() + 0.25 * interest, 0.6) * 10.0).round() / 10.0
        })
        .collect();
    let other_pages: Vec<(&'static str, f64)> = (0..dice.poisson(2.5))
        .map(|_| {
            let page = *dice.pick(&["pricing", "docs", "case_study", "blog"]);
            (
                page,
                (dice.lognormal(45f64.ln(), 0.7) * 10.0).round() / 10.0,
            )
        })
        .collect();
    let emails = 3 + dice.poisson(6.0);
    let click_rate = sigmoid(-2.4 + 0.5 * interest + dice.normal(0.0, 0.8));
    let clicks = dice.binomial(emails, click_rate);
    let meetings = dice.poisson(2.0);
    let legal = dice.chance(sigmoid(-1.1 + 0.8 * interest));
    let max_dwell = spec_dwells.iter().copied().fold(0.0, f64::max);

    // ...decides the outcome by the true model...
    let holds = [
        spec_dwells.len() >= 3,
        max_dwell > 120.0,
        (clicks as f64 / emails as f64) < 0.05,
        legal,
        deal.overloaded,
        deal.tight_slack,
    ];
    let won = dice.chance(win_probability(&holds));

    // ...and when it ends: won deals run their (slipped) cycle, lost ones
    // die part way, so late stages hold more future winners.
    let created_day = day_of(deal.created);
    let full_cycle = (deal.expected_close + slip as i32 - created_day).max(7);
    let cycle = if won {
        full_cycle
    } else {
        (f64::from(full_cycle) * dice.between(0.3, 1.0)) as i32
    };
    let close_day = created_day + cycle.max(7);
    let life_end = micros(close_day) + dice.int(9, 17) * HOUR_MICROS;

    let mut raw: Vec<(i64, &'static str, Option<&'static str>, Option<f64>)> = Vec::new();
    let at = |dice: &mut Dice, from: f64| {
        deal.created + (dice.between(from, 1.0) * (life_end - deal.created) as f64) as i64
    };
    for dwell in spec_dwells {
        raw.push((at(dice, 0.0), "page_view", Some("spec_sheet"), Some(dwell)));
    }
    for (page, dwell) in other_pages {
        raw.push((at(dice, 0.0), "page_view", Some(page), Some(dwell)));
    }
    let mut sends = Vec::new();
    for _ in 0..emails {
        let t = at(dice, 0.0);
        sends.push(t);
        raw.push((t, "email_sent", None, None));
    }
    for sent in sends.iter().take(clicks as usize) {
        let t = sent + dice.int(HOUR_MICROS / 10, 48 * HOUR_MICROS);
        raw.push((t.min(life_end - 1), "email_click", None, None));
    }
    for _ in 0..meetings {
        raw.push((at(dice, 0.0), "meeting", None, None));
    }
    if legal {
        raw.push((at(dice, 0.7), "legal_review", None, None));
    }

    if close_day < as_of() {
        deal.closed = Some(life_end);
        deal.won = Some(won);
        deal.won_amount = Some(if won {
            (deal.amount * dice.lognormal(-0.03, 0.12) / 100.0).round() * 100.0
        } else {
            0.0
        });
        deal.stage = if won { "Closed Won" } else { "Closed Lost" };
        if won {
            let sent = life_end - dice.int(1, 72) * HOUR_MICROS;
            raw.push((sent, "contract_sent", None, None));
        }
    } else {
        let progress = f64::from(as_of() - created_day)
            / f64::from((deal.expected_close - created_day).max(1));
        deal.stage = stage_at(progress).0;
    }

    raw.retain(|(t, ..)| *t < micros(as_of()) && *t >= deal.created);
    raw.sort_by_key(|e| e.0);
    for (time, kind, page, dwell) in raw {
        let spec_dwell = if page == Some("spec_sheet") {
            dwell
        } else {
            None
        };
        if kind != "page_view" || spec_dwell.is_some() {
            deal.events.push((time, kind, spec_dwell));
        }
        events
            .entry(month_label(day_of(time)))
            .or_default()
            .push(Event {
                time,
                customer: deal.customer,
                opportunity: Some(deal.id),
                kind,
                page,
                dwell,
            });
    }
}

/// Web visits and newsletter traffic outside any deal.
fn background_events(
    dice: &mut Dice,
    customers: &[Customer],
    events: &mut BTreeMap<String, Vec<Event>>,
) {
    for c in customers {
        let from = c.acquired_on.max(start());
        for _ in 0..dice.poisson(12.0) {
            let time = micros(dice.int(i64::from(from), i64::from(as_of() - 1)) as i32)
                + dice.int(0, DAY_MICROS - 1);
            let page = *dice.pick(&["docs", "blog", "docs", "pricing", "case_study"]);
            let dwell = (dice.lognormal(40f64.ln(), 0.8) * 10.0).round() / 10.0;
            events
                .entry(month_label(day_of(time)))
                .or_default()
                .push(Event {
                    time,
                    customer: c.id,
                    opportunity: None,
                    kind: "page_view",
                    page: Some(page),
                    dwell: Some(dwell),
                });
        }
    }
}

fn grants(dice: &mut Dice, deals: &[Deal], people: &People) -> Grants {
    let pool = |role: &str, region: usize| -> Vec<i64> {
        let local: Vec<i64> = people
            .members
            .iter()
            .filter(|m| m.role == role && m.region == region)
            .map(|m| m.id)
            .collect();
        if local.is_empty() {
            people
                .members
                .iter()
                .filter(|m| m.role == role)
                .map(|m| m.id)
                .collect()
        } else {
            local
        }
    };
    let mut out = Grants::default();
    for deal in deals {
        let (from, team) = match (deal.won, deal.stage) {
            (Some(true), _) => {
                let size = 1 + dice.index(3);
                let mut team = dice.sample(&pool("delivery_engineer", deal.region), size);
                team.extend(dice.sample(&pool("project_manager", deal.region), 1));
                (deal.closed.unwrap_or(deal.created), team)
            }
            (None, "Proposal" | "Negotiation") => (
                deal.created,
                dice.sample(&pool("solutions_engineer", deal.region), 1),
            ),
            _ => continue,
        };
        for member in team {
            let granted = from.div_euclid(HOUR_MICROS) * HOUR_MICROS + HOUR_MICROS;
            let hours = dice.int(30 * 24, 180 * 24);
            out.member.push(member);
            out.project.push(deal.id);
            out.granted.push(granted);
            out.expires.push(granted + hours * HOUR_MICROS);
            out.revoked.push(
                dice.chance(0.1)
                    .then(|| {
                        granted
                            + (hours as f64 * dice.between(0.2, 0.9)) as i64 * HOUR_MICROS
                    })
                    .filter(|t| *t < micros(as_of())),
            );
            out.by.push(if dice.chance(0.7) {
                "admin"
            } else {
                "ops.lead"
            });
        }
    }
    out
}

impl Deals {
    pub fn tables(&self, people: &People) -> Result<Vec<TableData>, ArrowError> {
        let _ = people;
        Ok(vec![
            self.opportunities()?,
            self.signals()?,
            super::forecasts::snapshots(&self.deals)?,
            super::canvas::table()?,
            self.grant_table()?,
        ])
    }

    fn opportunities(&self) -> Result<TableData, ArrowError> {
        // Closed deals first and the open pipeline last, each in id order:
        // the open deals (`won IS NULL`), which forecasts and heatmaps read,
        // then fill row groups of their own, whose null counts let readers
        // skip the closed history (and the other way round).
        let d: Vec<&Deal> = self
            .deals
            .iter()
            .filter(|x| x.won.is_some())
            .chain(self.deals.iter().filter(|x| x.won.is_none()))
            .collect();
        let mut tags = ListBuilder::new(StringBuilder::new());
        for deal in &d {
            for tag in &deal.tags {
                tags.values().append_value(tag);
            }
            tags.append(true);
        }
        let utc = |a: TimestampMicrosecondArray| a.with_timezone("UTC");
        let rows = batch(
            "opportunities",
            vec![
                (
                    "opportunity_id",
                    Arc::new(Int64Array::from_iter_values(d.iter().map(|x| x.id))),
                ),
                (
                    "customer_id",
                    Arc::new(Int64Array::from_iter_values(d.iter().map(|x| x.customer))),
                ),
                (
                    "owner_id",
                    Arc::new(Int64Array::from_iter_values(d.iter().map(|x| x.owner))),
                ),
                (
                    "product_line",
                    Arc::new(StringArray::from_iter_values(
                        d.iter().map(|x| PRODUCT_LINES[x.product].0),
                    )),
                ),
                (
                    "region",
                    Arc::new(StringArray::from_iter_values(
                        d.iter().map(|x| super::world::REGIONS[x.region].0),
                    )),
                ),
                (
                    "stage",
                    Arc::new(StringArray::from_iter_values(d.iter().map(|x| x.stage))),
                ),
                (
                    "amount",
                    Arc::new(Float64Array::from_iter_values(d.iter().map(|x| x.amount))),
                ),
                (
                    "created_at",
                    Arc::new(utc(TimestampMicrosecondArray::from_iter_values(
                        d.iter().map(|x| x.created),
                    ))),
                ),
                (
                    "expected_close_date",
                    Arc::new(Date32Array::from_iter_values(
                        d.iter().map(|x| x.expected_close),
                    )),
                ),
                (
                    "delivery_cycle",
                    Arc::new(StringArray::from_iter_values(
                        d.iter().map(|x| x.quarter.as_str()),
                    )),
                ),
                (
                    "closed_at",
                    Arc::new(utc(TimestampMicrosecondArray::from(
                        d.iter().map(|x| x.closed).collect::<Vec<_>>(),
                    ))),
                ),
                (
                    "won",
                    Arc::new(BooleanArray::from(
                        d.iter().map(|x| x.won).collect::<Vec<_>>(),
                    )),
                ),
                (
                    "won_amount",
                    Arc::new(Float64Array::from(
                        d.iter().map(|x| x.won_amount).collect::<Vec<_>>(),
                    )),
                ),
                ("required_tags", Arc::new(tags.finish())),
            ],
        )?;
        TableData::new("opportunities", vec![(None, rows)])
    }

    fn signals(&self) -> Result<TableData, ArrowError> {
        let mut parts = Vec::new();
        let mut next_id = 1i64;
        for (month, events) in &self.events {
            let ids = next_id..next_id + events.len() as i64;
            next_id += events.len() as i64;
            let rows = batch(
                "customer_signals",
                vec![
                    ("event_id", Arc::new(Int64Array::from_iter_values(ids))),
                    (
                        "customer_id",
                        Arc::new(Int64Array::from_iter_values(
                            events.iter().map(|e| e.customer),
                        )),
                    ),
                    (
                        "opportunity_id",
                        Arc::new(Int64Array::from(
                            events.iter().map(|e| e.opportunity).collect::<Vec<_>>(),
                        )),
                    ),
                    (
                        "event_time",
                        Arc::new(
                            TimestampMicrosecondArray::from_iter_values(
                                events.iter().map(|e| e.time),
                            )
                            .with_timezone("UTC"),
                        ),
                    ),
                    (
                        "event_type",
                        Arc::new(StringArray::from_iter_values(
                            events.iter().map(|e| e.kind),
                        )),
                    ),
                    (
                        "page",
                        Arc::new(StringArray::from(
                            events.iter().map(|e| e.page).collect::<Vec<_>>(),
                        )),
                    ),
                    (
                        "dwell_seconds",
                        Arc::new(Float64Array::from(
                            events.iter().map(|e| e.dwell).collect::<Vec<_>>(),
                        )),
                    ),
                ],
            )?;
            parts.push((Some(format!("month={month}")), rows));
        }
        TableData::new("customer_signals", parts)
    }

    fn grant_table(&self) -> Result<TableData, ArrowError> {
        let g = &self.grants;
        let ts = |values: Vec<Option<i64>>| {
            Arc::new(TimestampMicrosecondArray::from(values).with_timezone("UTC"))
        };
        let rows = batch(
            "project_grants",
            vec![
                (
                    "grant_id",
                    Arc::new(Int64Array::from_iter_values(1..=g.member.len() as i64)),
                ),
                ("member_id", Arc::new(Int64Array::from(g.member.clone()))),
                ("project_id", Arc::new(Int64Array::from(g.project.clone()))),
                (
                    "granted_at",
                    ts(g.granted.iter().copied().map(Some).collect()),
                ),
                (
                    "expires_at",
                    ts(g.expires.iter().copied().map(Some).collect()),
                ),
                ("revoked_at", ts(g.revoked.clone())),
                (
                    "granted_by",
                    Arc::new(StringArray::from_iter_values(g.by.iter().copied())),
                ),
            ],
        )?;
        TableData::new("project_grants", vec![(None, rows)])
    }
}
