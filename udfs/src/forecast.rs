//! Forecast functions: the odds-lift win model, rep load, delivery slack,
//! signal decay and heatmap buckets.

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, Float64Array};
use datafusion::arrow::buffer::NullBuffer;
use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::common::{Result, ScalarValue, plan_err};
use datafusion::logical_expr::{
    AggregateUDF, ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDF,
    ScalarUDFImpl, Signature, Volatility,
};

use crate::common::{
    Arg, FORECAST, Output, check_arity, domain_error, is_numeric,
    single_function_identity,
};
use crate::docs::doc;
use crate::numeric::numeric_udf;
use crate::sums::sums_udaf;

/// The odds-lift model shared by `weighted_win_rate` and the canvas:
/// `odds = p / (1 - p) * prod(1 + lift)`, returned as a probability.
pub fn apply_lifts(
    function: &str,
    base_p: f64,
    lifts: impl Iterator<Item = (usize, f64)>,
) -> Result<f64> {
    if !(0.0..=1.0).contains(&base_p) {
        return Err(domain_error(function, "base_p", base_p, "0 <= base_p <= 1"));
    }
    let mut factor = 1.0;
    for (index, lift) in lifts {
        if lift.is_nan() || lift <= -1.0 {
            return Err(domain_error(
                function,
                &format!("lift{index}"),
                lift,
                "lift > -1",
            ));
        }
        factor *= 1.0 + lift;
    }
    if base_p == 1.0 || base_p == 0.0 {
        return Ok(base_p);
    }
    let odds = base_p / (1.0 - base_p) * factor;
    Ok(if odds.is_infinite() {
        1.0
    } else {
        odds / (1.0 + odds)
    })
}

/// `weighted_win_rate(base_p, lift1 [, lift2, ...])` or
/// `weighted_win_rate(base_p, lifts list<double>)`.
pub struct WeightedWinRate {
    signature: Signature,
    doc: Documentation,
}

single_function_identity!(WeightedWinRate, WWR);

const WWR: &str = "weighted_win_rate";

fn is_number_list(data_type: &DataType) -> bool {
    match data_type {
        DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _) => {
            is_numeric(f.data_type())
        }
        _ => false,
    }
}

fn float_list() -> DataType {
    DataType::List(Arc::new(Field::new("item", DataType::Float64, true)))
}

impl ScalarUDFImpl for WeightedWinRate {
    fn name(&self) -> &str {
        WWR
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(
            WWR,
            &self.doc.syntax_example,
            arg_types.len(),
            2,
            usize::MAX,
        )?;
        if !is_numeric(&arg_types[0]) {
            return plan_err!(
                "{WWR}: argument `base_p` must be a number, got {}",
                arg_types[0]
            );
        }
        if arg_types.len() == 2 && is_number_list(&arg_types[1]) {
            return Ok(vec![DataType::Float64, float_list()]);
        }
        let mut out = vec![DataType::Float64];
        for (i, t) in arg_types.iter().enumerate().skip(1) {
            if !is_numeric(t) {
                return plan_err!(
                    "{WWR}: argument `lift{i}` must be a number (or the only lift argument a \
                     list of numbers), got {t}"
                );
            }
            out.push(DataType::Float64);
        }
        Ok(out)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        if args.args.len() == 2 && is_number_list(&args.args[1].data_type()) {
            return lifts_from_list(&args.args, rows);
        }
        let inputs: Vec<Arg> = args.args.iter().map(Arg::new).collect::<Result<_>>()?;
        let all_scalar = inputs.iter().all(|a| matches!(a, Arg::Scalar(_)));
        let rows_to_compute = if all_scalar { 1 } else { rows };
        let mut values = Vec::with_capacity(rows_to_compute);
        let mut valid = Vec::with_capacity(rows_to_compute);
        for row in 0..rows_to_compute {
            let result = match inputs[0].get(row) {
                None => None,
                Some(base) => {
                    let lifts = inputs[1..]
                        .iter()
                        .enumerate()
                        .filter_map(|(i, a)| a.get(row).map(|v| (i + 1, v)));
                    Some(apply_lifts(WWR, base, lifts)?)
                }
            };
            valid.push(result.is_some());
            values.push(result.unwrap_or_default());
        }
        if all_scalar {
            let value = valid[0].then(|| values[0]);
            return Ok(ColumnarValue::Scalar(ScalarValue::Float64(value)));
        }
        Ok(ColumnarValue::Array(f64::array(
            values,
            Some(NullBuffer::from(valid)),
        )))
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&self.doc)
    }
}

fn lifts_from_list(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
    let all_scalar = args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_)));
    let rows = if all_scalar { 1 } else { rows };
    let base = args[0].to_array(rows)?;
    let base = base.as_primitive::<datafusion::arrow::datatypes::Float64Type>();
    let lists = args[1].to_array(rows)?;
    let lists = lists.as_list::<i32>();
    let mut out: Vec<Option<f64>> = Vec::with_capacity(rows);
    for row in 0..rows {
        if base.is_null(row) || lists.is_null(row) {
            out.push(None);
            continue;
        }
        let list = lists.value(row);
        let list = list.as_primitive::<datafusion::arrow::datatypes::Float64Type>();
        let lifts = list
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.map(|v| (i + 1, v)));
        out.push(Some(apply_lifts(WWR, base.value(row), lifts)?));
    }
    if all_scalar {
        return Ok(ColumnarValue::Scalar(ScalarValue::Float64(out[0])));
    }
    Ok(ColumnarValue::Array(Arc::new(Float64Array::from(out))))
}

/// `weighted_win_rate`.
pub fn weighted_win_rate() -> ScalarUDF {
    ScalarUDF::new_from_impl(WeightedWinRate {
        signature: Signature::user_defined(Volatility::Immutable),
        doc: doc(
            FORECAST,
            "Win probability after signal lifts, by the odds-lift model: \
             `odds = base_p / (1 - base_p) * prod(1 + lift_i)`, result `odds / (1 + odds)`. \
             NULL lifts are skipped; a NULL `base_p` gives NULL. The lifts may also be \
             given as one list of doubles.",
            "weighted_win_rate(base_p, lift1 [, lift2, ...]) or weighted_win_rate(base_p, lifts)",
            &[
                (
                    "base_p",
                    "Probability before the signals, 0 <= base_p <= 1 (e.g. the stage probability).",
                ),
                (
                    "lift1, lift2, ...",
                    "Odds lifts of the signals that hold: 0.15 is +15%, -0.22 is -22%; each > -1.",
                ),
                ("lifts", "Alternatively one list<double> of lifts."),
            ],
            "> SELECT weighted_win_rate(0.5, 0.15), weighted_win_rate(0.5, 0.15, -0.22);\n\
             0.53488372093, 0.472851871376",
        ),
    })
}

/// `combine_lifts(lift)`: the product of `1 + lift` over the rows, kept as
/// a sum of logarithms so long products neither overflow nor underflow.
pub fn combine_lifts() -> AggregateUDF {
    sums_udaf(
        "combine_lifts",
        ["lift"],
        &[],
        doc(
            FORECAST,
            "Aggregate: `prod(1 + lift)` over the non-NULL rows, 1.0 when there are none. \
             Feed it to `weighted_win_rate(base_p, combined - 1)` to apply every rule that \
             holds for a deal.",
            "combine_lifts(lift)",
            &[("lift", "Odds lift of a rule that holds, > -1.")],
            "> SELECT combine_lifts(lift) FROM (VALUES (0.15), (-0.22), (NULL)) t(lift);\n0.897",
        ),
        |[lift]| {
            if lift.is_nan() || lift <= -1.0 {
                return Err(domain_error("combine_lifts", "lift", lift, "lift > -1"));
            }
            Ok(Some([(1.0 + lift).ln(), 0.0]))
        },
        |[log_sum, _], _| Ok(Some(log_sum.exp())),
    )
}

/// `rep_load_penalty(accounts_per_day [, threshold, increase, ramp])`.
pub fn rep_load_penalty() -> ScalarUDF {
    numeric_udf(
        "rep_load_penalty",
        ["accounts_per_day", "threshold", "increase", "ramp"],
        [None, Some(8.0), Some(0.41), Some(0.0)],
        doc(
            FORECAST,
            "Response-latency multiplier for a rep's load: 1.0 at or below `threshold`; \
             above it `1 + increase` at once when `ramp` is 0, or rising linearly to \
             `1 + increase` at `threshold + ramp` and flat after.",
            "rep_load_penalty(accounts_per_day [, threshold 8, increase 0.41, ramp 0])",
            &[
                ("accounts_per_day", "Accounts the rep works per day, >= 0."),
                (
                    "threshold",
                    "Load up to which there is no penalty (default 8).",
                ),
                (
                    "increase",
                    "Latency increase at full penalty, > -1 (default 0.41).",
                ),
                (
                    "ramp",
                    "Accounts over the threshold to reach the full penalty, >= 0 (default 0).",
                ),
            ],
            "> SELECT rep_load_penalty(8), rep_load_penalty(9), rep_load_penalty(9, 8, 0.41, 2);\n\
             1.0, 1.41, 1.205",
        ),
        |[load, threshold, increase, ramp]| {
            const F: &str = "rep_load_penalty";
            if load.is_nan() || load < 0.0 {
                return Err(domain_error(F, "accounts_per_day", load, ">= 0"));
            }
            if increase.is_nan() || increase <= -1.0 {
                return Err(domain_error(F, "increase", increase, "> -1"));
            }
            if ramp.is_nan() || ramp < 0.0 {
                return Err(domain_error(F, "ramp", ramp, ">= 0"));
            }
            // Branch-free on the load, which varies row to row; the ramp is
            // almost always a literal, so its test predicts perfectly.
            let share = if ramp == 0.0 {
                f64::from(u8::from(load > threshold))
            } else {
                ((load - threshold) / ramp).clamp(0.0, 1.0)
            };
            Ok(Some(1.0 + increase * share))
        },
    )
}

fn slack(function: &str, capacity: f64, booked: f64) -> Result<f64> {
    if capacity.is_nan() || capacity <= 0.0 {
        return Err(domain_error(function, "capacity_hours", capacity, "> 0"));
    }
    Ok((capacity - booked) / capacity)
}

/// `resource_slack(capacity_hours, booked_hours)`.
pub fn resource_slack() -> ScalarUDF {
    numeric_udf(
        "resource_slack",
        ["capacity_hours", "booked_hours"],
        [None, None],
        doc(
            FORECAST,
            "Share of capacity still free: `(capacity - booked) / capacity`, negative when \
             overbooked.",
            "resource_slack(capacity_hours, booked_hours)",
            &[
                ("capacity_hours", "Hours available, > 0."),
                ("booked_hours", "Hours already booked."),
            ],
            "> SELECT resource_slack(320, 288), resource_slack(100, 120);\n0.1, -0.2",
        ),
        |[capacity, booked]| slack("resource_slack", capacity, booked).map(Some),
    )
}

/// `resource_slack_agg(capacity_hours, booked_hours)`.
pub fn resource_slack_agg() -> AggregateUDF {
    sums_udaf(
        "resource_slack_agg",
        ["capacity_hours", "booked_hours"],
        &[],
        doc(
            FORECAST,
            "Aggregate: the slack of summed capacity and bookings, \
             `(sum(capacity) - sum(booked)) / sum(capacity)`, over rows where both are \
             non-NULL; NULL when there are none.",
            "resource_slack_agg(capacity_hours, booked_hours)",
            &[
                ("capacity_hours", "Hours available; their sum must be > 0."),
                ("booked_hours", "Hours already booked."),
            ],
            "> SELECT resource_slack_agg(c, b) FROM (VALUES (100, 90), (100, 80)) t(c, b);\n0.15",
        ),
        |[capacity, booked]| Ok(Some([capacity, booked])),
        |[capacity, booked], rows| {
            if rows == 0.0 {
                return Ok(None);
            }
            slack("resource_slack_agg", capacity, booked).map(Some)
        },
    )
}

/// `slack_alert(slack [, threshold 0.15])`.
pub fn slack_alert() -> ScalarUDF {
    numeric_udf(
        "slack_alert",
        ["slack", "threshold"],
        [None, Some(0.15)],
        doc(
            FORECAST,
            "True when delivery slack is under the threshold: the deal is at risk of \
             slipping and should be downgraded.",
            "slack_alert(slack [, threshold 0.15])",
            &[
                ("slack", "Slack as returned by resource_slack."),
                ("threshold", "Alert below this slack (default 0.15)."),
            ],
            "> SELECT slack_alert(0.1), slack_alert(0.2), slack_alert(0.2, 0.25);\n\
             true, false, true",
        ),
        |[slack, threshold]| Ok(Some(slack < threshold)),
    )
}

/// `heat_bucket(p [, buckets 10])`.
pub fn heat_bucket() -> ScalarUDF {
    numeric_udf(
        "heat_bucket",
        ["p", "buckets"],
        [None, Some(10.0)],
        doc(
            FORECAST,
            "The bucket 0 .. buckets-1 a probability falls in, for heatmap colours: \
             `floor(p * buckets)`, with p = 1 in the top bucket.",
            "heat_bucket(p [, buckets 10])",
            &[
                ("p", "A probability, 0 <= p <= 1."),
                (
                    "buckets",
                    "Number of buckets, a whole number >= 1 (default 10).",
                ),
            ],
            "> SELECT heat_bucket(0.0), heat_bucket(0.47), heat_bucket(1.0), heat_bucket(0.5, 4);\n\
             0, 4, 9, 2",
        ),
        |[p, buckets]| {
            if !(0.0..=1.0).contains(&p) {
                return Err(domain_error("heat_bucket", "p", p, "0 <= p <= 1"));
            }
            if !(buckets >= 1.0
                && buckets.fract() == 0.0
                && buckets <= f64::from(i32::MAX))
            {
                return Err(domain_error(
                    "heat_bucket",
                    "buckets",
                    buckets,
                    "a whole number >= 1",
                ));
            }
            Ok(Some(((p * buckets).floor() as i32).min(buckets as i32 - 1)))
        },
    )
}
