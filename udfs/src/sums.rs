//! One implementation for every aggregate whose state is two running sums
//! and a row count: each row maps to a pair `(a, b)`, partial states add
//! up, and a finishing function turns `(a, b, n)` into the result. That
//! covers combine_lifts, resource_slack_agg, wape, mape, forecast_bias,
//! brier_score, log_loss and health_score, grouped or not, on any number of
//! partitions.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, BooleanArray, Float64Array};
use datafusion::arrow::buffer::NullBuffer;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{Result, ScalarValue, exec_datafusion_err, plan_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, Documentation, EmitTo,
    GroupsAccumulator, Signature, Volatility,
};

use crate::common::{check_arity, is_numeric};

/// Maps one row's inputs to the pair it adds, or `None` to skip the row.
pub type RowFn<const N: usize> = fn([f64; N]) -> Result<Option<[f64; 2]>>;
/// Turns the summed pair and the row count into the result.
pub type FinishFn = fn([f64; 2], f64) -> Result<Option<f64>>;

/// An aggregate of `N` numeric inputs with a two-sum state.
pub struct SumsAgg<const N: usize> {
    name: &'static str,
    params: [&'static str; N],
    /// Parameters that also take booleans (as 0 and 1).
    boolean_params: &'static [&'static str],
    signature: Signature,
    doc: Documentation,
    row: RowFn<N>,
    finish: FinishFn,
}

/// Builds a two-sum aggregate.
pub fn sums_udaf<const N: usize>(
    name: &'static str,
    params: [&'static str; N],
    boolean_params: &'static [&'static str],
    doc: Documentation,
    row: RowFn<N>,
    finish: FinishFn,
) -> AggregateUDF {
    AggregateUDF::new_from_impl(SumsAgg {
        name,
        params,
        boolean_params,
        signature: Signature::user_defined(Volatility::Immutable),
        doc,
        row,
        finish,
    })
}

impl<const N: usize> fmt::Debug for SumsAgg<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SumsAgg").field("name", &self.name).finish()
    }
}

impl<const N: usize> PartialEq for SumsAgg<N> {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl<const N: usize> Eq for SumsAgg<N> {}

impl<const N: usize> Hash for SumsAgg<N> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl<const N: usize> AggregateUDFImpl for SumsAgg<N> {
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
        check_arity(self.name, &self.doc.syntax_example, arg_types.len(), N, N)?;
        arg_types
            .iter()
            .zip(self.params)
            .map(|(t, name)| {
                let boolean =
                    *t == DataType::Boolean && self.boolean_params.contains(&name);
                if is_numeric(t) || boolean {
                    Ok(DataType::Float64)
                } else {
                    let kind = if self.boolean_params.contains(&name) {
                        "a number or a boolean"
                    } else {
                        "a number"
                    };
                    plan_err!("{}: argument `{name}` must be {kind}, got {t}", self.name)
                }
            })
            .collect()
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(["a", "b", "rows"]
            .iter()
            .map(|part| {
                Arc::new(Field::new(
                    format!("{}[{part}]", args.name),
                    DataType::Float64,
                    true,
                ))
            })
            .collect())
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(SumsAccumulator {
            state: State::default(),
            row: self.row,
            finish: self.finish,
        }))
    }

    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }

    fn create_groups_accumulator(
        &self,
        _args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(SumsGroups {
            states: Vec::new(),
            row: self.row,
            finish: self.finish,
        }))
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&self.doc)
    }
}

/// `(sum of a, sum of b, rows)`.
#[derive(Debug, Clone, Copy, Default)]
struct State {
    a: f64,
    b: f64,
    rows: f64,
}

impl State {
    fn add(&mut self, pair: [f64; 2], rows: f64) {
        self.a += pair[0];
        self.b += pair[1];
        self.rows += rows;
    }
}

fn floats(array: &ArrayRef) -> Result<&Float64Array> {
    array
        .as_any()
        .downcast_ref::<Float64Array>()
        .ok_or_else(|| {
            exec_datafusion_err!("expected Float64 input, got {}", array.data_type())
        })
}

/// The inputs of row `i`, or `None` when any is NULL.
#[inline]
fn inputs<const N: usize>(columns: &[&Float64Array], i: usize) -> Option<[f64; N]> {
    let mut out = [0.0; N];
    for (slot, column) in out.iter_mut().zip(columns) {
        if column.is_null(i) {
            return None;
        }
        *slot = column.value(i);
    }
    Some(out)
}

fn columns(values: &[ArrayRef]) -> Result<Vec<&Float64Array>> {
    values.iter().map(floats).collect()
}

#[derive(Debug)]
struct SumsAccumulator<const N: usize> {
    state: State,
    row: RowFn<N>,
    finish: FinishFn,
}

impl<const N: usize> Accumulator for SumsAccumulator<N> {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let columns = columns(values)?;
        let rows = columns.first().map_or(0, |c| c.len());
        for i in 0..rows {
            if let Some(input) = inputs::<N>(&columns, i)
                && let Some(pair) = (self.row)(input)?
            {
                self.state.add(pair, 1.0);
            }
        }
        Ok(())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let s = self.state;
        Ok(ScalarValue::Float64((self.finish)([s.a, s.b], s.rows)?))
    }

    fn size(&self) -> usize {
        size_of_val(self)
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let s = self.state;
        Ok(vec![s.a, s.b, s.rows]
            .into_iter()
            .map(|v| ScalarValue::Float64(Some(v)))
            .collect())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let [a, b, rows] = state_columns(states)?;
        for i in 0..a.len() {
            if a.is_valid(i) {
                self.state.add([a.value(i), b.value(i)], rows.value(i));
            }
        }
        Ok(())
    }
}

fn state_columns(states: &[ArrayRef]) -> Result<[&Float64Array; 3]> {
    match states {
        [a, b, rows] => Ok([floats(a)?, floats(b)?, floats(rows)?]),
        _ => Err(exec_datafusion_err!(
            "expected 3 state columns, got {}",
            states.len()
        )),
    }
}

struct SumsGroups<const N: usize> {
    states: Vec<State>,
    row: RowFn<N>,
    finish: FinishFn,
}

impl<const N: usize> fmt::Debug for SumsGroups<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SumsGroups")
            .field("groups", &self.states.len())
            .finish()
    }
}

fn passes(filter: Option<&BooleanArray>, i: usize) -> bool {
    filter.is_none_or(|f| f.is_valid(i) && f.value(i))
}

impl<const N: usize> GroupsAccumulator for SumsGroups<N> {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.states.resize(total_num_groups, State::default());
        let columns = columns(values)?;
        for (i, &group) in group_indices.iter().enumerate() {
            if !passes(opt_filter, i) {
                continue;
            }
            if let Some(input) = inputs::<N>(&columns, i)
                && let Some(pair) = (self.row)(input)?
            {
                self.states[group].add(pair, 1.0);
            }
        }
        Ok(())
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let states = emit_to.take_needed(&mut self.states);
        let mut values = Vec::with_capacity(states.len());
        let mut valid = Vec::with_capacity(states.len());
        for s in states {
            let result = (self.finish)([s.a, s.b], s.rows)?;
            valid.push(result.is_some());
            values.push(result.unwrap_or_default());
        }
        Ok(Arc::new(Float64Array::new(
            values.into(),
            Some(NullBuffer::from(valid)),
        )))
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let states = emit_to.take_needed(&mut self.states);
        Ok(state_arrays(&states))
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.states.resize(total_num_groups, State::default());
        let [a, b, rows] = state_columns(values)?;
        for (i, &group) in group_indices.iter().enumerate() {
            if a.is_valid(i) {
                self.states[group].add([a.value(i), b.value(i)], rows.value(i));
            }
        }
        Ok(())
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        let columns = columns(values)?;
        let rows = columns.first().map_or(0, |c| c.len());
        let mut states = vec![State::default(); rows];
        for (i, state) in states.iter_mut().enumerate() {
            if passes(opt_filter, i)
                && let Some(input) = inputs::<N>(&columns, i)
                && let Some(pair) = (self.row)(input)?
            {
                state.add(pair, 1.0);
            }
        }
        Ok(state_arrays(&states))
    }

    fn size(&self) -> usize {
        self.states.capacity() * size_of::<State>()
    }
}

fn state_arrays(states: &[State]) -> Vec<ArrayRef> {
    let column = |f: fn(&State) -> f64| -> ArrayRef {
        Arc::new(Float64Array::from_iter_values(states.iter().map(f)))
    };
    vec![column(|s| s.a), column(|s| s.b), column(|s| s.rows)]
}
