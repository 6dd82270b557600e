//! Forecast functions: the odds-lift win model, rep load, delivery slack,
//! signal decay and heatmap buckets.

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, Float64Array};
use datafusion::arrow::buffer::NullBuffer;
use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::{
    AggregateUDF, ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDF,
    ScalarUDFImpl, Signature, Volatility,
};

use crate::common::{
    FORECAST, check_arity, domain_error, is_numeric, single_function_identity,
};
use crate::docs::doc;
use crate::numeric::{numeric_udf, optional, required};
use crate::rows::{Arg, Domain, Output};
use crate::sums::sums_udaf;

/// The odds-lift model shared by `weighted_win_rate` and the canvas:
/// `odds = p / (1 - p) * prod(1 + lift)`, returned as a probability.
pub fn apply_lifts(
    function: &str,
    base_p: f64,
    lifts: impl Iterator<Item = (usize, f64)>,
) -> Result<f64> {
    if !base_domain().contains(base_p) {
        return Err(base_domain().error(function, "base_p", base_p));
    }
    let mut factor = 1.0;
    for (index, lift) in lifts {
        if !lift_domain().contains(lift) {
            return Err(lift_domain().error(function, &format!("lift{index}"), lift));
        }
        factor *= 1.0 + lift;
    }
    Ok(lifted(base_p, factor))
}

fn base_domain() -> Domain {
    Domain::between(0.0, 1.0, "0 <= base_p <= 1")
}

fn lift_domain() -> Domain {
    Domain::above(-1.0, "lift > -1")
}

/// `base_p` moved by the product of `1 + lift`, without branches. A
/// `base_p` of exactly 0 or 1 is certain and stays; odds that overflow
/// mean a probability of 1.
#[inline(always)]
fn lifted(base_p: f64, factor: f64) -> f64 {
    let odds = base_p / (1.0 - base_p) * factor;
    let p = if odds.is_infinite() {
        1.0
    } else {
        odds / (1.0 + odds)
    };
    if base_p == 0.0 || base_p == 1.0 {
        base_p
    } else {
        p
    }
}

/// `weighted_win_rate` over columns: lifts are checked a column at a time
/// and multiplied into one factor per row (a NULL lift counts as 1), then
/// the base probability is moved in one pass.
fn lift_columns(inputs: &[Arg], rows: usize) -> Result<ColumnarValue> {
    let (base, base_nulls) = match inputs[0] {
        Arg::Scalar(None) => {
            return Ok(ColumnarValue::Array(Arc::new(Float64Array::new_null(rows))));
        }
        Arg::Scalar(Some(base)) => {
            if !base_domain().contains(base) {
                return Err(base_domain().error(WWR, "base_p", base));
            }
            (None, None)
        }
        Arg::Array(base) => {
            let values = &base.values()[..rows];
            if let Some(bad) = base_domain().first_outside(values, base.nulls()) {
                return Err(base_domain().error(WWR, "base_p", bad));
            }
            (Some(values), base.nulls())
        }
    };
    let mut constant = 1.0;
    let mut factor: Option<Vec<f64>> = None;
    for (index, lift) in inputs.iter().enumerate().skip(1) {
        let argument = || format!("lift{index}");
        match lift {
            Arg::Scalar(None) => {}
            Arg::Scalar(Some(lift)) => {
                if !lift_domain().contains(*lift) {
                    return Err(lift_domain().error(WWR, &argument(), *lift));
                }
                constant *= 1.0 + lift;
            }
            Arg::Array(lift) => {
                let values = &lift.values()[..rows];
                let checked = NullBuffer::union(base_nulls, lift.nulls());
                if let Some(bad) = lift_domain().first_outside(values, checked.as_ref()) {
                    return Err(lift_domain().error(WWR, &argument(), bad));
                }
                let factor = factor.get_or_insert_with(|| vec![1.0; rows]);
                match lift.nulls() {
                    None => {
                        for (f, l) in factor.iter_mut().zip(values) {
                            *f *= 1.0 + l;
                        }
                    }
                    Some(nulls) => {
                        for ((f, l), valid) in factor.iter_mut().zip(values).zip(nulls) {
                            *f *= if valid { 1.0 + l } else { 1.0 };
                        }
                    }
                }
            }
        }
    }
    let nulls = base_nulls.cloned();
    let out = match (base, factor) {
        (Some(base), Some(factor)) => f64::array(
            base.iter()
                .zip(&factor)
                .map(|(&b, &f)| lifted(b, f * constant))
                .collect(),
            nulls,
        ),
        (Some(base), None) => {
            f64::array(base.iter().map(|&b| lifted(b, constant)).collect(), nulls)
        }
        (None, Some(factor)) => {
            let base = match inputs[0] {
                Arg::Scalar(Some(base)) => base,
                _ => return exec_err!("{WWR}: base_p changed while evaluating"),
            };
            f64::array(
                factor.iter().map(|&f| lifted(base, f * constant)).collect(),
                nulls,
            )
        }
        (None, None) => return exec_err!("{WWR}: no column argument"),
    };
    Ok(ColumnarValue::Array(out))
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
        if inputs.iter().any(|a| matches!(a, Arg::Array(_))) {
            return lift_columns(&inputs, rows);
        }
        let value = |arg: &Arg| match arg {
            Arg::Scalar(value) => *value,
            Arg::Array(_) => None,
        };
        let result = match value(&inputs[0]) {
            None => None,
            Some(base) => {
                let lifts = inputs[1..]
                    .iter()
                    .enumerate()
                    .filter_map(|(i, a)| value(a).map(|v| (i + 1, v)));
                Some(apply_lifts(WWR, base, lifts)?)
            }
        };
        Ok(ColumnarValue::Scalar(ScalarValue::Float64(result)))
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
        [
            required("capacity_hours", Domain::above(0.0, "> 0")),
            required("booked_hours", Domain::ANY),
        ],
        None,
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
        |[capacity, booked]| Some((capacity - booked) / capacity),
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
        [
            required("slack", Domain::ANY),
            optional("threshold", 0.15, Domain::ANY),
        ],
        None,
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
        |[slack, threshold]| Some(slack < threshold),
    )
}

/// `heat_bucket(p [, buckets 10])`.
pub fn heat_bucket() -> ScalarUDF {
    numeric_udf(
        "heat_bucket",
        [
            required("p", Domain::between(0.0, 1.0, "0 <= p <= 1")),
            optional(
                "buckets",
                10.0,
                Domain::between(1.0, f64::from(i32::MAX), "a whole number >= 1").whole(),
            ),
        ],
        None,
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
            // Saturating, as NULL slots may hold any value.
            let top = (buckets as i32).saturating_sub(1);
            Some(((p * buckets).floor() as i32).min(top))
        },
    )
}
