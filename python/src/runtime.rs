//! The tokio runtime queries run on, and waiting for them with the GIL
//! released while Ctrl-C still interrupts.

use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;

use pyo3::prelude::*;
use tokio::runtime::Runtime;

use crate::errors::LakecastError;

/// How often a waiting call wakes to let Python handle signals.
const SIGNAL_CHECK: Duration = Duration::from_millis(50);

fn runtime() -> PyResult<&'static Runtime> {
    static RUNTIME: OnceLock<Result<Runtime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .thread_name("lakecast")
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| {
            LakecastError::new_err(format!("cannot start the query runtime: {e}"))
        })
}

/// Runs `work` on the runtime and waits for it without holding the GIL.
/// Every [`SIGNAL_CHECK`] it lets Python run its signal handlers; if one
/// raises (Ctrl-C gives `KeyboardInterrupt`), the work is dropped, which
/// cancels the query, and the exception is returned.
pub fn wait<T, F>(py: Python<'_>, work: F) -> PyResult<T>
where
    T: Send + 'static,
    F: Future<Output = T> + Send + 'static,
{
    let runtime = runtime()?;
    let mut task = runtime.spawn(work);
    loop {
        let outcome = py.detach(|| {
            runtime
                .block_on(async { tokio::time::timeout(SIGNAL_CHECK, &mut task).await })
        });
        match outcome {
            Ok(Ok(value)) => return Ok(value),
            Ok(Err(join)) => {
                return Err(LakecastError::new_err(format!(
                    "the query stopped unexpectedly: {join}"
                )));
            }
            Err(_still_running) => {
                if let Err(interrupt) = py.check_signals() {
                    task.abort();
                    tracing::debug!("query cancelled by a Python signal");
                    return Err(interrupt);
                }
            }
        }
    }
}
