//! The one place a Lakecast session is made, so the CLI, the server, the
//! Python package and cluster executors see the same functions and settings.

use datafusion::execution::SessionStateBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};

use crate::error::LakeError;
use crate::lake::Lake;

/// A session with `information_schema` and every Lakecast SQL function.
pub fn new_session() -> SessionContext {
    let config = SessionConfig::new()
        .with_information_schema(true)
        .with_create_default_catalog_and_schema(true);
    let state = SessionStateBuilder::new()
        .with_config(config)
        .with_default_features()
        .build();
    let ctx = SessionContext::new_with_state(state);
    lakecast_udfs::register_all(&ctx);
    ctx
}

/// Opens the lake at `location` and returns a session with its tables
/// registered.
pub async fn open_session(location: &str) -> Result<(SessionContext, Lake), LakeError> {
    let lake = Lake::open(location).await?;
    let ctx = new_session();
    lake.register(&ctx).await?;
    Ok((ctx, lake))
}
