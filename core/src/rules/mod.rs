//! Saved rules: named SQL queries whose rows are actions (a key, a kind, a
//! target, a payload). Rules are kept versioned in `_lakecast/rules.json`;
//! running them fires each action once per rule and key, records it in
//! `_lakecast/actions.jsonl` before delivering it, and delivers it to the
//! configured sinks until each has taken it.

mod book;
mod journal;
mod run;
mod sinks;

pub use book::{Rule, RuleBook, check_columns};
pub use journal::{ActionJournal, FiredAction, actions_schema};
pub use run::{RuleOutcome, RunReport, plan_rule, run_rules};
pub use sinks::{DeliveryReport, Sink, deliver_pending};

/// The columns every rule must return.
pub const ACTION_COLUMNS: [&str; 4] = ["key", "kind", "target", "payload"];
