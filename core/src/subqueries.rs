//! Uncorrelated scalar subqueries computed before a query is planned.
//!
//! DataFusion plans `x = (SELECT max(d) FROM t)` as a join with the
//! subquery's one row, so the value can prune neither partitions nor row
//! groups: `forecast_snapshots` is read whole to keep the latest snapshot.
//! Lakecast runs such a subquery first (usually answered from Parquet
//! statistics in a millisecond) and plans its value as a literal, which
//! the scan then prunes by.

use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::{Expr, LogicalPlan, Subquery};
use datafusion::prelude::SessionContext;

/// `plan` with every uncorrelated scalar subquery replaced by its value.
/// Views are expanded first, so subqueries inside a view count too; a plan
/// without such subqueries is returned as it came. Statements other than
/// queries (a `CREATE VIEW` keeps its subqueries, evaluated at each use),
/// EXPLAIN and plans with parameters still to bind are left alone.
pub async fn compute_scalar_subqueries(
    ctx: &SessionContext,
    plan: LogicalPlan,
) -> Result<LogicalPlan> {
    // A prepared statement's subqueries may use parameters not bound yet.
    if !is_query(&plan) || !plan.get_parameter_types()?.is_empty() {
        return Ok(plan);
    }
    let state = ctx.state();
    let analyzed = state.analyzer().execute_and_check(
        plan.clone(),
        state.config_options(),
        |_, _| {},
    )?;
    let found = uncorrelated_subqueries(&analyzed)?;
    if found.is_empty() {
        return Ok(plan);
    }

    let mut values = Vec::with_capacity(found.len());
    for subquery in &found {
        values.push(value_of(ctx, subquery).await?);
    }
    tracing::debug!(subqueries = found.len(), "scalar subqueries computed first");

    analyzed
        .transform_up(|node| {
            node.map_expressions(|expr| {
                expr.transform_up(|e| match e {
                    Expr::ScalarSubquery(subquery) => {
                        match found.iter().position(|f| *f == subquery) {
                            Some(i) => Ok(Transformed::yes(Expr::Literal(
                                values[i].clone(),
                                None,
                            ))),
                            None => Ok(Transformed::no(Expr::ScalarSubquery(subquery))),
                        }
                    }
                    other => Ok(Transformed::no(other)),
                })
            })
        })
        .map(|t| t.data)
}

/// Whether `plan` is a query whose result is computed now.
fn is_query(plan: &LogicalPlan) -> bool {
    !matches!(
        plan,
        LogicalPlan::Ddl(_)
            | LogicalPlan::Dml(_)
            | LogicalPlan::Copy(_)
            | LogicalPlan::Explain(_)
            | LogicalPlan::Analyze(_)
            | LogicalPlan::Statement(_)
            | LogicalPlan::DescribeTable(_)
    )
}

/// The scalar subqueries of `plan`'s own expressions (not those inside
/// other subqueries) that use no column of an outer query, each once.
fn uncorrelated_subqueries(plan: &LogicalPlan) -> Result<Vec<Subquery>> {
    let mut found: Vec<Subquery> = Vec::new();
    plan.apply(|node| {
        node.apply_expressions(|expr| {
            expr.apply(|e| {
                if let Expr::ScalarSubquery(subquery) = e
                    && subquery.outer_ref_columns.is_empty()
                    && !found.contains(subquery)
                {
                    found.push(subquery.clone());
                }
                Ok(TreeNodeRecursion::Continue)
            })
        })
    })?;
    Ok(found)
}

/// The one value `subquery` yields: NULL of its type for no row, an error
/// for more than one.
async fn value_of(ctx: &SessionContext, subquery: &Subquery) -> Result<ScalarValue> {
    let plan = subquery.subquery.as_ref().clone();
    let data_type = plan.schema().field(0).data_type().clone();
    let batches = ctx.execute_logical_plan(plan).await?.collect().await?;
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    match (rows, batches.iter().find(|b| b.num_rows() > 0)) {
        (0, _) | (_, None) => ScalarValue::try_from(&data_type),
        (1, Some(batch)) => ScalarValue::try_from_array(batch.column(0), 0),
        (n, Some(_)) => exec_err!(
            "a subquery used as a value returned {n} rows; it must return at most one"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{new_session, run_statement, split_statements};
    use datafusion::arrow::util::pretty::pretty_format_batches;

    async fn run(ctx: &SessionContext, sql: &str) -> Result<String> {
        let mut last = String::new();
        for statement in split_statements(sql)? {
            let (_, batches) = run_statement(ctx, statement).await?;
            last = pretty_format_batches(&batches)?.to_string();
        }
        Ok(last)
    }

    #[tokio::test]
    async fn values_are_computed_first_and_give_the_joined_answer() -> Result<()> {
        let ctx = new_session();
        let sql = "CREATE VIEW t AS SELECT * FROM (VALUES (1, 'a'), (2, 'b'), (3, 'c')) v(k, s);
                   CREATE VIEW newest AS SELECT s FROM t WHERE k = (SELECT max(k) FROM t);
                   SELECT s, (SELECT count(*) FROM t) AS n FROM newest";
        let shown = run(&ctx, sql).await?;
        assert!(shown.contains("| c | 3 |"), "{shown}");

        let plan = ctx
            .state()
            .create_logical_plan("SELECT s FROM newest")
            .await?;
        let computed = compute_scalar_subqueries(&ctx, plan).await?;
        let text = computed.display_indent().to_string();
        assert!(!text.contains("Subquery:"), "{text}");
        assert!(text.contains("Filter: t.k = Int64(3)"), "{text}");
        Ok(())
    }

    #[tokio::test]
    async fn no_row_is_null_and_correlated_subqueries_stay() -> Result<()> {
        let ctx = new_session();
        let sql = "CREATE VIEW t AS SELECT * FROM (VALUES (1, 10), (2, 20)) v(k, x);
                   SELECT k, (SELECT max(x) FROM t WHERE k > 5) AS none,
                          (SELECT max(i.x) FROM t i WHERE i.k = o.k) AS own
                   FROM t o ORDER BY k";
        let shown = run(&ctx, sql).await?;
        assert!(shown.contains("| 1 |      | 10  |"), "{shown}");
        assert!(shown.contains("| 2 |      | 20  |"), "{shown}");
        Ok(())
    }

    #[tokio::test]
    async fn more_than_one_row_is_an_error_that_says_so() {
        let ctx = new_session();
        let sql = "SELECT 1 WHERE 1 = (SELECT * FROM (VALUES (1), (2)) v(k))";
        let err = run(&ctx, sql).await.err().map(|e| e.to_string());
        assert!(
            err.as_deref()
                .is_some_and(|e| e.contains("returned 2 rows")),
            "{err:?}"
        );
    }
}
