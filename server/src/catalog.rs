//! PostgreSQL catalog functions that drivers and inspectors call and
//! DataFusion-Postgres does not define, answered for a lake that has no
//! extension types, no indexes and only built-in types.

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, BooleanArray, StringArray};
use datafusion::arrow::buffer::BooleanBuffer;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue, exec_err};
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
    ctx.register_udf(ScalarUDF::new_from_impl(CurrentSetting::new()));
}

/// The server version the start-up parameters and `current_setting()`
/// report; `version()` words the same version as PostgreSQL does.
pub(crate) const SERVER_VERSION: &str = "16.6 (Lakecast)";

/// A function of no arguments called `name` that answers `text`.
fn fixed_text_function(name: &str, text: String, volatility: Volatility) -> ScalarUDF {
    create_udf(
        name,
        vec![],
        DataType::Utf8,
        volatility,
        Arc::new(move |_| {
            Ok(ColumnarValue::Scalar(ScalarValue::Utf8(Some(text.clone()))))
        }),
    )
}

/// `session_user` (and `current_user` and `user`, which the compatibility
/// layer turns into it) for the session of `name`: each user has a session
/// of their own, so the name is fixed for its life.
pub(crate) fn session_user_function(name: &str) -> ScalarUDF {
    fixed_text_function("session_user", name.to_string(), Volatility::Stable)
}

/// `version()` as PostgreSQL words it: client libraries (SQLAlchemy,
/// Metabase's driver) read the server version out of this string.
fn version_function() -> ScalarUDF {
    let text = format!(
        "PostgreSQL 16.6 (Lakecast {}, Apache DataFusion 55) on {}-linux",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::ARCH
    );
    fixed_text_function("version", text, Volatility::Immutable)
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

/// The run-time settings `current_setting()` answers, as the server
/// announces them at start-up (`ParameterStatus`) and `SHOW` reports them.
/// Names are matched case-insensitively, as PostgreSQL does.
const SETTINGS: &[(&str, &str)] = &[
    ("search_path", "public"),
    ("server_version", SERVER_VERSION),
    ("server_version_num", "160006"),
    ("server_encoding", "UTF8"),
    ("client_encoding", "UTF8"),
    ("timezone", "UTC"),
    ("datestyle", "ISO, MDY"),
    ("intervalstyle", "postgres"),
    ("integer_datetimes", "on"),
    ("standard_conforming_strings", "on"),
    ("max_identifier_length", "63"),
    ("default_transaction_read_only", "on"),
    ("transaction_read_only", "on"),
    ("transaction_isolation", "read committed"),
];

/// `current_setting(name [, missing_ok])`, which Grafana's table picker
/// calls to read the search path. Lakecast's settings are the server's
/// (a client's `SET` changes what `SHOW` prints on its connection, not
/// this); an unknown name is PostgreSQL's error, or NULL with `missing_ok`.
#[derive(Debug, PartialEq, Eq, Hash)]
struct CurrentSetting {
    signature: Signature,
}

impl CurrentSetting {
    fn new() -> Self {
        let signature = Signature::one_of(
            vec![
                TypeSignature::Exact(vec![DataType::Utf8]),
                TypeSignature::Exact(vec![DataType::Utf8, DataType::Boolean]),
            ],
            Volatility::Stable,
        );
        Self { signature }
    }
}

/// The value of setting `name`, if the server has it.
fn setting(name: &str) -> Option<&'static str> {
    SETTINGS
        .iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(name))
        .map(|(_, value)| *value)
}

impl ScalarUDFImpl for CurrentSetting {
    fn name(&self) -> &str {
        "current_setting"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let names = arrays[0].as_string::<i32>();
        let missing_ok = arrays.get(1).map(|a| a.as_boolean());
        let mut values = Vec::with_capacity(names.len());
        for row in 0..names.len() {
            if names.is_null(row) {
                values.push(None);
                continue;
            }
            let name = names.value(row);
            match setting(name) {
                Some(value) => values.push(Some(value)),
                None if missing_ok
                    .is_some_and(|ok| ok.is_valid(row) && ok.value(row)) =>
                {
                    values.push(None)
                }
                None => {
                    return exec_err!("unrecognized configuration parameter \"{name}\"");
                }
            }
        }
        let values = StringArray::from(values);
        Ok(
            if args
                .args
                .iter()
                .all(|a| matches!(a, ColumnarValue::Scalar(_)))
            {
                ColumnarValue::Scalar(ScalarValue::try_from_array(&values, 0)?)
            } else {
                ColumnarValue::Array(Arc::new(values))
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn current_setting_answers_known_names_and_names_unknown_ones() {
        let ctx = SessionContext::new();
        register_functions(&ctx);
        let batches = ctx
            .sql(
                "SELECT current_setting('search_path'), current_setting('TimeZone'), \
                 current_setting('no_such', true)",
            )
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        let row = &batches[0];
        assert_eq!(row.column(0).as_string::<i32>().value(0), "public");
        assert_eq!(row.column(1).as_string::<i32>().value(0), "UTC");
        assert!(row.column(2).is_null(0));

        let err = ctx
            .sql("SELECT current_setting('no_such')")
            .await
            .unwrap()
            .collect()
            .await
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("unrecognized configuration parameter \"no_such\""),
            "{err}"
        );
    }
}
