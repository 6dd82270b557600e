//! Team functions: how well a person's capability tags cover what a deal
//! needs, and how alike two tag sets are.

use std::fmt;
use std::hash::{Hash, Hasher};

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Float64Array, ListArray, StringArray,
};
use datafusion::arrow::buffer::NullBuffer;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl,
    Signature, Volatility,
};

use crate::common::{TEAMS, check_arity, is_text_list, text_list};
use crate::docs::doc;

/// Fills `tags` with the distinct non-NULL tags of one list, sorted. The
/// tags borrow the array's bytes, so no string is copied.
fn tag_set<'a>(
    list: &'a ListArray,
    strings: &'a StringArray,
    row: usize,
    tags: &mut Vec<&'a str>,
) {
    tags.clear();
    let offsets = list.value_offsets();
    let (start, end) = (offsets[row] as usize, offsets[row + 1] as usize);
    tags.extend(
        (start..end)
            .filter(|&i| strings.is_valid(i))
            .map(|i| strings.value(i)),
    );
    tags.sort_unstable();
    tags.dedup();
}

fn shared(a: &[&str], b: &[&str]) -> usize {
    a.iter().filter(|t| b.binary_search(t).is_ok()).count()
}

/// `tag_coverage`: share of `required` found in `offered`.
fn coverage(required: &[&str], offered: &[&str]) -> f64 {
    if required.is_empty() {
        return 1.0;
    }
    shared(required, offered) as f64 / required.len() as f64
}

/// `tag_jaccard`: |a and b| / |a or b|, 1.0 for two empty sets.
fn jaccard(a: &[&str], b: &[&str]) -> f64 {
    let both = shared(a, b);
    let either = a.len() + b.len() - both;
    if either == 0 {
        1.0
    } else {
        both as f64 / either as f64
    }
}

/// One list argument as an array: a column, or a literal as one row.
fn list_argument(function: &str, name: &str, value: &ColumnarValue) -> Result<ArrayRef> {
    let array = value.to_array(1)?;
    if array
        .as_list_opt::<i32>()
        .is_none_or(|l| l.values().as_string_opt::<i32>().is_none())
    {
        return exec_err!(
            "{function}: argument `{name}` must be a list of text, got {}",
            array.data_type()
        );
    }
    Ok(array)
}

/// A scalar function of two text lists returning a double.
struct TagFn {
    name: &'static str,
    params: [&'static str; 2],
    measure: fn(&[&str], &[&str]) -> f64,
    signature: Signature,
    doc: Documentation,
}

impl fmt::Debug for TagFn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TagFn").field("name", &self.name).finish()
    }
}

impl PartialEq for TagFn {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for TagFn {}

impl Hash for TagFn {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl ScalarUDFImpl for TagFn {
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
        check_arity(self.name, &self.doc.syntax_example, arg_types.len(), 2, 2)?;
        for (t, name) in arg_types.iter().zip(self.params) {
            if !is_text_list(t) {
                return plan_err!(
                    "{}: argument `{name}` must be a list of text, got {t}",
                    self.name
                );
            }
        }
        Ok(vec![text_list(), text_list()])
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let literal = [0, 1].map(|i| matches!(args.args[i], ColumnarValue::Scalar(_)));
        let rows = if literal.iter().all(|l| *l) {
            1
        } else {
            args.number_rows
        };
        let arrays = [
            list_argument(self.name, self.params[0], &args.args[0])?,
            list_argument(self.name, self.params[1], &args.args[1])?,
        ];
        let lists = [arrays[0].as_list::<i32>(), arrays[1].as_list::<i32>()];
        let strings = lists.map(|l| l.values().as_string::<i32>());
        // A literal's tag set is built once; a column's once per row. Each
        // side's validity is that of its row, or of the literal's one row.
        let mut sets: [Vec<&str>; 2] = [Vec::new(), Vec::new()];
        let mut nulls = None;
        for side in 0..2 {
            if literal[side] {
                if lists[side].is_null(0) {
                    return Ok(null_result(literal, rows));
                }
                tag_set(lists[side], strings[side], 0, &mut sets[side]);
            } else {
                nulls = NullBuffer::union(nulls.as_ref(), lists[side].nulls());
            }
        }
        let mut values = Vec::with_capacity(rows);
        for row in 0..rows {
            if nulls.as_ref().is_some_and(|n| n.is_null(row)) {
                values.push(0.0);
                continue;
            }
            for side in 0..2 {
                if !literal[side] {
                    tag_set(lists[side], strings[side], row, &mut sets[side]);
                }
            }
            values.push((self.measure)(&sets[0], &sets[1]));
        }
        if literal.iter().all(|l| *l) {
            return Ok(ColumnarValue::Scalar(ScalarValue::Float64(
                values.first().copied(),
            )));
        }
        Ok(ColumnarValue::Array(Arc::new(Float64Array::new(
            values.into(),
            nulls,
        ))))
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&self.doc)
    }
}

/// The result when a literal argument is NULL.
fn null_result(literal: [bool; 2], rows: usize) -> ColumnarValue {
    if literal.iter().all(|l| *l) {
        ColumnarValue::Scalar(ScalarValue::Float64(None))
    } else {
        ColumnarValue::Array(Arc::new(Float64Array::new_null(rows)))
    }
}

/// `tag_coverage(required, offered)`.
pub fn tag_coverage() -> ScalarUDF {
    ScalarUDF::new_from_impl(TagFn {
        name: "tag_coverage",
        params: ["required", "offered"],
        measure: coverage,
        signature: Signature::user_defined(Volatility::Immutable),
        doc: doc(
            TEAMS,
            "Share of the distinct required tags that the offered tags contain; 1.0 when \
             nothing is required. Tags compare exactly (case matters); NULL tags are ignored.",
            "tag_coverage(required, offered)",
            &[
                ("required", "list<text>: the tags a deal needs."),
                ("offered", "list<text>: the tags a person or team has."),
            ],
            "> SELECT tag_coverage(['iot', 'security', 'german'], ['iot', 'german', 'sql']);\n\
             0.666666666667",
        ),
    })
}

/// `tag_jaccard(a, b)`.
pub fn tag_jaccard() -> ScalarUDF {
    ScalarUDF::new_from_impl(TagFn {
        name: "tag_jaccard",
        params: ["a", "b"],
        measure: jaccard,
        signature: Signature::user_defined(Volatility::Immutable),
        doc: doc(
            TEAMS,
            "Jaccard similarity of two tag sets: |a and b| / |a or b| over distinct tags; \
             1.0 when both are empty.",
            "tag_jaccard(a, b)",
            &[
                ("a", "list<text>: the first tag set."),
                ("b", "list<text>: the second tag set."),
            ],
            "> SELECT tag_jaccard(['iot', 'sql'], ['sql', 'ml']);\n0.333333333333",
        ),
    })
}
