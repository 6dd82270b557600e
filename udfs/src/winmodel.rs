//! The learned win model's scoring functions: a fitted logistic model (the
//! struct `logreg_fit` returns) applied to a row's features, and the
//! features that move the row's log-odds most.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Float64Array, ListBuilder, StringBuilder,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Float64Type};
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl,
    Signature, Volatility,
};

use crate::common::{
    WIN_MODEL, check_arity, domain_error, is_numeric, is_text_list, text_list,
};
use crate::docs::doc;
use crate::lifetime::float_lists;

/// Which scoring function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Score {
    Predict,
    TopFactors,
}

struct WinModelFn {
    score: Score,
    signature: Signature,
    doc: Documentation,
}

impl fmt::Debug for WinModelFn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name_of())
    }
}

impl PartialEq for WinModelFn {
    fn eq(&self, other: &Self) -> bool {
        self.score == other.score
    }
}

impl Eq for WinModelFn {}

impl Hash for WinModelFn {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.score.hash(state);
    }
}

impl WinModelFn {
    fn name_of(&self) -> &'static str {
        match self.score {
            Score::Predict => "logreg_predict",
            Score::TopFactors => "logreg_top_factors",
        }
    }
}

fn is_model(data_type: &DataType) -> bool {
    let DataType::Struct(fields) = data_type else {
        return false;
    };
    let has = |name: &str, ok: &dyn Fn(&DataType) -> bool| {
        fields.iter().any(|f| f.name() == name && ok(f.data_type()))
    };
    has("intercept", &is_numeric)
        && has(
            "coefficients",
            &|t| matches!(t, DataType::List(f) | DataType::LargeList(f) if is_numeric(f.data_type())),
        )
}

fn is_number_list(data_type: &DataType) -> bool {
    matches!(data_type,
        DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _)
            if is_numeric(f.data_type()) || f.data_type() == &DataType::Null)
        || data_type == &DataType::Null
}

fn float_list() -> DataType {
    DataType::List(Arc::new(Field::new("item", DataType::Float64, true)))
}

/// One row's coefficients, features and intercept.
type RowModel = (Vec<f64>, Vec<f64>, f64);

/// A model's coefficients and intercept, one per row.
struct Models {
    coefficients: ArrayRef,
    intercepts: Float64Array,
}

fn models(function: &str, value: &ColumnarValue, rows: usize) -> Result<Models> {
    let array = value.to_array(rows)?;
    let Some(structs) = array.as_struct_opt() else {
        return exec_err!("{function}: argument `model` must be a struct");
    };
    let (Some(coefficients), Some(intercept)) = (
        structs.column_by_name("coefficients"),
        structs.column_by_name("intercept"),
    ) else {
        return exec_err!(
            "{function}: argument `model` needs fields coefficients and intercept"
        );
    };
    let coefficients = cast(coefficients, &float_list())?;
    let intercept = cast(intercept, &DataType::Float64)?;
    let intercepts = intercept.as_primitive::<Float64Type>().clone();
    let nulls =
        datafusion::arrow::buffer::NullBuffer::union(intercepts.nulls(), structs.nulls());
    let intercepts = Float64Array::new(intercepts.values().clone(), nulls);
    Ok(Models {
        coefficients,
        intercepts,
    })
}

impl ScalarUDFImpl for WinModelFn {
    fn name(&self) -> &str {
        self.name_of()
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(match self.score {
            Score::Predict => DataType::Float64,
            Score::TopFactors => text_list(),
        })
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let name = self.name_of();
        let (min, max) = match self.score {
            Score::Predict => (2, 2),
            Score::TopFactors => (3, 4),
        };
        check_arity(name, &self.doc.syntax_example, arg_types.len(), min, max)?;
        if !is_model(&arg_types[0]) {
            return plan_err!(
                "{name}: argument `model` must be a struct with coefficients list<double> and \
                 intercept (as logreg_fit returns), got {}",
                arg_types[0]
            );
        }
        if !is_number_list(&arg_types[1]) {
            return plan_err!(
                "{name}: argument `features` must be a list of numbers, got {}",
                arg_types[1]
            );
        }
        let mut out = vec![arg_types[0].clone(), float_list()];
        if let Some(t) = arg_types.get(2) {
            if !is_text_list(t) {
                return plan_err!(
                    "{name}: argument `names` must be a list of text, got {t}"
                );
            }
            out.push(text_list());
        }
        if let Some(t) = arg_types.get(3) {
            if !is_numeric(t) {
                return plan_err!("{name}: argument `k` must be a number, got {t}");
            }
            out.push(DataType::Int64);
        }
        Ok(out)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let name = self.name_of();
        let literal = args
            .args
            .iter()
            .all(|a| matches!(a, ColumnarValue::Scalar(_)));
        let rows = if literal { 1 } else { args.number_rows };
        let models = models(name, &args.args[0], rows)?;
        let features = float_lists(&args.args[1], rows)?;
        let features = features.as_list::<i32>();
        let coefficients = models.coefficients.as_list::<i32>();
        let row_values = |row: usize| -> Result<Option<RowModel>> {
            if models.intercepts.is_null(row)
                || coefficients.is_null(row)
                || features.is_null(row)
            {
                return Ok(None);
            }
            let x = features.value(row);
            let x = x.as_primitive::<Float64Type>();
            let beta = coefficients.value(row);
            let beta = beta.as_primitive::<Float64Type>();
            if x.null_count() > 0 || beta.null_count() > 0 {
                return Ok(None);
            }
            if x.len() != beta.len() {
                return exec_err!(
                    "{name}: argument `features` has {} values but the model has {} \
                     coefficients",
                    x.len(),
                    beta.len()
                );
            }
            Ok(Some((
                beta.values().to_vec(),
                x.values().to_vec(),
                models.intercepts.value(row),
            )))
        };
        let out: ArrayRef = match self.score {
            Score::Predict => {
                let mut values = Vec::with_capacity(rows);
                for row in 0..rows {
                    values.push(row_values(row)?.map(|(beta, x, intercept)| {
                        let eta = intercept
                            + beta.iter().zip(&x).map(|(b, x)| b * x).sum::<f64>();
                        1.0 / (1.0 + (-eta).exp())
                    }));
                }
                Arc::new(Float64Array::from(values))
            }
            Score::TopFactors => {
                let names = args.args[2].to_array(rows)?;
                let names = names.as_list::<i32>();
                let k = match args.args.get(3) {
                    None => ColumnarValue::Scalar(ScalarValue::Int64(Some(3))),
                    Some(k) => k.clone(),
                };
                let k = k.to_array(rows)?;
                let k = k.as_primitive::<datafusion::arrow::datatypes::Int64Type>();
                let mut builder = ListBuilder::new(StringBuilder::new());
                for row in 0..rows {
                    let Some((beta, x, _)) = row_values(row)? else {
                        builder.append(false);
                        continue;
                    };
                    if names.is_null(row) || k.is_null(row) {
                        builder.append(false);
                        continue;
                    }
                    let count = k.value(row);
                    if count < 1 {
                        return Err(domain_error(name, "k", count, ">= 1"));
                    }
                    let labels = names.value(row);
                    let labels = labels.as_string::<i32>();
                    if labels.len() != x.len() {
                        return exec_err!(
                            "{name}: argument `names` has {} names for {} features",
                            labels.len(),
                            x.len()
                        );
                    }
                    let mut contributions: Vec<(usize, f64)> = beta
                        .iter()
                        .zip(&x)
                        .map(|(b, x)| b * x)
                        .enumerate()
                        .collect();
                    contributions.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
                    for (i, c) in contributions.into_iter().take(count as usize) {
                        let label = if labels.is_null(i) {
                            "?"
                        } else {
                            labels.value(i)
                        };
                        builder.values().append_value(format!("{label} {c:+.3}"));
                    }
                    builder.append(true);
                }
                Arc::new(builder.finish())
            }
        };
        if literal {
            return Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(&out, 0)?));
        }
        Ok(ColumnarValue::Array(out))
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&self.doc)
    }
}

/// `logreg_predict(model, features)`.
pub fn logreg_predict() -> ScalarUDF {
    ScalarUDF::new_from_impl(WinModelFn {
        score: Score::Predict,
        signature: Signature::user_defined(Volatility::Immutable),
        doc: doc(
            WIN_MODEL,
            "Probability from a fitted logistic model: 1 / (1 + exp(-(intercept + sum of \
             coefficient * feature))). NULL when the model, the list or any feature is NULL.",
            "logreg_predict(model, features)",
            &[
                (
                    "model",
                    "struct {coefficients, intercept, ...}, as logreg_fit returns.",
                ),
                (
                    "features",
                    "list<double>, in the order the model was fitted with.",
                ),
            ],
            "> SELECT logreg_predict(named_struct('coefficients', [1.0, -2.0], 'intercept', \
             0.5), [1.0, 0.25]);\n0.7310585786",
        ),
    })
}

/// `logreg_top_factors(model, features, names [, k])`.
pub fn logreg_top_factors() -> ScalarUDF {
    ScalarUDF::new_from_impl(WinModelFn {
        score: Score::TopFactors,
        signature: Signature::user_defined(Volatility::Immutable),
        doc: doc(
            WIN_MODEL,
            "Why the model scores this row as it does: the k features whose contributions \
             (coefficient * feature) move the row's log-odds most, strongest first, as \
             'name +0.840' (raises the odds) or 'name -0.310' (lowers them).",
            "logreg_top_factors(model, features, names [, k 3])",
            &[
                (
                    "model",
                    "struct {coefficients, intercept, ...}, as logreg_fit returns.",
                ),
                ("features", "list<double> of the row's features."),
                ("names", "list<text>: one name per feature."),
                ("k", "How many factors, >= 1 (default 3)."),
            ],
            "> SELECT logreg_top_factors(named_struct('coefficients', [1.0, -2.0], \
             'intercept', 0.5), [1.0, 0.25], ['legal', 'late'], 2);\n[legal +1.000, late -0.500]",
        ),
    })
}
