//! The PostgreSQL wire endpoint. DataFusion-Postgres supplies the protocol
//! details (catalog tables for `\d` and inspectors, parameter types, SET
//! and SHOW); Lakecast wraps it to log users in, pick each user's session,
//! refuse writes, enforce limits and record every statement before its
//! result is sent.

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::SessionContext;
use datafusion::sql::parser::Statement as DfStatement;
use datafusion::sql::sqlparser;
use datafusion_postgres::DfSessionService;
use datafusion_postgres::arrow_pg::datatypes::df::encode_dataframe;
use datafusion_postgres::pgwire::api::cancel::DefaultCancelHandler;
use datafusion_postgres::pgwire::api::portal::{Format, Portal};
use datafusion_postgres::pgwire::api::query::{ExtendedQueryHandler, SimpleQueryHandler};
use datafusion_postgres::pgwire::api::results::{
    FieldInfo, QueryResponse, Response, Tag,
};
use datafusion_postgres::pgwire::api::stmt::QueryParser;
use datafusion_postgres::pgwire::api::store::PortalStore;
use datafusion_postgres::pgwire::api::{
    ClientInfo, ClientPortalStore, ConnectionManager, ErrorHandler, PgWireServerHandlers,
    Type,
};
use datafusion_postgres::pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use datafusion_postgres::pgwire::messages::PgWireBackendMessage;
use datafusion_postgres::pgwire::messages::data::DataRow;
use datafusion_postgres::pgwire::tokio::process_socket;
use datafusion_postgres::pgwire::types::format::FormatOptions;
use futures::{Sink, StreamExt};
use lakecast_core::access::Identity;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::scram::ScramStartup;
use crate::{QueryRun, ServeError, Server, compat, readonly};

type PgStatement = (String, Option<(sqlparser::ast::Statement, LogicalPlan)>);

/// Accepts connections until told to stop, then waits for open ones.
pub(crate) async fn run(
    server: Arc<Server>,
    listener: TcpListener,
    mut stop: watch::Receiver<bool>,
) -> Result<(), ServeError> {
    let manager = Arc::new(ConnectionManager::new());
    let queries = Arc::new(PgQueries::new(Arc::clone(&server)));
    let mut open = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (socket, peer) = match accepted {
                    Ok(pair) => pair,
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot accept a PostgreSQL connection");
                        continue;
                    }
                };
                let _ = socket.set_nodelay(true);
                let handlers = PgConnection {
                    startup: Arc::new(ScramStartup::new(
                        Arc::clone(&server),
                        server.admit(),
                        Arc::clone(&manager),
                    )),
                    queries: Arc::clone(&queries),
                    cancel: Arc::new(DefaultCancelHandler::new(Arc::clone(&manager))),
                };
                open.spawn(async move {
                    if let Err(e) = process_socket(socket, None, handlers).await {
                        tracing::debug!(%peer, error = %e, "PostgreSQL connection ended");
                    }
                });
            }
            _ = stop.changed() => break,
            Some(_) = open.join_next(), if !open.is_empty() => {}
        }
    }
    drop(listener);
    while open.join_next().await.is_some() {}
    Ok(())
}

/// The handlers of one connection.
struct PgConnection {
    startup: Arc<ScramStartup>,
    queries: Arc<PgQueries>,
    cancel: Arc<DefaultCancelHandler>,
}

impl PgWireServerHandlers for PgConnection {
    fn simple_query_handler(&self) -> Arc<impl SimpleQueryHandler> {
        Arc::clone(&self.queries)
    }

    fn extended_query_handler(&self) -> Arc<impl ExtendedQueryHandler> {
        Arc::clone(&self.queries)
    }

    fn startup_handler(
        &self,
    ) -> Arc<impl datafusion_postgres::pgwire::api::auth::StartupHandler> {
        Arc::clone(&self.startup)
    }

    fn error_handler(&self) -> Arc<impl ErrorHandler> {
        Arc::new(LogErrors)
    }

    fn cancel_handler(
        &self,
    ) -> Arc<impl datafusion_postgres::pgwire::api::cancel::CancelHandler> {
        Arc::clone(&self.cancel)
    }
}

struct LogErrors;

impl ErrorHandler for LogErrors {
    fn on_error<C>(&self, _client: &C, error: &mut PgWireError)
    where
        C: ClientInfo,
    {
        tracing::debug!(error = %error, "sent an error to a PostgreSQL client");
    }
}

/// Runs statements for every connection of the endpoint.
struct PgQueries {
    server: Arc<Server>,
    parser: Arc<PgParser>,
}

impl PgQueries {
    fn new(server: Arc<Server>) -> Self {
        let describe = DfSessionService::new(Arc::new(SessionContext::new()));
        Self {
            parser: Arc::new(PgParser {
                server: Arc::clone(&server),
                describe: describe.query_parser(),
                services: Mutex::new(HashMap::new()),
            }),
            server,
        }
    }

    /// A protocol service over a fresh per-query context of `who`.
    async fn service(&self, who: &Identity) -> PgWireResult<DfSessionService> {
        let user_ctx = self.server.session_for(who).await.map_err(api_error)?;
        let ctx = self.server.query_context(&user_ctx);
        Ok(DfSessionService::new(Arc::new(ctx)))
    }

    fn timeout<C: ClientInfo>(&self, client: &C) -> Duration {
        let client_ms = client
            .metadata()
            .get("statement_timeout_ms")
            .and_then(|ms| ms.parse().ok());
        self.server.timeout(client_ms)
    }

    /// Records the outcome, then hands the result on: nothing reaches the
    /// client before its audit entry is on disk.
    async fn finish<T>(
        &self,
        run: &QueryRun<'_>,
        result: PgWireResult<(T, u64)>,
    ) -> PgWireResult<T> {
        let outcome = match &result {
            Ok((_, rows)) => Ok(*rows),
            Err(e) => Err(error_text(e)),
        };
        self.server
            .audit_query(run, outcome)
            .await
            .map_err(api_error)?;
        result.map(|(value, _)| value)
    }
}

#[async_trait]
impl SimpleQueryHandler for PgQueries {
    async fn do_query<C>(
        &self,
        client: &mut C,
        query: &str,
    ) -> PgWireResult<Vec<Response>>
    where
        C: ClientInfo
            + ClientPortalStore
            + Sink<PgWireBackendMessage>
            + Unpin
            + Send
            + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let who = identity(client)?;
        let run = QueryRun::start(&who, "pg", query);
        if let Err(refusal) = readonly::check_text(query) {
            return self.finish(&run, Err(read_only(refusal))).await;
        }
        if let Some(tag) = readonly::savepoint_tag(query) {
            let done = vec![Response::Execution(Tag::new(tag))];
            return self.finish(&run, Ok((done, 0))).await;
        }
        let limit = self.timeout(client);
        let result = tokio::time::timeout(limit, async {
            let user_ctx = self.server.session_for(&who).await.map_err(api_error)?;
            let ctx = self.server.query_context(&user_ctx);
            let responses = match compat::plain_query(query) {
                Some(statement) => vec![run_plain(&ctx, client, statement).await?],
                None => {
                    let service = DfSessionService::new(Arc::new(ctx));
                    let query = compat::rewrite(query, &[]);
                    SimpleQueryHandler::do_query(&service, client, &query).await?
                }
            };
            drain(responses).await
        })
        .await
        .unwrap_or_else(|_| Err(timed_out(limit)));
        self.finish(&run, result).await
    }
}

#[async_trait]
impl ExtendedQueryHandler for PgQueries {
    type Statement = PgStatement;
    type QueryParser = PgParser;

    fn query_parser(&self) -> Arc<Self::QueryParser> {
        Arc::clone(&self.parser)
    }

    async fn do_query<C>(
        &self,
        client: &mut C,
        portal: &Portal<Self::Statement>,
        max_rows: usize,
    ) -> PgWireResult<Response>
    where
        C: ClientInfo
            + ClientPortalStore
            + Sink<PgWireBackendMessage>
            + Unpin
            + Send
            + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let who = identity(client)?;
        let sql = portal.statement.statement.0.clone();
        let run = QueryRun::start(&who, "pg", &sql);
        if let (_, Some((statement, _))) = &portal.statement.statement
            && let Err(refusal) = readonly::check(statement)
        {
            return self.finish(&run, Err(read_only(refusal))).await;
        }
        let limit = self.timeout(client);
        let result = tokio::time::timeout(limit, async {
            let service = self.service(&who).await?;
            let response =
                ExtendedQueryHandler::do_query(&service, client, portal, max_rows)
                    .await?;
            let (mut responses, rows) = drain(vec![response]).await?;
            let response = responses.pop().unwrap_or(Response::EmptyQuery);
            Ok((response, rows))
        })
        .await
        .unwrap_or_else(|_| Err(timed_out(limit)));
        self.finish(&run, result).await
    }
}

/// Parses statements in the session of the connection's user, so
/// parameter and result types come from the tables that user sees.
pub(crate) struct PgParser {
    server: Arc<Server>,
    describe: Arc<datafusion_postgres::Parser>,
    services: Mutex<HashMap<String, (Identity, Arc<DfSessionService>)>>,
}

impl PgParser {
    async fn service(&self, who: &Identity) -> PgWireResult<Arc<DfSessionService>> {
        if let Some((known, service)) = self.lock().get(&who.name)
            && known == who
        {
            return Ok(Arc::clone(service));
        }
        let ctx = self.server.session_for(who).await.map_err(api_error)?;
        let service = Arc::new(DfSessionService::new(ctx));
        self.lock()
            .insert(who.name.clone(), (who.clone(), Arc::clone(&service)));
        Ok(service)
    }

    fn lock(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<String, (Identity, Arc<DfSessionService>)>>
    {
        self.services.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[async_trait]
impl QueryParser for PgParser {
    type Statement = PgStatement;

    async fn parse_sql<C>(
        &self,
        client: &C,
        sql: &str,
        types: &[Option<Type>],
    ) -> PgWireResult<Option<Self::Statement>>
    where
        C: ClientInfo + Unpin + Send + Sync,
    {
        let who = identity(client)?;
        if let Err(refusal) = readonly::check_text(sql) {
            let run = QueryRun::start(&who, "pg", sql);
            let _ = self.server.audit_query(&run, Err(refusal.clone())).await;
            return Err(read_only(refusal));
        }
        if let Some(statement) = compat::plain_query(sql) {
            let ctx = self.server.session_for(&who).await.map_err(api_error)?;
            let plan = ctx
                .state()
                .statement_to_plan(DfStatement::Statement(Box::new(statement.clone())))
                .await
                .map_err(api_error)?;
            return Ok(Some((sql.to_string(), Some((statement, plan)))));
        }
        let service = self.service(&who).await?;
        let declared: Vec<&str> = types.iter().map(sql_type_name).collect();
        let sql = compat::rewrite(sql, &declared);
        service.query_parser().parse_sql(client, &sql, types).await
    }

    fn get_parameter_types(
        &self,
        statement: &Self::Statement,
    ) -> PgWireResult<Vec<Type>> {
        self.describe.get_parameter_types(statement)
    }

    fn get_result_schema(
        &self,
        statement: &Self::Statement,
        column_format: Option<&Format>,
    ) -> PgWireResult<Vec<FieldInfo>> {
        self.describe.get_result_schema(statement, column_format)
    }
}

/// The SQL name of a parameter type a client declared, for casts DataFusion
/// plans; undeclared (`unknown`) and other types read as text, as
/// PostgreSQL reads an untyped literal.
fn sql_type_name(declared: &Option<Type>) -> &'static str {
    let Some(declared) = declared else {
        return "TEXT";
    };
    match *declared {
        Type::BOOL => "BOOLEAN",
        Type::INT2 => "SMALLINT",
        Type::INT4 | Type::OID => "INT",
        Type::INT8 => "BIGINT",
        Type::FLOAT4 => "REAL",
        Type::FLOAT8 | Type::NUMERIC => "DOUBLE",
        Type::DATE => "DATE",
        Type::TIMESTAMP | Type::TIMESTAMPTZ => "TIMESTAMP",
        _ => "TEXT",
    }
}

/// Plans and runs a plain lake query as DataFusion reads it, in text format
/// (the simple protocol's).
async fn run_plain<C: ClientInfo>(
    ctx: &SessionContext,
    client: &C,
    statement: sqlparser::ast::Statement,
) -> PgWireResult<Response> {
    let plan = ctx
        .state()
        .statement_to_plan(DfStatement::Statement(Box::new(statement)))
        .await
        .map_err(api_error)?;
    let plan = lakecast_core::subqueries::compute_scalar_subqueries(ctx, plan)
        .await
        .map_err(api_error)?;
    let frame = ctx.execute_logical_plan(plan).await.map_err(api_error)?;
    let options = Arc::new(FormatOptions::from_client_metadata(client.metadata()));
    let response = encode_dataframe(frame, &Format::UnifiedText, Some(options)).await?;
    Ok(Response::Query(response))
}

/// Runs every result to the end, so the rows are counted and any error is
/// known before the audit entry is written and the first row is sent.
async fn drain(responses: Vec<Response>) -> PgWireResult<(Vec<Response>, u64)> {
    let mut drained = Vec::with_capacity(responses.len());
    let mut total = 0u64;
    for response in responses {
        let Response::Query(query) = response else {
            drained.push(response);
            continue;
        };
        let tag = query.command_tag().to_string();
        let schema = query.row_schema();
        let rows: Vec<DataRow> = query
            .data_rows
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect::<PgWireResult<_>>()?;
        total += rows.len() as u64;
        let mut replay =
            QueryResponse::new(schema, futures::stream::iter(rows.into_iter().map(Ok)));
        replay.set_command_tag(&tag);
        drained.push(Response::Query(replay));
    }
    Ok((drained, total))
}

/// The logged-in user of a connection.
fn identity<C: ClientInfo + ?Sized>(client: &C) -> PgWireResult<Identity> {
    client
        .session_extensions()
        .get::<Identity>()
        .map(|who| who.as_ref().clone())
        .ok_or_else(|| {
            PgWireError::UserError(Box::new(ErrorInfo::new(
                "FATAL".into(),
                "28000".into(),
                "not logged in".into(),
            )))
        })
}

fn read_only(message: String) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new(
        "ERROR".into(),
        readonly::READ_ONLY_CODE.into(),
        message,
    )))
}

fn timed_out(limit: Duration) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new(
        "ERROR".into(),
        "57014".into(),
        format!(
            "canceling statement due to statement timeout ({} s)",
            limit.as_secs_f64()
        ),
    )))
}

fn error_text(error: &PgWireError) -> String {
    match error {
        PgWireError::UserError(info) => info.message.clone(),
        other => other.to_string(),
    }
}

fn api_error(error: impl std::error::Error + Send + Sync + 'static) -> PgWireError {
    PgWireError::ApiError(Box::new(error))
}
