//! Rewrites of FROM items and session keywords that PostgreSQL clients'
//! catalog SQL relies on: function calls in FROM as PostgreSQL reads them,
//! the bare keyword `user`, and `information_schema.columns` with
//! PostgreSQL's type names.

use std::ops::ControlFlow;
use std::sync::LazyLock;

use datafusion::sql::sqlparser::ast::{
    Expr, FunctionArguments, Ident, Query, Statement, TableAlias, TableAliasColumnDef,
    TableFactor, VisitMut, VisitorMut, visit_expressions_mut,
};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::Parser;

/// Scalar functions returning an array that PostgreSQL clients call in
/// FROM, where PostgreSQL makes them a one-row table.
pub(super) const SCALAR_FUNCTIONS_IN_FROM: [&str; 2] =
    ["string_to_array", "current_schemas"];

/// `information_schema.columns` with `data_type` in PostgreSQL's words.
/// DataFusion's own view prints Arrow types (`Int64`, `Timestamp(µs,
/// "UTC")`), which no PostgreSQL client recognises.
const COLUMNS_WITH_POSTGRES_TYPES: &str = "SELECT table_catalog, table_schema, \
    table_name, column_name, ordinal_position, column_default, is_nullable, \
    CASE \
      WHEN data_type IN ('Int8', 'Int16', 'UInt8') THEN 'smallint' \
      WHEN data_type IN ('Int32', 'UInt16') THEN 'integer' \
      WHEN data_type IN ('Int64', 'UInt32') THEN 'bigint' \
      WHEN data_type = 'UInt64' OR data_type LIKE 'Decimal%' THEN 'numeric' \
      WHEN data_type IN ('Float16', 'Float32') THEN 'real' \
      WHEN data_type = 'Float64' THEN 'double precision' \
      WHEN data_type IN ('Utf8', 'LargeUtf8', 'Utf8View') THEN 'text' \
      WHEN data_type = 'Boolean' THEN 'boolean' \
      WHEN data_type IN ('Date32', 'Date64') THEN 'date' \
      WHEN data_type LIKE 'Timestamp(%,%' THEN 'timestamp with time zone' \
      WHEN data_type LIKE 'Timestamp(%' THEN 'timestamp without time zone' \
      WHEN data_type LIKE 'Time%' THEN 'time without time zone' \
      WHEN data_type LIKE 'Interval%' OR data_type LIKE 'Duration%' THEN 'interval' \
      WHEN data_type IN ('Binary', 'LargeBinary', 'BinaryView') \
        OR data_type LIKE 'FixedSizeBinary%' THEN 'bytea' \
      WHEN data_type LIKE '%List%' THEN 'ARRAY' \
      ELSE 'USER-DEFINED' \
    END AS data_type, \
    character_maximum_length, character_octet_length, numeric_precision, \
    numeric_precision_radix, numeric_scale, datetime_precision, interval_type \
    FROM information_schema.columns";

/// Rewrites `statements` in place; returns whether anything changed.
///
/// With `functions`: `generate_series(...) AS i` gets the column name `i`
/// (DataFusion calls it `value`), `f(...) AS s` for a function of
/// [`SCALAR_FUNCTIONS_IN_FROM`] becomes `(SELECT f(...) AS s) AS s`, and
/// the bare keyword `user` becomes `current_user`. With `columns`: each
/// read of `information_schema.columns` becomes
/// [`COLUMNS_WITH_POSTGRES_TYPES`] under the same name or alias.
pub(super) fn rewrite(
    statements: &mut Vec<Statement>,
    functions: bool,
    columns: bool,
) -> bool {
    let mut relations = Relations {
        functions,
        columns,
        changed: false,
    };
    let _ = statements.visit(&mut relations);
    let mut changed = relations.changed;
    if functions {
        let _ = visit_expressions_mut(statements, |expr| {
            if is_user_keyword(expr)
                && let Some(current_user) = parse_expr("current_user")
            {
                *expr = current_user;
                changed = true;
            }
            ControlFlow::<()>::Continue(())
        });
    }
    changed
}

/// The FROM-item rewrites of [`rewrite`].
struct Relations {
    functions: bool,
    columns: bool,
    changed: bool,
}

impl VisitorMut for Relations {
    type Break = ();

    // After the children: a replacement holds FROM items of its own (the
    // columns view reads `information_schema.columns` again), and must not
    // be visited.
    fn post_visit_table_factor(
        &mut self,
        factor: &mut TableFactor,
    ) -> ControlFlow<Self::Break> {
        let TableFactor::Table {
            name, alias, args, ..
        } = factor
        else {
            return ControlFlow::Continue(());
        };
        let name = name.to_string().to_ascii_lowercase();
        let replacement = match (args, alias) {
            (None, alias) if self.columns && name == "information_schema.columns" => {
                static VIEW: LazyLock<Option<Query>> =
                    LazyLock::new(|| parse_query(COLUMNS_WITH_POSTGRES_TYPES));
                let alias = alias.take().unwrap_or(TableAlias {
                    explicit: true,
                    name: Ident::new("columns"),
                    columns: vec![],
                    at: None,
                });
                VIEW.clone().map(|view| derived(view, alias))
            }
            (Some(_), Some(alias))
                if self.functions
                    && name == "generate_series"
                    && alias.columns.is_empty() =>
            {
                let column = TableAliasColumnDef::from_name(alias.name.value.clone());
                alias.columns.push(column);
                self.changed = true;
                None
            }
            (Some(args), Some(alias))
                if self.functions
                    && SCALAR_FUNCTIONS_IN_FROM.contains(&name.as_str())
                    && alias.columns.is_empty() =>
            {
                let arguments: Vec<String> =
                    args.args.iter().map(ToString::to_string).collect();
                let select =
                    format!("SELECT {name}({}) AS {}", arguments.join(", "), alias.name);
                let alias = TableAlias {
                    explicit: true,
                    ..alias.clone()
                };
                parse_query(&select).map(|query| derived(query, alias))
            }
            _ => None,
        };
        if let Some(replacement) = replacement {
            *factor = replacement;
            self.changed = true;
        }
        ControlFlow::Continue(())
    }
}

/// `query AS alias` as a FROM item.
fn derived(query: Query, alias: TableAlias) -> TableFactor {
    TableFactor::Derived {
        lateral: false,
        subquery: Box::new(query),
        alias: Some(alias),
        sample: None,
    }
}

/// `text` parsed as one PostgreSQL query.
fn parse_query(text: &str) -> Option<Query> {
    match Parser::parse_sql(&PostgreSqlDialect {}, text).ok()?.pop()? {
        Statement::Query(query) => Some(*query),
        _ => None,
    }
}

/// `text` parsed as one PostgreSQL expression.
fn parse_expr(text: &str) -> Option<Expr> {
    Parser::new(&PostgreSqlDialect {})
        .try_with_sql(text)
        .ok()?
        .parse_expr()
        .ok()
}

/// Whether `expr` is the bare keyword `user`, which sqlparser reads as an
/// identifier or as a call without parentheses, and DataFusion then as a
/// column. A quoted `"user"` is a column.
fn is_user_keyword(expr: &Expr) -> bool {
    let ident = match expr {
        Expr::Identifier(ident) => ident,
        Expr::Function(function) if matches!(function.args, FunctionArguments::None) => {
            match function.name.0.as_slice() {
                [part] => match part.as_ident() {
                    Some(ident) => ident,
                    None => return false,
                },
                _ => return false,
            }
        }
        _ => return false,
    };
    ident.quote_style.is_none() && ident.value.eq_ignore_ascii_case("user")
}
