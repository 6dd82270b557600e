//! Rewrites of PostgreSQL SQL that BI drivers send and DataFusion 55 does
//! not run as written. Each rewrite keeps the statement's meaning.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::ops::ControlFlow;
use std::sync::LazyLock;

use datafusion::sql::sqlparser::ast::{
    Expr, FunctionArg, FunctionArgExpr, FunctionArguments, GroupByExpr, Query,
    SelectItem, SetExpr, Statement, TableFactor, Value, VisitMut, VisitorMut,
    visit_expressions, visit_expressions_mut,
};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::Parser;
use datafusion_postgres::datafusion_pg_catalog::sql::PostgresCompatibilityParser;

/// `sql` made runnable by DataFusion-Postgres's compatibility layer:
///
/// * every `LIKE pattern ESCAPE 'c'` whose escape character is not a
///   backslash becomes a backslash-escaped pattern (DataFusion accepts only
///   the backslash; SQLAlchemy's inspector writes `ESCAPE '/'`);
/// * every SELECT-list subquery that holds a `$n` parameter becomes a NULL
///   that still names those parameters, cast to `parameter_types[n - 1]`
///   (an SQL type name; `TEXT` past the end);
/// * `unnest(c)` and `generate_subscripts(c, dim)` over a catalog column
///   that PostgreSQL types as `int2vector` or `oidvector` (`pg_index.indkey`,
///   ...) read the column as the space-separated text it is here;
/// * catalog columns DataFusion-Postgres lacks ([`MISSING_COLUMNS`]) read
///   as typed NULLs;
/// * PostgreSQL's function calls in FROM as Grafana's table picker writes
///   them: `generate_series(...) AS i` names its column `i`, an
///   array-valued scalar function (`string_to_array(...) s`) is a one-row
///   table, and the bare keyword `user` is `current_user`;
/// * `information_schema.columns` gives PostgreSQL's type names in
///   `data_type` (`bigint`, `timestamp with time zone`, `ARRAY`) instead of
///   Arrow's, as Grafana's column picker and other generic clients expect.
///
/// The compatibility layer replaces correlated SELECT-list subqueries with
/// NULL (DataFusion 55 cannot plan most of them), and a parameter inside
/// one would vanish with it. Parameter values are bound by position among
/// the parameters the plan still has, so every later value would land in
/// the wrong place: SQLAlchemy's column inspection failed that way.
/// SQL that needs no rewrite is returned unchanged, byte for byte, and so is
/// SQL that the compatibility layer replaces wholesale (its fixed answers to
/// known client queries match the client's exact tokens).
pub(crate) fn rewrite<'a>(sql: &'a str, parameter_types: &[&str]) -> Cow<'a, str> {
    let upper = sql.to_ascii_uppercase();
    let has_escape = upper.contains("ESCAPE");
    let has_parameter = sql.contains('$');
    let has_vector = upper.contains("UNNEST")
        || upper.contains("GENERATE_SUBSCRIPTS")
        || MISSING_COLUMNS
            .iter()
            .any(|(_, column, _)| upper.contains(&column.to_ascii_uppercase()));
    let has_columns = upper.contains("INFORMATION_SCHEMA");
    let has_from_functions = upper.contains("GENERATE_SERIES")
        || relations::SCALAR_FUNCTIONS_IN_FROM
            .iter()
            .any(|f| upper.contains(&f.to_ascii_uppercase()))
        || upper.contains("USER");
    if !has_escape && !has_parameter && !has_vector && !has_columns && !has_from_functions
    {
        return Cow::Borrowed(sql);
    }
    let Ok(mut statements) = Parser::parse_sql(&PostgreSqlDialect {}, sql) else {
        return Cow::Borrowed(sql);
    };
    if replaced_wholesale(sql, &statements) {
        return Cow::Borrowed(sql);
    }

    let mut changed = false;
    if has_escape {
        let _ = visit_expressions_mut(&mut statements, |expr| {
            if let Some(rewritten) = backslash_escaped(expr) {
                *expr = rewritten;
                changed = true;
            }
            ControlFlow::<()>::Continue(())
        });
    }
    if has_vector {
        let _ = visit_expressions_mut(&mut statements, |expr| {
            if let Some(rewritten) =
                vector_as_array(expr).or_else(|| missing_column(expr))
            {
                *expr = rewritten;
                changed = true;
            }
            ControlFlow::<()>::Continue(())
        });
    }
    if has_from_functions || has_columns {
        changed |= relations::rewrite(&mut statements, has_from_functions, has_columns);
    }
    if has_parameter {
        let mut keep = KeepSubqueryParameters {
            parameter_types,
            changed: false,
        };
        let _ = statements.visit(&mut keep);
        changed |= keep.changed;
    }

    if !changed {
        return Cow::Borrowed(sql);
    }
    let text: Vec<String> = statements.iter().map(ToString::to_string).collect();
    Cow::Owned(text.join("; "))
}

/// Whether the compatibility layer answers `sql` with one of its fixed
/// replacements: its parse differs from `statements` put through its
/// rewrite rules alone.
fn replaced_wholesale(sql: &str, statements: &[Statement]) -> bool {
    static LAYER: LazyLock<PostgresCompatibilityParser> =
        LazyLock::new(PostgresCompatibilityParser::new);
    let Ok(theirs) = LAYER.parse(sql) else {
        return false;
    };
    let theirs: Vec<String> = theirs.iter().map(ToString::to_string).collect();
    let ours: Vec<String> = statements
        .iter()
        .map(|s| LAYER.rewrite(s.clone()).to_string())
        .collect();
    theirs != ours
}

/// Replaces SELECT-list subqueries the compatibility layer would lose or
/// DataFusion could not plan; see [`rewrite`].
struct KeepSubqueryParameters<'a> {
    parameter_types: &'a [&'a str],
    changed: bool,
}

impl VisitorMut for KeepSubqueryParameters<'_> {
    type Break = ();

    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<Self::Break> {
        let SetExpr::Select(select) = query.body.as_mut() else {
            return ControlFlow::Continue(());
        };
        for item in &mut select.projection {
            let (SelectItem::UnnamedExpr(expr) | SelectItem::ExprWithAlias { expr, .. }) =
                item
            else {
                continue;
            };
            if let Expr::Subquery(subquery) = expr {
                // A whole item: the compatibility layer turns a correlated one
                // into NULL and an uncorrelated one into `... LIMIT 1`; only
                // its parameters need saving here.
                let parameters = parameters_in(subquery);
                if !parameters.is_empty()
                    && let Some(null) = null_naming(&parameters, self.parameter_types)
                {
                    *expr = null;
                    self.changed = true;
                }
                continue;
            }
            let mut nested = NestedCorrelatedSubqueries {
                parameter_types: self.parameter_types,
                depth: 0,
                changed: false,
            };
            let _ = expr.visit(&mut nested);
            self.changed |= nested.changed;
        }
        ControlFlow::Continue(())
    }
}

/// Inside one SELECT-list expression (`CASE WHEN ... THEN (SELECT ...)`),
/// turns each outermost correlated subquery without an aggregate into a
/// NULL naming its parameters: DataFusion 55 plans a correlated scalar
/// subquery only when it aggregates, and the compatibility layer does not
/// look below a SELECT item. Catalog queries ask this way for collations,
/// identities and defaults, which lake tables never have.
struct NestedCorrelatedSubqueries<'a> {
    parameter_types: &'a [&'a str],
    depth: usize,
    changed: bool,
}

impl VisitorMut for NestedCorrelatedSubqueries<'_> {
    type Break = ();

    fn pre_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<Self::Break> {
        if matches!(expr, Expr::Subquery(_)) {
            self.depth += 1;
        }
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<Self::Break> {
        let Expr::Subquery(subquery) = expr else {
            return ControlFlow::Continue(());
        };
        self.depth -= 1;
        if self.depth == 0
            && is_correlated(subquery)
            && !aggregates(subquery)
            && let Some(null) =
                null_naming(&parameters_in(subquery), self.parameter_types)
        {
            *expr = null;
            self.changed = true;
        }
        ControlFlow::Continue(())
    }
}

/// Whether `query` names a column of a table it does not read itself
/// (`outer_table.column`). Unqualified names count as its own.
fn is_correlated(query: &Query) -> bool {
    let SetExpr::Select(select) = query.body.as_ref() else {
        return false;
    };
    let mut own = BTreeSet::new();
    for table in &select.from {
        for factor in std::iter::once(&table.relation)
            .chain(table.joins.iter().map(|j| &j.relation))
        {
            if let TableFactor::Table { name, alias, .. } = factor {
                if let Some(last) = name.0.last().and_then(|part| part.as_ident()) {
                    own.insert(last.value.to_ascii_lowercase());
                }
                if let Some(alias) = alias {
                    own.insert(alias.name.value.to_ascii_lowercase());
                }
            } else if let TableFactor::Derived {
                alias: Some(alias), ..
            } = factor
            {
                own.insert(alias.name.value.to_ascii_lowercase());
            }
        }
    }
    let mut outer = false;
    let _ = visit_expressions(query, |expr| {
        if let Expr::CompoundIdentifier(parts) = expr
            && parts.len() >= 2
            && !own.contains(&parts[parts.len() - 2].value.to_ascii_lowercase())
        {
            outer = true;
        }
        ControlFlow::<()>::Continue(())
    });
    outer
}

/// Whether `query` aggregates: a GROUP BY or an aggregate function among
/// its outputs.
fn aggregates(query: &Query) -> bool {
    const AGGREGATES: [&str; 10] = [
        "count",
        "sum",
        "min",
        "max",
        "avg",
        "array_agg",
        "string_agg",
        "bool_and",
        "bool_or",
        "every",
    ];
    let SetExpr::Select(select) = query.body.as_ref() else {
        return false;
    };
    if !matches!(&select.group_by, GroupByExpr::Expressions(keys, _) if keys.is_empty()) {
        return true;
    }
    let mut found = false;
    for item in &select.projection {
        let _ = visit_expressions(item, |expr| {
            if let Expr::Function(function) = expr
                && let Some(name) =
                    function.name.0.last().and_then(|part| part.as_ident())
                && AGGREGATES.contains(&name.value.to_ascii_lowercase().as_str())
            {
                found = true;
            }
            ControlFlow::<()>::Continue(())
        });
    }
    found
}

/// The `$n` parameters used anywhere in `query`.
fn parameters_in(query: &Query) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let _ = visit_expressions(query, |expr| {
        if let Expr::Value(value) = expr
            && let Value::Placeholder(name) = &value.value
        {
            found.insert(name.clone());
        }
        ControlFlow::<()>::Continue(())
    });
    found
}

/// `CASE WHEN $a::T IS NULL AND ... THEN NULL END`: always NULL, and every
/// parameter keeps its place and a type. None for parameters that are not
/// numbered (`?`, `:name`), which this rewrite leaves alone.
fn null_naming(parameters: &BTreeSet<String>, parameter_types: &[&str]) -> Option<Expr> {
    let mut tests = Vec::with_capacity(parameters.len());
    for name in parameters {
        let position: usize = name.strip_prefix('$')?.parse().ok()?;
        let sql_type = position
            .checked_sub(1)
            .and_then(|i| parameter_types.get(i))
            .copied()
            .unwrap_or("TEXT");
        tests.push(format!("CAST({name} AS {sql_type}) IS NULL"));
    }
    if tests.is_empty() {
        tests.push("true".to_string());
    }
    let text = format!("CASE WHEN {} THEN NULL END", tests.join(" AND "));
    Parser::new(&PostgreSqlDialect {})
        .try_with_sql(&text)
        .ok()?
        .parse_expr()
        .ok()
}

/// Catalog columns PostgreSQL types as `int2vector` or `oidvector`, with
/// the element type of each. DataFusion-Postgres keeps them as text such as
/// `'1 2'`, which `unnest` cannot take.
const VECTOR_COLUMNS: [(&str, &str); 10] = [
    ("indkey", "SMALLINT"),
    ("indoption", "SMALLINT"),
    ("indclass", "INT"),
    ("indcollation", "INT"),
    ("conkey", "SMALLINT"),
    ("confkey", "SMALLINT"),
    ("conpfeqop", "INT"),
    ("conppeqop", "INT"),
    ("conffeqop", "INT"),
    ("conexclop", "INT"),
];

/// Catalog columns PostgreSQL has and DataFusion-Postgres does not, as
/// (table, column, SQL type of the NULL that stands in). A lake never has
/// a value for them: tables have no storage options.
const MISSING_COLUMNS: [(&str, &str, &str); 1] = [("pg_class", "reloptions", "TEXT")];

/// A qualified reference to one of [`MISSING_COLUMNS`] as a typed NULL.
fn missing_column(expr: &Expr) -> Option<Expr> {
    let Expr::CompoundIdentifier(parts) = expr else {
        return None;
    };
    let [.., table, column] = parts.as_slice() else {
        return None;
    };
    let (_, _, sql_type) = MISSING_COLUMNS.iter().find(|(t, c, _)| {
        table.value.eq_ignore_ascii_case(t) && column.value.eq_ignore_ascii_case(c)
    })?;
    Parser::new(&PostgreSqlDialect {})
        .try_with_sql(&format!("CAST(NULL AS {sql_type})"))
        .ok()?
        .parse_expr()
        .ok()
}

/// `unnest(c)` or `generate_subscripts(c, dim)` over a vector column of
/// [`VECTOR_COLUMNS`], rewritten over the column's elements; None for
/// anything else.
fn vector_as_array(expr: &Expr) -> Option<Expr> {
    let Expr::Function(function) = expr else {
        return None;
    };
    let name = function
        .name
        .0
        .last()?
        .as_ident()?
        .value
        .to_ascii_lowercase();
    let FunctionArguments::List(list) = &function.args else {
        return None;
    };
    let args: Vec<&Expr> = list
        .args
        .iter()
        .map(|arg| match arg {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e),
            _ => None,
        })
        .collect::<Option<_>>()?;
    let column = match args.first()? {
        Expr::Identifier(ident) => ident,
        Expr::CompoundIdentifier(parts) => parts.last()?,
        _ => return None,
    };
    let (_, element) = VECTOR_COLUMNS
        .iter()
        .find(|(vector, _)| column.value.eq_ignore_ascii_case(vector))?;
    let elements = format!("string_to_array({}, ' ')", args[0]);
    let text = match (name.as_str(), args.as_slice()) {
        ("unnest", [_]) => format!("unnest(CAST({elements} AS {element}[]))"),
        // A vector has one dimension, numbered from 1.
        ("generate_subscripts", [_, dim]) => format!(
            "unnest(generate_series(1, CASE WHEN {dim} = 1 \
             THEN CAST(array_length({elements}) AS BIGINT) END))"
        ),
        _ => return None,
    };
    Parser::new(&PostgreSqlDialect {})
        .try_with_sql(&text)
        .ok()?
        .parse_expr()
        .ok()
}

/// The LIKE or ILIKE `expr` with its escape character replaced by a
/// backslash, or None when it needs no change.
fn backslash_escaped(expr: &Expr) -> Option<Expr> {
    let (Expr::Like {
        pattern,
        escape_char,
        ..
    }
    | Expr::ILike {
        pattern,
        escape_char,
        ..
    }) = expr
    else {
        return None;
    };
    let escape = match escape_char.as_ref().map(|e| &e.value) {
        Some(Value::SingleQuotedString(c)) if c != "\\" && c.chars().count() == 1 => c,
        _ => return None,
    };
    let quoted = escape.replace('\'', "''");
    let text = format!("replace(replace({pattern}, '\\', '\\\\'), '{quoted}', '\\')");
    let new_pattern = Parser::new(&PostgreSqlDialect {})
        .try_with_sql(&text)
        .ok()?
        .parse_expr()
        .ok()?;
    let mut rewritten = expr.clone();
    if let Expr::Like {
        pattern,
        escape_char,
        ..
    }
    | Expr::ILike {
        pattern,
        escape_char,
        ..
    } = &mut rewritten
    {
        **pattern = new_pattern;
        *escape_char = None;
    }
    Some(rewritten)
}

/// Words that mark a query as one about the catalog (or a session function
/// only the compatibility layer knows), not about the lake.
const CATALOG_MARKERS: [&str; 12] = [
    "pg_",
    "information_schema",
    "current_",
    "session_user",
    "version(",
    "has_",
    "format_type",
    "_description",
    "::reg",
    "oid",
    "array_upper",
    "quote_ident",
];

/// `sql` parsed, when it is one plain query over the lake. Such a query is
/// planned by DataFusion as written. Everything else goes through
/// DataFusion-Postgres's compatibility rewrites, which suit clients'
/// catalog queries but also replace a correlated subquery in a SELECT list
/// with NULL: a user's `(SELECT count(*) FROM deals d WHERE d.customer_id =
/// c.customer_id)` would silently come back empty.
pub(crate) fn plain_query(sql: &str) -> Option<Statement> {
    let lower = sql.to_ascii_lowercase();
    if CATALOG_MARKERS.iter().any(|m| lower.contains(m)) {
        return None;
    }
    let mut statements = Parser::parse_sql(&PostgreSqlDialect {}, sql).ok()?;
    match (statements.pop(), statements.is_empty()) {
        (Some(statement @ Statement::Query(_)), true) => Some(statement),
        _ => None,
    }
}

mod relations;
#[cfg(test)]
mod tests;
