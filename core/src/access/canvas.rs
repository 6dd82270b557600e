//! Changing the signal canvas: `lakecast canvas set RULE LIFT` writes a new
//! canvas version (every rule of the version in force, one lift changed)
//! as a file of the lake's `signal_weights` table, so every engine reading
//! the lake sees it, and records before and after in the audit log.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Float64Array, Int64Array, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use datafusion::arrow::compute::{cast, concat_batches};
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type};
use datafusion::error::DataFusionError;
use datafusion::prelude::SessionContext;
use object_store::ObjectStoreExt;

use super::audit::{AuditEntry, AuditLog};
use super::{AccessError, now};
use crate::engine::new_session;
use crate::error::LakeError;
use crate::lake::Lake;

/// One rule's lift changed in a new canvas version.
#[derive(Debug, Clone, PartialEq)]
pub struct CanvasChange {
    /// The rule changed.
    pub rule: String,
    /// The new canvas version.
    pub version: i64,
    /// The lift before.
    pub before: f64,
    /// The lift after.
    pub after: f64,
}

/// Writes canvas version N+1: the rules of version N with `rule`'s lift set
/// to `lift`. The file becomes visible only after the audit entry is on
/// disk, so no change is ever in the lake without its record.
pub async fn set_lift(
    lake: &Lake,
    audit: &AuditLog,
    actor: &str,
    rule: &str,
    lift: f64,
    note: Option<&str>,
) -> Result<CanvasChange, AccessError> {
    if !lift.is_finite() || lift <= -1.0 {
        return Err(AccessError::Invalid(format!(
            "lift {lift} for rule `{rule}` is out of range: a lift is an odds change \
             above -1 (-0.22 means -22%, 0.15 means +15%)"
        )));
    }
    let ctx = new_session();
    lake.register(&ctx).await?;
    let current = current_version(&ctx).await?;
    let version = integer_at(&current, "version", 0)?;
    let rules = text_column(&current, "rule_id")?;
    let Some(row) = (0..rules.len()).find(|&i| rules.value(i) == rule) else {
        let known: Vec<&str> = (0..rules.len()).map(|i| rules.value(i)).collect();
        return Err(AccessError::Invalid(format!(
            "no rule `{rule}` in canvas version {version}; its rules are: {}",
            known.join(", ")
        )));
    };
    let lifts = float_column(&current, "lift")?;
    let change = CanvasChange {
        rule: rule.to_string(),
        version: version + 1,
        before: lifts.value(row),
        after: lift,
    };
    let next = next_version(&current, &change, actor, note)?;
    let bytes =
        crate::generator::write::encode(&next).map_err(|source| LakeError::Write {
            path: format!("signal_weights/canvas-v{}.parquet", change.version),
            source,
        })?;
    publish(lake, audit, actor, &change, bytes).await?;
    Ok(change)
}

/// Stages the file, records the change, then moves the file into place.
async fn publish(
    lake: &Lake,
    audit: &AuditLog,
    actor: &str,
    change: &CanvasChange,
    bytes: Vec<u8>,
) -> Result<(), AccessError> {
    let location = lake.location();
    let staged = location.path(&format!("signal_weights/_staged-v{}", change.version));
    let target = location.path(&format!(
        "signal_weights/canvas-v{}.parquet",
        change.version
    ));
    location.put(&staged, bytes).await?;
    audit
        .record(
            AuditEntry::new(actor, "local", "canvas.set", &change.rule).with_detail(
                serde_json::json!({
                    "version": change.version,
                    "before": change.before,
                    "after": change.after,
                }),
            ),
        )
        .await?;
    location
        .store()
        .rename(&staged, &target)
        .await
        .map_err(|source| LakeError::Store {
            action: "cannot move the new canvas version to",
            path: location.describe(&target),
            source,
        })?;
    Ok(())
}

async fn current_version(ctx: &SessionContext) -> Result<RecordBatch, AccessError> {
    let frame = ctx
        .sql(
            "SELECT * FROM signal_weights \
             WHERE version = (SELECT max(version) FROM signal_weights) ORDER BY rule_id",
        )
        .await?;
    let schema = Arc::clone(frame.schema().inner());
    let batches = frame.collect().await?;
    let batch = concat_batches(&schema, &batches).map_err(DataFusionError::from)?;
    if batch.num_rows() == 0 {
        return Err(AccessError::Invalid(
            "the lake's signal_weights table is empty: there is no canvas to change"
                .into(),
        ));
    }
    Ok(batch)
}

/// `current` with the new version number, time, author, note and lift.
fn next_version(
    current: &RecordBatch,
    change: &CanvasChange,
    actor: &str,
    note: Option<&str>,
) -> Result<RecordBatch, AccessError> {
    let rows = current.num_rows();
    let rules = text_column(current, "rule_id")?;
    let lifts = float_column(current, "lift")?;
    let note = note.map_or_else(
        || {
            format!(
                "{}: lift {} -> {}",
                change.rule, change.before, change.after
            )
        },
        str::to_string,
    );
    let mut columns = Vec::with_capacity(current.num_columns());
    for (field, column) in current.schema().fields().iter().zip(current.columns()) {
        let replaced: Option<ArrayRef> = match field.name().as_str() {
            "version" => Some(Arc::new(Int64Array::from(vec![change.version; rows]))),
            "effective_from" => Some(Arc::new(
                TimestampMicrosecondArray::from(vec![now().timestamp_micros(); rows])
                    .with_timezone("UTC"),
            )),
            "changed_by" => Some(Arc::new(StringArray::from(vec![actor; rows]))),
            "note" => Some(Arc::new(StringArray::from(vec![note.as_str(); rows]))),
            "lift" => Some(Arc::new(Float64Array::from_iter_values((0..rows).map(
                |i| {
                    if rules.value(i) == change.rule {
                        change.after
                    } else {
                        lifts.value(i)
                    }
                },
            )))),
            _ => None,
        };
        columns.push(match replaced {
            Some(values) => {
                cast(&values, field.data_type()).map_err(DataFusionError::from)?
            }
            None => Arc::clone(column),
        });
    }
    Ok(RecordBatch::try_new(current.schema(), columns).map_err(DataFusionError::from)?)
}

fn column_as(
    batch: &RecordBatch,
    name: &str,
    to: &DataType,
) -> Result<ArrayRef, AccessError> {
    let column = batch.column_by_name(name).ok_or_else(|| {
        AccessError::Invalid(format!("the lake's signal_weights has no `{name}` column"))
    })?;
    Ok(cast(column, to).map_err(DataFusionError::from)?)
}

fn text_column(batch: &RecordBatch, name: &str) -> Result<StringArray, AccessError> {
    Ok(column_as(batch, name, &DataType::Utf8)?
        .as_string::<i32>()
        .clone())
}

fn float_column(batch: &RecordBatch, name: &str) -> Result<Float64Array, AccessError> {
    Ok(column_as(batch, name, &DataType::Float64)?
        .as_primitive::<Float64Type>()
        .clone())
}

fn integer_at(batch: &RecordBatch, name: &str, row: usize) -> Result<i64, AccessError> {
    let column = column_as(batch, name, &DataType::Int64)?;
    let column = column.as_primitive::<Int64Type>();
    column
        .is_valid(row)
        .then(|| column.value(row))
        .ok_or_else(|| AccessError::Invalid(format!("signal_weights.{name} is NULL")))
}
