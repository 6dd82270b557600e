//! The demo-lake generator: writes every contract table for a fictional
//! mid-size B2B company, deterministically from a seed and a scale.
//!
//! The data follow the generating process documented in
//! `docs/generator.md`; its parameters (the "known truth" later models are
//! checked against) are in [`truth`] and written to `_generator.json`.

mod calendar;
mod canvas;
mod customers;
mod deals;
mod dice;
mod forecasts;
mod health;
mod people;
mod purchases;
pub mod truth;
mod world;
pub(crate) mod write;

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, RecordBatch};
use datafusion::arrow::error::ArrowError;

use crate::contract::{self, TableSpec};
use crate::error::LakeError;
use crate::location::LakeLocation;

pub use calendar::{as_of, iso};

/// Version of the generating process; bumped whenever output changes.
pub const GENERATOR_VERSION: u32 = 1;

/// Name of the file at the lake root that records how a lake was made.
pub const MARKER_FILE: &str = "_generator.json";

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GenOptions {
    /// 1.0 is a mid-size company; 0.01 a few thousand rows per table.
    pub scale: f64,
    /// Seed of every random draw.
    pub seed: u64,
}

impl Default for GenOptions {
    fn default() -> Self {
        Self {
            scale: 1.0,
            seed: 42,
        }
    }
}

impl GenOptions {
    /// Rejects scales the generator cannot honour.
    pub fn validate(&self) -> Result<(), String> {
        if !(self.scale.is_finite() && self.scale > 0.0 && self.scale <= 1000.0) {
            return Err(format!(
                "--scale must be a number above 0 and at most 1000, got {}",
                self.scale
            ));
        }
        Ok(())
    }

    /// `base * scale`, rounded, and never below `min`.
    fn count(&self, base: f64, min: usize) -> usize {
        ((base * self.scale).round() as usize).max(min)
    }
}

/// Receives progress while a lake is generated (from any thread, as
/// generation may be awaited on a multi-threaded runtime).
pub trait Progress {
    /// Called once with the number of steps.
    fn start(&self, steps: u64);
    /// Called as each step begins.
    fn step(&self, message: &str);
    /// Called when the last step is done.
    fn finish(&self);
}

/// Progress that goes nowhere.
pub struct Silent;

impl Progress for Silent {
    fn start(&self, _: u64) {}
    fn step(&self, _: &str) {}
    fn finish(&self) {}
}

/// Rows written per table.
#[derive(Debug, Clone, Default)]
pub struct GenReport {
    /// `(table, rows, files)` in contract order.
    pub tables: Vec<(&'static str, usize, usize)>,
}

/// A generated table: its batches, each with its partition value if any.
pub(crate) struct TableData {
    pub spec: &'static TableSpec,
    pub parts: Vec<(Option<String>, RecordBatch)>,
}

impl TableData {
    /// A table of the contract with its batches.
    pub fn new(
        name: &str,
        parts: Vec<(Option<String>, RecordBatch)>,
    ) -> Result<Self, ArrowError> {
        let spec = contract::table(name).ok_or_else(|| {
            ArrowError::InvalidArgumentError(format!("no table {name}"))
        })?;
        Ok(Self { spec, parts })
    }

    fn rows(&self) -> usize {
        self.parts.iter().map(|(_, b)| b.num_rows()).sum()
    }
}

/// Builds a batch for `table` from named columns, in contract order.
pub(crate) fn batch(
    table: &str,
    columns: Vec<(&'static str, ArrayRef)>,
) -> Result<RecordBatch, ArrowError> {
    let spec = contract::table(table)
        .ok_or_else(|| ArrowError::InvalidArgumentError(format!("no table {table}")))?;
    let schema = spec.file_schema();
    let mut ordered = Vec::with_capacity(schema.fields().len());
    for field in schema.fields() {
        let array = columns
            .iter()
            .find(|(name, _)| name == field.name())
            .map(|(_, a)| Arc::clone(a))
            .ok_or_else(|| {
                ArrowError::InvalidArgumentError(format!(
                    "{table}: no column {}",
                    field.name()
                ))
            })?;
        ordered.push(array);
    }
    RecordBatch::try_new(schema, ordered)
}

/// Generates a lake at `out`. The folder must be empty or absent unless
/// `replace` is set, in which case the contract tables in it are replaced.
pub async fn generate(
    out: &str,
    options: GenOptions,
    replace: bool,
    progress: &(dyn Progress + Sync),
) -> Result<GenReport, LakeError> {
    options
        .validate()
        .map_err(|reason| LakeError::InvalidLocation {
            location: out.into(),
            reason,
        })?;
    let location = LakeLocation::parse(out)?;
    write::prepare_folder(&location, replace).await?;

    let steps = 6 + contract::TABLES.len() as u64;
    progress.start(steps);
    let tables = build_tables(options, progress)?;

    let mut report = GenReport::default();
    for table in &tables {
        progress.step(&format!("writing {}", table.spec.name));
        let files = write::write_table(&location, table).await?;
        report.tables.push((table.spec.name, table.rows(), files));
    }
    let marker = truth::marker_json(options, &report);
    let path = location.path(MARKER_FILE);
    location.put(&path, marker.into_bytes()).await?;
    progress.finish();
    tracing::info!(
        lake = out,
        scale = options.scale,
        seed = options.seed,
        "lake generated"
    );
    Ok(report)
}

fn build_tables(
    options: GenOptions,
    progress: &(dyn Progress + Sync),
) -> Result<Vec<TableData>, LakeError> {
    let arrow = |e: ArrowError| LakeError::Engine(e.into());
    progress.step("customers");
    let customers = customers::generate(options);
    progress.step("people and capacity");
    let people = people::generate(options);
    progress.step("deals and signals");
    let deals = deals::generate(options, &customers, &people);
    progress.step("usage and tickets");
    let health = health::generate(options, &customers);
    progress.step("transactions");
    let purchases = purchases::generate(options, &customers);
    progress.step("assembling tables");

    let mut tables = vec![customers::table(&customers, &health).map_err(arrow)?];
    tables.extend(deals.tables(&people).map_err(arrow)?);
    tables.extend(people.tables().map_err(arrow)?);
    tables.extend(health.tables().map_err(arrow)?);
    tables.push(purchases.table().map_err(arrow)?);
    tables.sort_by_key(|t| contract::TABLES.iter().position(|s| s.name == t.spec.name));
    Ok(tables)
}
