//! What every Lakecast function shares: the NULL and domain rules, argument
//! coercion at planning time, and evaluation over whole Arrow arrays with a
//! fast path for literal arguments.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, BooleanArray, Float64Array, Int32Array, StringArray,
};
use datafusion::arrow::buffer::{BooleanBuffer, NullBuffer};
use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::common::{Result, ScalarValue, exec_datafusion_err, plan_err};
use datafusion::logical_expr::{ColumnarValue, DocSection};

/// Gives a function type with a single instance its identity: equal to
/// itself, hashed and printed by its SQL name.
macro_rules! single_function_identity {
    ($type:ty, $name:expr) => {
        impl PartialEq for $type {
            fn eq(&self, _: &Self) -> bool {
                true
            }
        }

        impl Eq for $type {}

        impl std::hash::Hash for $type {
            fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
                std::hash::Hash::hash($name, state);
            }
        }

        impl std::fmt::Debug for $type {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str($name)
            }
        }
    };
}

pub(crate) use single_function_identity;

/// Documentation section of the forecast functions.
pub const FORECAST: DocSection = DocSection {
    include: true,
    label: "Forecast",
    description: None,
};
/// Documentation section of the forecast-quality functions.
pub const QUALITY: DocSection = DocSection {
    include: true,
    label: "Forecast quality",
    description: None,
};
/// Documentation section of the team functions.
pub const TEAMS: DocSection = DocSection {
    include: true,
    label: "Teams",
    description: None,
};
/// Documentation section of the health functions.
pub const HEALTH: DocSection = DocSection {
    include: true,
    label: "Health",
    description: None,
};

/// The error for a value outside a function's domain: names the function,
/// the argument, the value and what was expected.
pub fn domain_error(
    function: &str,
    argument: &str,
    value: impl std::fmt::Display,
    expected: &str,
) -> datafusion::error::DataFusionError {
    exec_datafusion_err!(
        "{function}: argument `{argument}` is {value}, outside its domain ({expected})"
    )
}

/// Whether a type coerces to a double: any number, or NULL.
pub fn is_numeric(data_type: &DataType) -> bool {
    data_type.is_numeric() || matches!(data_type, DataType::Null)
}

/// Plans numeric arguments as Float64, refusing anything else with the
/// function and argument named.
pub fn coerce_numeric(
    function: &str,
    names: &[&str],
    types: &[DataType],
) -> Result<Vec<DataType>> {
    types
        .iter()
        .enumerate()
        .map(|(i, t)| {
            if is_numeric(t) {
                Ok(DataType::Float64)
            } else {
                let name = names.get(i).copied().unwrap_or("argument");
                plan_err!("{function}: argument `{name}` must be a number, got {t}")
            }
        })
        .collect()
}

/// Checks the number of arguments at planning time.
pub fn check_arity(
    function: &str,
    syntax: &str,
    given: usize,
    min: usize,
    max: usize,
) -> Result<()> {
    if given < min || given > max {
        let expected = if min == max {
            format!("{min}")
        } else if max == usize::MAX {
            format!("{min} or more")
        } else {
            format!("{min} to {max}")
        };
        return plan_err!(
            "{function} takes {expected} arguments ({syntax}), got {given}"
        );
    }
    Ok(())
}

/// The list type text-list arguments are planned as.
pub fn text_list() -> DataType {
    DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)))
}

/// Whether a type is a list of text (or NULL), as Parquet files produce them.
pub fn is_text_list(data_type: &DataType) -> bool {
    match data_type {
        DataType::Null => true,
        DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _) => {
            matches!(
                f.data_type(),
                DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
            ) || matches!(f.data_type(), DataType::Dictionary(_, v)
                    if matches!(v.as_ref(), DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View))
                || matches!(f.data_type(), DataType::Null)
        }
        _ => false,
    }
}

/// A Float64 argument: a whole column, or one value for every row.
pub enum Arg<'a> {
    /// A column of values.
    Array(&'a Float64Array),
    /// A literal (NULL when `None`).
    Scalar(Option<f64>),
}

impl<'a> Arg<'a> {
    /// Reads an argument planned as Float64.
    pub fn new(value: &'a ColumnarValue) -> Result<Self> {
        match value {
            ColumnarValue::Array(array) => array
                .as_any()
                .downcast_ref::<Float64Array>()
                .map(Arg::Array)
                .ok_or_else(|| {
                    exec_datafusion_err!("expected Float64, got {}", array.data_type())
                }),
            ColumnarValue::Scalar(ScalarValue::Float64(v)) => Ok(Arg::Scalar(*v)),
            ColumnarValue::Scalar(s) if s.is_null() => Ok(Arg::Scalar(None)),
            ColumnarValue::Scalar(s) => Err(exec_datafusion_err!(
                "expected Float64, got {}",
                s.data_type()
            )),
        }
    }

    /// The value at `row`, or `None` for NULL.
    #[inline]
    pub fn get(&self, row: usize) -> Option<f64> {
        match self {
            Arg::Array(a) => a.is_valid(row).then(|| a.value(row)),
            Arg::Scalar(v) => *v,
        }
    }
}

/// A value a function can return, with its Arrow array and scalar forms.
pub trait Output: Copy + Default {
    /// The Arrow type.
    fn data_type() -> DataType;
    /// An array of values with a validity mask.
    fn array(values: Vec<Self>, nulls: Option<NullBuffer>) -> ArrayRef;
    /// One value (NULL when `None`).
    fn scalar(value: Option<Self>) -> ScalarValue;
}

impl Output for f64 {
    fn data_type() -> DataType {
        DataType::Float64
    }
    fn array(values: Vec<Self>, nulls: Option<NullBuffer>) -> ArrayRef {
        Arc::new(Float64Array::new(values.into(), nulls))
    }
    fn scalar(value: Option<Self>) -> ScalarValue {
        ScalarValue::Float64(value)
    }
}

impl Output for bool {
    fn data_type() -> DataType {
        DataType::Boolean
    }
    fn array(values: Vec<Self>, nulls: Option<NullBuffer>) -> ArrayRef {
        Arc::new(BooleanArray::new(BooleanBuffer::from(values), nulls))
    }
    fn scalar(value: Option<Self>) -> ScalarValue {
        ScalarValue::Boolean(value)
    }
}

impl Output for i32 {
    fn data_type() -> DataType {
        DataType::Int32
    }
    fn array(values: Vec<Self>, nulls: Option<NullBuffer>) -> ArrayRef {
        Arc::new(Int32Array::new(values.into(), nulls))
    }
    fn scalar(value: Option<Self>) -> ScalarValue {
        ScalarValue::Int32(value)
    }
}

impl Output for &'static str {
    fn data_type() -> DataType {
        DataType::Utf8
    }
    fn array(values: Vec<Self>, nulls: Option<NullBuffer>) -> ArrayRef {
        let valid = |i: usize| nulls.as_ref().is_none_or(|n| n.is_valid(i));
        Arc::new(StringArray::from_iter(
            values
                .iter()
                .enumerate()
                .map(|(i, v)| valid(i).then_some(*v)),
        ))
    }
    fn scalar(value: Option<Self>) -> ScalarValue {
        ScalarValue::Utf8(value.map(str::to_string))
    }
}

/// Applies `f` to every row of `N` Float64 arguments. A NULL in any
/// argument gives NULL; `f` may also return `None`. When every argument is
/// a literal, `f` runs once and the result is a literal.
pub fn map_rows<const N: usize, T: Output>(
    args: &[ColumnarValue; N],
    rows: usize,
    f: impl Fn([f64; N]) -> Result<Option<T>>,
) -> Result<ColumnarValue> {
    let mut inputs: Vec<Arg> = Vec::with_capacity(N);
    for arg in args {
        inputs.push(Arg::new(arg)?);
    }
    if inputs.iter().all(|a| matches!(a, Arg::Scalar(_))) {
        let value = match row_values::<N>(&inputs, 0) {
            Some(values) => f(values)?,
            None => None,
        };
        return Ok(ColumnarValue::Scalar(T::scalar(value)));
    }
    if inputs.iter().any(|a| matches!(a, Arg::Scalar(None))) {
        return Ok(ColumnarValue::Array(T::array(
            vec![T::default(); rows],
            Some(NullBuffer::new_null(rows)),
        )));
    }

    // Without NULLs in any column, read columns as plain slices and literals
    // as constants, and record validity only once a row returns no value.
    let sources: Option<Vec<Source>> = inputs
        .iter()
        .map(|a| match a {
            Arg::Array(a) if a.null_count() == 0 => Some(Source::Slice(a.values())),
            Arg::Scalar(Some(v)) => Some(Source::Constant(*v)),
            _ => None,
        })
        .collect();
    match sources {
        Some(sources) => fill(
            rows,
            |row| Some(std::array::from_fn(|i| sources[i].get(row))),
            &f,
        ),
        None => fill(rows, |row| row_values::<N>(&inputs, row), &f),
    }
}

/// The row loop, kept small so the compiler inlines `input` and `f` into it.
fn fill<const N: usize, T: Output>(
    rows: usize,
    input: impl Fn(usize) -> Option<[f64; N]>,
    f: &impl Fn([f64; N]) -> Result<Option<T>>,
) -> Result<ColumnarValue> {
    let mut values = Vec::with_capacity(rows);
    let mut valid: Option<Vec<bool>> = None;
    for row in 0..rows {
        let out = match input(row) {
            Some(input) => f(input)?,
            None => None,
        };
        if out.is_none() && valid.is_none() {
            let mut flags = vec![true; row];
            flags.reserve(rows - row);
            valid = Some(flags);
        }
        if let Some(flags) = valid.as_mut() {
            flags.push(out.is_some());
        }
        values.push(out.unwrap_or_default());
    }
    Ok(ColumnarValue::Array(T::array(
        values,
        valid.map(NullBuffer::from),
    )))
}

/// Where a row's argument comes from on the fast path.
enum Source<'a> {
    Slice(&'a [f64]),
    Constant(f64),
}

impl Source<'_> {
    #[inline(always)]
    fn get(&self, row: usize) -> f64 {
        match self {
            Source::Slice(values) => values[row],
            Source::Constant(value) => *value,
        }
    }
}

#[inline]
fn row_values<const N: usize>(inputs: &[Arg], row: usize) -> Option<[f64; N]> {
    let mut out = [0.0; N];
    for (slot, arg) in out.iter_mut().zip(inputs) {
        *slot = arg.get(row)?;
    }
    Some(out)
}

/// Fills missing trailing arguments with their defaults.
pub fn with_defaults<const N: usize>(
    args: Vec<ColumnarValue>,
    defaults: [Option<f64>; N],
) -> Result<[ColumnarValue; N]> {
    let given = args.len();
    let mut args = args.into_iter();
    let mut out: Vec<ColumnarValue> = Vec::with_capacity(N);
    for (i, default) in defaults.iter().enumerate() {
        match (args.next(), default) {
            (Some(arg), _) => out.push(arg),
            (None, Some(d)) => {
                out.push(ColumnarValue::Scalar(ScalarValue::Float64(Some(*d))))
            }
            (None, None) => {
                return Err(exec_datafusion_err!(
                    "argument {} of {N} missing (got {given})",
                    i + 1
                ));
            }
        }
    }
    out.try_into()
        .map_err(|_| exec_datafusion_err!("wrong number of arguments"))
}
