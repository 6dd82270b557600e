//! Tests of the row evaluator: every argument shape (columns, literals) gives
//! the same values, NULLs propagate, domains and relations are checked.

#![allow(clippy::unwrap_used)]

use super::*;

const CONTRACT: Contract<'static, 2> = Contract {
    function: "f",
    params: ["x", "y"],
    domains: [
        Domain {
            lo: 0.0,
            hi: 1.0,
            whole: false,
            any: false,
            expected: "0 <= x <= 1",
            unit: "",
        },
        Domain::ANY,
    ],
    relation: None,
};

fn column(values: &[f64], nulls: Option<Vec<bool>>) -> ColumnarValue {
    let nulls = nulls.map(NullBuffer::from);
    ColumnarValue::Array(Arc::new(Float64Array::new(values.to_vec().into(), nulls)))
}

fn literal(value: Option<f64>) -> ColumnarValue {
    ColumnarValue::Scalar(ScalarValue::Float64(value))
}

fn floats(value: ColumnarValue) -> Vec<Option<f64>> {
    let array = value.to_array(1).unwrap();
    let array = array.as_any().downcast_ref::<Float64Array>().unwrap();
    array.iter().collect()
}

fn sum(args: [ColumnarValue; 2], rows: usize) -> Result<ColumnarValue> {
    map_rows(&CONTRACT, &args, rows, |[x, y]| Some(x + y))
}

#[test]
fn every_shape_computes_the_same_values() {
    let x = [0.1, 0.2, 0.3];
    let expected = vec![Some(10.1), Some(10.2), Some(10.3)];
    let both = sum([column(&x, None), column(&[10.0; 3], None)], 3).unwrap();
    let first = sum([column(&x, None), literal(Some(10.0))], 3).unwrap();
    assert_eq!(floats(both), expected);
    assert_eq!(floats(first), expected);
    let mixed = sum([literal(Some(0.5)), column(&[1.0, 2.0, 3.0], None)], 3).unwrap();
    assert_eq!(floats(mixed), vec![Some(1.5), Some(2.5), Some(3.5)]);
    let scalar = sum([literal(Some(0.5)), literal(Some(1.0))], 3).unwrap();
    assert!(matches!(
        scalar,
        ColumnarValue::Scalar(ScalarValue::Float64(Some(1.5)))
    ));
}

#[test]
fn nulls_of_every_argument_reach_the_result() {
    let x = column(&[0.1, 0.2, 0.3], Some(vec![true, false, true]));
    let y = column(&[1.0, 2.0, 3.0], Some(vec![true, true, false]));
    assert_eq!(floats(sum([x, y], 3).unwrap()), vec![Some(1.1), None, None]);
    let null = sum([column(&[0.1], None), literal(None)], 1).unwrap();
    assert_eq!(floats(null), vec![None]);
}

#[test]
fn a_value_outside_the_domain_is_an_error_unless_its_row_is_null() {
    // The slot behind a NULL may hold anything; it is not the user's value.
    let hidden = column(&[0.1, 7.0], Some(vec![true, false]));
    let ok = sum([hidden, literal(Some(1.0))], 2).unwrap();
    assert_eq!(floats(ok), vec![Some(1.1), None]);
    // A NULL in another argument also hides the row.
    let other = column(&[1.0, 1.0], Some(vec![true, false]));
    assert!(sum([column(&[0.1, 7.0], None), other], 2).is_ok());

    let err = sum([column(&[0.1, 7.0, 9.0], None), literal(Some(1.0))], 3).unwrap_err();
    assert!(
        err.to_string()
            .contains("f: argument `x` is 7, outside its domain (0 <= x <= 1)"),
        "{err}"
    );
    let err = sum([column(&[0.5], None), literal(Some(1.0))], 1)
        .and_then(|_| sum([literal(Some(f64::NAN)), column(&[1.0], None)], 1))
        .unwrap_err();
    assert!(err.to_string().contains("argument `x` is NaN"), "{err}");
}

#[test]
fn relations_are_checked_per_row_and_for_literals() {
    let contract = Contract {
        function: "g",
        params: ["lo", "hi"],
        domains: [Domain::ANY, Domain::ANY],
        relation: Some(Relation {
            first: 0,
            second: 1,
            holds: |lo, hi| lo != hi,
            expected: "hi <> lo",
        }),
    };
    let run = |args: [ColumnarValue; 2], rows| {
        map_rows(&contract, &args, rows, |[lo, hi]| Some(hi - lo))
    };
    let err = run([column(&[1.0, 2.0], None), column(&[3.0, 2.0], None)], 2).unwrap_err();
    assert!(err.to_string().contains("g: argument `hi` is 2"), "{err}");
    let hidden = column(&[1.0, 2.0], Some(vec![true, false]));
    assert!(run([hidden, column(&[3.0, 2.0], None)], 2).is_ok());
    let err = run([literal(Some(4.0)), literal(Some(4.0))], 1).unwrap_err();
    assert!(err.to_string().contains("argument `hi` is 4"), "{err}");
    let err = run([literal(Some(4.0)), column(&[5.0, 4.0], None)], 2).unwrap_err();
    assert!(err.to_string().contains("argument `hi` is 4"), "{err}");
}

#[test]
fn rows_without_a_value_join_the_input_nulls() {
    let x = column(&[0.0, 0.5, 0.0, 0.25], Some(vec![true, true, true, false]));
    let out = map_rows(&CONTRACT, &[x, literal(Some(1.0))], 4, |[x, y]| {
        (x != 0.0).then(|| y / x)
    })
    .unwrap();
    assert_eq!(floats(out), vec![None, Some(2.0), None, None]);
}

#[test]
fn text_and_boolean_outputs_keep_their_nulls() {
    let x = column(&[0.1, 0.9, 0.5], Some(vec![true, true, false]));
    let band = map_rows(&CONTRACT, &[x.clone(), literal(Some(0.0))], 3, |[x, _]| {
        Some(if x < 0.5 { "low" } else { "high" })
    })
    .unwrap()
    .to_array(3)
    .unwrap();
    let band = band.as_any().downcast_ref::<StringArray>().unwrap();
    assert_eq!(
        band.iter().collect::<Vec<_>>(),
        vec![Some("low"), Some("high"), None]
    );
    let flag = map_rows(&CONTRACT, &[x, literal(Some(0.0))], 3, |[x, _]| {
        Some(x < 0.5)
    })
    .unwrap()
    .to_array(3)
    .unwrap();
    let flag = flag.as_any().downcast_ref::<BooleanArray>().unwrap();
    assert_eq!(
        flag.iter().collect::<Vec<_>>(),
        vec![Some(true), Some(false), None]
    );
}
