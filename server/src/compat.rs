//! Rewrites of PostgreSQL SQL that BI drivers send and DataFusion 55 does
//! not run as written. Each rewrite keeps the statement's meaning.

use std::borrow::Cow;
use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{Expr, Statement, Value, visit_expressions_mut};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::Parser;

/// `sql` with every `LIKE pattern ESCAPE 'c'` whose escape character is not
/// a backslash turned into a backslash-escaped pattern (DataFusion accepts
/// only the backslash). SQLAlchemy's inspector writes `ESCAPE '/'`. SQL
/// without such a LIKE is returned unchanged, byte for byte.
pub(crate) fn rewrite(sql: &str) -> Cow<'_, str> {
    if !sql.to_ascii_uppercase().contains("ESCAPE") {
        return Cow::Borrowed(sql);
    }
    let Ok(mut statements) = Parser::parse_sql(&PostgreSqlDialect {}, sql) else {
        return Cow::Borrowed(sql);
    };
    let mut changed = false;
    let _ = visit_expressions_mut(&mut statements, |expr| {
        if let Some(rewritten) = backslash_escaped(expr) {
            *expr = rewritten;
            changed = true;
        }
        ControlFlow::<()>::Continue(())
    });
    if !changed {
        return Cow::Borrowed(sql);
    }
    let text: Vec<String> = statements.iter().map(ToString::to_string).collect();
    Cow::Owned(text.join("; "))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slash_escapes_become_backslash_escapes() {
        let sql = "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg/_' || '%' ESCAPE '/'";
        let out = rewrite(sql);
        assert!(!out.contains("ESCAPE"), "{out}");
        assert!(
            out.contains("replace(replace('pg/_' || '%', '\\', '\\\\'), '/', '\\')"),
            "{out}"
        );
        let plain = "SELECT 1 WHERE 'a' LIKE 'a%'";
        assert!(matches!(rewrite(plain), Cow::Borrowed(_)));
        let backslash = r"SELECT 1 WHERE 'a_' LIKE 'a\_' ESCAPE '\'";
        assert!(matches!(rewrite(backslash), Cow::Borrowed(_)));
    }

    #[test]
    fn lake_queries_are_plain_and_catalog_queries_are_not() {
        let lake = "SELECT c.customer_id, (SELECT count(*) FROM opportunities o \
                    WHERE o.customer_id = c.customer_id) AS n FROM customers c";
        assert!(plain_query(lake).is_some());
        assert!(plain_query("SELECT $1::INT + 1").is_some());
        for other in [
            "SELECT relname FROM pg_catalog.pg_class",
            "SELECT * FROM information_schema.tables",
            "SELECT current_schema()",
            "SELECT 1; SELECT 2",
            "SET search_path = public",
            "SELECT oid FROM whatever",
        ] {
            assert!(plain_query(other).is_none(), "{other}");
        }
    }
}
