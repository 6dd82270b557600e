//! Lakecast's SQL functions: the sales, forecast, health and lifetime-value
//! math as DataFusion scalar and aggregate functions. No I/O happens here.
//!
//! Every front end registers them through [`register_all`], so the CLI, the
//! server, Python and cluster executors always agree on the catalogue.

use datafusion::logical_expr::{AggregateUDF, ScalarUDF};
use datafusion::prelude::SessionContext;

/// Every scalar function Lakecast adds.
pub fn scalar_functions() -> Vec<ScalarUDF> {
    Vec::new()
}

/// Every aggregate function Lakecast adds.
pub fn aggregate_functions() -> Vec<AggregateUDF> {
    Vec::new()
}

/// Registers every Lakecast function in a session.
pub fn register_all(ctx: &SessionContext) {
    for udf in scalar_functions() {
        ctx.register_udf(udf);
    }
    for udaf in aggregate_functions() {
        ctx.register_udaf(udaf);
    }
}
