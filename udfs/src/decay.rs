//! `signal_decay`: how much an old signal still counts, halving every
//! half-life.

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, Float64Array};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, IntervalUnit, TimeUnit};
use datafusion::common::{Result, ScalarValue, exec_datafusion_err, exec_err, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl,
    Signature, Volatility,
};

use crate::common::{FORECAST, check_arity, is_numeric, single_function_identity};
use crate::docs::doc;
use crate::rows::{Contract, Domain, map_rows, with_defaults};

/// `signal_decay(event_time, as_of [, half_life])`.
pub struct SignalDecay {
    signature: Signature,
    doc: Documentation,
}

single_function_identity!(SignalDecay, DECAY);

const DECAY: &str = "signal_decay";
const MICROS_PER_DAY: f64 = 86_400_000_000.0;

fn is_time(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Timestamp(..)
            | DataType::Date32
            | DataType::Date64
            | DataType::Utf8
            | DataType::LargeUtf8
            | DataType::Utf8View
            | DataType::Null
    )
}

impl ScalarUDFImpl for SignalDecay {
    fn name(&self) -> &str {
        DECAY
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(DECAY, &self.doc.syntax_example, arg_types.len(), 2, 3)?;
        let time = DataType::Timestamp(TimeUnit::Microsecond, None);
        let mut out = Vec::with_capacity(arg_types.len());
        for (t, name) in arg_types.iter().zip(["event_time", "as_of"]) {
            if !is_time(t) {
                return plan_err!(
                    "{DECAY}: argument `{name}` must be a timestamp or date, got {t}"
                );
            }
            out.push(time.clone());
        }
        if let Some(t) = arg_types.get(2) {
            match t {
                DataType::Interval(_) | DataType::Null => {
                    out.push(DataType::Interval(IntervalUnit::MonthDayNano));
                }
                t if is_numeric(t) => out.push(DataType::Float64),
                t => {
                    return plan_err!(
                        "{DECAY}: argument `half_life` must be an interval or a number of \
                         days, got {t}"
                    );
                }
            }
        }
        Ok(out)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let mut values = args.args.into_iter();
        let event = micros(values.next())?;
        let as_of = micros(values.next())?;
        let half_life = match values.next() {
            None => ColumnarValue::Scalar(ScalarValue::Float64(Some(14.0))),
            Some(value) => half_life_days(value)?,
        };
        let args = with_defaults(vec![event, as_of, half_life], [None, None, None])?;
        let contract = Contract {
            function: DECAY,
            params: ["event_time", "as_of", "half_life"],
            domains: [
                Domain::ANY,
                Domain::ANY,
                Domain::above(0.0, "> 0").unit(" days"),
            ],
            relation: None,
        };
        map_rows(&contract, &args, rows, |[event, as_of, half_life]| {
            let age = as_of - event;
            let weight = 0.5f64.powf(age / (half_life * MICROS_PER_DAY));
            Some(if age < 0.0 { 0.0 } else { weight })
        })
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&self.doc)
    }
}

/// A timestamp argument as microseconds (Float64).
fn micros(value: Option<ColumnarValue>) -> Result<ColumnarValue> {
    let value = value.ok_or_else(|| exec_datafusion_err!("{DECAY}: missing argument"))?;
    match value {
        ColumnarValue::Array(array) => {
            let ints = cast(&array, &DataType::Int64)?;
            Ok(ColumnarValue::Array(cast(&ints, &DataType::Float64)?))
        }
        ColumnarValue::Scalar(scalar) => {
            let ints = scalar.cast_to(&DataType::Int64)?;
            Ok(ColumnarValue::Scalar(ints.cast_to(&DataType::Float64)?))
        }
    }
}

fn interval_days(months: i32, days: i32, nanos: i64) -> Result<f64> {
    if months != 0 {
        return exec_err!(
            "{DECAY}: argument `half_life` is {months} months; months have no fixed length, \
             give it in days"
        );
    }
    Ok(f64::from(days) + nanos as f64 / 1000.0 / MICROS_PER_DAY)
}

/// The half-life in days: from an interval, or a number of days as given.
fn half_life_days(value: ColumnarValue) -> Result<ColumnarValue> {
    match value {
        ColumnarValue::Scalar(ScalarValue::IntervalMonthDayNano(v)) => {
            let days = v
                .map(|v| interval_days(v.months, v.days, v.nanoseconds))
                .transpose()?;
            Ok(ColumnarValue::Scalar(ScalarValue::Float64(days)))
        }
        days @ ColumnarValue::Scalar(ScalarValue::Float64(_)) => Ok(days),
        ColumnarValue::Scalar(s) if s.is_null() => {
            Ok(ColumnarValue::Scalar(ScalarValue::Float64(None)))
        }
        ColumnarValue::Array(array) if array.data_type() == &DataType::Float64 => {
            Ok(ColumnarValue::Array(array))
        }
        ColumnarValue::Array(array) => {
            let intervals = array
                .as_primitive::<datafusion::arrow::datatypes::IntervalMonthDayNanoType>();
            let days: Vec<Option<f64>> = intervals
                .iter()
                .map(|v| {
                    v.map(|v| interval_days(v.months, v.days, v.nanoseconds))
                        .transpose()
                })
                .collect::<Result<_>>()?;
            Ok(ColumnarValue::Array(Arc::new(Float64Array::from(days))))
        }
        ColumnarValue::Scalar(s) => exec_err!("{DECAY}: unexpected half_life {s}"),
    }
}

/// `signal_decay`.
pub fn signal_decay() -> ScalarUDF {
    ScalarUDF::new_from_impl(SignalDecay {
        signature: Signature::user_defined(Volatility::Immutable),
        doc: doc(
            FORECAST,
            "Weight of a signal that happened at `event_time`, seen from `as_of`: \
             `0.5 ^ (age / half_life)`, so a signal one half-life old counts half. Events \
             after `as_of` weigh 0.",
            "signal_decay(event_time, as_of [, half_life interval '14 days'])",
            &[
                (
                    "event_time",
                    "When the signal happened (timestamp or date).",
                ),
                ("as_of", "The moment of the forecast (timestamp or date)."),
                (
                    "half_life",
                    "An interval in days or smaller units, or a number of days, > 0 (default 14 days).",
                ),
            ],
            "> SELECT signal_decay(TIMESTAMP '2026-01-01', TIMESTAMP '2026-01-15');\n0.5",
        ),
    })
}
