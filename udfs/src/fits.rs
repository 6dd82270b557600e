//! The model-fitting aggregates: `bgnbd_fit`, `gamma_gamma_fit` and
//! `logreg_fit`. Each collects its rows (partial states are Arrow lists, so
//! they merge across partitions and travel between cluster nodes), then
//! fits once at the end and returns a struct of parameters and fit
//! diagnostics that later expressions take as their `params` argument.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, Int64Array, ListArray,
    StructArray,
};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Fields, Float64Type};
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, Documentation, Signature, Volatility,
};
use datafusion::physical_expr::expressions::Literal;

use crate::common::{LIFETIME, WIN_MODEL, check_arity, domain_error, is_numeric};
use crate::docs::doc;
use crate::models::bgnbd::{self, Customer, Fitted};
use crate::models::gamma_gamma::{self, Spender};
use crate::models::logreg::{self, Rows};

/// Which model an aggregate fits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Model {
    BgNbd,
    GammaGamma,
    Logistic,
}

impl Model {
    fn name(self) -> &'static str {
        match self {
            Model::BgNbd => "bgnbd_fit",
            Model::GammaGamma => "gamma_gamma_fit",
            Model::Logistic => "logreg_fit",
        }
    }

    /// The collected columns, as named in errors and state fields.
    fn columns(self) -> &'static [&'static str] {
        match self {
            Model::BgNbd => &["frequency", "recency", "t"],
            Model::GammaGamma => &["frequency", "monetary_value"],
            Model::Logistic => &["label", "features"],
        }
    }

    fn result_fields(self) -> Fields {
        let float = |name: &str| Field::new(name, DataType::Float64, false);
        let mut fields: Vec<Field> = match self {
            Model::BgNbd => ["r", "alpha", "a", "b"].map(float).to_vec(),
            Model::GammaGamma => ["p", "q", "v"].map(float).to_vec(),
            Model::Logistic => vec![
                Field::new("coefficients", float_list(), false),
                float("intercept"),
            ],
        };
        fields.push(float("log_likelihood"));
        fields.push(Field::new("iterations", DataType::Int64, false));
        fields.push(Field::new("converged", DataType::Boolean, false));
        fields.into()
    }
}

fn float_list() -> DataType {
    DataType::List(Arc::new(Field::new("item", DataType::Float64, true)))
}

/// A fitting aggregate.
#[derive(Debug)]
struct Fit {
    model: Model,
    signature: Signature,
    doc: Documentation,
}

impl PartialEq for Fit {
    fn eq(&self, other: &Self) -> bool {
        self.model == other.model
    }
}

impl Eq for Fit {}

impl std::hash::Hash for Fit {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.model.hash(state);
    }
}

impl AggregateUDFImpl for Fit {
    fn name(&self) -> &str {
        self.model.name()
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Struct(self.model.result_fields()))
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let name = self.model.name();
        let syntax = &self.doc.syntax_example;
        match self.model {
            Model::BgNbd | Model::GammaGamma => {
                let columns = self.model.columns();
                check_arity(name, syntax, arg_types.len(), columns.len(), columns.len())?;
                for (t, column) in arg_types.iter().zip(columns) {
                    if !is_numeric(t) {
                        return plan_err!(
                            "{name}: argument `{column}` must be a number, got {t}"
                        );
                    }
                }
                Ok(vec![DataType::Float64; columns.len()])
            }
            Model::Logistic => {
                check_arity(name, syntax, arg_types.len(), 2, 3)?;
                let label = match &arg_types[0] {
                    DataType::Boolean | DataType::Null => DataType::Boolean,
                    t if is_numeric(t) => DataType::Float64,
                    t => {
                        return plan_err!(
                            "{name}: argument `label` must be a boolean (or 0/1), got {t}"
                        );
                    }
                };
                let numeric_list = match &arg_types[1] {
                    DataType::List(f)
                    | DataType::LargeList(f)
                    | DataType::FixedSizeList(f, _) => is_numeric(f.data_type()),
                    DataType::Null => true,
                    _ => false,
                };
                if !numeric_list {
                    return plan_err!(
                        "{name}: argument `features` must be a list of numbers, got {}",
                        arg_types[1]
                    );
                }
                let mut out = vec![label, float_list()];
                if let Some(t) = arg_types.get(2) {
                    if !is_numeric(t) {
                        return plan_err!(
                            "{name}: argument `l2` must be a number, got {t}"
                        );
                    }
                    out.push(DataType::Float64);
                }
                Ok(out)
            }
        }
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let field = |column: &str| {
            Arc::new(Field::new(
                format!("{}[{column}]", args.name),
                float_list(),
                true,
            ))
        };
        let mut fields: Vec<FieldRef> =
            self.model.columns().iter().map(|c| field(c)).collect();
        if self.model == Model::Logistic {
            fields.push(Arc::new(Field::new(
                format!("{}[width]", args.name),
                DataType::Int64,
                true,
            )));
        }
        Ok(fields)
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let l2_arg = if self.model == Model::Logistic {
            args.exprs.get(2)
        } else {
            None
        };
        let l2 = match l2_arg {
            None => 0.0,
            Some(expr) => {
                let value = expr.downcast_ref::<Literal>().map(|l| l.value().clone());
                match value {
                    Some(ScalarValue::Float64(Some(l2))) if l2 >= 0.0 => l2,
                    Some(ScalarValue::Float64(Some(l2))) => {
                        return Err(domain_error("logreg_fit", "l2", l2, ">= 0"));
                    }
                    _ => {
                        return plan_err!(
                            "logreg_fit: argument `l2` must be a constant number, got {expr}"
                        );
                    }
                }
            }
        };
        Ok(Box::new(Collect {
            model: self.model,
            columns: vec![Vec::new(); self.model.columns().len()],
            width: None,
            l2,
        }))
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&self.doc)
    }
}

/// The rows collected so far, one vector per column (the features of
/// `logreg_fit` flattened, `width` per row).
#[derive(Debug)]
struct Collect {
    model: Model,
    columns: Vec<Vec<f64>>,
    width: Option<usize>,
    l2: f64,
}

impl Collect {
    fn name(&self) -> &'static str {
        self.model.name()
    }

    /// Checks and keeps one row of a BG/NBD or Gamma-Gamma input.
    fn push_numbers(&mut self, row: &[f64]) -> Result<()> {
        let name = self.name();
        match self.model {
            Model::BgNbd => {
                let (x, t_x, t) = (row[0], row[1], row[2]);
                if x.is_nan() || x < 0.0 {
                    return Err(domain_error(name, "frequency", x, ">= 0"));
                }
                if t_x.is_nan() || t_x < 0.0 {
                    return Err(domain_error(name, "recency", t_x, ">= 0"));
                }
                if t.is_nan() || t < t_x {
                    return Err(domain_error(name, "t", t, "t >= recency"));
                }
            }
            Model::GammaGamma => {
                let (x, m) = (row[0], row[1]);
                if x.is_nan() || x < 0.0 {
                    return Err(domain_error(name, "frequency", x, ">= 0"));
                }
                if x == 0.0 {
                    // Customers without repeat purchases say nothing of spend.
                    return Ok(());
                }
                if m.is_nan() || m <= 0.0 {
                    return Err(domain_error(
                        name,
                        "monetary_value",
                        m,
                        "> 0 when frequency > 0",
                    ));
                }
            }
            Model::Logistic => {}
        }
        for (column, value) in self.columns.iter_mut().zip(row) {
            column.push(*value);
        }
        Ok(())
    }

    /// Keeps the rows of a logistic input: a label and a feature list.
    fn push_logistic(&mut self, labels: &ArrayRef, features: &ArrayRef) -> Result<()> {
        let labels: Vec<Option<f64>> = match labels.data_type() {
            DataType::Boolean => labels
                .as_boolean()
                .iter()
                .map(|v| v.map(|b| f64::from(u8::from(b))))
                .collect(),
            DataType::Null => vec![None; labels.len()],
            _ => labels.as_primitive::<Float64Type>().iter().collect(),
        };
        if features.data_type() == &DataType::Null {
            return Ok(());
        }
        let features = features.as_list::<i32>();
        for (row, label) in labels.into_iter().enumerate() {
            let Some(label) = label else { continue };
            if features.is_null(row) {
                continue;
            }
            let list = features.value(row);
            let list = list.as_primitive::<Float64Type>();
            if list.null_count() > 0 {
                continue;
            }
            self.push_logistic_row(label, list.values())?;
        }
        Ok(())
    }

    fn push_logistic_row(&mut self, label: f64, features: &[f64]) -> Result<()> {
        if label != 0.0 && label != 1.0 {
            return Err(domain_error(
                self.name(),
                "label",
                label,
                "true, false, 0 or 1",
            ));
        }
        match self.width {
            None => self.width = Some(features.len()),
            Some(width) if width != features.len() => {
                return exec_err!(
                    "logreg_fit: argument `features` has {} values in one row and {width} in \
                     another; every row needs the same features",
                    features.len()
                );
            }
            Some(_) => {}
        }
        if let Some(bad) = features.iter().find(|v| !v.is_finite()) {
            return Err(domain_error(self.name(), "features", bad, "finite numbers"));
        }
        self.columns[0].push(label);
        self.columns[1].extend_from_slice(features);
        Ok(())
    }

    fn result(&self) -> Result<ScalarValue> {
        let fields = self.model.result_fields();
        let rows = self.columns[0].len();
        if rows == 0 {
            return ScalarValue::try_from(DataType::Struct(fields));
        }
        let float = |v: f64| Arc::new(Float64Array::from(vec![v])) as ArrayRef;
        let (mut arrays, log_likelihood, iterations, converged) = match self.model {
            Model::BgNbd => {
                let customers: Vec<Customer> = (0..rows)
                    .map(|i| Customer {
                        x: self.columns[0][i],
                        t_x: self.columns[1][i],
                        t: self.columns[2][i],
                        count: 1.0,
                    })
                    .collect();
                let fitted = bgnbd::fit(&bgnbd::compress(customers));
                let p = fitted.params;
                (
                    vec![float(p.r), float(p.alpha), float(p.a), float(p.b)],
                    fitted.log_likelihood,
                    fitted.iterations,
                    fitted.converged,
                )
            }
            Model::GammaGamma => {
                let spenders: Vec<Spender> = (0..rows)
                    .map(|i| Spender {
                        x: self.columns[0][i],
                        m: self.columns[1][i],
                        count: 1.0,
                    })
                    .collect();
                let fitted = gamma_gamma::fit(&gamma_gamma::compress(spenders));
                let p = fitted.params;
                (
                    vec![float(p.p), float(p.q), float(p.v)],
                    fitted.log_likelihood,
                    fitted.iterations,
                    fitted.converged,
                )
            }
            Model::Logistic => {
                let data = canonical_rows(
                    &self.columns[0],
                    &self.columns[1],
                    self.width.unwrap_or(0),
                );
                let Fitted {
                    params,
                    log_likelihood,
                    iterations,
                    converged,
                } = logreg::fit(&data, self.l2, 100);
                let coefficients = list(params.coefficients.clone());
                (
                    vec![coefficients, float(params.intercept)],
                    log_likelihood,
                    iterations,
                    converged,
                )
            }
        };
        arrays.push(float(log_likelihood));
        arrays.push(Arc::new(Int64Array::from(vec![i64::from(iterations)])));
        arrays.push(Arc::new(BooleanArray::from(vec![converged])));
        Ok(ScalarValue::Struct(Arc::new(StructArray::try_new(
            fields, arrays, None,
        )?)))
    }
}

/// The rows in a fixed order (by label, then features), so the fit does
/// not depend on the order in which partitions were merged: the sums of a
/// Newton step would otherwise differ in their last bits.
fn canonical_rows(labels: &[f64], features: &[f64], width: usize) -> Rows {
    let row = |i: usize| &features[i * width..(i + 1) * width];
    let bits = |i: usize, j: usize| row(i).get(j).map_or(0, |v| v.to_bits());
    // Any fixed order will do, so bit patterns serve as keys: sort by the
    // label and the first two features (keys computed once), then settle the
    // rare ties on every feature.
    let mut keyed: Vec<(u64, u64, u64, usize)> = (0..labels.len())
        .map(|i| (labels[i].to_bits(), bits(i, 0), bits(i, 1), i))
        .collect();
    keyed.sort_unstable();
    let mut start = 0;
    while start < keyed.len() {
        let mut end = start + 1;
        let same = |a: &(u64, u64, u64, usize), b: &(u64, u64, u64, usize)| {
            (a.0, a.1, a.2) == (b.0, b.1, b.2)
        };
        while end < keyed.len() && same(&keyed[end], &keyed[start]) {
            end += 1;
        }
        if end - start > 1 {
            keyed[start..end].sort_unstable_by(|a, b| {
                let bits = |i: usize| row(i).iter().map(|v| v.to_bits());
                bits(a.3).cmp(bits(b.3))
            });
        }
        start = end;
    }
    let order: Vec<usize> = keyed.into_iter().map(|k| k.3).collect();
    Rows {
        labels: order.iter().map(|&i| labels[i]).collect(),
        features: order.iter().flat_map(|&i| row(i).iter().copied()).collect(),
        width,
    }
}

/// One list row holding `values`.
fn list(values: Vec<f64>) -> ArrayRef {
    let field = Arc::new(Field::new("item", DataType::Float64, true));
    let offsets = OffsetBuffer::from_lengths([values.len()]);
    Arc::new(ListArray::new(
        field,
        offsets,
        Arc::new(Float64Array::from(values)),
        None,
    ))
}

impl Accumulator for Collect {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        if self.model == Model::Logistic {
            return self.push_logistic(&values[0], &values[1]);
        }
        let columns: Vec<&Float64Array> = values
            .iter()
            .map(|v| v.as_primitive::<Float64Type>())
            .collect();
        let mut row = vec![0.0; columns.len()];
        for i in 0..values[0].len() {
            if columns.iter().any(|c| c.is_null(i)) {
                continue;
            }
            for (slot, column) in row.iter_mut().zip(&columns) {
                *slot = column.value(i);
            }
            self.push_numbers(&row)?;
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let mut state: Vec<ScalarValue> = self
            .columns
            .iter()
            .map(|c| {
                ScalarValue::List(Arc::new(list(c.clone()).as_list::<i32>().clone()))
            })
            .collect();
        if self.model == Model::Logistic {
            state.push(ScalarValue::Int64(self.width.map(|w| w as i64)));
        }
        Ok(state)
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let lists: Vec<&ListArray> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, _)| states[i].as_list::<i32>())
            .collect();
        let widths = (self.model == Model::Logistic)
            .then(|| states[2].as_primitive::<datafusion::arrow::datatypes::Int64Type>());
        for row in 0..states[0].len() {
            if self.model == Model::Logistic {
                let width =
                    widths.and_then(|w| w.is_valid(row).then(|| w.value(row) as usize));
                let Some(width) = width else { continue };
                let labels = lists[0].value(row);
                let features = lists[1].value(row);
                let labels = labels.as_primitive::<Float64Type>().values();
                let features = features.as_primitive::<Float64Type>().values();
                for (i, label) in labels.iter().enumerate() {
                    self.push_logistic_row(
                        *label,
                        &features[i * width..(i + 1) * width],
                    )?;
                }
                continue;
            }
            for (column, list) in self.columns.iter_mut().zip(&lists) {
                if list.is_valid(row) {
                    let values = list.value(row);
                    column
                        .extend_from_slice(values.as_primitive::<Float64Type>().values());
                }
            }
        }
        Ok(())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        self.result()
    }

    fn size(&self) -> usize {
        size_of_val(self) + self.columns.iter().map(|c| c.capacity() * 8).sum::<usize>()
    }
}

fn fit_udaf(model: Model, doc: Documentation) -> AggregateUDF {
    AggregateUDF::new_from_impl(Fit {
        model,
        signature: Signature::user_defined(Volatility::Immutable),
        doc,
    })
}

/// `bgnbd_fit(frequency, recency, t)`.
pub fn bgnbd_fit() -> AggregateUDF {
    fit_udaf(
        Model::BgNbd,
        doc(
            LIFETIME,
            "Aggregate: fits the BG/NBD model of repeat purchasing (Fader, Hardie & Lee \
             2005) by maximum likelihood and returns struct {r, alpha, a, b, \
             log_likelihood, iterations, converged}. Check `converged` before using the \
             parameters. Rows with a NULL are skipped; identical summaries are fitted once \
             with their count. All times share one period unit (CDNOW uses weeks), which \
             the parameters then carry: alpha is in that unit.",
            "bgnbd_fit(frequency, recency, t)",
            &[
                (
                    "frequency",
                    "Repeat purchases (purchases after the first), >= 0.",
                ),
                (
                    "recency",
                    "Time from the first to the last purchase, >= 0 (0 when frequency is 0).",
                ),
                (
                    "t",
                    "Time from the first purchase to the end of the calibration period, >= recency.",
                ),
            ],
            "> SELECT f.r, f.converged FROM (SELECT bgnbd_fit(frequency, recency, t) AS f \
             FROM cdnow) x;\n0.242594..., true   -- CDNOW: r 0.243, alpha 4.414, a 0.793, b 2.426",
        ),
    )
}

/// `gamma_gamma_fit(frequency, monetary_value)`.
pub fn gamma_gamma_fit() -> AggregateUDF {
    fit_udaf(
        Model::GammaGamma,
        doc(
            LIFETIME,
            "Aggregate: fits the Gamma-Gamma model of spend per purchase (Fader & Hardie \
             2013) by maximum likelihood and returns struct {p, q, v, log_likelihood, \
             iterations, converged}. Customers with frequency 0 are skipped, as are rows \
             with a NULL.",
            "gamma_gamma_fit(frequency, monetary_value)",
            &[
                (
                    "frequency",
                    "Repeat purchases, >= 0 (rows with 0 are skipped).",
                ),
                ("monetary_value", "Mean value of the repeat purchases, > 0."),
            ],
            "> SELECT g.p, g.q, g.v FROM (SELECT gamma_gamma_fit(frequency, monetary_value) \
             AS g FROM cdnow) x;\n6.25, 3.74, 15.45   -- CDNOW, rounded",
        ),
    )
}

/// `logreg_fit(label, features [, l2])`.
pub fn logreg_fit() -> AggregateUDF {
    fit_udaf(
        Model::Logistic,
        doc(
            WIN_MODEL,
            "Aggregate: fits a logistic regression by Newton's method and returns struct \
             {coefficients list<double>, intercept, log_likelihood, iterations, converged}. \
             It maximises LL - (l2 / 2) * sum(coefficient^2): the intercept is not \
             penalised, and l2 = 0 is plain maximum likelihood (scikit-learn's C is 1 / l2). \
             Rows with a NULL label, NULL list or NULL feature are skipped; every row needs \
             the same number of features. Perfectly separable data without a penalty \
             returns converged = false.",
            "logreg_fit(label, features [, l2 0.0])",
            &[
                ("label", "The outcome: boolean, or 0 / 1."),
                (
                    "features",
                    "list<double> of the row's features, the same length on every row.",
                ),
                (
                    "l2",
                    "Penalty on the squared coefficients, a constant >= 0 (default 0).",
                ),
            ],
            "> SELECT m.intercept, m.coefficients FROM (SELECT logreg_fit(won, [legal, champion]) \
             AS m FROM deals) x;\n-0.85, [0.61, 0.47]",
        ),
    )
}
