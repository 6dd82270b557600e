//! One implementation for every scalar function whose arguments are all
//! numbers: arity and types checked at planning, defaults filled in, domains
//! checked and the row function applied by [`map_rows`].

use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl,
    Signature, Volatility,
};

use crate::common::{check_arity, coerce_numeric};
use crate::rows::{Contract, Domain, Output, Relation, map_rows, with_defaults};

/// One argument of a numeric function: its name, default and domain.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    name: &'static str,
    default: Option<f64>,
    domain: Domain,
}

impl Param {
    /// The argument's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Its default, `None` when required.
    pub fn default(&self) -> Option<f64> {
        self.default
    }

    /// Its domain.
    pub fn domain(&self) -> Domain {
        self.domain
    }
}

/// A required argument.
pub fn required(name: &'static str, domain: Domain) -> Param {
    Param {
        name,
        default: None,
        domain,
    }
}

/// An optional argument with its default; optional ones come last.
pub fn optional(name: &'static str, default: f64, domain: Domain) -> Param {
    Param {
        name,
        default: Some(default),
        domain,
    }
}

/// A scalar function of `N` numbers returning `T`.
pub struct NumericFn<const N: usize, T, F> {
    name: &'static str,
    params: [&'static str; N],
    defaults: [Option<f64>; N],
    domains: [Domain; N],
    relation: Option<Relation>,
    signature: Signature,
    doc: Documentation,
    row: F,
    output: PhantomData<fn() -> T>,
}

/// Builds a numeric scalar function. `row` computes one row from arguments
/// already inside their domains (and `relation`); `None` gives NULL. It
/// must be total, as it also runs on the slots behind NULLs.
pub fn numeric_udf<const N: usize, T, F>(
    name: &'static str,
    params: [Param; N],
    relation: Option<Relation>,
    doc: Documentation,
    row: F,
) -> ScalarUDF
where
    T: Output + 'static,
    F: Fn([f64; N]) -> Option<T> + Send + Sync + 'static,
{
    ScalarUDF::new_from_impl(NumericFn {
        name,
        params: params.map(|p| p.name),
        defaults: params.map(|p| p.default),
        domains: params.map(|p| p.domain),
        relation,
        signature: Signature::user_defined(Volatility::Immutable),
        doc,
        row,
        output: PhantomData,
    })
}

impl<const N: usize, T, F> fmt::Debug for NumericFn<N, T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NumericFn")
            .field("name", &self.name)
            .finish()
    }
}

impl<const N: usize, T, F> PartialEq for NumericFn<N, T, F> {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl<const N: usize, T, F> Eq for NumericFn<N, T, F> {}

impl<const N: usize, T, F> Hash for NumericFn<N, T, F> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl<const N: usize, T, F> ScalarUDFImpl for NumericFn<N, T, F>
where
    T: Output + 'static,
    F: Fn([f64; N]) -> Option<T> + Send + Sync + 'static,
{
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(T::data_type())
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let required = self.defaults.iter().filter(|d| d.is_none()).count();
        check_arity(
            self.name,
            &self.doc.syntax_example,
            arg_types.len(),
            required,
            N,
        )?;
        coerce_numeric(self.name, &self.params, arg_types)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let args = with_defaults(args.args, self.defaults)?;
        let contract = Contract {
            function: self.name,
            params: self.params,
            domains: self.domains,
            relation: self.relation,
        };
        map_rows(&contract, &args, rows, &self.row)
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&self.doc)
    }
}
