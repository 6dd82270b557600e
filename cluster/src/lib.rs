//! Lakecast on Apache DataFusion Ballista: a scheduler and executors that
//! know every Lakecast function and every lake object store, and a client
//! session whose queries run on them. Functions come from the same
//! registration as every other front end, so a function missing on the
//! cluster is a bug here, not a configuration step.

use std::net::SocketAddr;
use std::sync::Arc;

use ballista::prelude::{SessionConfigExt, SessionContextExt};
use ballista_core::registry::BallistaFunctionRegistry;
use ballista_executor::executor_process::{
    ExecutorProcessConfig, start_executor_process,
};
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::SchedulerConfig;
use datafusion::error::DataFusionError;
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};
use datafusion::prelude::{SessionConfig, SessionContext};
use lakecast_core::stores::LakeStores;
use lakecast_core::{Lake, LakeError};

/// The scheme of a cluster URL: `df://HOST:PORT`.
pub const URL_SCHEME: &str = "df://";

/// Every function a Lakecast session has (DataFusion's, nested and
/// aggregate ones included, and every Lakecast function), for executors to
/// decode the plans they are sent.
pub fn function_registry() -> BallistaFunctionRegistry {
    let state = lakecast_core::engine::new_state(lakecast_core::engine::session_config());
    BallistaFunctionRegistry::from(&state)
}

/// Runs a scheduler listening on `bind` until the process is asked to stop
/// (Ctrl-C or SIGTERM).
pub async fn run_scheduler(bind: SocketAddr) -> Result<(), String> {
    let config = SchedulerConfig {
        bind_host: bind.ip().to_string(),
        bind_port: bind.port(),
        override_session_builder: Some(Arc::new(|config| {
            Ok(lakecast_core::engine::new_state(config))
        })),
        ..Default::default()
    }
    .with_hostname(bind.ip().to_string())
    .with_port(bind.port());
    let cluster = BallistaCluster::new_from_config(&config)
        .await
        .map_err(|e| format!("cannot start the scheduler: {e}"))?;
    tracing::info!(%bind, "scheduler listening");
    let serve = ballista_scheduler::scheduler_process::start_server(
        cluster,
        bind,
        Arc::new(config),
    );
    tokio::select! {
        outcome = serve => outcome.map_err(|e| format!("scheduler on {bind} stopped: {e}")),
        () = stop_requested() => {
            tracing::info!("scheduler stopping");
            Ok(())
        }
    }
}

/// Where an executor listens and which scheduler it serves.
#[derive(Debug, Clone)]
pub struct ExecutorOptions {
    /// The scheduler's address, `HOST:PORT`.
    pub scheduler: String,
    /// Address of the executor's Flight service (shuffle data); its gRPC
    /// service takes the next port.
    pub bind: SocketAddr,
    /// Tasks run at once; 0 means one per core.
    pub slots: usize,
    /// Folder for shuffle files; a temporary folder when `None`.
    pub work_dir: Option<String>,
}

/// Runs an executor until the process is asked to stop (Ctrl-C or SIGTERM,
/// which Ballista's executor handles itself).
pub async fn run_executor(options: ExecutorOptions) -> Result<(), String> {
    let (scheduler_host, scheduler_port) = split_host_port(&options.scheduler)?;
    let grpc_port = options.bind.port().checked_add(1).ok_or_else(|| {
        format!("no port after {} for the executor's gRPC", options.bind)
    })?;
    let work_dir = options.work_dir.clone();
    let registry = function_registry();
    let config = ExecutorProcessConfig {
        bind_host: options.bind.ip().to_string(),
        external_host: Some(options.bind.ip().to_string()),
        port: options.bind.port(),
        grpc_port,
        scheduler_host,
        scheduler_port,
        vcores: options.slots,
        work_dir: options.work_dir,
        override_function_registry: Some(Arc::new(registry)),
        override_runtime_producer: Some(Arc::new(move |_config: &SessionConfig| {
            executor_runtime(work_dir.as_deref())
        })),
        ..Default::default()
    };
    tracing::info!(bind = %options.bind, scheduler = %options.scheduler, "executor starting");
    start_executor_process(Arc::new(config))
        .await
        .map_err(|e| format!("executor on {} stopped: {e}", options.bind))
}

/// The runtime of an executor's tasks: Lakecast's object stores, and
/// spill files in the executor's work folder.
fn executor_runtime(work_dir: Option<&str>) -> Result<Arc<RuntimeEnv>, DataFusionError> {
    let mut builder = RuntimeEnvBuilder::new()
        .with_object_store_registry(Arc::new(LakeStores::default()));
    if let Some(dir) = work_dir {
        builder = builder.with_temp_file_path(dir);
    }
    builder.build_arc()
}

/// A session whose queries run on the cluster at `url` (`df://HOST:PORT`),
/// with the lake's tables registered when a lake is given. Statements that
/// only change the session (views, settings) stay in the client.
pub async fn connect(url: &str, lake: Option<&str>) -> Result<SessionContext, LakeError> {
    if !url.starts_with(URL_SCHEME) {
        return Err(LakeError::InvalidLocation {
            location: url.to_string(),
            reason: format!("a cluster URL looks like {URL_SCHEME}HOST:PORT"),
        });
    }
    // Ballista 55's adaptive planner (its default) fails some plans the
    // static planner runs (an ORDER BY over a UNION of constant rows leaves
    // the job stuck), so clients ask for the static one.
    let config = lakecast_core::engine::session_config()
        .upgrade_for_ballista()
        .with_ballista_adaptive_query_planner(false);
    let state = lakecast_core::engine::new_state(config);
    let ctx = SessionContext::remote_with_state(url, state).await?;
    // Upgrading the state for Ballista replaces its function lists with
    // DataFusion's own, so Lakecast's are registered again.
    lakecast_udfs::register_all(&ctx);
    if let Some(location) = lake {
        Lake::open(location).await?.register(&ctx).await?;
    }
    Ok(ctx)
}

fn split_host_port(address: &str) -> Result<(String, u16), String> {
    let address = address.strip_prefix(URL_SCHEME).unwrap_or(address);
    let (host, port) = address
        .rsplit_once(':')
        .ok_or_else(|| format!("scheduler address `{address}` must be HOST:PORT"))?;
    let port = port
        .parse()
        .map_err(|_| format!("scheduler address `{address}`: `{port}` is not a port"))?;
    Ok((host.to_string(), port))
}

/// Resolves when the process receives Ctrl-C or SIGTERM.
async fn stop_requested() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate = match tokio::signal::unix::signal(
            tokio::signal::unix::SignalKind::terminate(),
        ) {
            Ok(signal) => signal,
            Err(_) => {
                let _ = interrupt.await;
                return;
            }
        };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn executors_know_every_lakecast_function() {
        let registry = function_registry();
        for udf in lakecast_udfs::scalar_functions() {
            assert!(registry.scalar_functions.contains_key(udf.name()));
        }
        for udaf in lakecast_udfs::aggregate_functions() {
            assert!(registry.aggregate_functions.contains_key(udaf.name()));
        }
        assert!(registry.aggregate_functions.contains_key("sum"));
        assert!(registry.scalar_functions.contains_key("make_array"));
        assert!(registry.scalar_functions.contains_key("array_concat"));
    }

    #[test]
    fn scheduler_addresses_are_checked() {
        assert_eq!(
            split_host_port("df://127.0.0.1:50050").unwrap(),
            ("127.0.0.1".to_string(), 50050)
        );
        assert!(
            split_host_port("localhost")
                .unwrap_err()
                .contains("HOST:PORT")
        );
        assert!(split_host_port("h:x").unwrap_err().contains("not a port"));
    }
}
