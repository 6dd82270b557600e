//! `lakecast serve`: a lake behind a PostgreSQL wire endpoint and an Arrow
//! Flight SQL endpoint. Both require a login, are read-only, run each query
//! in a session that shows an analyst only the projects they hold a grant
//! for at that moment, and record every login and query in the audit log
//! before answering.

mod catalog;
mod compat;
mod flight;
mod pg;
mod readonly;
mod scram;

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use datafusion::execution::SessionStateBuilder;
use datafusion::execution::memory_pool::{FairSpillPool, TrackConsumersPool};
use datafusion::execution::runtime_env::RuntimeEnv;
use datafusion::prelude::SessionContext;
use datafusion::sql::parser::DFParser;
use datafusion::sql::resolve::resolve_table_references;
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion_postgres::datafusion_pg_catalog::pg_catalog::context::EmptyContextProvider;
use datafusion_postgres::datafusion_pg_catalog::pg_catalog::setup_pg_catalog;
use lakecast_core::access::{AccessError, AuditEntry, Identity, ServedLake, User};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How `lakecast serve` runs.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The lake: a folder or `s3://` URL.
    pub lake: String,
    /// The system folder, when not `_lakecast/` inside the lake.
    pub system: Option<PathBuf>,
    /// Where the PostgreSQL wire endpoint listens.
    pub pg: Option<SocketAddr>,
    /// Where the Flight SQL endpoint listens.
    pub flight: Option<SocketAddr>,
    /// Memory one query may use before it spills or fails, in bytes.
    pub query_memory: usize,
    /// Longest a statement may run.
    pub statement_timeout: Duration,
    /// Most connections open at once, both endpoints together.
    pub max_connections: usize,
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Opening the lake, its system folder or its audit log failed.
    #[error(transparent)]
    Access(#[from] AccessError),
    /// An endpoint could not listen.
    #[error("cannot listen on {addr} for {endpoint}: {source}")]
    Bind {
        /// Which endpoint.
        endpoint: &'static str,
        /// The address asked for.
        addr: SocketAddr,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// Neither endpoint was asked for.
    #[error("nothing to serve: pass --pg ADDR, --flight ADDR or both")]
    NoEndpoint,
    /// An endpoint stopped with an error.
    #[error("the {endpoint} endpoint stopped: {reason}")]
    Stopped {
        /// Which endpoint.
        endpoint: &'static str,
        /// Why.
        reason: String,
    },
}

/// What both endpoints share: the lake, sessions per user, limits.
pub(crate) struct Server {
    lake: ServedLake,
    options: ServeOptions,
    sessions: Mutex<HashMap<String, (Identity, Arc<SessionContext>)>>,
    connections: Arc<Semaphore>,
}

impl Server {
    async fn open(options: ServeOptions) -> Result<Arc<Self>, ServeError> {
        let lake = ServedLake::open(&options.lake, options.system.as_deref()).await?;
        Ok(Arc::new(Self {
            lake,
            connections: Arc::new(Semaphore::new(options.max_connections.max(1))),
            options,
            sessions: Mutex::new(HashMap::new()),
        }))
    }

    /// A connection slot, or None when the limit is reached.
    fn admit(&self) -> Option<OwnedSemaphorePermit> {
        Arc::clone(&self.connections).try_acquire_owned().ok()
    }

    /// The user called `name` as the users file says now.
    fn user(&self, name: &str) -> Result<Option<User>, AccessError> {
        Ok(self.lake.users()?.find(name).cloned())
    }

    /// The session of `who`, made on first use. Its project filters read
    /// the grants at every query, so it never goes stale.
    async fn session_for(
        &self,
        who: &Identity,
    ) -> Result<Arc<SessionContext>, AccessError> {
        if let Some((known, ctx)) = self.lock_sessions().get(&who.name)
            && known == who
        {
            return Ok(Arc::clone(ctx));
        }
        let ctx = self.lake.session_for(who).await?;
        setup_pg_catalog(&ctx, "datafusion", EmptyContextProvider)
            .map_err(|e| AccessError::Engine(*e))?;
        catalog::register_functions(&ctx);
        ctx.register_udf(catalog::session_user_function(&who.name));
        let ctx = Arc::new(ctx);
        self.lock_sessions()
            .insert(who.name.clone(), (who.clone(), Arc::clone(&ctx)));
        Ok(ctx)
    }

    fn lock_sessions(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<String, (Identity, Arc<SessionContext>)>> {
        self.sessions
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A context for one query: the user's tables and settings with a
    /// memory pool of its own, so one heavy query spills or fails alone.
    fn query_context(&self, user_ctx: &SessionContext) -> SessionContext {
        let base = user_ctx.runtime_env();
        let pool = TrackConsumersPool::new(
            FairSpillPool::new(self.options.query_memory),
            std::num::NonZeroUsize::new(3).unwrap_or(std::num::NonZeroUsize::MIN),
        );
        let runtime = Arc::new(RuntimeEnv {
            memory_pool: Arc::new(pool),
            disk_manager: Arc::clone(&base.disk_manager),
            cache_manager: Arc::clone(&base.cache_manager),
            object_store_registry: Arc::clone(&base.object_store_registry),
        });
        let state = SessionStateBuilder::new_from_existing(user_ctx.state())
            .with_runtime_env(runtime)
            .build();
        SessionContext::new_with_state(state)
    }

    /// The statement timeout: the client's own (`SET statement_timeout`)
    /// when shorter than the server's.
    fn timeout(&self, client_ms: Option<u64>) -> Duration {
        let server = self.options.statement_timeout;
        client_ms
            .filter(|ms| *ms > 0)
            .map_or(server, |ms| Duration::from_millis(ms).min(server))
    }

    /// Records a login attempt; the caller answers only after this returns.
    async fn audit_login(
        &self,
        name: &str,
        role: &str,
        endpoint: &str,
        outcome: Result<(), &str>,
    ) -> Result<(), AccessError> {
        let entry = AuditEntry::new(name, role, "login", endpoint)
            .with_endpoint(endpoint)
            .with_outcome(outcome.err().unwrap_or("ok"));
        tracing::info!(user = name, endpoint, outcome = %entry.outcome, "login");
        self.lake.audit().record(entry).await
    }

    /// Records a query; the caller sends the result only after this returns.
    async fn audit_query(
        &self,
        run: &QueryRun<'_>,
        outcome: Result<u64, String>,
    ) -> Result<(), AccessError> {
        let elapsed_ms = run.started.elapsed().as_secs_f64() * 1000.0;
        let objects = tables_named(run.sql);
        let (rows, outcome_text) = match &outcome {
            Ok(rows) => (*rows, "ok".to_string()),
            Err(message) => (0, message.clone()),
        };
        tracing::info!(
            user = run.who.name,
            endpoint = run.endpoint,
            rows,
            elapsed_ms,
            ok = outcome.is_ok(),
            "query"
        );
        let entry =
            AuditEntry::new(&run.who.name, &run.who.role.to_string(), "query", &objects)
                .with_endpoint(run.endpoint)
                .with_detail(serde_json::Value::String(run.sql.to_string()))
                .with_outcome(outcome_text)
                .with_rows(rows, elapsed_ms);
        self.lake.audit().record(entry).await
    }
}

/// One query being run, for its audit entry.
pub(crate) struct QueryRun<'a> {
    who: &'a Identity,
    endpoint: &'static str,
    sql: &'a str,
    started: Instant,
}

impl<'a> QueryRun<'a> {
    fn start(who: &'a Identity, endpoint: &'static str, sql: &'a str) -> Self {
        Self {
            who,
            endpoint,
            sql,
            started: Instant::now(),
        }
    }
}

/// The tables a statement reads, for the audit log's `object` column:
/// DataFusion's own resolution of table references, without CTE names.
fn tables_named(sql: &str) -> String {
    let Ok(statements) = DFParser::parse_sql_with_dialect(sql, &PostgreSqlDialect {})
    else {
        return String::new();
    };
    let mut names: Vec<String> = statements
        .iter()
        .filter_map(|statement| resolve_table_references(statement, true).ok())
        .flat_map(|(tables, _ctes)| tables)
        .map(|table| table.to_string())
        .collect();
    names.sort();
    names.dedup();
    names.join(",")
}

/// Serves until `shutdown` resolves, then stops taking connections and
/// gives open ones a few seconds to finish.
pub async fn serve(
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    if options.pg.is_none() && options.flight.is_none() {
        return Err(ServeError::NoEndpoint);
    }
    let server = Server::open(options.clone()).await?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut tasks = tokio::task::JoinSet::new();
    if let Some(addr) = options.pg {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| ServeError::Bind {
                endpoint: "PostgreSQL wire",
                addr,
                source,
            })?;
        tracing::info!(addr = %listener.local_addr().unwrap_or(addr), lake = options.lake, "PostgreSQL wire endpoint listening");
        tasks.spawn(pg::run(Arc::clone(&server), listener, stop_rx.clone()));
    }
    if let Some(addr) = options.flight {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| ServeError::Bind {
                endpoint: "Flight SQL",
                addr,
                source,
            })?;
        tracing::info!(addr = %listener.local_addr().unwrap_or(addr), lake = options.lake, "Flight SQL endpoint listening");
        tasks.spawn(flight::run(Arc::clone(&server), listener, stop_rx.clone()));
    }
    tokio::select! {
        () = shutdown => {
            tracing::info!("shutting down: no new connections, open ones may finish");
        }
        Some(done) = tasks.join_next() => {
            let _ = stop_tx.send(true);
            return flatten(done);
        }
    }
    let _ = stop_tx.send(true);
    let drained = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(done) = tasks.join_next().await {
            flatten(done)?;
        }
        Ok::<(), ServeError>(())
    })
    .await;
    match drained {
        Ok(result) => result,
        Err(_) => {
            tracing::warn!("connections still open after 10 s; closing them");
            Ok(())
        }
    }
}

fn flatten(
    done: Result<Result<(), ServeError>, tokio::task::JoinError>,
) -> Result<(), ServeError> {
    done.map_err(|e| ServeError::Stopped {
        endpoint: "server",
        reason: e.to_string(),
    })?
}
