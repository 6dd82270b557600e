//! The PostgreSQL wire login: SCRAM-SHA-256 (RFC 5802, RFC 7677) checked
//! against the stored verifiers, so the server never sees a password. An
//! unknown user goes through the same exchange with a made-up salt and is
//! refused with the same message as a wrong password; the audit log
//! records the real reason.

use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use datafusion_postgres::pgwire::api::auth::{
    DefaultServerParameterProvider, StartupHandler, finish_authentication,
    protocol_negotiation, save_startup_parameters_to_metadata,
};
use datafusion_postgres::pgwire::api::{
    ClientInfo, ConnectionManager, METADATA_USER, PgWireConnectionState,
    PidSecretKeyGenerator, RandomPidSecretKeyGenerator,
};
use datafusion_postgres::pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use datafusion_postgres::pgwire::messages::startup::Authentication;
use datafusion_postgres::pgwire::messages::{
    PgWireBackendMessage, PgWireFrontendMessage,
};
use futures::{Sink, SinkExt};
use lakecast_core::access::{Identity, Verifier};
use tokio::sync::{Mutex, OwnedSemaphorePermit};

use crate::Server;

const MECHANISM: &str = "SCRAM-SHA-256";

/// Where one connection's login stands.
enum Step {
    /// Waiting for the startup message.
    Start,
    /// Waiting for the client's first SCRAM message.
    ClientFirst,
    /// Server-first sent; waiting for the client's proof.
    ClientFinal(Box<Exchange>),
    /// Logged in.
    Done,
}

/// What the final step needs from the first.
struct Exchange {
    user: String,
    identity: Option<Identity>,
    verifier: Verifier,
    nonce: String,
    gs2_header: String,
    auth_prefix: String,
}

/// One connection's login handler. A connection over the server's limit
/// gets one that refuses it with SQLSTATE 53300.
pub(crate) struct ScramStartup {
    server: Arc<Server>,
    step: Mutex<Step>,
    permit: std::sync::Mutex<Option<OwnedSemaphorePermit>>,
    connections: Arc<ConnectionManager>,
    parameters: DefaultServerParameterProvider,
}

impl ScramStartup {
    pub(crate) fn new(
        server: Arc<Server>,
        permit: Option<OwnedSemaphorePermit>,
        connections: Arc<ConnectionManager>,
    ) -> Self {
        let mut parameters = DefaultServerParameterProvider::default();
        parameters.default_transaction_read_only = true;
        parameters.server_version = crate::catalog::SERVER_VERSION.to_string();
        Self {
            server,
            step: Mutex::new(Step::Start),
            permit: std::sync::Mutex::new(permit),
            connections,
            parameters,
        }
    }

    fn has_slot(&self) -> bool {
        self.permit
            .lock()
            .map(|p| p.is_some())
            .unwrap_or_else(|poisoned| poisoned.into_inner().is_some())
    }

    async fn client_first<C>(
        &self,
        client: &C,
        data: &[u8],
    ) -> PgWireResult<(String, Step)>
    where
        C: ClientInfo,
    {
        let text = std::str::from_utf8(data)
            .map_err(|_| invalid("client-first is not UTF-8"))?;
        let (gs2_header, bare) = split_gs2(text)?;
        let client_nonce =
            attribute(bare, 'r').ok_or_else(|| invalid("no client nonce"))?;
        let user = client
            .metadata()
            .get(METADATA_USER)
            .cloned()
            .unwrap_or_default();
        let known = self.server.user(&user).map_err(api_error)?;
        let (identity, verifier) = match known {
            Some(u) => (
                Some(Identity {
                    name: u.name.clone(),
                    role: u.role,
                }),
                u.verifier,
            ),
            None => (None, Verifier::new(&rand_text())),
        };
        let nonce = format!("{client_nonce}{}", rand_text());
        let server_first = format!(
            "r={nonce},s={},i={}",
            BASE64.encode(verifier.salt()),
            verifier.iterations()
        );
        let exchange = Exchange {
            user,
            identity,
            verifier,
            nonce,
            gs2_header: gs2_header.to_string(),
            auth_prefix: format!("{bare},{server_first}"),
        };
        Ok((server_first, Step::ClientFinal(Box::new(exchange))))
    }

    async fn client_final(
        &self,
        exchange: &Exchange,
        data: &[u8],
    ) -> PgWireResult<String> {
        let text = std::str::from_utf8(data)
            .map_err(|_| invalid("client-final is not UTF-8"))?;
        let (without_proof, proof) = text
            .rsplit_once(",p=")
            .ok_or_else(|| invalid("client-final has no proof"))?;
        let binding = attribute(without_proof, 'c').unwrap_or_default();
        let nonce = attribute(without_proof, 'r').unwrap_or_default();
        if binding != BASE64.encode(&exchange.gs2_header) || nonce != exchange.nonce {
            return Err(invalid("channel binding or nonce does not match"));
        }
        let proof = BASE64
            .decode(proof)
            .map_err(|_| invalid("the proof is not base64"))?;
        let auth_message = format!("{},{without_proof}", exchange.auth_prefix);
        let accepted = exchange
            .verifier
            .accepts_proof(auth_message.as_bytes(), &proof);
        let (role, outcome) = match (&exchange.identity, accepted) {
            (Some(who), true) => (who.role.to_string(), Ok(())),
            (Some(who), false) => (who.role.to_string(), Err("refused: wrong password")),
            (None, _) => (String::new(), Err("refused: unknown user")),
        };
        self.server
            .audit_login(&exchange.user, &role, "pg", outcome)
            .await
            .map_err(api_error)?;
        if outcome.is_err() {
            return Err(PgWireError::UserError(Box::new(ErrorInfo::new(
                "FATAL".into(),
                "28P01".into(),
                format!(
                    "password authentication failed for user \"{}\"",
                    exchange.user
                ),
            ))));
        }
        let signature = exchange.verifier.server_signature(auth_message.as_bytes());
        Ok(format!("v={}", BASE64.encode(signature)))
    }
}

#[async_trait]
impl StartupHandler for ScramStartup {
    async fn on_startup<C>(
        &self,
        client: &mut C,
        message: PgWireFrontendMessage,
    ) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let mut step = self.step.lock().await;
        match (&*step, message) {
            (Step::Start, PgWireFrontendMessage::Startup(startup)) => {
                protocol_negotiation(client, &startup).await?;
                save_startup_parameters_to_metadata(client, &startup);
                if !self.has_slot() {
                    return Err(PgWireError::UserError(Box::new(ErrorInfo::new(
                        "FATAL".into(),
                        "53300".into(),
                        format!(
                            "too many connections: this server takes {} at once",
                            self.server.options.max_connections
                        ),
                    ))));
                }
                client.set_state(PgWireConnectionState::AuthenticationInProgress);
                client
                    .send(PgWireBackendMessage::Authentication(Authentication::SASL(
                        vec![MECHANISM.to_string()],
                    )))
                    .await?;
                *step = Step::ClientFirst;
            }
            (Step::ClientFirst, PgWireFrontendMessage::PasswordMessageFamily(msg)) => {
                let initial = msg.into_sasl_initial_response()?;
                if initial.auth_method != MECHANISM {
                    return Err(PgWireError::UnsupportedSASLAuthMethod(
                        initial.auth_method,
                    ));
                }
                let data = initial.data.unwrap_or_default();
                let (server_first, next) = self.client_first(client, &data).await?;
                client
                    .send(PgWireBackendMessage::Authentication(
                        Authentication::SASLContinue(server_first.into_bytes().into()),
                    ))
                    .await?;
                *step = next;
            }
            (
                Step::ClientFinal(exchange),
                PgWireFrontendMessage::PasswordMessageFamily(msg),
            ) => {
                let response = msg.into_sasl_response()?;
                let server_final = self.client_final(exchange, &response.data).await?;
                let identity = exchange.identity.clone();
                client
                    .send(PgWireBackendMessage::Authentication(
                        Authentication::SASLFinal(server_final.into_bytes().into()),
                    ))
                    .await?;
                if let Some(identity) = identity {
                    client.session_extensions().insert(identity);
                }
                let (pid, secret) =
                    RandomPidSecretKeyGenerator::default().generate(client);
                client.set_pid_and_secret_key(pid, secret.clone());
                let (handle, guard) = self.connections.register(pid, secret);
                client.session_extensions().insert(handle);
                client.session_extensions().insert(guard);
                finish_authentication(client, &self.parameters).await?;
                *step = Step::Done;
            }
            _ => {}
        }
        Ok(())
    }
}

/// Splits `n,,n=user,r=nonce` into the GS2 header (`n,,`) and the bare
/// message. Channel binding (`p=`) is refused: the endpoint has no TLS.
fn split_gs2(text: &str) -> PgWireResult<(&str, &str)> {
    let mut commas = text.match_indices(',').map(|(i, _)| i);
    let (Some(_), Some(second)) = (commas.next(), commas.next()) else {
        return Err(invalid("malformed client-first message"));
    };
    let header = &text[..=second];
    if header.starts_with("p=") {
        return Err(invalid("channel binding is not offered by this server"));
    }
    Ok((header, &text[second + 1..]))
}

/// The value of attribute `name` in a SCRAM message (`r=...`).
fn attribute(message: &str, name: char) -> Option<&str> {
    message
        .split(',')
        .find_map(|part| part.strip_prefix(name)?.strip_prefix('='))
}

fn rand_text() -> String {
    BASE64.encode(rand::random::<[u8; 18]>())
}

fn invalid(reason: &str) -> PgWireError {
    PgWireError::InvalidScramMessage(reason.to_string())
}

fn api_error(error: impl std::error::Error + Send + Sync + 'static) -> PgWireError {
    PgWireError::ApiError(Box::new(error))
}
