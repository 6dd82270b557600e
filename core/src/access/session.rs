//! Sessions for a served lake. Every user gets the lake's tables and the
//! `lakecast` system tables; an analyst's tables of project data are
//! filtered to the projects the analyst holds a grant for at the moment
//! each query runs.

use std::borrow::Cow;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::{
    ArrayRef, BooleanArray, Int64Array, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use datafusion::arrow::compute::filter_record_batch;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::catalog::memory::{MemorySchemaProvider, MemorySourceConfig};
use datafusion::catalog::view::ViewTable;
use datafusion::catalog::{Session, TableProvider};
use datafusion::datasource::provider_as_source;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{
    Expr, LogicalPlan, LogicalPlanBuilder, TableType, cast, col, in_subquery,
};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::SessionContext;

use super::audit::{self, AuditLog};
use super::grants::GrantBook;
use super::users::UserBook;
use super::{AccessError, Role, SystemFolder, now};
use crate::engine::{new_state, session_config};
use crate::lake::Lake;

/// The lake tables that hold project data, with the column naming the
/// project: a deal's `opportunity_id` is its project's key.
pub const PROJECT_TABLES: [(&str, &str); 4] = [
    ("opportunities", "opportunity_id"),
    ("customer_signals", "opportunity_id"),
    ("forecast_snapshots", "opportunity_id"),
    ("project_grants", "project_id"),
];

/// Who is asking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The user name.
    pub name: String,
    /// What the user may read.
    pub role: Role,
}

/// A lake opened for serving: its tables, its system folder and its audit
/// log. Sessions for users are made from it.
#[derive(Debug)]
pub struct ServedLake {
    lake: Lake,
    folder: SystemFolder,
    audit: AuditLog,
}

impl ServedLake {
    /// Opens the lake at `location` (checked against the contract) with its
    /// system folder: `system` when given, else `_lakecast/` in the lake.
    pub async fn open(
        location: &str,
        system: Option<&Path>,
    ) -> Result<Self, AccessError> {
        let lake = Lake::open(location).await?;
        let folder = SystemFolder::for_lake(lake.location(), system)?;
        let audit = AuditLog::open(&folder)?;
        Ok(Self {
            lake,
            folder,
            audit,
        })
    }

    /// The lake.
    pub fn lake(&self) -> &Lake {
        &self.lake
    }

    /// The system folder.
    pub fn folder(&self) -> &SystemFolder {
        &self.folder
    }

    /// The audit log.
    pub fn audit(&self) -> &AuditLog {
        &self.audit
    }

    /// The users as they are now (the file is read on every call, so users
    /// added while serving can log in at once).
    pub fn users(&self) -> Result<UserBook, AccessError> {
        UserBook::load(&self.folder)
    }

    /// A session for `who`: every lake table (project tables filtered for
    /// analysts) and the `lakecast` system tables.
    pub async fn session_for(
        &self,
        who: &Identity,
    ) -> Result<SessionContext, AccessError> {
        let ctx = SessionContext::new_with_state(new_state(session_config()));
        let granted = granted_projects(&self.folder, who);
        for (name, provider) in self.lake.tables(&ctx).await? {
            let provider = match (who.role, project_key(name)) {
                (Role::Analyst, Some(key)) => {
                    filtered(name, provider, key, Arc::clone(&granted))?
                }
                _ => provider,
            };
            ctx.register_table(name, provider)?;
        }
        register_system_tables(&ctx, &self.folder, Some(who)).await?;
        Ok(ctx)
    }
}

/// The column naming the project in `table`, if it holds project data.
pub fn project_key(table: &str) -> Option<&'static str> {
    PROJECT_TABLES
        .iter()
        .find(|(name, _)| *name == table)
        .map(|(_, key)| *key)
}

/// Registers `lakecast.audit_log`, `lakecast.grants`,
/// `lakecast.signal_weights_history` and (not for analysts) `lakecast.actions`
/// in `ctx`. With no identity (the CLI,
/// which reads the files directly) every row is shown; an analyst sees
/// only their own audit entries and grants.
pub async fn register_system_tables(
    ctx: &SessionContext,
    folder: &SystemFolder,
    who: Option<&Identity>,
) -> Result<(), AccessError> {
    let catalog = ctx
        .catalog("datafusion")
        .ok_or_else(|| DataFusionError::Internal("no default catalog".into()))?;
    catalog.register_schema("lakecast", Arc::new(MemorySchemaProvider::new()))?;
    let only = who
        .filter(|w| w.role == Role::Analyst)
        .map(|w| w.name.clone());

    let audit_path = folder.root().join("audit.jsonl");
    let audit_only = only.clone();
    let audit_table =
        SnapshotTable::new("lakecast.audit_log", audit::schema(), move || {
            let batch = AuditLog::read(&audit_path)?;
            keep_actor(batch, "actor", audit_only.as_deref())
        });
    ctx.register_table("lakecast.audit_log", Arc::new(audit_table))?;

    let grants_folder = folder.clone();
    let grants_table =
        SnapshotTable::new("lakecast.grants", grants_schema(), move || {
            let batch = grants_batch(&GrantBook::load(&grants_folder)?)?;
            keep_actor(batch, "user", only.as_deref())
        });
    ctx.register_table("lakecast.grants", Arc::new(grants_table))?;

    if who.is_none_or(|w| w.role == Role::Admin) {
        let actions_folder = folder.clone();
        let actions = SnapshotTable::new(
            "lakecast.actions",
            crate::rules::actions_schema(),
            move || {
                let journal = crate::rules::ActionJournal::open(&actions_folder)?;
                Ok(journal.to_batch()?)
            },
        );
        ctx.register_table("lakecast.actions", Arc::new(actions))?;
    }

    if ctx.table_exist("signal_weights")? {
        let history = ctx
            .sql(
                "SELECT version, effective_from, changed_by, rule_id, signal, operator, \
                 threshold, lift, note FROM signal_weights",
            )
            .await?
            .into_view();
        ctx.register_table("lakecast.signal_weights_history", history)?;
    }
    Ok(())
}

/// The projects `who` may read, computed when a query scans it.
fn granted_projects(folder: &SystemFolder, who: &Identity) -> Arc<dyn TableProvider> {
    let folder = folder.clone();
    let user = who.name.clone();
    let schema = Arc::new(Schema::new(vec![Field::new(
        "project_id",
        DataType::Int64,
        false,
    )]));
    let table_schema = Arc::clone(&schema);
    Arc::new(SnapshotTable::new("granted_projects", schema, move || {
        let projects = GrantBook::load(&folder)?.projects_of(&user, now());
        let column: ArrayRef = Arc::new(Int64Array::from(projects));
        Ok(
            RecordBatch::try_new(Arc::clone(&table_schema), vec![column])
                .map_err(DataFusionError::from)?,
        )
    }))
}

/// `provider` showing only rows whose `key` is a granted project.
fn filtered(
    name: &str,
    provider: Arc<dyn TableProvider>,
    key: &str,
    granted: Arc<dyn TableProvider>,
) -> Result<Arc<dyn TableProvider>> {
    let granted =
        LogicalPlanBuilder::scan("granted_projects", provider_as_source(granted), None)?
            .build()?;
    let plan = LogicalPlanBuilder::scan(name, provider_as_source(provider), None)?
        .filter(in_subquery(
            cast(col(key), DataType::Int64),
            Arc::new(granted),
        ))?
        .build()?;
    Ok(Arc::new(FilteredTable(ViewTable::new(plan, None))))
}

/// A lake table behind a row filter. Planned like a view (the filter is
/// part of every query's plan) but listed as a table, so BI tools that show
/// only tables (`\dt`, inspectors) still show it.
#[derive(Debug)]
struct FilteredTable(ViewTable);

#[async_trait]
impl TableProvider for FilteredTable {
    fn schema(&self) -> SchemaRef {
        self.0.schema()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn get_logical_plan(&self) -> Option<Cow<'_, LogicalPlan>> {
        self.0.get_logical_plan()
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        self.0.scan(state, projection, filters, limit).await
    }
}

type Loader = dyn Fn() -> Result<RecordBatch, AccessError> + Send + Sync;

/// A small table read from the system folder each time a query scans it.
struct SnapshotTable {
    name: &'static str,
    schema: SchemaRef,
    load: Box<Loader>,
}

impl SnapshotTable {
    fn new(
        name: &'static str,
        schema: SchemaRef,
        load: impl Fn() -> Result<RecordBatch, AccessError> + Send + Sync + 'static,
    ) -> Self {
        Self {
            name,
            schema,
            load: Box::new(load),
        }
    }
}

impl fmt::Debug for SnapshotTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SnapshotTable")
            .field("name", &self.name)
            .finish()
    }
}

#[async_trait]
impl TableProvider for SnapshotTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::View
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let batch = (self.load)().map_err(|e| {
            DataFusionError::External(format!("{}: {e}", self.name).into())
        })?;
        let exec = MemorySourceConfig::try_new_exec(
            &[vec![batch]],
            Arc::clone(&self.schema),
            projection.cloned(),
        )?;
        Ok(exec)
    }
}

/// Keeps the rows whose `column` is `actor`; all rows when `actor` is None.
fn keep_actor(
    batch: RecordBatch,
    column: &str,
    actor: Option<&str>,
) -> Result<RecordBatch, AccessError> {
    let Some(actor) = actor else {
        return Ok(batch);
    };
    let names = batch
        .column_by_name(column)
        .and_then(|c| c.as_any().downcast_ref::<StringArray>())
        .ok_or_else(|| DataFusionError::Internal(format!("no text column `{column}`")))?;
    let mask: BooleanArray = names.iter().map(|name| Some(name == Some(actor))).collect();
    Ok(filter_record_batch(&batch, &mask).map_err(DataFusionError::from)?)
}

fn utc_micros() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

/// The columns of `lakecast.grants`.
fn grants_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("user", DataType::Utf8, false),
        Field::new("project_id", DataType::Int64, false),
        Field::new("granted_at", utc_micros(), false),
        Field::new("expires_at", utc_micros(), false),
        Field::new("granted_by", DataType::Utf8, false),
        Field::new("revoked_at", utc_micros(), true),
        Field::new("revoked_by", DataType::Utf8, true),
        Field::new("in_force", DataType::Boolean, false),
    ]))
}

fn grants_batch(book: &GrantBook) -> Result<RecordBatch, AccessError> {
    let grants = book.grants();
    let moment = now();
    let micros = |t: chrono::DateTime<chrono::Utc>| t.timestamp_micros();
    let stamp = |values: Vec<Option<i64>>| -> ArrayRef {
        Arc::new(TimestampMicrosecondArray::from(values).with_timezone("UTC"))
    };
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(
            grants.iter().map(|g| &g.user),
        )),
        Arc::new(Int64Array::from_iter_values(
            grants.iter().map(|g| g.project_id),
        )),
        stamp(grants.iter().map(|g| Some(micros(g.granted_at))).collect()),
        stamp(grants.iter().map(|g| Some(micros(g.expires_at))).collect()),
        Arc::new(StringArray::from_iter_values(
            grants.iter().map(|g| &g.granted_by),
        )),
        stamp(grants.iter().map(|g| g.revoked_at.map(micros)).collect()),
        Arc::new(StringArray::from_iter(
            grants.iter().map(|g| g.revoked_by.as_deref()),
        )),
        Arc::new(BooleanArray::from_iter(
            grants.iter().map(|g| Some(g.holds_at(moment))),
        )),
    ];
    Ok(RecordBatch::try_new(grants_schema(), columns).map_err(DataFusionError::from)?)
}
