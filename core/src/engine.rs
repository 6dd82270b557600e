//! The one place a Lakecast session is made, so the CLI, the server, the
//! Python package and cluster executors see the same functions and settings.

use std::sync::Arc;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::error::DataFusionError;
use datafusion::execution::cache::cache_manager::{CacheManager, CacheManagerConfig};
use datafusion::execution::runtime_env::RuntimeEnv;
use datafusion::execution::{SessionState, SessionStateBuilder};
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion::sql::parser::{DFParser, Statement};
use datafusion::sql::sqlparser::dialect::GenericDialect;

use crate::error::LakeError;
use crate::lake::Lake;
use crate::stores::LakeStores;

/// The settings of every Lakecast session.
pub fn session_config() -> SessionConfig {
    SessionConfig::new()
        .with_information_schema(true)
        .with_create_default_catalog_and_schema(true)
}

/// The runtime of every Lakecast session: DataFusion's defaults with the
/// object stores of [`LakeStores`] and no cache of file listings. A lake
/// changes under a long-running server (new partitions, `lakecast canvas
/// set`), and a cached listing would hide the new files indefinitely.
pub fn lake_runtime() -> Arc<RuntimeEnv> {
    let caches = CacheManagerConfig::default().with_list_files_cache_limit(0);
    let cache_manager = CacheManager::try_new(&caches)
        .unwrap_or_else(|_| RuntimeEnv::default().cache_manager);
    Arc::new(RuntimeEnv {
        object_store_registry: Arc::new(LakeStores::default()),
        cache_manager,
        ..Default::default()
    })
}

/// A session state built from `config` with every Lakecast SQL function and
/// the object stores of [`LakeStores`]. Every session is built here: local
/// ones, and those of cluster schedulers, executors and clients, so they
/// all plan with the same functions.
pub fn new_state(config: SessionConfig) -> SessionState {
    let mut builder = SessionStateBuilder::new()
        .with_config(config)
        .with_runtime_env(lake_runtime())
        .with_default_features();
    builder
        .scalar_functions()
        .get_or_insert_default()
        .extend(lakecast_udfs::scalar_functions().into_iter().map(Arc::new));
    builder
        .aggregate_functions()
        .get_or_insert_default()
        .extend(
            lakecast_udfs::aggregate_functions()
                .into_iter()
                .map(Arc::new),
        );
    builder.build()
}

/// A session with `information_schema` and every Lakecast SQL function.
pub fn new_session() -> SessionContext {
    SessionContext::new_with_state(new_state(session_config()))
}

/// Opens the lake at `location` and returns a session with its tables
/// registered.
pub async fn open_session(location: &str) -> Result<(SessionContext, Lake), LakeError> {
    let lake = Lake::open(location).await?;
    let ctx = new_session();
    lake.register(&ctx).await?;
    register_system_tables(&ctx, &lake).await?;
    Ok((ctx, lake))
}

/// The `lakecast` system tables of a lake folder that has a system folder,
/// unfiltered: whoever runs the command line reads the files directly.
async fn register_system_tables(
    ctx: &SessionContext,
    lake: &Lake,
) -> Result<(), LakeError> {
    let Some(dir) = lake
        .location()
        .local_root()
        .map(|root| root.join("_lakecast"))
    else {
        return Ok(());
    };
    if !dir.is_dir() {
        return Ok(());
    }
    let folder = crate::access::SystemFolder::at(dir)
        .map_err(|e| LakeError::Engine(DataFusionError::External(Box::new(e))))?;
    crate::access::session::register_system_tables(ctx, &folder, None)
        .await
        .map_err(|e| LakeError::Engine(DataFusionError::External(Box::new(e))))
}

/// Splits SQL text into statements; text without one is an error.
pub fn split_statements(text: &str) -> Result<Vec<Statement>, DataFusionError> {
    let statements = DFParser::parse_sql_with_dialect(text, &GenericDialect {})?;
    if statements.is_empty() {
        return Err(DataFusionError::Plan("no SQL statement found".into()));
    }
    Ok(statements.into())
}

/// Plans and runs one statement and collects its result, logging rows and
/// time: the one way every front end runs a statement. Uncorrelated scalar
/// subqueries are computed first, so their values prune what is read
/// ([`crate::subqueries`]).
pub async fn run_statement(
    ctx: &SessionContext,
    statement: Statement,
) -> Result<(SchemaRef, Vec<RecordBatch>), DataFusionError> {
    let started = std::time::Instant::now();
    let plan = ctx.state().statement_to_plan(statement).await?;
    let plan = crate::subqueries::compute_scalar_subqueries(ctx, plan).await?;
    let frame = ctx.execute_logical_plan(plan).await?;
    let schema = Arc::clone(frame.schema().inner());
    let batches = frame.collect().await?;
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    tracing::info!(
        rows,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "query finished"
    );
    Ok((schema, batches))
}
