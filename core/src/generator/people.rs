//! Members (who sells and delivers), their daily activity and the regions'
//! delivery capacity.

use std::sync::Arc;

use datafusion::arrow::array::{
    Date32Array, Float64Array, Int64Array, ListBuilder, StringArray, StringBuilder,
};
use datafusion::arrow::error::ArrowError;

use super::calendar::{as_of, day, is_weekday, quarter_label, start};
use super::dice::Dice;
use super::truth::OVERLOAD_LATENCY_INCREASE;
use super::world::{HARD_SKILLS, REGIONS, SOFT_SKILLS, person_name};
use super::{GenOptions, TableData, batch};

/// Roles and their head count at scale 1.
const ROLES: &[(&str, f64, usize)] = &[
    ("account_executive", 200.0, 4),
    ("solutions_engineer", 100.0, 2),
    ("delivery_engineer", 300.0, 4),
    ("customer_success", 120.0, 2),
    ("project_manager", 60.0, 2),
];

/// One person.
pub struct Member {
    pub id: i64,
    pub role: &'static str,
    pub region: usize,
    pub hard: Vec<&'static str>,
    pub soft: Vec<&'static str>,
    pub weekly_hours: f64,
    pub booked_hours: f64,
    /// For account executives: typical accounts worked per day.
    pub load: f64,
    /// For account executives: typical minutes to answer a message.
    pub base_response: f64,
}

/// Capacity targets for a region and quarter.
pub struct Capacity {
    pub region: usize,
    pub week_start: i32,
    pub engineers: i64,
    pub capacity_hours: f64,
    pub booked_hours: f64,
}

/// Everything about people and capacity.
pub struct People {
    pub members: Vec<Member>,
    pub capacity: Vec<Capacity>,
    /// Slack per `(region, quarter label)`, over the whole quarter.
    pub quarter_slack: Vec<(usize, String, f64)>,
    activity: Activity,
}

#[derive(Default)]
struct Activity {
    rep: Vec<i64>,
    date: Vec<i32>,
    accounts: Vec<i64>,
    emails: Vec<i64>,
    calls: Vec<i64>,
    response: Vec<f64>,
}

/// Last week for which capacity is planned: deals close into future quarters.
fn capacity_until() -> i32 {
    day(2027, 6, 28)
}

/// Quarter slack levels: a third of region-quarters are tight (< 15%), the
/// rest comfortably above, never near the threshold.
const SLACK_LEVELS: &[f64] = &[0.04, 0.08, 0.11, 0.21, 0.26, 0.31, 0.37];

pub fn generate(options: GenOptions) -> People {
    let mut dice = Dice::new(options.seed, "people");
    let mut members = Vec::new();
    for (role, base, min) in ROLES {
        for _ in 0..options.count(*base, *min) {
            let id = members.len() as i64 + 1;
            members.push(member(&mut dice, id, role));
        }
    }
    let (capacity, quarter_slack) = capacity(&mut dice, options);
    let activity = activity(&mut dice, &members);
    People {
        members,
        capacity,
        quarter_slack,
        activity,
    }
}

fn member(dice: &mut Dice, id: i64, role: &'static str) -> Member {
    let region = (id as usize * 7 + dice.index(3)) % REGIONS.len();
    let weekly_hours = *dice.pick(&[40.0, 40.0, 40.0, 32.0, 20.0]);
    let overloaded = dice.chance(0.25);
    let hard_count = dice_count(dice, role);
    let soft_count = 1 + dice.index(3);
    Member {
        id,
        role,
        region,
        hard: dice.sample(HARD_SKILLS, hard_count),
        soft: dice.sample(SOFT_SKILLS, soft_count),
        weekly_hours,
        booked_hours: (weekly_hours * dice.between(0.3, 1.0)).round(),
        load: if overloaded {
            dice.between(9.0, 13.0)
        } else {
            dice.between(3.0, 7.5)
        },
        base_response: dice.between(25.0, 60.0),
    }
}

fn dice_count(dice: &mut Dice, role: &str) -> usize {
    match role {
        "delivery_engineer" | "solutions_engineer" => 3 + dice.index(4),
        _ => 1 + dice.index(2),
    }
}

fn capacity(
    dice: &mut Dice,
    options: GenOptions,
) -> (Vec<Capacity>, Vec<(usize, String, f64)>) {
    let mut rows = Vec::new();
    let mut quarters: Vec<(usize, String, f64)> = Vec::new();
    for (region, (_, share, _)) in REGIONS.iter().enumerate() {
        let engineers = ((300.0 * options.scale * share).round() as i64).max(2);
        let mut week = start();
        while week <= capacity_until() {
            let quarter = quarter_label(week);
            let target = match quarters
                .iter()
                .find(|(r, q, _)| *r == region && *q == quarter)
            {
                Some((_, _, slack)) => *slack,
                None => {
                    let slack = *dice.pick(SLACK_LEVELS);
                    quarters.push((region, quarter, slack));
                    slack
                }
            };
            let capacity_hours = engineers as f64 * 32.0;
            let weekly_slack = target + dice.normal(0.0, 0.02);
            rows.push(Capacity {
                region,
                week_start: week,
                engineers,
                capacity_hours,
                booked_hours: (capacity_hours * (1.0 - weekly_slack)).max(0.0).round(),
            });
            week += 7;
        }
    }
    // Report the realised quarter slack, which is what SQL will compute.
    let realised = quarters
        .into_iter()
        .map(|(region, quarter, _)| {
            let (cap, booked) = rows
                .iter()
                .filter(|c| c.region == region && quarter_label(c.week_start) == quarter)
                .fold((0.0, 0.0), |(c, b), row| {
                    (c + row.capacity_hours, b + row.booked_hours)
                });
            (region, quarter, (cap - booked) / cap)
        })
        .collect();
    (rows, realised)
}

fn activity(dice: &mut Dice, members: &[Member]) -> Activity {
    let mut out = Activity::default();
    for rep in members.iter().filter(|m| m.role == "account_executive") {
        for date in start()..as_of() {
            if !is_weekday(date) {
                continue;
            }
            let accounts = dice.poisson(rep.load).max(1);
            let slower = if accounts > 8 {
                1.0 + OVERLOAD_LATENCY_INCREASE
            } else {
                1.0
            };
            out.rep.push(rep.id);
            out.date.push(date);
            out.accounts.push(accounts);
            out.emails.push(dice.poisson(6.0 * accounts as f64));
            out.calls.push(dice.poisson(2.0 * accounts as f64));
            out.response.push(round1(
                rep.base_response * slower * dice.lognormal(0.0, 0.15),
            ));
        }
    }
    out
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn tag_list<'a>(
    lists: impl Iterator<Item = &'a [&'static str]>,
) -> ListBuilder<StringBuilder> {
    let mut builder = ListBuilder::new(StringBuilder::new());
    for list in lists {
        for tag in list {
            builder.values().append_value(tag);
        }
        builder.append(true);
    }
    builder
}

impl People {
    /// Account executives, the owners of deals.
    pub fn reps(&self) -> Vec<&Member> {
        self.members
            .iter()
            .filter(|m| m.role == "account_executive")
            .collect()
    }

    /// Slack of a region over a delivery cycle (1.0 when not planned).
    pub fn slack(&self, region: usize, quarter: &str) -> f64 {
        self.quarter_slack
            .iter()
            .find(|(r, q, _)| *r == region && q == quarter)
            .map_or(1.0, |(_, _, s)| *s)
    }

    pub fn tables(&self) -> Result<Vec<TableData>, ArrowError> {
        let m = &self.members;
        let members = batch(
            "members",
            vec![
                (
                    "member_id",
                    Arc::new(Int64Array::from_iter_values(m.iter().map(|x| x.id))),
                ),
                (
                    "name",
                    Arc::new(StringArray::from_iter_values(
                        m.iter().map(|x| person_name(x.id as usize)),
                    )),
                ),
                (
                    "role",
                    Arc::new(StringArray::from_iter_values(m.iter().map(|x| x.role))),
                ),
                (
                    "region",
                    Arc::new(StringArray::from_iter_values(
                        m.iter().map(|x| REGIONS[x.region].0),
                    )),
                ),
                (
                    "hard_skills",
                    Arc::new(tag_list(m.iter().map(|x| x.hard.as_slice())).finish()),
                ),
                (
                    "soft_skills",
                    Arc::new(tag_list(m.iter().map(|x| x.soft.as_slice())).finish()),
                ),
                (
                    "weekly_hours",
                    Arc::new(Float64Array::from_iter_values(
                        m.iter().map(|x| x.weekly_hours),
                    )),
                ),
                (
                    "booked_hours",
                    Arc::new(Float64Array::from_iter_values(
                        m.iter().map(|x| x.booked_hours),
                    )),
                ),
            ],
        )?;
        let a = &self.activity;
        let activity = batch(
            "rep_activity",
            vec![
                ("rep_id", Arc::new(Int64Array::from(a.rep.clone()))),
                ("activity_date", Arc::new(Date32Array::from(a.date.clone()))),
                (
                    "accounts_touched",
                    Arc::new(Int64Array::from(a.accounts.clone())),
                ),
                ("emails_sent", Arc::new(Int64Array::from(a.emails.clone()))),
                ("calls", Arc::new(Int64Array::from(a.calls.clone()))),
                (
                    "avg_response_minutes",
                    Arc::new(Float64Array::from(a.response.clone())),
                ),
            ],
        )?;
        let c = &self.capacity;
        let capacity = batch(
            "resource_capacity",
            vec![
                (
                    "region",
                    Arc::new(StringArray::from_iter_values(
                        c.iter().map(|x| REGIONS[x.region].0),
                    )),
                ),
                (
                    "week_start",
                    Arc::new(Date32Array::from_iter_values(
                        c.iter().map(|x| x.week_start),
                    )),
                ),
                (
                    "delivery_cycle",
                    Arc::new(StringArray::from_iter_values(
                        c.iter().map(|x| quarter_label(x.week_start)),
                    )),
                ),
                (
                    "engineers",
                    Arc::new(Int64Array::from_iter_values(c.iter().map(|x| x.engineers))),
                ),
                (
                    "capacity_hours",
                    Arc::new(Float64Array::from_iter_values(
                        c.iter().map(|x| x.capacity_hours),
                    )),
                ),
                (
                    "booked_hours",
                    Arc::new(Float64Array::from_iter_values(
                        c.iter().map(|x| x.booked_hours),
                    )),
                ),
            ],
        )?;
        Ok(vec![
            TableData::new("members", vec![(None, members)])?,
            TableData::new("rep_activity", vec![(None, activity)])?,
            TableData::new("resource_capacity", vec![(None, capacity)])?,
        ])
    }
}
