//! `roc_auc(p, outcome)`: the probability that a random winner was scored
//! above a random loser, ties counting one half. Its state is every scored
//! row, so partial states are lists that concatenate.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, ListArray,
};
use datafusion::arrow::buffer::{NullBuffer, OffsetBuffer};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Float64Type};
use datafusion::common::{Result, ScalarValue, exec_datafusion_err, plan_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, Documentation, EmitTo,
    GroupsAccumulator, Signature, Volatility,
};

use crate::common::{
    QUALITY, check_arity, domain_error, is_numeric, single_function_identity,
};
use crate::docs::doc;

const NAME: &str = "roc_auc";

struct RocAuc {
    signature: Signature,
    doc: Documentation,
}

/// `roc_auc`.
pub fn roc_auc() -> AggregateUDF {
    AggregateUDF::new_from_impl(RocAuc {
        signature: Signature::user_defined(Volatility::Immutable),
        doc: doc(
            QUALITY,
            "Aggregate: area under the ROC curve of probability forecasts, the chance that a \
             random positive outcome got a higher p than a random negative one (ties count \
             one half). 0.5 is no skill, 1.0 perfect; NULL without both outcomes.",
            "roc_auc(p, outcome)",
            &[
                ("p", "Forecast score or probability."),
                ("outcome", "What happened: true/false or 1/0."),
            ],
            "> SELECT roc_auc(p, won) FROM (VALUES (0.9, true), (0.4, true), (0.6, false), \
             (0.2, false)) t(p, won);\n0.75",
        ),
    })
}

single_function_identity!(RocAuc, NAME);

impl AggregateUDFImpl for RocAuc {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(NAME, &self.doc.syntax_example, arg_types.len(), 2, 2)?;
        if !is_numeric(&arg_types[0]) {
            return plan_err!(
                "{NAME}: argument `p` must be a number, got {}",
                arg_types[0]
            );
        }
        if !(is_numeric(&arg_types[1]) || arg_types[1] == DataType::Boolean) {
            return plan_err!(
                "{NAME}: argument `outcome` must be a boolean or a number, got {}",
                arg_types[1]
            );
        }
        Ok(vec![DataType::Float64, DataType::Float64])
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let list =
            || DataType::List(Arc::new(Field::new("item", DataType::Float64, true)));
        Ok(vec![
            Arc::new(Field::new(format!("{}[scores]", args.name), list(), true)),
            Arc::new(Field::new(format!("{}[outcomes]", args.name), list(), true)),
        ])
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(Single(Vec::new())))
    }

    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }

    fn create_groups_accumulator(
        &self,
        _args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(Groups(Vec::new())))
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&self.doc)
    }
}

/// Scored rows: `(p, positive)`.
type Scored = Vec<(f64, bool)>;

/// Area under the ROC curve by the rank-sum (Mann-Whitney) formula, with
/// tied scores sharing their average rank.
pub fn area_under_curve(rows: &mut Scored) -> Option<f64> {
    let positives = rows.iter().filter(|r| r.1).count() as f64;
    let negatives = rows.len() as f64 - positives;
    if positives == 0.0 || negatives == 0.0 {
        return None;
    }
    rows.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < rows.len() {
        let mut j = i;
        while j < rows.len() && rows[j].0 == rows[i].0 {
            j += 1;
        }
        let average_rank = (i + j + 1) as f64 / 2.0;
        rank_sum += average_rank * rows[i..j].iter().filter(|r| r.1).count() as f64;
        i = j;
    }
    Some((rank_sum - positives * (positives + 1.0) / 2.0) / (positives * negatives))
}

fn read_rows(
    values: &[ArrayRef],
    filter: Option<&BooleanArray>,
) -> Result<Vec<Option<(f64, bool)>>> {
    let [p, outcome] = values else {
        return Err(exec_datafusion_err!("{NAME}: expected 2 inputs"));
    };
    let p = p.as_primitive::<Float64Type>();
    let outcome = outcome.as_primitive::<Float64Type>();
    (0..p.len())
        .map(|i| {
            let kept = filter.is_none_or(|f| f.is_valid(i) && f.value(i));
            if !kept || p.is_null(i) || outcome.is_null(i) {
                return Ok(None);
            }
            let (score, label) = (p.value(i), outcome.value(i));
            if score.is_nan() {
                return Err(domain_error(NAME, "p", score, "a number"));
            }
            if label != 0.0 && label != 1.0 {
                return Err(domain_error(NAME, "outcome", label, "0, 1, false or true"));
            }
            Ok(Some((score, label == 1.0)))
        })
        .collect()
}

/// The state of each group as two list arrays.
fn to_state(groups: &[Scored]) -> Vec<ArrayRef> {
    let lengths = groups.iter().map(Vec::len);
    let offsets = OffsetBuffer::from_lengths(lengths);
    let field = Arc::new(Field::new("item", DataType::Float64, true));
    let list = |values: Float64Array| -> ArrayRef {
        Arc::new(ListArray::new(
            Arc::clone(&field),
            offsets.clone(),
            Arc::new(values),
            None,
        ))
    };
    let scores = Float64Array::from_iter_values(groups.iter().flatten().map(|r| r.0));
    let labels = Float64Array::from_iter_values(
        groups.iter().flatten().map(|r| f64::from(u8::from(r.1))),
    );
    vec![list(scores), list(labels)]
}

/// Rows of each state entry.
fn from_state(states: &[ArrayRef]) -> Result<Vec<Scored>> {
    let [scores, labels] = states else {
        return Err(exec_datafusion_err!("{NAME}: expected 2 state columns"));
    };
    let (scores, labels) = (scores.as_list::<i32>(), labels.as_list::<i32>());
    (0..scores.len())
        .map(|i| {
            if scores.is_null(i) {
                return Ok(Vec::new());
            }
            let s = scores.value(i);
            let l = labels.value(i);
            let (s, l) = (
                s.as_primitive::<Float64Type>(),
                l.as_primitive::<Float64Type>(),
            );
            Ok(s.values()
                .iter()
                .zip(l.values().iter())
                .map(|(s, l)| (*s, *l == 1.0))
                .collect())
        })
        .collect()
}

#[derive(Debug)]
struct Single(Scored);

impl Accumulator for Single {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.0
            .extend(read_rows(values, None)?.into_iter().flatten());
        Ok(())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(ScalarValue::Float64(area_under_curve(&mut self.0)))
    }

    fn size(&self) -> usize {
        size_of_val(self) + self.0.capacity() * size_of::<(f64, bool)>()
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        to_state(std::slice::from_ref(&self.0))
            .iter()
            .map(|a| ScalarValue::try_from_array(a, 0))
            .collect()
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        self.0.extend(from_state(states)?.into_iter().flatten());
        Ok(())
    }
}

#[derive(Debug)]
struct Groups(Vec<Scored>);

impl GroupsAccumulator for Groups {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.0.resize_with(total_num_groups, Vec::new);
        for (row, &group) in read_rows(values, opt_filter)?
            .into_iter()
            .zip(group_indices)
        {
            if let Some(row) = row {
                self.0[group].push(row);
            }
        }
        Ok(())
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let mut groups = emit_to.take_needed(&mut self.0);
        let results: Vec<Option<f64>> = groups.iter_mut().map(area_under_curve).collect();
        let valid =
            NullBuffer::from(results.iter().map(Option::is_some).collect::<Vec<_>>());
        let values: Vec<f64> =
            results.into_iter().map(Option::unwrap_or_default).collect();
        Ok(Arc::new(Float64Array::new(values.into(), Some(valid))))
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        Ok(to_state(&emit_to.take_needed(&mut self.0)))
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.0.resize_with(total_num_groups, Vec::new);
        for (rows, &group) in from_state(values)?.into_iter().zip(group_indices) {
            self.0[group].extend(rows);
        }
        Ok(())
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        let groups: Vec<Scored> = read_rows(values, opt_filter)?
            .into_iter()
            .map(|r| r.into_iter().collect())
            .collect();
        Ok(to_state(&groups))
    }

    fn size(&self) -> usize {
        self.0
            .iter()
            .map(|g| g.capacity() * size_of::<(f64, bool)>())
            .sum::<usize>()
            + self.0.capacity() * size_of::<Scored>()
    }
}

#[cfg(test)]
mod tests {
    use super::area_under_curve;

    #[test]
    fn ties_count_one_half_and_one_class_gives_none() {
        let mut perfect = vec![(0.9, true), (0.1, false)];
        assert_eq!(area_under_curve(&mut perfect), Some(1.0));
        let mut tied = vec![(0.5, true), (0.5, false)];
        assert_eq!(area_under_curve(&mut tied), Some(0.5));
        let mut mixed = vec![(0.9, true), (0.4, true), (0.6, false), (0.2, false)];
        assert_eq!(area_under_curve(&mut mixed), Some(0.75));
        assert_eq!(area_under_curve(&mut vec![(0.3, true)]), None);
    }
}
