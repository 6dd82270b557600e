//! The audit log: every login, query, grant change and canvas change,
//! appended to `_lakecast/audit.jsonl` and flushed to disk before the
//! action it records is acknowledged.
//!
//! One writer thread owns the file. Callers hand it an entry and wait for
//! its reply; entries that arrive while a flush is under way are written
//! and flushed together (group commit), so 64 clients do not pay for 64
//! separate flushes.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, mpsc};

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::arrow::json::ReaderBuilder;
use serde::Serialize;
use tokio::sync::oneshot;

use super::{AccessError, SystemFolder, now};

/// Most entries written with one flush.
const GROUP_LIMIT: usize = 512;

/// One recorded action.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    /// When it happened (UTC, microseconds).
    pub time: String,
    /// Who did it: a user name, or the operating-system user for the CLI.
    pub actor: String,
    /// The actor's role: `analyst`, `admin`, or `local` for the CLI.
    pub role: String,
    /// What was done: `login`, `query`, `grant`, `revoke`, `user.add`,
    /// `canvas.set`.
    pub action: String,
    /// What it was done to: tables read, a user, a project, a rule.
    pub object: String,
    /// The rest: the SQL of a query, before and after of a change.
    pub detail: String,
    /// `ok`, or the error the actor was given.
    pub outcome: String,
    /// Rows returned by a query.
    pub rows: Option<u64>,
    /// How long a query took, in milliseconds.
    pub duration_ms: Option<f64>,
    /// Where it came from: `pg`, `flight` or `cli`.
    pub endpoint: String,
}

impl AuditEntry {
    /// An entry stamped now, with outcome `ok` and endpoint `cli`.
    pub fn new(actor: &str, role: &str, action: &str, object: &str) -> Self {
        Self {
            time: now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            actor: actor.to_string(),
            role: role.to_string(),
            action: action.to_string(),
            object: object.to_string(),
            detail: String::new(),
            outcome: "ok".to_string(),
            rows: None,
            duration_ms: None,
            endpoint: "cli".to_string(),
        }
    }

    /// Sets the detail: a string as it is, anything else as JSON.
    pub fn with_detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = match detail {
            serde_json::Value::String(text) => text,
            other => other.to_string(),
        };
        self
    }

    /// Sets the outcome (`ok` or an error message).
    pub fn with_outcome(mut self, outcome: impl Into<String>) -> Self {
        self.outcome = outcome.into();
        self
    }

    /// Sets the endpoint.
    pub fn with_endpoint(mut self, endpoint: &str) -> Self {
        self.endpoint = endpoint.to_string();
        self
    }

    /// Sets rows returned and time taken.
    pub fn with_rows(mut self, rows: u64, duration_ms: f64) -> Self {
        self.rows = Some(rows);
        self.duration_ms = Some(duration_ms);
        self
    }
}

/// How the writer answers one caller.
type Reply = Box<dyn FnOnce(Result<(), String>) + Send>;

/// The audit log of one system folder. Cheap to clone; all clones share
/// one writer thread, which stops when the last clone is dropped.
#[derive(Debug, Clone)]
pub struct AuditLog {
    path: PathBuf,
    sender: mpsc::Sender<(Vec<u8>, Reply)>,
}

impl AuditLog {
    /// Opens (creating if needed) the audit log of `folder`.
    pub fn open(folder: &SystemFolder) -> Result<Self, AccessError> {
        let path = folder.audit_file();
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|source| AccessError::Io {
                action: "cannot open the audit log",
                path: path.clone(),
                source,
            })?;
        drop_torn_tail(&file, &path)?;
        super::files::sync_parent(&path)?;
        let (sender, receiver) = mpsc::channel();
        let writer_path = path.clone();
        std::thread::Builder::new()
            .name("lakecast-audit".into())
            .spawn(move || write_entries(file, &writer_path, &receiver))
            .map_err(|source| AccessError::Io {
                action: "cannot start the audit writer for",
                path: path.clone(),
                source,
            })?;
        Ok(Self { path, sender })
    }

    /// The file the log is written to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends `entry` and returns once it is on disk.
    pub async fn record(&self, entry: AuditEntry) -> Result<(), AccessError> {
        let (reply, receiver) = oneshot::channel();
        self.submit(&entry, Box::new(move |outcome| drop(reply.send(outcome))))?;
        let outcome = receiver.await.map_err(|_| self.stopped())?;
        outcome.map_err(|reason| self.failed(reason))
    }

    /// [`record`](Self::record) for synchronous callers (the command line);
    /// blocks the calling thread until the entry is on disk.
    pub fn record_blocking(&self, entry: AuditEntry) -> Result<(), AccessError> {
        let (reply, receiver) = mpsc::channel();
        self.submit(&entry, Box::new(move |outcome| drop(reply.send(outcome))))?;
        let outcome = receiver.recv().map_err(|_| self.stopped())?;
        outcome.map_err(|reason| self.failed(reason))
    }

    fn submit(&self, entry: &AuditEntry, reply: Reply) -> Result<(), AccessError> {
        let mut line =
            serde_json::to_vec(entry).map_err(|e| self.failed(e.to_string()))?;
        line.push(b'\n');
        self.sender.send((line, reply)).map_err(|_| self.stopped())
    }

    fn stopped(&self) -> AccessError {
        self.failed("the audit writer stopped".into())
    }

    fn failed(&self, reason: String) -> AccessError {
        AccessError::Io {
            action: "cannot append to the audit log",
            path: self.path.clone(),
            source: std::io::Error::other(reason),
        }
    }

    /// Every entry as a table with [`schema`]. A last line cut short by a
    /// crash was never acknowledged and is skipped.
    pub fn read(path: &Path) -> Result<RecordBatch, AccessError> {
        let damaged = |reason: String| AccessError::Damaged {
            path: path.to_path_buf(),
            reason,
        };
        let text = match std::fs::read(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(source) => {
                return Err(AccessError::Io {
                    action: "cannot read the audit log",
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        let complete = text.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        let mut decoder = ReaderBuilder::new(schema())
            .with_batch_size(complete.max(1))
            .build_decoder()
            .map_err(|e| damaged(e.to_string()))?;
        let mut batches = Vec::new();
        for line in BufReader::new(&text[..complete]).split(b'\n') {
            let line = line.map_err(|e| damaged(e.to_string()))?;
            decoder.decode(&line).map_err(|e| damaged(e.to_string()))?;
            if let Some(batch) = decoder.flush().map_err(|e| damaged(e.to_string()))? {
                batches.push(batch);
            }
        }
        datafusion::arrow::compute::concat_batches(&schema(), &batches)
            .map_err(|e| damaged(e.to_string()))
    }
}

/// Cuts a last line that a crash left half-written, so the next entry
/// starts on a line of its own. That line was never acknowledged.
fn drop_torn_tail(file: &File, path: &Path) -> Result<(), AccessError> {
    let io = |source| AccessError::Io {
        action: "cannot repair the audit log",
        path: path.to_path_buf(),
        source,
    };
    let text = std::fs::read(path).map_err(io)?;
    if text.last().is_none_or(|b| *b == b'\n') {
        return Ok(());
    }
    let complete = text.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    tracing::warn!(
        path = %path.display(),
        bytes = text.len() - complete,
        "dropping a half-written last audit entry"
    );
    file.set_len(complete as u64).map_err(io)?;
    file.sync_data().map_err(io)
}

/// The columns of `lakecast.audit_log`.
pub fn schema() -> SchemaRef {
    let text = |name: &str| Field::new(name, DataType::Utf8, false);
    Arc::new(Schema::new(vec![
        Field::new(
            "time",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            false,
        ),
        text("actor"),
        text("role"),
        text("action"),
        text("object"),
        text("detail"),
        text("outcome"),
        Field::new("rows", DataType::UInt64, true),
        Field::new("duration_ms", DataType::Float64, true),
        text("endpoint"),
    ]))
}

/// The writer thread: take one entry, then whatever else is waiting, write
/// them with one call, flush, and answer everyone.
fn write_entries(
    mut file: File,
    path: &Path,
    receiver: &mpsc::Receiver<(Vec<u8>, Reply)>,
) {
    while let Ok(first) = receiver.recv() {
        let mut group = vec![first];
        while group.len() < GROUP_LIMIT {
            match receiver.try_recv() {
                Ok(next) => group.push(next),
                Err(_) => break,
            }
        }
        let bytes: Vec<u8> = group.iter().flat_map(|(line, _)| line.clone()).collect();
        let outcome = file
            .write_all(&bytes)
            .and_then(|()| file.sync_data())
            .map_err(|e| e.to_string());
        if let Err(reason) = &outcome {
            tracing::error!(path = %path.display(), %reason, "audit log write failed");
        }
        for (_, reply) in group {
            reply(outcome.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_on_disk_when_recorded_and_a_torn_line_is_skipped() {
        let dir = tempfile::tempdir().expect("tempdir");
        let folder = SystemFolder::at(dir.path().join("_lakecast")).expect("folder");
        let log = AuditLog::open(&folder).expect("open");
        log.record_blocking(AuditEntry::new("ana", "analyst", "login", "pg"))
            .expect("first");
        log.record_blocking(
            AuditEntry::new("ana", "analyst", "query", "opportunities")
                .with_detail("SELECT 1".into())
                .with_rows(1, 2.5),
        )
        .expect("second");
        // A crash in the middle of a write leaves half a line behind.
        let mut file = OpenOptions::new()
            .append(true)
            .open(log.path())
            .expect("append");
        file.write_all(br#"{"time":"2026-"#).expect("torn");

        let batch = AuditLog::read(log.path()).expect("read");
        assert_eq!(batch.num_rows(), 2);
        let actions = batch
            .column_by_name("action")
            .and_then(|c| {
                c.as_any()
                    .downcast_ref::<datafusion::arrow::array::StringArray>()
            })
            .expect("action column");
        assert_eq!(actions.value(1), "query");
    }
}
