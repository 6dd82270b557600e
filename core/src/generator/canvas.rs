//! The signal canvas as the sales-ops team edited it over two years: three
//! versions of the six rules of the true win model, the last one calibrated
//! to the truth.

use std::sync::Arc;

use datafusion::arrow::array::{
    Float64Array, Int64Array, StringArray, TimestampMicrosecondArray,
};
use datafusion::arrow::error::ArrowError;

use super::calendar::{day, micros, start};
use super::truth::WIN_RULES;
use super::{TableData, batch};

/// One version of the canvas.
#[derive(Clone, Copy)]
pub struct CanvasVersion {
    pub version: i64,
    /// Day it takes effect.
    pub effective: i32,
    pub changed_by: &'static str,
    /// Lift of each rule, in [`WIN_RULES`] order.
    pub lifts: [f64; 6],
    pub note: &'static str,
}

/// Every version, oldest first.
pub fn versions() -> [CanvasVersion; 3] {
    [
        CanvasVersion {
            version: 1,
            effective: start(),
            changed_by: "maria.santos",
            lifts: [0.20, 0.10, -0.15, 0.40, -0.10, -0.10],
            note: "Initial canvas from sales leadership's judgement.",
        },
        CanvasVersion {
            version: 2,
            effective: day(2025, 9, 1),
            changed_by: "jonas.berg",
            lifts: [0.30, 0.12, -0.20, 0.50, -0.20, -0.25],
            note: "Re-weighted after the first year's closed deals.",
        },
        CanvasVersion {
            version: 3,
            effective: day(2026, 6, 1),
            changed_by: "maria.santos",
            lifts: [0.35, 0.15, -0.22, 0.60, -0.25, -0.30],
            note: "Calibrated on 18 months of outcomes.",
        },
    ]
}

/// The version in force on a day (the first one before it started).
pub fn in_force(day: i32) -> CanvasVersion {
    let [first, second, third] = versions();
    if day >= third.effective {
        third
    } else if day >= second.effective {
        second
    } else {
        first
    }
}

/// The `signal_weights` table: one row per rule per version.
pub fn table() -> Result<TableData, ArrowError> {
    let rows: Vec<(CanvasVersion, usize)> = versions()
        .into_iter()
        .flat_map(|v| (0..WIN_RULES.len()).map(move |i| (v, i)))
        .collect();
    let rule = |i: usize| &WIN_RULES[i];
    let text = |values: Vec<&str>| Arc::new(StringArray::from_iter_values(values));
    let data = batch(
        "signal_weights",
        vec![
            (
                "rule_id",
                text(rows.iter().map(|(_, i)| rule(*i).rule_id).collect()),
            ),
            (
                "signal",
                text(rows.iter().map(|(_, i)| rule(*i).signal).collect()),
            ),
            (
                "operator",
                text(rows.iter().map(|(_, i)| rule(*i).operator).collect()),
            ),
            (
                "threshold",
                Arc::new(Float64Array::from_iter_values(
                    rows.iter().map(|(_, i)| rule(*i).threshold),
                )),
            ),
            (
                "lift",
                Arc::new(Float64Array::from_iter_values(
                    rows.iter().map(|(v, i)| v.lifts[*i]),
                )),
            ),
            (
                "version",
                Arc::new(Int64Array::from_iter_values(
                    rows.iter().map(|(v, _)| v.version),
                )),
            ),
            (
                "effective_from",
                Arc::new(
                    TimestampMicrosecondArray::from_iter_values(
                        rows.iter().map(|(v, _)| micros(v.effective)),
                    )
                    .with_timezone("UTC"),
                ),
            ),
            (
                "changed_by",
                text(rows.iter().map(|(v, _)| v.changed_by).collect()),
            ),
            ("note", text(rows.iter().map(|(v, _)| v.note).collect())),
        ],
    )?;
    TableData::new("signal_weights", vec![(None, data)])
}
