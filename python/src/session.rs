//! Sessions: a DataFusion context with every Lakecast function, the lake's
//! tables, and tables registered from Python data.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use arrow_pyarrow::{FromPyArrow, Table};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::MemTable;
use datafusion::error::DataFusionError;
use datafusion::prelude::SessionContext;
use lakecast_core::generator::{self, GenOptions, Silent};
use pyo3::prelude::*;

use crate::errors::{LakecastError, PlanningError, engine_error, lake_error};
use crate::result::QueryResult;
use crate::runtime::wait;

/// A Lakecast session: run SQL over a lake and over registered data.
#[pyclass(frozen, module = "lakecast._internal")]
pub struct Session {
    ctx: SessionContext,
    lake: Option<String>,
}

/// Opens a session; with a lake location its tables are registered, and
/// with a cluster URL (`df://HOST:PORT`) its queries run on that Ballista
/// cluster.
#[pyfunction]
#[pyo3(signature = (lake = None, cluster = None))]
pub fn connect(
    py: Python<'_>,
    lake: Option<String>,
    cluster: Option<String>,
) -> PyResult<Session> {
    if let Some(url) = cluster {
        let opened = lake.clone();
        let ctx = wait(py, async move {
            lakecast_cluster::connect(&url, opened.as_deref()).await
        })?
        .map_err(lake_error)?;
        return Ok(Session { ctx, lake });
    }
    let Some(location) = lake else {
        return Ok(Session {
            ctx: lakecast_core::new_session(),
            lake: None,
        });
    };
    let opened = location.clone();
    let (ctx, _) = wait(
        py,
        async move { lakecast_core::open_session(&opened).await },
    )?
    .map_err(lake_error)?;
    tracing::info!(lake = %location, "session opened");
    Ok(Session {
        ctx,
        lake: Some(location),
    })
}

/// The SQL examples shipped with Lakecast, as `(file name, title, SQL)`.
#[pyfunction]
pub fn examples() -> Vec<(&'static str, &'static str, &'static str)> {
    lakecast_core::examples::EXAMPLES
        .iter()
        .map(|(name, sql)| (*name, lakecast_core::examples::title(sql), *sql))
        .collect()
}

/// Writes a generated demo lake to `out` and returns the rows per table.
#[pyfunction]
#[pyo3(signature = (out, scale, seed, replace))]
pub fn generate(
    py: Python<'_>,
    out: String,
    scale: f64,
    seed: u64,
    replace: bool,
) -> PyResult<BTreeMap<String, usize>> {
    let options = GenOptions { scale, seed };
    let report = wait(py, async move {
        generator::generate(&out, options, replace, &Silent).await
    })?
    .map_err(lake_error)?;
    Ok(report
        .tables
        .into_iter()
        .map(|(table, rows, _files)| (table.to_string(), rows))
        .collect())
}

#[pymethods]
impl Session {
    /// The lake location this session was opened on, if any.
    #[getter]
    fn lake(&self) -> Option<String> {
        self.lake.clone()
    }

    /// Runs SQL text of one or more statements in order and returns the
    /// result of the last one.
    fn sql(&self, py: Python<'_>, query: String) -> PyResult<QueryResult> {
        let statements =
            lakecast_core::engine::split_statements(&query).map_err(engine_error)?;
        let ctx = self.ctx.clone();
        let started = Instant::now();
        let (schema, batches) = wait(py, async move {
            let mut last = None;
            for statement in statements {
                last = Some(lakecast_core::engine::run_statement(&ctx, statement).await?);
            }
            last.ok_or_else(|| DataFusionError::Plan("no SQL statement found".into()))
        })?
        .map_err(engine_error)?;
        let schema = batches.first().map_or(schema, RecordBatch::schema);
        Ok(QueryResult::new(
            schema,
            batches,
            started.elapsed().as_secs_f64(),
        ))
    }

    /// Registers Arrow data (anything with `__arrow_c_stream__`) as a
    /// table, replacing a table of the same name.
    fn register(&self, name: &str, data: &Bound<'_, PyAny>) -> PyResult<()> {
        if name.trim().is_empty() {
            return Err(PlanningError::new_err("a table name must not be empty"));
        }
        let (batches, schema) = Table::from_pyarrow_bound(data)?.into_inner();
        let partitions = self.ctx.copied_config().target_partitions().max(1);
        let mut parts: Vec<Vec<RecordBatch>> = vec![Vec::new(); partitions];
        for (i, batch) in batches.into_iter().enumerate() {
            parts[i % partitions].push(batch);
        }
        let table = MemTable::try_new(schema, parts).map_err(engine_error)?;
        self.ctx.deregister_table(name).map_err(engine_error)?;
        self.ctx
            .register_table(name, Arc::new(table))
            .map_err(engine_error)?;
        Ok(())
    }

    /// Removes a table; unknown names are an error.
    fn deregister(&self, name: &str) -> PyResult<()> {
        match self.ctx.deregister_table(name).map_err(engine_error)? {
            Some(_) => Ok(()),
            None => Err(PlanningError::new_err(format!(
                "no table named `{name}` to remove"
            ))),
        }
    }

    /// The tables of the default schema, sorted.
    fn tables(&self) -> PyResult<Vec<String>> {
        let catalog = self.ctx.catalog("datafusion").ok_or_else(|| {
            LakecastError::new_err("the session has no default catalog")
        })?;
        let schema = catalog
            .schema("public")
            .ok_or_else(|| LakecastError::new_err("the session has no default schema"))?;
        let mut names = schema.table_names();
        names.sort();
        Ok(names)
    }
}
