//! Inputs shared by Lakecast's benchmarks: deterministic arrays of the
//! shapes the SQL functions see, and a helper that calls a scalar function
//! the way the engine does.

use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, ListArray, ListBuilder, StringBuilder};
use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::config::ConfigOptions;
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDF};

/// Rows per batch, as DataFusion reads Parquet.
pub const BATCH: usize = 8192;

/// `n` pseudo-random values in `[lo, hi)`, the same on every run.
pub fn uniform(n: usize, lo: f64, hi: f64, seed: u64) -> Float64Array {
    let mut state = seed | 1;
    Float64Array::from_iter_values((0..n).map(|_| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        lo + (hi - lo) * ((state >> 11) as f64 / (1u64 << 53) as f64)
    }))
}

/// `n` lists of `len` tags drawn from a pool of twelve, the same on every
/// run, like the capability tags of people and deals.
pub fn tag_lists(n: usize, len: usize, seed: u64) -> ListArray {
    const TAGS: [&str; 12] = [
        "iot", "security", "german", "sql", "ml", "cloud", "sap", "french", "mobile",
        "data", "network", "finance",
    ];
    let picks = uniform(n * len, 0.0, 12.0, seed);
    let mut builder = ListBuilder::new(StringBuilder::new());
    for row in 0..n {
        for i in 0..len {
            builder
                .values()
                .append_value(TAGS[picks.value(row * len + i) as usize]);
        }
        builder.append(true);
    }
    builder.finish()
}

/// Calls `udf` on column (and literal) arguments, as a query would. The
/// fields and configuration are built once per thread, so only the function's
/// own work is timed.
pub fn invoke(udf: &ScalarUDF, args: &[ColumnarValue], rows: usize) -> ColumnarValue {
    thread_local! {
        static CONFIG: Arc<ConfigOptions> = Arc::new(ConfigOptions::default());
        static ARG: FieldRef = Arc::new(Field::new("a", DataType::Float64, true));
        static RESULT: FieldRef = Arc::new(Field::new("r", DataType::Float64, true));
    }
    let config_options = CONFIG.with(Arc::clone);
    let arg = ARG.with(Arc::clone);
    udf.invoke_with_args(ScalarFunctionArgs {
        args: args.to_vec(),
        arg_fields: vec![arg; args.len()],
        number_rows: rows,
        return_field: RESULT.with(Arc::clone),
        config_options,
    })
    .unwrap_or_else(|e| panic!("{} failed: {e}", udf.name()))
}

/// A column argument.
pub fn column(array: &Float64Array) -> ColumnarValue {
    ColumnarValue::Array(Arc::new(array.clone()) as ArrayRef)
}

/// A literal argument.
pub fn literal(value: f64) -> ColumnarValue {
    ColumnarValue::Scalar(datafusion::common::ScalarValue::Float64(Some(value)))
}

/// A scalar function by name.
pub fn function(name: &str) -> ScalarUDF {
    lakecast_udfs::scalar_functions()
        .into_iter()
        .find(|f| f.name() == name)
        .unwrap_or_else(|| panic!("no function {name}"))
}
