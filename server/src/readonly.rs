//! The server is read-only by design: a statement that could change the
//! lake, the session's catalog or read files on the server's disk is
//! refused before it is planned.

use datafusion::sql::sqlparser::ast::Statement;
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::Parser;

/// SQLSTATE 25006, `read_only_sql_transaction`.
pub(crate) const READ_ONLY_CODE: &str = "25006";

/// Refuses `statement` unless it only reads: queries, EXPLAIN, SHOW, SET
/// of session settings, transaction control, and cursors over queries.
pub(crate) fn check(statement: &Statement) -> Result<(), String> {
    let allowed = match statement {
        Statement::Query(_)
        | Statement::ShowVariable { .. }
        | Statement::ShowVariables { .. }
        | Statement::ShowTables { .. }
        | Statement::ShowColumns { .. }
        | Statement::ShowFunctions { .. }
        | Statement::StartTransaction { .. }
        | Statement::Commit { .. }
        | Statement::Rollback { .. }
        | Statement::Fetch { .. }
        | Statement::Close { .. }
        | Statement::Discard { .. }
        | Statement::Deallocate { .. } => true,
        Statement::Explain { statement, .. } => return check(statement),
        Statement::Declare { stmts } => {
            return stmts
                .iter()
                .filter_map(|d| d.for_query.as_deref())
                .try_for_each(|q| check(&Statement::Query(Box::new(q.clone()))));
        }
        Statement::Savepoint { .. } | Statement::ReleaseSavepoint { .. } => true,
        Statement::Set(set) => {
            !set.to_string().to_ascii_lowercase().contains("datafusion.")
        }
        _ => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(refusal(statement))
    }
}

/// The command tag to answer with when `sql` is one savepoint statement:
/// there is nothing to undo on a read-only server, but drivers (psycopg
/// inside SQLAlchemy) wrap their inspection queries in savepoints.
pub(crate) fn savepoint_tag(sql: &str) -> Option<&'static str> {
    let statements = Parser::parse_sql(&PostgreSqlDialect {}, sql).ok()?;
    match statements.as_slice() {
        [Statement::Savepoint { .. }] => Some("SAVEPOINT"),
        [Statement::ReleaseSavepoint { .. }] => Some("RELEASE"),
        [
            Statement::Rollback {
                savepoint: Some(_), ..
            },
        ] => Some("ROLLBACK"),
        _ => None,
    }
}

/// Checks every statement of `sql`; text that does not parse is left to
/// the planner, which reports the syntax error itself.
pub(crate) fn check_text(sql: &str) -> Result<(), String> {
    match Parser::parse_sql(&PostgreSqlDialect {}, sql) {
        Ok(statements) => statements.iter().try_for_each(check),
        Err(_) => Ok(()),
    }
}

fn refusal(statement: &Statement) -> String {
    let text = statement.to_string();
    let verb: String = text
        .split_whitespace()
        .take(if text.to_ascii_uppercase().starts_with("CREATE") {
            2
        } else {
            1
        })
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_uppercase();
    format!(
        "lakecast serve is read-only: {verb} is not allowed (only queries, EXPLAIN, \
         SHOW and session SET run here; change a lake with the lakecast command line)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_pass_and_writes_are_named() {
        for ok in [
            "SELECT 1",
            "WITH a AS (SELECT 1) SELECT * FROM a",
            "EXPLAIN SELECT 1",
            "SHOW search_path",
            "SET extra_float_digits = 3",
            "BEGIN",
            "COMMIT",
        ] {
            assert_eq!(check_text(ok), Ok(()), "{ok}");
        }
        for (bad, verb) in [
            ("INSERT INTO opportunities VALUES (1)", "INSERT"),
            ("DELETE FROM opportunities", "DELETE"),
            ("UPDATE customers SET name = 'x'", "UPDATE"),
            ("DROP TABLE customers", "DROP"),
            ("CREATE TABLE t (a INT)", "CREATE TABLE"),
            ("CREATE VIEW v AS SELECT 1", "CREATE VIEW"),
            ("COPY customers TO '/tmp/x.csv'", "COPY"),
            ("EXPLAIN DELETE FROM customers", "DELETE"),
            ("SET datafusion.execution.target_partitions = 1", "SET"),
            ("TRUNCATE customers", "TRUNCATE"),
        ] {
            let err = check_text(bad).expect_err(bad);
            assert!(
                err.contains(&format!("{verb} is not allowed")),
                "{bad}: {err}"
            );
        }
    }
}
