//! Team functions: how well a person's capability tags cover what a deal
//! needs, and how alike two tag sets are.

use std::fmt;
use std::hash::{Hash, Hasher};

use datafusion::arrow::array::{Array, AsArray, GenericListArray, StringArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl,
    Signature, Volatility,
};

use crate::common::{Output, TEAMS, check_arity, is_text_list, text_list};
use crate::docs::doc;

/// The distinct non-NULL tags of a list, sorted.
fn tag_set(list: &GenericListArray<i32>, row: usize) -> Vec<String> {
    let values = list.value(row);
    let strings: &StringArray = values.as_string::<i32>();
    let mut tags: Vec<String> = strings.iter().flatten().map(str::to_string).collect();
    tags.sort_unstable();
    tags.dedup();
    tags
}

fn shared(a: &[String], b: &[String]) -> usize {
    a.iter().filter(|t| b.binary_search(t).is_ok()).count()
}

/// `tag_coverage`: share of `required` found in `offered`.
pub fn coverage(required: &[String], offered: &[String]) -> f64 {
    if required.is_empty() {
        return 1.0;
    }
    shared(required, offered) as f64 / required.len() as f64
}

/// `tag_jaccard`: |a and b| / |a or b|, 1.0 for two empty sets.
pub fn jaccard(a: &[String], b: &[String]) -> f64 {
    let both = shared(a, b);
    let either = a.len() + b.len() - both;
    if either == 0 {
        1.0
    } else {
        both as f64 / either as f64
    }
}

/// A scalar function of two text lists returning a double.
struct TagFn {
    name: &'static str,
    params: [&'static str; 2],
    measure: fn(&[String], &[String]) -> f64,
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
        let all_scalar = args
            .args
            .iter()
            .all(|a| matches!(a, ColumnarValue::Scalar(_)));
        let rows = if all_scalar { 1 } else { args.number_rows };
        let a = args.args[0].to_array(rows)?;
        let b = args.args[1].to_array(rows)?;
        let (a, b) = (a.as_list::<i32>(), b.as_list::<i32>());
        let mut values = Vec::with_capacity(rows);
        let mut valid = Vec::with_capacity(rows);
        for row in 0..rows {
            let ok = a.is_valid(row) && b.is_valid(row);
            valid.push(ok);
            values.push(if ok {
                (self.measure)(&tag_set(a, row), &tag_set(b, row))
            } else {
                0.0
            });
        }
        if all_scalar {
            return Ok(ColumnarValue::Scalar(ScalarValue::Float64(
                valid[0].then(|| values[0]),
            )));
        }
        let nulls = datafusion::arrow::buffer::NullBuffer::from(valid);
        Ok(ColumnarValue::Array(f64::array(values, Some(nulls))))
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&self.doc)
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
