//! Lifetime-value functions: the simple retention formula, and the
//! per-customer predictions of fitted BG/NBD and Gamma-Gamma models. The
//! model arguments are the structs `bgnbd_fit` and `gamma_gamma_fit` return
//! (or any struct with the same parameter fields).

use std::fmt;
use std::hash::{Hash, Hasher};

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl,
    Signature, Volatility,
};

use crate::common::{LIFETIME, check_arity, is_numeric};
use crate::docs::doc;
use crate::models::bgnbd::BgNbd;
use crate::models::gamma_gamma::GammaGamma;
use crate::numeric::{Param, numeric_udf, optional, required};
use crate::rows::{Contract, Domain, Relation, map_rows};

/// A model argument: its name and the struct fields read from it.
#[derive(Debug, Clone, Copy)]
struct ModelArg {
    name: &'static str,
    fields: &'static [&'static str],
}

const BGNBD: ModelArg = ModelArg {
    name: "params",
    fields: &["r", "alpha", "a", "b"],
};

const GAMMA_GAMMA: ModelArg = ModelArg {
    name: "params",
    fields: &["p", "q", "v"],
};

/// A scalar function of model structs and numbers, evaluated as a numeric
/// function of `N` values: the structs' fields first, then the numbers.
struct ModelFn<const N: usize, F> {
    name: &'static str,
    models: &'static [ModelArg],
    numbers: Vec<Param>,
    relation: Option<Relation>,
    signature: Signature,
    doc: Documentation,
    row: F,
}

impl<const N: usize, F> fmt::Debug for ModelFn<N, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

impl<const N: usize, F> PartialEq for ModelFn<N, F> {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl<const N: usize, F> Eq for ModelFn<N, F> {}

impl<const N: usize, F> Hash for ModelFn<N, F> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

/// Whether a struct type has every field as a number.
fn has_fields(data_type: &DataType, fields: &[&str]) -> bool {
    match data_type {
        DataType::Struct(present) => fields.iter().all(|name| {
            present
                .iter()
                .any(|f| f.name() == name && is_numeric(f.data_type()))
        }),
        _ => false,
    }
}

/// One struct field as Float64, NULL where the struct is NULL.
fn field(
    function: &str,
    model: &ModelArg,
    value: &ColumnarValue,
    name: &str,
) -> Result<ColumnarValue> {
    let array = value.to_array(1)?;
    let Some(structs) = array.as_struct_opt() else {
        return exec_err!("{function}: argument `{}` must be a struct", model.name);
    };
    let Some(column) = structs.column_by_name(name) else {
        return exec_err!(
            "{function}: argument `{}` has no field `{name}`",
            model.name
        );
    };
    let column = cast(column, &DataType::Float64)?;
    let nulls =
        datafusion::arrow::buffer::NullBuffer::union(column.nulls(), structs.nulls());
    let column = column.to_data().into_builder().nulls(nulls).build()?;
    let column = datafusion::arrow::array::make_array(column);
    Ok(match value {
        ColumnarValue::Scalar(_) => {
            ColumnarValue::Scalar(ScalarValue::try_from_array(&column, 0)?)
        }
        ColumnarValue::Array(_) => ColumnarValue::Array(column),
    })
}

impl<const N: usize, F> ScalarUDFImpl for ModelFn<N, F>
where
    F: Fn([f64; N]) -> Option<f64> + Send + Sync + 'static,
{
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let models = self.models.len();
        let required = models
            + self
                .numbers
                .iter()
                .filter(|p| p.default().is_none())
                .count();
        let syntax = &self.doc.syntax_example;
        check_arity(
            self.name,
            syntax,
            arg_types.len(),
            required,
            models + self.numbers.len(),
        )?;
        let mut out = Vec::with_capacity(arg_types.len());
        for (i, t) in arg_types.iter().enumerate() {
            if let Some(model) = self.models.get(i) {
                if !has_fields(t, model.fields) {
                    return plan_err!(
                        "{}: argument `{}` must be a struct with number fields {} (as the fit \
                         returns), got {t}",
                        self.name,
                        model.name,
                        model.fields.join(", ")
                    );
                }
                out.push(t.clone());
            } else if is_numeric(t) {
                out.push(DataType::Float64);
            } else {
                let name = self.numbers[i - models].name();
                return plan_err!(
                    "{}: argument `{name}` must be a number, got {t}",
                    self.name
                );
            }
        }
        Ok(out)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let mut values = Vec::with_capacity(N);
        let mut names = Vec::with_capacity(N);
        let mut domains = Vec::with_capacity(N);
        let mut given = args.args.into_iter();
        for model in self.models {
            let Some(value) = given.next() else {
                return exec_err!("{}: argument `{}` missing", self.name, model.name);
            };
            for name in model.fields {
                values.push(field(self.name, model, &value, name)?);
                names.push(*name);
                domains.push(Domain::above(0.0, "> 0"));
            }
        }
        let numbers: Vec<ColumnarValue> = given.collect();
        let defaults: Vec<Option<f64>> =
            self.numbers.iter().map(Param::default).collect();
        values.extend(with_defaults_vec(numbers, &defaults)?);
        names.extend(self.numbers.iter().map(Param::name));
        domains.extend(self.numbers.iter().map(Param::domain));
        let (Ok(args), Ok(params), Ok(domains)) =
            (values.try_into(), names.try_into(), domains.try_into())
        else {
            return exec_err!("{}: wrong number of arguments", self.name);
        };
        let contract = Contract {
            function: self.name,
            params,
            domains,
            relation: self.relation,
        };
        map_rows(&contract, &args, rows, &self.row)
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&self.doc)
    }
}

/// Fills missing trailing numbers with their defaults.
fn with_defaults_vec(
    mut args: Vec<ColumnarValue>,
    defaults: &[Option<f64>],
) -> Result<Vec<ColumnarValue>> {
    for default in defaults.iter().skip(args.len()) {
        match default {
            Some(d) => args.push(ColumnarValue::Scalar(ScalarValue::Float64(Some(*d)))),
            None => return exec_err!("a required argument is missing"),
        }
    }
    Ok(args)
}

fn model_udf<const N: usize, F>(
    name: &'static str,
    models: &'static [ModelArg],
    numbers: Vec<Param>,
    relation: Option<Relation>,
    doc: Documentation,
    row: F,
) -> ScalarUDF
where
    F: Fn([f64; N]) -> Option<f64> + Send + Sync + 'static,
{
    ScalarUDF::new_from_impl(ModelFn {
        name,
        models,
        numbers,
        relation,
        signature: Signature::user_defined(Volatility::Immutable),
        doc,
        row,
    })
}

/// A customer summary's three arguments, as every BG/NBD prediction takes.
fn summary() -> [Param; 3] {
    [
        required("frequency", Domain::at_least(0.0, ">= 0")),
        required("recency", Domain::at_least(0.0, ">= 0")),
        required("t", Domain::at_least(0.0, ">= recency")),
    ]
}

/// `recency <= t`, with positions counted among all values.
fn recency_before_age(recency: usize) -> Option<Relation> {
    Some(Relation {
        first: recency,
        second: recency + 1,
        holds: |recency, t| recency <= t,
        expected: "t >= recency",
    })
}

/// `bgnbd_expected_purchases(params, horizon, frequency, recency, t)`.
pub fn bgnbd_expected_purchases() -> ScalarUDF {
    let mut numbers = vec![required("horizon", Domain::at_least(0.0, ">= 0"))];
    numbers.extend(summary());
    model_udf(
        "bgnbd_expected_purchases",
        &[BGNBD],
        numbers,
        recency_before_age(6),
        doc(
            LIFETIME,
            "Expected purchases in the next `horizon` periods of a customer with this \
             summary, under a fitted BG/NBD model (equation 10 of Fader, Hardie & Lee 2005; \
             the Gauss hypergeometric function is summed directly, or after Euler's \
             transformation where that converges faster). Periods are the unit the model \
             was fitted in; nothing is converted.",
            "bgnbd_expected_purchases(params, horizon, frequency, recency, t)",
            &[
                ("params", "struct {r, alpha, a, b}, as bgnbd_fit returns."),
                ("horizon", "Periods ahead, >= 0."),
                ("frequency", "Repeat purchases, >= 0."),
                (
                    "recency",
                    "Time of the last purchase since the first, >= 0.",
                ),
                ("t", "Time since the first purchase, >= recency."),
            ],
            "> SELECT bgnbd_expected_purchases(named_struct('r', 0.243, 'alpha', 4.414, \
             'a', 0.793, 'b', 2.426), 39, 2, 30.43, 38.86);\n1.2259...",
        ),
        |[r, alpha, a, b, horizon, x, t_x, t]: [f64; 8]| {
            Some(BgNbd { r, alpha, a, b }.expected_purchases(horizon, x, t_x, t))
        },
    )
}

/// `bgnbd_p_alive(params, frequency, recency, t)`.
pub fn bgnbd_p_alive() -> ScalarUDF {
    model_udf(
        "bgnbd_p_alive",
        &[BGNBD],
        summary().to_vec(),
        recency_before_age(5),
        doc(
            LIFETIME,
            "Probability that a customer with this summary has not dropped out, under a \
             fitted BG/NBD model: 1 when frequency is 0 (they cannot have dropped out \
             before a repeat purchase), else 1 / (1 + a / (b + x - 1) * ((alpha + t) / \
             (alpha + recency))^(r + x)).",
            "bgnbd_p_alive(params, frequency, recency, t)",
            &[
                ("params", "struct {r, alpha, a, b}, as bgnbd_fit returns."),
                ("frequency", "Repeat purchases, >= 0."),
                (
                    "recency",
                    "Time of the last purchase since the first, >= 0.",
                ),
                ("t", "Time since the first purchase, >= recency."),
            ],
            "> SELECT bgnbd_p_alive(named_struct('r', 0.243, 'alpha', 4.414, 'a', 0.793, \
             'b', 2.426), 2, 30.43, 38.86);\n0.8686...",
        ),
        |[r, alpha, a, b, x, t_x, t]: [f64; 7]| {
            Some(BgNbd { r, alpha, a, b }.p_alive(x, t_x, t))
        },
    )
}

/// `gamma_gamma_expected_spend(params, frequency, monetary_value)`.
pub fn gamma_gamma_expected_spend() -> ScalarUDF {
    model_udf(
        "gamma_gamma_expected_spend",
        &[GAMMA_GAMMA],
        vec![
            required("frequency", Domain::at_least(0.0, ">= 0")),
            required("monetary_value", Domain::at_least(0.0, ">= 0")),
        ],
        Some(Relation {
            first: 1,
            second: 1,
            holds: |q, _| q > 1.0,
            expected: "q > 1, for a finite mean spend",
        }),
        doc(
            LIFETIME,
            "Expected value of a customer's future purchases under a fitted Gamma-Gamma \
             model: p * (v + x * m) / (p * x + q - 1), a weighted mean of the population \
             mean and the customer's own mean spend. Frequency 0 gives the population \
             mean p * v / (q - 1).",
            "gamma_gamma_expected_spend(params, frequency, monetary_value)",
            &[
                (
                    "params",
                    "struct {p, q, v}, as gamma_gamma_fit returns; q > 1.",
                ),
                ("frequency", "Repeat purchases, >= 0."),
                ("monetary_value", "Mean value of those purchases, >= 0."),
            ],
            "> SELECT gamma_gamma_expected_spend(named_struct('p', 6.25, 'q', 3.74, 'v', \
             15.44), 2, 35.0);\n34.45...",
        ),
        |[p, q, v, x, m]: [f64; 5]| Some(GammaGamma { p, q, v }.expected_spend(x, m)),
    )
}

/// Most periods `customer_ltv` sums over.
const MAX_HORIZON: f64 = 10_000.0;

/// `customer_ltv(bgnbd_params, gg_params, frequency, recency, t,
/// monetary_value, horizon_periods [, discount_rate_per_period, margin])`.
pub fn customer_ltv() -> ScalarUDF {
    let mut numbers = summary().to_vec();
    numbers.extend([
        required("monetary_value", Domain::at_least(0.0, ">= 0")),
        required(
            "horizon_periods",
            Domain::between(1.0, MAX_HORIZON, "a whole number from 1 to 10000").whole(),
        ),
        optional(
            "discount_rate_per_period",
            0.01,
            Domain::at_least(0.0, ">= 0"),
        ),
        optional("margin", 1.0, Domain::number("a number")),
    ]);
    model_udf(
        "customer_ltv",
        &[
            ModelArg {
                name: "bgnbd_params",
                fields: BGNBD.fields,
            },
            ModelArg {
                name: "gg_params",
                fields: GAMMA_GAMMA.fields,
            },
        ],
        numbers,
        recency_before_age(8),
        doc(
            LIFETIME,
            "Discounted lifetime value of a customer over the next `horizon_periods` \
             periods: the sum over i = 1..H of margin * expected_spend * (E(i) - E(i-1)) / \
             (1 + d)^i, where E(k) is the BG/NBD expected purchases in the next k periods and \
             expected_spend comes from the Gamma-Gamma model. A period is the time unit of \
             recency and t (weeks for CDNOW), and d is the discount rate per such period: \
             the function never converts units.",
            "customer_ltv(bgnbd_params, gg_params, frequency, recency, t, monetary_value, \
             horizon_periods [, discount_rate_per_period 0.01, margin 1.0])",
            &[
                (
                    "bgnbd_params",
                    "struct {r, alpha, a, b}, as bgnbd_fit returns.",
                ),
                (
                    "gg_params",
                    "struct {p, q, v}, as gamma_gamma_fit returns; q > 1.",
                ),
                ("frequency", "Repeat purchases, >= 0."),
                (
                    "recency",
                    "Time of the last purchase since the first, >= 0.",
                ),
                ("t", "Time since the first purchase, >= recency."),
                (
                    "monetary_value",
                    "Mean value of the repeat purchases, >= 0.",
                ),
                (
                    "horizon_periods",
                    "Periods ahead to sum, a whole number 1 to 10000.",
                ),
                (
                    "discount_rate_per_period",
                    "Discount rate per period, >= 0 (default 0.01).",
                ),
                ("margin", "Share of spend that is profit (default 1.0)."),
            ],
            "> SELECT customer_ltv(bg, gg, 2, 30.43, 38.86, 35.0, 52) FROM models;\n\
             -- expected discounted spend of that customer over the next 52 weeks",
        ),
        |[r, alpha, a, b, p, q, v, x, t_x, t, m, horizon, d, margin]: [f64; 14]| {
            let bg = BgNbd { r, alpha, a, b };
            let spend = GammaGamma { p, q, v }.expected_spend(x, m);
            let mut total = 0.0;
            let mut previous = 0.0;
            let mut discount = 1.0;
            // The horizon is checked to be whole and at most 10000; the
            // bound here only keeps the loop finite on NULL slots.
            let periods = horizon.clamp(0.0, MAX_HORIZON) as u32;
            for i in 1..=periods {
                discount /= 1.0 + d;
                let expected = bg.expected_purchases(f64::from(i), x, t_x, t);
                total += (expected - previous) * discount;
                previous = expected;
            }
            Some(margin * spend * total)
        },
    )
}

/// `ltv_simple(avg_order_value, orders_per_period, gross_margin, retention,
/// discount_rate)`.
pub fn ltv_simple() -> ScalarUDF {
    numeric_udf(
        "ltv_simple",
        [
            required("avg_order_value", Domain::number("a number")),
            required("orders_per_period", Domain::at_least(0.0, ">= 0")),
            required("gross_margin", Domain::number("a number")),
            required(
                "retention",
                Domain::between(0.0, 1.0, "0 <= retention <= 1"),
            ),
            required("discount_rate", Domain::at_least(0.0, ">= 0")),
        ],
        Some(Relation {
            first: 3,
            second: 4,
            holds: |retention, discount| retention < 1.0 + discount,
            expected: "discount_rate > retention - 1, so the sum is finite",
        }),
        doc(
            LIFETIME,
            "Lifetime value with constant retention: margin * aov * orders * retention / \
             (1 + discount_rate - retention), the discounted sum of margins over the \
             periods a customer is expected to stay.",
            "ltv_simple(avg_order_value, orders_per_period, gross_margin, retention, \
             discount_rate)",
            &[
                ("avg_order_value", "Mean order value."),
                ("orders_per_period", "Orders per period, >= 0."),
                ("gross_margin", "Share of the order value that is margin."),
                ("retention", "Probability of staying another period, 0..1."),
                ("discount_rate", "Discount rate per period, >= 0."),
            ],
            "> SELECT ltv_simple(100, 2, 0.3, 0.8, 0.1);\n160.0",
        ),
        |[aov, orders, margin, retention, discount]| {
            Some(margin * aov * orders * retention / (1.0 + discount - retention))
        },
    )
}

/// Reads a list<double> argument as Float64 values per row; used by the
/// win-model functions too.
pub fn float_lists(
    value: &ColumnarValue,
    rows: usize,
) -> Result<datafusion::arrow::array::ArrayRef> {
    let array = value.to_array(rows)?;
    let target = DataType::List(std::sync::Arc::new(
        datafusion::arrow::datatypes::Field::new("item", DataType::Float64, true),
    ));
    let array = cast(&array, &target)?;
    if array.as_list_opt::<i32>().is_none() {
        return exec_err!("expected a list of numbers, got {}", array.data_type());
    }
    Ok(array)
}
