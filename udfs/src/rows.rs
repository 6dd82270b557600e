//! Evaluating a numeric row function over whole Arrow arrays.
//!
//! A function is split into what the engine can do in bulk and what only
//! the function knows:
//!
//! - each argument's [`Domain`] (and at most one [`Relation`] between two
//!   arguments) is checked over whole value slices with branch-free loops;
//!   only when a slice fails does a second pass look for the first
//!   offending row that is not NULL, to name it in the error;
//! - the value is then computed for every row in one pass without
//!   `Result`s or per-row NULL tests; the output's NULL mask is the union
//!   of the inputs' masks (a NULL in any argument gives NULL).
//!
//! The row function therefore also runs on the slots behind NULLs, whose
//! values are arbitrary: it must be total (never panic) for any input.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, BooleanArray, Float64Array, Int32Array, StringArray,
};
use datafusion::arrow::buffer::{BooleanBuffer, Buffer, NullBuffer, OffsetBuffer};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue, exec_datafusion_err};
use datafusion::logical_expr::ColumnarValue;

use crate::common::domain_error;

/// The values one argument may take: a closed interval, optionally whole
/// numbers only. NaN is outside every domain except [`Domain::ANY`].
#[derive(Debug, Clone, Copy)]
pub struct Domain {
    lo: f64,
    hi: f64,
    whole: bool,
    any: bool,
    expected: &'static str,
    unit: &'static str,
}

impl Domain {
    /// Every value, NaN included: nothing is checked.
    pub const ANY: Domain = Domain {
        lo: f64::NEG_INFINITY,
        hi: f64::INFINITY,
        whole: false,
        any: true,
        expected: "",
        unit: "",
    };

    /// `lo <= value <= hi`; `expected` is how the error states it.
    pub fn between(lo: f64, hi: f64, expected: &'static str) -> Domain {
        Domain {
            lo,
            hi,
            whole: false,
            any: false,
            expected,
            unit: "",
        }
    }

    /// Any number but NaN.
    pub fn number(expected: &'static str) -> Domain {
        Domain::between(f64::NEG_INFINITY, f64::INFINITY, expected)
    }

    /// `value >= lo`.
    pub fn at_least(lo: f64, expected: &'static str) -> Domain {
        Domain::between(lo, f64::INFINITY, expected)
    }

    /// `value > lo`.
    pub fn above(lo: f64, expected: &'static str) -> Domain {
        Domain::between(lo.next_up(), f64::INFINITY, expected)
    }

    /// Only whole numbers within the interval.
    pub fn whole(self) -> Domain {
        Domain {
            whole: true,
            ..self
        }
    }

    /// Shows values with a unit in errors (`0 days`).
    pub fn unit(self, unit: &'static str) -> Domain {
        Domain { unit, ..self }
    }

    /// Whether `value` is inside; compiled without branches.
    #[inline(always)]
    pub fn contains(&self, value: f64) -> bool {
        self.any
            | ((value >= self.lo)
                & (value <= self.hi)
                & (!self.whole | (value.fract() == 0.0)))
    }

    /// Whether every value is inside, NULL slots included. Folds whole
    /// chunks so the loop vectorises, stopping at the first bad chunk.
    fn contains_all(&self, values: &[f64]) -> bool {
        if self.any {
            return true;
        }
        if self.whole {
            return values.iter().all(|v| self.contains(*v));
        }
        // Counting the values inside, rather than folding booleans, is the
        // form the compiler turns into vector compares; a one-sided interval
        // compares once (NaN fails either compare).
        let (lo, hi) = (self.lo, self.hi);
        let inside = |chunk: &[f64]| -> u64 {
            if hi == f64::INFINITY {
                chunk.iter().map(|&v| u64::from(v >= lo)).sum()
            } else if lo == f64::NEG_INFINITY {
                chunk.iter().map(|&v| u64::from(v <= hi)).sum()
            } else {
                chunk
                    .iter()
                    .map(|&v| u64::from((v >= lo) & (v <= hi)))
                    .sum()
            }
        };
        values
            .chunks(1024)
            .all(|chunk| inside(chunk) == chunk.len() as u64)
    }

    /// The first value outside the domain in a row that is not NULL, if
    /// any; `nulls` marks the rows that are.
    pub fn first_outside(
        &self,
        values: &[f64],
        nulls: Option<&NullBuffer>,
    ) -> Option<f64> {
        if self.contains_all(values) {
            return None;
        }
        let valid = |row: usize| nulls.is_none_or(|n| n.is_valid(row));
        values
            .iter()
            .enumerate()
            .find(|&(row, v)| valid(row) && !self.contains(*v))
            .map(|(_, v)| *v)
    }

    /// The error for `value` given as `argument` of `function`.
    pub fn error(
        &self,
        function: &str,
        argument: &str,
        value: f64,
    ) -> datafusion::error::DataFusionError {
        domain_error(
            function,
            argument,
            format!("{value}{}", self.unit),
            self.expected,
        )
    }
}

/// A condition between two arguments, such as `lo <> hi`.
#[derive(Debug, Clone, Copy)]
pub struct Relation {
    /// The first argument's position.
    pub first: usize,
    /// The second argument's position; the error names this one.
    pub second: usize,
    /// Whether the pair is acceptable.
    pub holds: fn(f64, f64) -> bool,
    /// How the error states the condition.
    pub expected: &'static str,
}

/// What a numeric row function accepts.
#[derive(Debug, Clone, Copy)]
pub struct Contract<'a, const N: usize> {
    /// The SQL name, for errors.
    pub function: &'a str,
    /// The argument names, for errors.
    pub params: [&'a str; N],
    /// Each argument's domain.
    pub domains: [Domain; N],
    /// A condition between two arguments, if any.
    pub relation: Option<Relation>,
}

impl<const N: usize> Contract<'_, N> {
    /// Checks one row of argument values.
    fn check_row(&self, values: [f64; N]) -> Result<()> {
        for (i, domain) in self.domains.iter().enumerate() {
            if !domain.contains(values[i]) {
                return Err(domain.error(self.function, self.params[i], values[i]));
            }
        }
        if let Some(r) = self.relation
            && !(r.holds)(values[r.first], values[r.second])
        {
            let value = values[r.second];
            return Err(domain_error(
                self.function,
                self.params[r.second],
                value,
                r.expected,
            ));
        }
        Ok(())
    }

    /// Checks the literals against their domains and the relation on
    /// every non-NULL row; `nulls` is the union of the inputs' masks. A
    /// literal outside its domain is an error whatever the other arguments
    /// hold.
    fn check_literals(
        &self,
        inputs: &[Input; N],
        nulls: Option<&NullBuffer>,
    ) -> Result<()> {
        for (i, domain) in self.domains.iter().enumerate() {
            if let Input::Constant(value) = inputs[i]
                && !domain.contains(value)
            {
                return Err(domain.error(self.function, self.params[i], value));
            }
        }
        let valid = |row: usize| nulls.is_none_or(|n| n.is_valid(row));
        if let Some(r) = self.relation {
            let (a, b) = (inputs[r.first], inputs[r.second]);
            let literals = matches!((a, b), (Input::Constant(_), Input::Constant(_)));
            let rows = a.len().max(b.len());
            let holds = |row: usize| (r.holds)(a.get(row), b.get(row));
            if let Some(row) =
                (0..rows).find(|&row| (literals || valid(row)) && !holds(row))
            {
                return Err(domain_error(
                    self.function,
                    self.params[r.second],
                    b.get(row),
                    r.expected,
                ));
            }
        }
        Ok(())
    }

    /// Checks the columns' values in rows `start .. start + len` that are
    /// not NULL against their domains.
    fn check_block(
        &self,
        inputs: &[Input; N],
        nulls: Option<&NullBuffer>,
        start: usize,
        len: usize,
    ) -> Result<()> {
        for (i, domain) in self.domains.iter().enumerate() {
            if let Input::Column(values) = inputs[i] {
                let block = &values[start..start + len];
                let block_nulls = nulls.map(|n| n.slice(start, len));
                if let Some(value) = domain.first_outside(block, block_nulls.as_ref()) {
                    return Err(domain.error(self.function, self.params[i], value));
                }
            }
        }
        Ok(())
    }
}

/// One argument on the fast path: a column's values, or a literal.
#[derive(Clone, Copy)]
enum Input<'a> {
    Column(&'a [f64]),
    Constant(f64),
}

impl Input<'_> {
    #[inline(always)]
    fn get(&self, row: usize) -> f64 {
        match self {
            Input::Column(values) => values[row],
            Input::Constant(value) => *value,
        }
    }

    fn len(&self) -> usize {
        match self {
            Input::Column(values) => values.len(),
            Input::Constant(_) => 1,
        }
    }
}

/// A value a function can return, with its Arrow array and scalar forms.
pub trait Output: Copy + Default {
    /// The Arrow type.
    fn data_type() -> DataType;
    /// An array of the values, with a validity mask.
    fn array(values: Vec<Self>, nulls: Option<NullBuffer>) -> ArrayRef;
    /// One value (NULL when `None`).
    fn scalar(value: Option<Self>) -> ScalarValue;
}

impl Output for f64 {
    fn data_type() -> DataType {
        DataType::Float64
    }
    fn array(values: Vec<Self>, nulls: Option<NullBuffer>) -> ArrayRef {
        Arc::new(Float64Array::new(values.into(), nulls))
    }
    fn scalar(value: Option<Self>) -> ScalarValue {
        ScalarValue::Float64(value)
    }
}

impl Output for bool {
    fn data_type() -> DataType {
        DataType::Boolean
    }
    fn array(values: Vec<Self>, nulls: Option<NullBuffer>) -> ArrayRef {
        // Packed 64 to a word, a loop that vectorises.
        let words: Vec<u64> = values
            .chunks(64)
            .map(|chunk| {
                chunk
                    .iter()
                    .enumerate()
                    .fold(0u64, |word, (bit, &set)| word | (u64::from(set) << bit))
            })
            .collect();
        let bits = BooleanBuffer::new(Buffer::from_vec(words), 0, values.len());
        Arc::new(BooleanArray::new(bits, nulls))
    }
    fn scalar(value: Option<Self>) -> ScalarValue {
        ScalarValue::Boolean(value)
    }
}

impl Output for i32 {
    fn data_type() -> DataType {
        DataType::Int32
    }
    fn array(values: Vec<Self>, nulls: Option<NullBuffer>) -> ArrayRef {
        Arc::new(Int32Array::new(values.into(), nulls))
    }
    fn scalar(value: Option<Self>) -> ScalarValue {
        ScalarValue::Int32(value)
    }
}

impl Output for &'static str {
    fn data_type() -> DataType {
        DataType::Utf8
    }
    fn array(values: Vec<Self>, nulls: Option<NullBuffer>) -> ArrayRef {
        let mut bytes = Vec::with_capacity(values.len() * 8);
        let mut offsets = Vec::with_capacity(values.len() + 1);
        offsets.push(0i32);
        for value in &values {
            bytes.extend_from_slice(value.as_bytes());
            offsets.push(i32::try_from(bytes.len()).unwrap_or(i32::MAX));
        }
        match StringArray::try_new(OffsetBuffer::new(offsets.into()), bytes.into(), nulls)
        {
            Ok(array) => Arc::new(array),
            // Only past 2 GiB of text, which no label reaches: fall back to
            // the builder's own checks rather than panic.
            Err(_) => Arc::new(StringArray::from_iter_values(values)),
        }
    }
    fn scalar(value: Option<Self>) -> ScalarValue {
        ScalarValue::Utf8(value.map(str::to_string))
    }
}

/// A Float64 argument: a whole column, or one value for every row.
pub enum Arg<'a> {
    /// A column of values.
    Array(&'a Float64Array),
    /// A literal (NULL when `None`).
    Scalar(Option<f64>),
}

impl<'a> Arg<'a> {
    /// Reads an argument planned as Float64.
    pub fn new(value: &'a ColumnarValue) -> Result<Self> {
        match value {
            ColumnarValue::Array(array) => array
                .as_any()
                .downcast_ref::<Float64Array>()
                .map(Arg::Array)
                .ok_or_else(|| {
                    exec_datafusion_err!("expected Float64, got {}", array.data_type())
                }),
            ColumnarValue::Scalar(ScalarValue::Float64(v)) => Ok(Arg::Scalar(*v)),
            ColumnarValue::Scalar(s) if s.is_null() => Ok(Arg::Scalar(None)),
            ColumnarValue::Scalar(s) => Err(exec_datafusion_err!(
                "expected Float64, got {}",
                s.data_type()
            )),
        }
    }
}

/// Applies `f` to every row of `N` Float64 arguments after checking them
/// against `contract`. A NULL in any argument gives NULL, as does `f`
/// returning `None`. When every argument is a literal, `f` runs once and
/// the result is a literal. `f` must be total: it also sees NULL slots.
pub fn map_rows<const N: usize, T: Output>(
    contract: &Contract<'_, N>,
    args: &[ColumnarValue; N],
    rows: usize,
    f: impl Fn([f64; N]) -> Option<T>,
) -> Result<ColumnarValue> {
    let mut columns: Vec<&Float64Array> = Vec::with_capacity(N);
    let mut inputs = [Input::Constant(0.0); N];
    for (i, arg) in args.iter().enumerate() {
        match Arg::new(arg)? {
            Arg::Scalar(None) => return Ok(all_null::<N, T>(args, rows)),
            Arg::Scalar(Some(value)) => inputs[i] = Input::Constant(value),
            Arg::Array(array) => {
                let values = array.values();
                if values.len() < rows {
                    return Err(exec_datafusion_err!(
                        "{}: argument `{}` has {} rows, expected {rows}",
                        contract.function,
                        contract.params[i],
                        values.len()
                    ));
                }
                inputs[i] = Input::Column(&values[..rows]);
                columns.push(array);
            }
        }
    }
    if columns.is_empty() {
        let values = inputs.map(|input| input.get(0));
        contract.check_row(values)?;
        return Ok(ColumnarValue::Scalar(T::scalar(f(values))));
    }
    let nulls = columns.iter().fold(None, |acc: Option<NullBuffer>, c| {
        NullBuffer::union(acc.as_ref(), c.nulls())
    });
    contract.check_literals(&inputs, nulls.as_ref())?;

    let check = |start, len| contract.check_block(&inputs, nulls.as_ref(), start, len);
    let (values, defined) = evaluate(&inputs, rows, check, &f)?;
    if defined {
        return Ok(ColumnarValue::Array(T::array(values, nulls)));
    }
    // Some rows have no value: rebuild the mask from `f`, then attach it.
    let has_value = BooleanBuffer::collect_bool(rows, |row| {
        f(inputs.map(|input| input.get(row))).is_some()
    });
    let nulls = NullBuffer::union(nulls.as_ref(), Some(&NullBuffer::new(has_value)));
    Ok(ColumnarValue::Array(T::array(values, nulls)))
}

/// Rows per block: each block's columns are checked, then computed while
/// they are still in the L1 cache.
const BLOCK: usize = 1024;

/// Runs `f` over every row, a block at a time, calling `check(start, len)`
/// on each block first; also says whether `f` gave a value on every row.
/// The common shapes (one to three columns; the first argument a column and
/// the rest literals) iterate over zipped slices with literals held in
/// registers, loops the compiler vectorises.
fn evaluate<const N: usize, T: Output>(
    inputs: &[Input; N],
    rows: usize,
    mut check: impl FnMut(usize, usize) -> Result<()>,
    f: impl Fn([f64; N]) -> Option<T>,
) -> Result<(Vec<T>, bool)> {
    let mut out = Vec::with_capacity(rows);
    let mut defined = true;
    let column = |i: usize| match inputs.get(i) {
        Some(Input::Column(values)) => Some(&values[..rows]),
        _ => None,
    };
    let literals_after = |first: usize| {
        inputs[first..]
            .iter()
            .all(|i| matches!(i, Input::Constant(_)))
    };
    if let Some(a) = column(0) {
        if literals_after(1) {
            let constants = inputs.map(|input| input.get(0));
            for (k, a) in a.chunks(BLOCK).enumerate() {
                check(k * BLOCK, a.len())?;
                let args = a.iter().map(|&a| {
                    let mut args = constants;
                    args[0] = a;
                    args
                });
                defined &= fill(&mut out, args, &f);
            }
            return Ok((out, defined));
        }
        if let Some(b) = column(1)
            && N == 2
        {
            for (k, (a, b)) in a.chunks(BLOCK).zip(b.chunks(BLOCK)).enumerate() {
                check(k * BLOCK, a.len())?;
                let args = a.iter().zip(b).map(|(&a, &b)| widen([a, b]));
                defined &= fill(&mut out, args, &f);
            }
            return Ok((out, defined));
        }
        if let (Some(b), Some(c)) = (column(1), column(2))
            && N == 3
        {
            let blocks = a.chunks(BLOCK).zip(b.chunks(BLOCK)).zip(c.chunks(BLOCK));
            for (k, ((a, b), c)) in blocks.enumerate() {
                check(k * BLOCK, a.len())?;
                let args = a.iter().zip(b).zip(c);
                let args = args.map(|((&a, &b), &c)| widen([a, b, c]));
                defined &= fill(&mut out, args, &f);
            }
            return Ok((out, defined));
        }
    }
    for start in (0..rows).step_by(BLOCK) {
        let end = (start + BLOCK).min(rows);
        check(start, end - start)?;
        let args = (start..end).map(|row| inputs.map(|input| input.get(row)));
        defined &= fill(&mut out, args, &f);
    }
    Ok((out, defined))
}

/// Appends `f` of every row of `args` to `out` and says whether each had a
/// value. Two passes rather than one: each is a loop without stores the
/// other depends on, so both vectorise, and when `f` always has a value
/// the first folds away entirely.
#[inline(always)]
fn fill<const N: usize, T: Output>(
    out: &mut Vec<T>,
    args: impl Iterator<Item = [f64; N]> + Clone,
    f: &impl Fn([f64; N]) -> Option<T>,
) -> bool {
    let len = args.size_hint().0 as u64;
    let with_value: u64 = args.clone().map(|a| u64::from(f(a).is_some())).sum();
    out.extend(args.map(|a| f(a).unwrap_or_default()));
    with_value == len
}

/// `K` values as the `N` arguments of a function, where `K == N`.
#[inline(always)]
fn widen<const K: usize, const N: usize>(values: [f64; K]) -> [f64; N] {
    std::array::from_fn(|i| values.get(i).copied().unwrap_or_default())
}

/// The result when a literal argument is NULL.
fn all_null<const N: usize, T: Output>(
    args: &[ColumnarValue; N],
    rows: usize,
) -> ColumnarValue {
    if args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_))) {
        ColumnarValue::Scalar(T::scalar(None))
    } else {
        let values = vec![T::default(); rows];
        ColumnarValue::Array(T::array(values, Some(NullBuffer::new_null(rows))))
    }
}

/// Fills missing trailing arguments with their defaults.
pub fn with_defaults<const N: usize>(
    args: Vec<ColumnarValue>,
    defaults: [Option<f64>; N],
) -> Result<[ColumnarValue; N]> {
    let given = args.len();
    let mut args = args.into_iter();
    let mut out: Vec<ColumnarValue> = Vec::with_capacity(N);
    for (i, default) in defaults.iter().enumerate() {
        match (args.next(), default) {
            (Some(arg), _) => out.push(arg),
            (None, Some(d)) => {
                out.push(ColumnarValue::Scalar(ScalarValue::Float64(Some(*d))))
            }
            (None, None) => {
                return Err(exec_datafusion_err!(
                    "argument {} of {N} missing (got {given})",
                    i + 1
                ));
            }
        }
    }
    out.try_into()
        .map_err(|_| exec_datafusion_err!("wrong number of arguments"))
}

#[cfg(test)]
mod tests;
