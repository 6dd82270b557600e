//! The Arrow Flight SQL endpoint (filled in next).

use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::{ServeError, Server};

/// Serves Flight SQL until told to stop.
pub(crate) async fn run(
    _server: Arc<Server>,
    _listener: TcpListener,
    _stop: watch::Receiver<bool>,
) -> Result<(), ServeError> {
    Ok(())
}
