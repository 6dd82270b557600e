//! Lakecast's SQL functions: the sales, forecast, health and lifetime-value
//! math as DataFusion scalar and aggregate functions. No I/O happens here.
//!
//! Every front end registers them through [`register_all`], so the CLI, the
//! server, Python and cluster executors always agree on the catalogue. The
//! NULL rule, written once: a NULL in any required argument of a scalar
//! function gives NULL; aggregates skip rows with a NULL input and return
//! NULL when their result is undefined. A value outside a function's
//! domain is an execution error naming the function, argument and value.

mod common;
mod decay;
mod docs;
mod fits;
mod forecast;
mod health;
mod lifetime;
mod load;
pub mod models;
mod numeric;
mod quality;
mod roc_auc;
mod rows;
mod sums;
mod teams;
mod winmodel;

use datafusion::logical_expr::{AggregateUDF, Documentation, ScalarUDF};
use datafusion::prelude::SessionContext;

pub use forecast::apply_lifts;
pub use quality::LOG_LOSS_EPSILON;

/// Every scalar function Lakecast adds.
pub fn scalar_functions() -> Vec<ScalarUDF> {
    vec![
        forecast::weighted_win_rate(),
        load::rep_load_penalty(),
        forecast::resource_slack(),
        forecast::slack_alert(),
        decay::signal_decay(),
        forecast::heat_bucket(),
        quality::forecast_deviation(),
        teams::tag_coverage(),
        teams::tag_jaccard(),
        health::scale_minmax(),
        health::health_band(),
        lifetime::ltv_simple(),
        lifetime::bgnbd_expected_purchases(),
        lifetime::bgnbd_p_alive(),
        lifetime::gamma_gamma_expected_spend(),
        lifetime::customer_ltv(),
        winmodel::logreg_predict(),
        winmodel::logreg_top_factors(),
    ]
}

/// Every aggregate function Lakecast adds.
pub fn aggregate_functions() -> Vec<AggregateUDF> {
    let mut all = vec![
        forecast::combine_lifts(),
        forecast::resource_slack_agg(),
        health::health_score(),
        fits::bgnbd_fit(),
        fits::gamma_gamma_fit(),
        fits::logreg_fit(),
    ];
    all.extend(quality::aggregates());
    all
}

/// One entry of the function catalogue.
#[derive(Debug, Clone)]
pub struct CatalogueEntry {
    /// The SQL name.
    pub name: String,
    /// Whether the function is an aggregate.
    pub aggregate: bool,
    /// The function's own documentation.
    pub doc: Option<Documentation>,
}

/// Every function with its documentation, by catalogue section then name:
/// the one list behind `lakecast functions`, the reference page and
/// `lakecast.functions()` in Python.
pub fn catalogue() -> Vec<CatalogueEntry> {
    let scalars = scalar_functions().into_iter().map(|f| CatalogueEntry {
        name: f.name().to_string(),
        aggregate: false,
        doc: f.documentation().cloned(),
    });
    let aggregates = aggregate_functions().into_iter().map(|f| CatalogueEntry {
        name: f.name().to_string(),
        aggregate: true,
        doc: f.documentation().cloned(),
    });
    let mut all: Vec<CatalogueEntry> = scalars.chain(aggregates).collect();
    let section = |e: &CatalogueEntry| e.doc.as_ref().map_or("", |d| d.doc_section.label);
    all.sort_by(|a, b| section(a).cmp(section(b)).then(a.name.cmp(&b.name)));
    all
}

/// Registers every Lakecast function in a session context.
pub fn register_all(ctx: &SessionContext) {
    for udf in scalar_functions() {
        ctx.register_udf(udf);
    }
    for udaf in aggregate_functions() {
        ctx.register_udaf(udaf);
    }
}
