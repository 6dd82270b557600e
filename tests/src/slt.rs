//! A sqllogictest database: one Lakecast session per test file.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, RecordBatch};
use arrow::datatypes::DataType;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::error::DataFusionError;
use datafusion::prelude::SessionContext;
use sqllogictest::{DBOutput, DefaultColumnType};

/// A session on a lake (or on no lake) that the sqllogictest runner drives.
pub struct LakeDb {
    ctx: SessionContext,
}

impl LakeDb {
    /// A session with every table of the lake at `location`.
    pub async fn open(location: &str) -> Result<Self, DataFusionError> {
        let (ctx, _) = lakecast_core::open_session(location)
            .await
            .map_err(|e| DataFusionError::External(Box::new(e)))?;
        Ok(Self { ctx })
    }
}

#[async_trait::async_trait]
impl sqllogictest::AsyncDB for LakeDb {
    type Error = DataFusionError;
    type ColumnType = DefaultColumnType;

    async fn run(
        &mut self,
        sql: &str,
    ) -> Result<DBOutput<DefaultColumnType>, DataFusionError> {
        let frame = self.ctx.sql(sql).await?;
        let schema = Arc::clone(frame.schema().inner());
        let batches = frame.collect().await?;
        let is_statement = schema.fields().is_empty()
            || (schema.fields().len() == 1
                && schema.field(0).name() == "count"
                && batches.iter().all(|b| b.num_rows() <= 1)
                && is_ddl(sql));
        if is_statement {
            return Ok(DBOutput::StatementComplete(0));
        }
        let types = schema
            .fields()
            .iter()
            .map(|f| column_type(f.data_type()))
            .collect();
        let mut rows = Vec::new();
        for batch in &batches {
            rows.extend(format_rows(batch)?);
        }
        Ok(DBOutput::Rows { types, rows })
    }

    async fn shutdown(&mut self) {}

    fn engine_name(&self) -> &str {
        "lakecast"
    }

    async fn sleep(duration: std::time::Duration) {
        tokio::time::sleep(duration).await;
    }
}

fn is_ddl(sql: &str) -> bool {
    let head = sql.trim_start().to_ascii_lowercase();
    ["create", "drop", "insert", "copy", "set"]
        .iter()
        .any(|k| head.starts_with(k))
}

fn column_type(data_type: &DataType) -> DefaultColumnType {
    match data_type {
        t if t.is_integer() => DefaultColumnType::Integer,
        t if t.is_floating() => DefaultColumnType::FloatingPoint,
        DataType::Decimal128(..) | DataType::Decimal256(..) => {
            DefaultColumnType::FloatingPoint
        }
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            DefaultColumnType::Text
        }
        _ => DefaultColumnType::Any,
    }
}

/// Rows as text: NULL for nulls, floats rounded to 12 significant digits so
/// expected values do not depend on the last bits of a computation.
fn format_rows(batch: &RecordBatch) -> Result<Vec<Vec<String>>, DataFusionError> {
    let options = FormatOptions::default().with_null("NULL");
    let columns: Vec<(&ArrayRef, ArrayFormatter)> = batch
        .columns()
        .iter()
        .map(|c| Ok((c, ArrayFormatter::try_new(c.as_ref(), &options)?)))
        .collect::<Result<_, DataFusionError>>()?;
    let mut rows = Vec::with_capacity(batch.num_rows());
    for row in 0..batch.num_rows() {
        let mut cells = Vec::with_capacity(columns.len());
        for (array, formatter) in &columns {
            let text = formatter.value(row).to_string();
            cells.push(normalise(array.as_ref(), row, text));
        }
        rows.push(cells);
    }
    Ok(rows)
}

fn normalise(array: &dyn Array, row: usize, text: String) -> String {
    if array.is_null(row) {
        return "NULL".into();
    }
    if array.data_type().is_floating()
        && let Ok(value) = text.parse::<f64>()
    {
        return float_text(value);
    }
    if text.is_empty() {
        "(empty)".into()
    } else {
        text
    }
}

/// A float with at most 12 significant digits and no trailing zeros.
pub fn float_text(value: f64) -> String {
    if !value.is_finite() {
        return value.to_string();
    }
    if value == 0.0 {
        return "0".into();
    }
    let digits = 12 - 1 - value.abs().log10().floor() as i32;
    let rounded = if digits >= 0 {
        let scale = 10f64.powi(digits.min(300));
        (value * scale).round() / scale
    } else {
        value
    };
    let text = format!("{rounded}");
    if text.contains('e') {
        format!("{value:e}")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::float_text;

    #[test]
    fn floats_print_with_twelve_significant_digits() {
        assert_eq!(float_text(0.534_883_720_930_232_5), "0.53488372093");
        assert_eq!(float_text(2.0), "2");
        assert_eq!(float_text(-0.25), "-0.25");
        assert_eq!(float_text(1234.5), "1234.5");
        assert_eq!(float_text(0.0), "0");
    }
}
