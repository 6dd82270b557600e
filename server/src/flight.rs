//! The Arrow Flight SQL endpoint. A client logs in with a handshake
//! (HTTP basic credentials checked against the stored verifier) and gets a
//! bearer token; every later call carries it. Statements, prepared
//! statements with parameters and the metadata calls run in the same
//! per-user sessions as the PostgreSQL endpoint, and every query is in the
//! audit log before its first batch is sent. String and binary view
//! columns are sent as plain strings and binaries for older clients.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arrow_flight::decode::FlightRecordBatchStream;
use arrow_flight::encode::FlightDataEncoderBuilder;
use arrow_flight::flight_service_server::{FlightService, FlightServiceServer};
use arrow_flight::sql::metadata::{
    GetCatalogsBuilder, GetDbSchemasBuilder, GetTablesBuilder, SqlInfoData,
    SqlInfoDataBuilder,
};
use arrow_flight::sql::server::{FlightSqlService, PeekableFlightDataStream};
use arrow_flight::sql::{
    ActionClosePreparedStatementRequest, ActionCreatePreparedStatementRequest,
    ActionCreatePreparedStatementResult, CommandGetCatalogs, CommandGetDbSchemas,
    CommandGetSqlInfo, CommandGetTableTypes, CommandGetTables,
    CommandPreparedStatementQuery, CommandStatementQuery, DoPutPreparedStatementResult,
    ProstMessageExt, SqlInfo, TicketStatementQuery,
};
use arrow_flight::{
    Action, FlightData, FlightDescriptor, FlightEndpoint, FlightInfo, HandshakeRequest,
    HandshakeResponse, IpcMessage, SchemaAsIpc, Ticket,
};
use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::ipc::writer::IpcWriteOptions;
use datafusion::common::metadata::ScalarAndMetadata;
use datafusion::common::{ParamValues, ScalarValue};
use datafusion::execution::context::SQLOptions;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::SessionContext;
use futures::{Stream, TryStreamExt};
use lakecast_core::access::Identity;
use prost::Message;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tonic::metadata::MetadataMap;
use tonic::{Request, Response, Status, Streaming};

use crate::{QueryRun, ServeError, Server, readonly};

/// How long a login token stays valid.
const TOKEN_LIFETIME: Duration = Duration::from_secs(12 * 3600);

/// Serves Flight SQL until told to stop.
pub(crate) async fn run(
    server: Arc<Server>,
    listener: TcpListener,
    mut stop: watch::Receiver<bool>,
) -> Result<(), ServeError> {
    let service = FlightSql::new(server);
    // Without TCP_NODELAY every small reply waits on delayed ACKs: a one-row
    // query took 90 ms instead of a few.
    let incoming =
        tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
    tonic::transport::Server::builder()
        .add_service(FlightServiceServer::new(service))
        .serve_with_incoming_shutdown(incoming, async move {
            let _ = stop.changed().await;
        })
        .await
        .map_err(|e| ServeError::Stopped {
            endpoint: "Flight SQL",
            reason: e.to_string(),
        })
}

/// A prepared statement: its owner, its SQL and the parameters bound last.
struct Prepared {
    owner: String,
    sql: String,
    parameters: Option<ParamValues>,
}

/// The Flight SQL service.
pub(crate) struct FlightSql {
    server: Arc<Server>,
    tokens: Mutex<HashMap<String, (Identity, Instant)>>,
    prepared: Mutex<HashMap<Vec<u8>, Prepared>>,
    sql_info: SqlInfoData,
}

impl FlightSql {
    fn new(server: Arc<Server>) -> Self {
        let mut info = SqlInfoDataBuilder::new();
        info.append(SqlInfo::FlightSqlServerName, "Lakecast");
        info.append(SqlInfo::FlightSqlServerVersion, env!("CARGO_PKG_VERSION"));
        info.append(SqlInfo::FlightSqlServerArrowVersion, "59");
        info.append(SqlInfo::FlightSqlServerReadOnly, true);
        info.append(SqlInfo::SqlIdentifierQuoteChar, "\"");
        let sql_info = info.build().unwrap_or_else(|_| {
            SqlInfoDataBuilder::new()
                .build()
                .expect("an empty SqlInfo table always builds")
        });
        Self {
            server,
            tokens: Mutex::new(HashMap::new()),
            prepared: Mutex::new(HashMap::new()),
            sql_info,
        }
    }

    /// The user a call's bearer token belongs to.
    fn who(&self, metadata: &MetadataMap) -> Result<Identity, Status> {
        let header = metadata
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let token = header
            .strip_prefix("Bearer ")
            .ok_or_else(|| Status::unauthenticated("log in first: no bearer token"))?;
        let mut tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        tokens.retain(|_, (_, issued)| issued.elapsed() < TOKEN_LIFETIME);
        tokens
            .get(token)
            .map(|(who, _)| who.clone())
            .ok_or_else(|| {
                Status::unauthenticated("the login token is unknown or expired")
            })
    }

    async fn login(&self, metadata: &MetadataMap) -> Result<String, Status> {
        let header = metadata
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let decoded = header
            .strip_prefix("Basic ")
            // Go clients send the credentials without base64 padding.
            .and_then(|b| STANDARD_NO_PAD.decode(b.trim_end_matches('=')).ok())
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| {
                tracing::debug!(
                    ?metadata,
                    "Flight SQL handshake without basic credentials"
                );
                Status::unauthenticated(
                    "log in with basic authentication (user and password)",
                )
            })?;
        let (name, password) = decoded.split_once(':').unwrap_or((&decoded, ""));
        let user = self.server.user(name).map_err(internal)?;
        let (role, outcome) = match &user {
            Some(u) if u.verifier.accepts_password(password) => {
                (u.role.to_string(), Ok(()))
            }
            Some(u) => (u.role.to_string(), Err("refused: wrong password")),
            None => (String::new(), Err("refused: unknown user")),
        };
        self.server
            .audit_login(name, &role, "flight", outcome)
            .await
            .map_err(internal)?;
        let user = match (user, outcome) {
            (Some(user), Ok(())) => user,
            _ => {
                return Err(Status::unauthenticated(format!(
                    "password authentication failed for user \"{name}\""
                )));
            }
        };
        let token = hex(&rand::random::<[u8; 32]>());
        let who = Identity {
            name: user.name,
            role: user.role,
        };
        self.tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(token.clone(), (who, Instant::now()));
        Ok(token)
    }

    /// The user's session, for planning and metadata.
    async fn session(&self, who: &Identity) -> Result<Arc<SessionContext>, Status> {
        self.server.session_for(who).await.map_err(internal)
    }

    /// The schema `sql` returns, planned in the user's session with any
    /// placeholders left in.
    async fn plan_schema(&self, who: &Identity, sql: &str) -> Result<SchemaRef, Status> {
        let ctx = self.session(who).await?;
        let plan = plan_read_only(&ctx, sql).await?;
        Ok(plain_schema(plan.schema().inner()))
    }

    /// Runs `sql` to the end in a per-query context, records it, then
    /// returns its batches.
    async fn execute(
        &self,
        who: &Identity,
        sql: &str,
        parameters: Option<ParamValues>,
    ) -> Result<(SchemaRef, Vec<RecordBatch>), Status> {
        let run = QueryRun::start(who, "flight", sql);
        let result = self.run_query(who, sql, parameters).await;
        let outcome = match &result {
            Ok((_, batches)) => Ok(batches.iter().map(|b| b.num_rows() as u64).sum()),
            Err(status) => Err(status.message().to_string()),
        };
        self.server
            .audit_query(&run, outcome)
            .await
            .map_err(internal)?;
        result
    }

    async fn run_query(
        &self,
        who: &Identity,
        sql: &str,
        parameters: Option<ParamValues>,
    ) -> Result<(SchemaRef, Vec<RecordBatch>), Status> {
        let _slot = self.server.admit().ok_or_else(|| {
            Status::resource_exhausted(format!(
                "too many queries at once: this server takes {}",
                self.server.options.max_connections
            ))
        })?;
        let user_ctx = self.session(who).await?;
        let ctx = self.server.query_context(&user_ctx);
        let limit = self.server.timeout(None);
        let work = async {
            let plan = plan_read_only(&ctx, sql).await?;
            let plan = lakecast_core::subqueries::compute_scalar_subqueries(&ctx, plan)
                .await
                .map_err(|e| Status::invalid_argument(e.to_string()))?;
            let mut frame = ctx
                .execute_logical_plan(plan)
                .await
                .map_err(|e| Status::invalid_argument(e.to_string()))?;
            if let Some(values) = parameters {
                frame = frame
                    .with_param_values(values)
                    .map_err(|e| Status::invalid_argument(e.to_string()))?;
            }
            let schema = plain_schema(frame.schema().inner());
            let batches = frame
                .collect()
                .await
                .map_err(|e| Status::internal(e.to_string()))?;
            let batches = batches
                .iter()
                .map(|b| plain_batch(b, &schema))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((schema, batches))
        };
        tokio::time::timeout(limit, work).await.unwrap_or_else(|_| {
            Err(Status::deadline_exceeded(format!(
                "canceling statement due to statement timeout ({} s)",
                limit.as_secs_f64()
            )))
        })
    }

    fn prepared_sql(
        &self,
        who: &Identity,
        handle: &[u8],
    ) -> Result<(String, Option<ParamValues>), Status> {
        let prepared = self.prepared.lock().unwrap_or_else(|p| p.into_inner());
        match prepared.get(handle) {
            Some(p) if p.owner == who.name => Ok((p.sql.clone(), p.parameters.clone())),
            _ => Err(Status::not_found("no such prepared statement")),
        }
    }
}

type DoGetStream =
    Pin<Box<dyn Stream<Item = Result<FlightData, Status>> + Send + 'static>>;

/// Sends `batches` as a Flight data stream.
fn stream(schema: SchemaRef, batches: Vec<RecordBatch>) -> Response<DoGetStream> {
    let batches = futures::stream::iter(batches.into_iter().map(Ok));
    let flight = FlightDataEncoderBuilder::new()
        .with_schema(schema)
        .build(batches)
        .map_err(Status::from);
    Response::new(Box::pin(flight))
}

/// A FlightInfo whose one endpoint hands back `command` as its ticket.
fn flight_info(
    schema: &Schema,
    command: impl ProstMessageExt,
    descriptor: FlightDescriptor,
) -> Result<Response<FlightInfo>, Status> {
    let ticket = Ticket::new(command.as_any().encode_to_vec());
    let info = FlightInfo::new()
        .try_with_schema(schema)
        .map_err(|e| Status::internal(e.to_string()))?
        .with_endpoint(FlightEndpoint::new().with_ticket(ticket))
        .with_descriptor(descriptor);
    Ok(Response::new(info))
}

#[tonic::async_trait]
impl FlightSqlService for FlightSql {
    type FlightService = FlightSql;

    async fn do_handshake(
        &self,
        request: Request<Streaming<HandshakeRequest>>,
    ) -> Result<
        Response<Pin<Box<dyn Stream<Item = Result<HandshakeResponse, Status>> + Send>>>,
        Status,
    > {
        let token = self.login(request.metadata()).await?;
        let reply = HandshakeResponse {
            protocol_version: 0,
            payload: token.clone().into_bytes().into(),
        };
        let mut response: Response<
            Pin<Box<dyn Stream<Item = Result<HandshakeResponse, Status>> + Send>>,
        > = Response::new(Box::pin(futures::stream::iter([Ok(reply)])));
        let bearer = format!("Bearer {token}")
            .parse()
            .map_err(|_| Status::internal("cannot write the token header"))?;
        response.metadata_mut().insert("authorization", bearer);
        Ok(response)
    }

    async fn get_flight_info_statement(
        &self,
        query: CommandStatementQuery,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let who = self.who(request.metadata())?;
        let schema = self.plan_schema(&who, &query.query).await?;
        let ticket = TicketStatementQuery {
            statement_handle: query.query.into_bytes().into(),
        };
        flight_info(&schema, ticket, request.into_inner())
    }

    async fn do_get_statement(
        &self,
        ticket: TicketStatementQuery,
        request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        let who = self.who(request.metadata())?;
        let sql = String::from_utf8(ticket.statement_handle.to_vec())
            .map_err(|_| Status::invalid_argument("the ticket is not a statement"))?;
        let (schema, batches) = self.execute(&who, &sql, None).await?;
        Ok(stream(schema, batches))
    }

    async fn do_action_create_prepared_statement(
        &self,
        query: ActionCreatePreparedStatementRequest,
        request: Request<Action>,
    ) -> Result<ActionCreatePreparedStatementResult, Status> {
        let who = self.who(request.metadata())?;
        let ctx = self.session(&who).await?;
        let plan = plan_read_only(&ctx, &query.query).await?;
        let dataset = plain_schema(plan.schema().inner());
        let mut parameters: Vec<(String, Option<DataType>)> = plan
            .get_parameter_types()
            .map_err(|e| Status::invalid_argument(e.to_string()))?
            .into_iter()
            .collect();
        parameters.sort_by_key(|(name, _)| {
            name.trim_start_matches('$').parse::<u32>().unwrap_or(0)
        });
        let parameter_schema = Schema::new(
            parameters
                .into_iter()
                .map(|(name, t)| Field::new(name, t.unwrap_or(DataType::Utf8), true))
                .collect::<Vec<_>>(),
        );
        let handle = rand::random::<[u8; 16]>().to_vec();
        self.prepared
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(
                handle.clone(),
                Prepared {
                    owner: who.name,
                    sql: query.query,
                    parameters: None,
                },
            );
        Ok(ActionCreatePreparedStatementResult {
            prepared_statement_handle: handle.into(),
            dataset_schema: ipc_schema(&dataset)?,
            parameter_schema: ipc_schema(&parameter_schema)?,
        })
    }

    async fn do_put_prepared_statement_query(
        &self,
        query: CommandPreparedStatementQuery,
        request: Request<PeekableFlightDataStream>,
    ) -> Result<DoPutPreparedStatementResult, Status> {
        let who = self.who(request.metadata())?;
        let handle = query.prepared_statement_handle.to_vec();
        self.prepared_sql(&who, &handle)?;
        let batches: Vec<RecordBatch> = FlightRecordBatchStream::new_from_flight_data(
            request.into_inner().map_err(Into::into),
        )
        .try_collect()
        .await
        .map_err(|e| Status::invalid_argument(e.to_string()))?;
        let values = first_row(&batches)?;
        if let Some(p) = self
            .prepared
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_mut(&handle)
        {
            p.parameters = Some(ParamValues::List(values));
        }
        Ok(DoPutPreparedStatementResult {
            prepared_statement_handle: Some(handle.into()),
        })
    }

    async fn get_flight_info_prepared_statement(
        &self,
        query: CommandPreparedStatementQuery,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let who = self.who(request.metadata())?;
        let (sql, _) = self.prepared_sql(&who, &query.prepared_statement_handle)?;
        let schema = self.plan_schema(&who, &sql).await?;
        flight_info(&schema, query, request.into_inner())
    }

    async fn do_get_prepared_statement(
        &self,
        query: CommandPreparedStatementQuery,
        request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        let who = self.who(request.metadata())?;
        let (sql, parameters) =
            self.prepared_sql(&who, &query.prepared_statement_handle)?;
        let (schema, batches) = self.execute(&who, &sql, parameters).await?;
        Ok(stream(schema, batches))
    }

    async fn do_action_close_prepared_statement(
        &self,
        query: ActionClosePreparedStatementRequest,
        request: Request<Action>,
    ) -> Result<(), Status> {
        let who = self.who(request.metadata())?;
        let handle = query.prepared_statement_handle.to_vec();
        self.prepared_sql(&who, &handle)?;
        self.prepared
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&handle);
        Ok(())
    }

    async fn get_flight_info_catalogs(
        &self,
        query: CommandGetCatalogs,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        self.who(request.metadata())?;
        let schema = query.into_builder().schema();
        flight_info(&schema, query, request.into_inner())
    }

    async fn do_get_catalogs(
        &self,
        query: CommandGetCatalogs,
        request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        let who = self.who(request.metadata())?;
        let ctx = self.session(&who).await?;
        let mut builder: GetCatalogsBuilder = query.into_builder();
        for catalog in ctx.catalog_names() {
            builder.append(catalog);
        }
        let batch = builder.build().map_err(arrow_status)?;
        Ok(stream(batch.schema(), vec![batch]))
    }

    async fn get_flight_info_schemas(
        &self,
        query: CommandGetDbSchemas,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        self.who(request.metadata())?;
        let schema = query.clone().into_builder().schema();
        flight_info(&schema, query, request.into_inner())
    }

    async fn do_get_schemas(
        &self,
        query: CommandGetDbSchemas,
        request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        let who = self.who(request.metadata())?;
        let ctx = self.session(&who).await?;
        let mut builder: GetDbSchemasBuilder = query.into_builder();
        for catalog in ctx.catalog_names() {
            if let Some(provider) = ctx.catalog(&catalog) {
                for schema in provider.schema_names() {
                    builder.append(&catalog, schema);
                }
            }
        }
        let batch = builder.build().map_err(arrow_status)?;
        Ok(stream(batch.schema(), vec![batch]))
    }

    async fn get_flight_info_tables(
        &self,
        query: CommandGetTables,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        self.who(request.metadata())?;
        let schema = query.clone().into_builder().schema();
        flight_info(&schema, query, request.into_inner())
    }

    async fn do_get_tables(
        &self,
        query: CommandGetTables,
        request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        let who = self.who(request.metadata())?;
        let ctx = self.session(&who).await?;
        let mut builder: GetTablesBuilder = query.into_builder();
        for catalog in ctx.catalog_names() {
            let Some(catalog_provider) = ctx.catalog(&catalog) else {
                continue;
            };
            for schema_name in catalog_provider.schema_names() {
                let Some(schema) = catalog_provider.schema(&schema_name) else {
                    continue;
                };
                for table_name in schema.table_names() {
                    let Ok(Some(table)) = schema.table(&table_name).await else {
                        continue;
                    };
                    let kind = match table.table_type() {
                        datafusion::logical_expr::TableType::View => "VIEW",
                        _ => "TABLE",
                    };
                    builder
                        .append(
                            &catalog,
                            &schema_name,
                            &table_name,
                            kind,
                            &plain_schema(&table.schema()),
                        )
                        .map_err(arrow_status)?;
                }
            }
        }
        let batch = builder.build().map_err(arrow_status)?;
        Ok(stream(batch.schema(), vec![batch]))
    }

    async fn get_flight_info_table_types(
        &self,
        query: CommandGetTableTypes,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        self.who(request.metadata())?;
        let schema = query.into_builder().schema();
        flight_info(&schema, query, request.into_inner())
    }

    async fn do_get_table_types(
        &self,
        query: CommandGetTableTypes,
        request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        self.who(request.metadata())?;
        let mut builder = query.into_builder();
        builder.append("TABLE");
        builder.append("VIEW");
        let batch = builder.build().map_err(arrow_status)?;
        Ok(stream(batch.schema(), vec![batch]))
    }

    async fn get_flight_info_sql_info(
        &self,
        query: CommandGetSqlInfo,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        self.who(request.metadata())?;
        let schema = query.clone().into_builder(&self.sql_info).schema();
        flight_info(&schema, query, request.into_inner())
    }

    async fn do_get_sql_info(
        &self,
        query: CommandGetSqlInfo,
        request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        self.who(request.metadata())?;
        let batch = query
            .into_builder(&self.sql_info)
            .build()
            .map_err(arrow_status)?;
        Ok(stream(batch.schema(), vec![batch]))
    }

    async fn register_sql_info(&self, _id: i32, _result: &SqlInfo) {}
}

/// Plans `sql` in `ctx` if it only reads: Lakecast's statement check, then
/// DataFusion's own guard on the plan (no DDL, no DML, no SET and the like).
/// Every Flight SQL call that takes SQL plans it here.
async fn plan_read_only(ctx: &SessionContext, sql: &str) -> Result<LogicalPlan, Status> {
    readonly::check_text(sql).map_err(Status::permission_denied)?;
    let plan = ctx
        .state()
        .create_logical_plan(sql)
        .await
        .map_err(|e| Status::invalid_argument(e.to_string()))?;
    SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false)
        .verify_plan(&plan)
        .map_err(|e| Status::permission_denied(e.to_string()))?;
    Ok(plan)
}

/// The first row of the bound parameter batches, one value per column.
fn first_row(batches: &[RecordBatch]) -> Result<Vec<ScalarAndMetadata>, Status> {
    let Some(batch) = batches.iter().find(|b| b.num_rows() > 0) else {
        return Ok(Vec::new());
    };
    batch
        .columns()
        .iter()
        .map(|column| {
            ScalarValue::try_from_array(column, 0)
                .map(ScalarAndMetadata::from)
                .map_err(|e| Status::invalid_argument(e.to_string()))
        })
        .collect()
}

fn ipc_schema(schema: &Schema) -> Result<prost::bytes::Bytes, Status> {
    let message: IpcMessage = SchemaAsIpc::new(schema, &IpcWriteOptions::default())
        .try_into()
        .map_err(arrow_status)?;
    Ok(message.0)
}

/// `data_type` with string and binary views replaced by plain types, at
/// any depth.
fn plain_type(data_type: &DataType) -> DataType {
    match data_type {
        DataType::Utf8View => DataType::Utf8,
        DataType::BinaryView => DataType::Binary,
        DataType::List(f) => DataType::List(Arc::new(plain_field(f))),
        DataType::LargeList(f) => DataType::LargeList(Arc::new(plain_field(f))),
        DataType::Struct(fields) => {
            DataType::Struct(fields.iter().map(|f| plain_field(f)).collect())
        }
        other => other.clone(),
    }
}

fn plain_field(field: &Field) -> Field {
    field.clone().with_data_type(plain_type(field.data_type()))
}

fn plain_schema(schema: &Schema) -> SchemaRef {
    Arc::new(Schema::new_with_metadata(
        schema
            .fields()
            .iter()
            .map(|f| plain_field(f))
            .collect::<Vec<_>>(),
        schema.metadata().clone(),
    ))
}

fn plain_batch(batch: &RecordBatch, schema: &SchemaRef) -> Result<RecordBatch, Status> {
    let columns = batch
        .columns()
        .iter()
        .zip(schema.fields())
        .map(|(column, field)| cast(column, field.data_type()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(arrow_status)?;
    RecordBatch::try_new(Arc::clone(schema), columns).map_err(arrow_status)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn arrow_status(error: impl std::fmt::Display) -> Status {
    Status::internal(error.to_string())
}

fn internal(error: impl std::fmt::Display) -> Status {
    Status::internal(error.to_string())
}
