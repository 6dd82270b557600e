//! Delivering actions: to a JSON-lines file, or to an HTTP webhook with
//! retries and back-off. Every attempt is recorded in the journal, so a
//! failed delivery shows in `lakecast.actions` and is retried on the next
//! run; a sink that took an action is never sent it again.
//!
//! A webhook gets one POST per action with the action as a JSON body and
//! an `Idempotency-Key` header (the action id): if a response is lost after
//! the receiver took the action, the resend carries the same key, so the
//! receiver can drop it. That makes delivery exactly once in effect.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use super::journal::{ActionJournal, FiredAction};
use crate::access::AccessError;

/// Where actions go.
#[derive(Debug, Clone)]
pub enum Sink {
    /// Appended as one JSON object per line.
    JsonLines(PathBuf),
    /// POSTed as JSON, retried with back-off.
    Webhook {
        /// The URL.
        url: String,
        /// Attempts per action per run (at least 1).
        attempts: u32,
        /// Wait before the second attempt; doubles after each failure.
        first_backoff: Duration,
    },
}

impl Sink {
    /// The name deliveries are recorded under.
    pub fn name(&self) -> String {
        match self {
            Sink::JsonLines(path) => format!("jsonl:{}", path.display()),
            Sink::Webhook { url, .. } => format!("webhook:{url}"),
        }
    }
}

/// What one sink did in a run.
#[derive(Debug, Clone, Default)]
pub struct DeliveryReport {
    /// The sink's name.
    pub sink: String,
    /// Actions delivered in this run.
    pub delivered: usize,
    /// Actions still undelivered, with the last error of each.
    pub failed: Vec<(String, String)>,
}

/// Delivers every action `sink` has not taken yet.
pub async fn deliver_pending(
    sink: &Sink,
    journal: &mut ActionJournal,
) -> Result<DeliveryReport, AccessError> {
    let name = sink.name();
    let mut report = DeliveryReport {
        sink: name.clone(),
        ..DeliveryReport::default()
    };
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| AccessError::Invalid(format!("cannot make an HTTP client: {e}")))?;
    for action in journal.pending(&name) {
        let done = match sink {
            Sink::JsonLines(path) => {
                let attempt = journal.attempts(&action.action_id, &name) + 1;
                let outcome = append_line(path, &action);
                record(journal, &action, &name, attempt, &outcome)?;
                outcome
            }
            Sink::Webhook {
                url,
                attempts,
                first_backoff,
            } => {
                post_with_retries(
                    &client,
                    url,
                    &action,
                    journal,
                    &name,
                    *attempts,
                    *first_backoff,
                )
                .await?
            }
        };
        match done {
            Ok(()) => report.delivered += 1,
            Err(message) => report.failed.push((action.action_id.clone(), message)),
        }
    }
    Ok(report)
}

fn record(
    journal: &mut ActionJournal,
    action: &FiredAction,
    sink: &str,
    attempt: u32,
    outcome: &Result<(), String>,
) -> Result<(), AccessError> {
    let text = match outcome {
        Ok(()) => "delivered".to_string(),
        Err(message) => format!("failed: {message}"),
    };
    journal.record_delivery(&action.action_id, sink, attempt, &text)
}

async fn post_with_retries(
    client: &reqwest::Client,
    url: &str,
    action: &FiredAction,
    journal: &mut ActionJournal,
    sink: &str,
    attempts: u32,
    first_backoff: Duration,
) -> Result<Result<(), String>, AccessError> {
    let mut backoff = first_backoff;
    let mut last = Err("not attempted".to_string());
    for round in 0..attempts.max(1) {
        if round > 0 {
            tokio::time::sleep(backoff).await;
            backoff = backoff.saturating_mul(2);
        }
        let attempt = journal.attempts(&action.action_id, sink) + 1;
        last = post(client, url, action).await;
        record(journal, action, sink, attempt, &last)?;
        if last.is_ok() {
            break;
        }
        tracing::debug!(url, action = action.action_id, attempt, error = ?last, "webhook delivery failed");
    }
    Ok(last)
}

async fn post(
    client: &reqwest::Client,
    url: &str,
    action: &FiredAction,
) -> Result<(), String> {
    let body = serde_json::to_vec(action).map_err(|e| e.to_string())?;
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .header("idempotency-key", &action.action_id)
        .body(body)
        .send()
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("{url} answered HTTP {status}"))
    }
}

fn append_line(path: &PathBuf, action: &FiredAction) -> Result<(), String> {
    let mut line = serde_json::to_vec(action).map_err(|e| e.to_string())?;
    line.push(b'\n');
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| format!("cannot open `{}`: {e}", path.display()))?;
    file.write_all(&line)
        .and_then(|()| file.sync_data())
        .map_err(|e| format!("cannot write `{}`: {e}", path.display()))
}
