//! PostgreSQL catalog functions that drivers and inspectors call and
//! DataFusion-Postgres does not define, answered for a lake that has no
//! extension types, no indexes and only built-in types.

use std::sync::Arc;

use datafusion::arrow::array::{Array, BooleanArray};
use datafusion::arrow::buffer::BooleanBuffer;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    TypeSignature, Volatility, create_udf,
};
use datafusion::prelude::SessionContext;

/// Registers every function of this module in `ctx`.
pub(crate) fn register_functions(ctx: &SessionContext) {
    ctx.register_udf(version_function());
    ctx.register_udf(to_regtype_function());
    ctx.register_udf(type_is_visible_function());
    ctx.register_udf(ScalarUDF::new_from_impl(IndexDefinition::new()));
}

/// `version()` as PostgreSQL words it: client libraries (SQLAlchemy,
/// Metabase's driver) read the server version out of this string.
fn version_function() -> ScalarUDF {
    let text = format!(
        "PostgreSQL 16.6 (Lakecast {}, Apache DataFusion 55) on {}-linux",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::ARCH
    );
    create_udf(
        "version",
        vec![],
        DataType::Utf8,
        Volatility::Immutable,
        Arc::new(move |_| {
            Ok(ColumnarValue::Scalar(ScalarValue::Utf8(Some(text.clone()))))
        }),
    )
}

/// `to_regtype(name)`, which drivers call to look for extension types
/// (psycopg asks for `hstore` when SQLAlchemy connects). Lakecast has no
/// extension types, so every name answers NULL: "no such type".
fn to_regtype_function() -> ScalarUDF {
    create_udf(
        "to_regtype",
        vec![DataType::Utf8],
        DataType::Int32,
        Volatility::Immutable,
        Arc::new(|_| Ok(ColumnarValue::Scalar(ScalarValue::Int32(None)))),
    )
}

/// `pg_type_is_visible(oid)`, which SQLAlchemy's column inspection calls
/// while it loads domain types. Every type Lakecast lists is a built-in
/// one, visible on any search path: true for every oid, NULL for NULL.
fn type_is_visible_function() -> ScalarUDF {
    create_udf(
        "pg_type_is_visible",
        vec![DataType::Int32],
        DataType::Boolean,
        Volatility::Stable,
        Arc::new(|args: &[ColumnarValue]| {
            let oids = ColumnarValue::values_to_arrays(args)?;
            let visible = match oids.first() {
                Some(oids) => BooleanArray::new(
                    BooleanBuffer::new_set(oids.len()),
                    oids.nulls().cloned(),
                ),
                None => BooleanArray::from(Vec::<bool>::new()),
            };
            Ok(ColumnarValue::Array(Arc::new(visible)))
        }),
    )
}

/// `pg_get_indexdef(index_oid [, column, pretty])`, which SQLAlchemy's
/// index inspection calls for expression columns. A lake has no indexes,
/// so there is never a definition to give: NULL.
#[derive(Debug, PartialEq, Eq, Hash)]
struct IndexDefinition {
    signature: Signature,
}

impl IndexDefinition {
    fn new() -> Self {
        let signature = Signature::one_of(
            vec![TypeSignature::Any(1), TypeSignature::Any(3)],
            Volatility::Stable,
        );
        Self { signature }
    }
}

impl ScalarUDFImpl for IndexDefinition {
    fn name(&self) -> &str {
        "pg_get_indexdef"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, _args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        Ok(ColumnarValue::Scalar(ScalarValue::Utf8(None)))
    }
}
