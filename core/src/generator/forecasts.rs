//! The monthly forecast snapshots: what the canvas in force predicted for
//! every open deal at each month end, from the signals seen by then.

use std::sync::Arc;

use datafusion::arrow::array::{Date32Array, Float64Array, Int64Array, StringArray};
use datafusion::arrow::error::ArrowError;

use super::calendar::{as_of, day_of, micros, month_ends, start};
use super::canvas;
use super::deals::Deal;
use super::world::stage_at;
use super::{TableData, batch};

/// A deal's signals as they stood at some moment.
#[derive(Clone, Copy, Default)]
struct Observed {
    spec_views: i64,
    max_dwell: f64,
    emails: i64,
    clicks: i64,
    legal: bool,
}

impl Deal {
    /// The signals observed up to the end of `snapshot` (a day).
    fn observed(&self, snapshot: i32) -> Observed {
        let cutoff = micros(snapshot + 1);
        let mut seen = Observed::default();
        for (time, kind, spec_dwell) in self.events.iter().take_while(|e| e.0 < cutoff) {
            let _ = time;
            match (*kind, spec_dwell) {
                ("page_view", Some(dwell)) => {
                    seen.spec_views += 1;
                    seen.max_dwell = seen.max_dwell.max(*dwell);
                }
                ("email_sent", _) => seen.emails += 1,
                ("email_click", _) => seen.clicks += 1,
                ("legal_review", _) => seen.legal = true,
                _ => {}
            }
        }
        seen
    }

    fn open_at(&self, snapshot: i32) -> bool {
        day_of(self.created) <= snapshot
            && self.closed.is_none_or(|closed| day_of(closed) > snapshot)
    }
}

/// Canvas forecast for a deal at a snapshot: the stage probability moved by
/// the lifts of the canvas version in force on the signals seen so far.
fn forecast(deal: &Deal, snapshot: i32, lifts: &[f64; 6]) -> (&'static str, f64) {
    let progress = f64::from(snapshot - day_of(deal.created))
        / f64::from((deal.expected_close - day_of(deal.created)).max(1));
    let (stage, base) = stage_at(progress);
    let seen = deal.observed(snapshot);
    let click_rate = if seen.emails > 0 {
        seen.clicks as f64 / seen.emails as f64
    } else {
        1.0
    };
    let holds = [
        seen.spec_views >= 3,
        seen.max_dwell > 120.0,
        click_rate < 0.05,
        seen.legal,
        deal.overloaded,
        deal.tight_slack,
    ];
    let odds = holds
        .iter()
        .zip(lifts)
        .filter(|(h, _)| **h)
        .fold(base / (1.0 - base), |odds, (_, lift)| odds * (1.0 + lift));
    (stage, ((odds / (1.0 + odds)) * 1e4).round() / 1e4)
}

/// One partition per month end.
pub(super) fn snapshots(deals: &[Deal]) -> Result<TableData, ArrowError> {
    let mut parts = Vec::new();
    for snapshot in month_ends(start(), as_of()) {
        let version = canvas::in_force(snapshot);
        let (number, lifts) = (version.version, &version.lifts);
        let open: Vec<&Deal> = deals.iter().filter(|d| d.open_at(snapshot)).collect();
        let forecasts: Vec<(&str, f64)> =
            open.iter().map(|d| forecast(d, snapshot, lifts)).collect();
        let rows = batch(
            "forecast_snapshots",
            vec![
                (
                    "opportunity_id",
                    Arc::new(Int64Array::from_iter_values(open.iter().map(|d| d.id))),
                ),
                (
                    "stage",
                    Arc::new(StringArray::from_iter_values(
                        forecasts.iter().map(|f| f.0),
                    )),
                ),
                (
                    "win_probability",
                    Arc::new(Float64Array::from_iter_values(
                        forecasts.iter().map(|f| f.1),
                    )),
                ),
                (
                    "forecast_amount",
                    Arc::new(Float64Array::from_iter_values(
                        open.iter().map(|d| d.amount),
                    )),
                ),
                (
                    "expected_close_date",
                    Arc::new(Date32Array::from_iter_values(
                        open.iter().map(|d| d.expected_close.max(snapshot + 14)),
                    )),
                ),
                (
                    "canvas_version",
                    Arc::new(Int64Array::from_iter_values(open.iter().map(|_| number))),
                ),
            ],
        )?;
        parts.push((
            Some(format!("snapshot_date={}", super::iso(snapshot))),
            rows,
        ));
    }
    TableData::new("forecast_snapshots", parts)
}
