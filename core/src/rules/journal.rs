//! The action journal, `_lakecast/actions.jsonl`: one line when an action
//! fires, one line per delivery attempt. Firing is idempotent because an
//! action's id is derived from its rule and key, and a key already in the
//! journal never fires again, across runs and restarts.

use std::collections::{BTreeMap, HashSet};
use std::fs::OpenOptions;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use datafusion::arrow::array::{
    ArrayRef, RecordBatch, StringArray, TimestampMicrosecondArray, UInt32Array,
    UInt64Array,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::error::DataFusionError;
use ring::digest;
use serde::{Deserialize, Serialize};

use crate::access::{AccessError, SystemFolder};

/// An action a rule produced.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FiredAction {
    /// Derived from rule and key: the same pair always has the same id.
    pub action_id: String,
    /// The rule.
    pub rule: String,
    /// The rule's version that fired it.
    pub rule_version: u32,
    /// What the action is about (a deal, a customer and step, ...).
    pub key: String,
    /// What to do.
    pub kind: String,
    /// Who or what should do it.
    pub target: String,
    /// The details, as JSON.
    pub payload: serde_json::Value,
    /// When it fired.
    pub fired_at: DateTime<Utc>,
}

/// One line of the journal.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "lowercase")]
enum Event {
    Fired(FiredAction),
    Delivery(Delivery),
}

/// One delivery attempt.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Delivery {
    action_id: String,
    sink: String,
    at: DateTime<Utc>,
    attempt: u32,
    outcome: String,
}

/// Where an action stands with one sink.
#[derive(Debug, Clone, Default)]
struct SinkState {
    attempts: u32,
    delivered: bool,
    last_outcome: String,
    last_at: Option<DateTime<Utc>>,
}

/// The journal of a system folder, read whole on open.
#[derive(Debug)]
pub struct ActionJournal {
    path: PathBuf,
    actions: Vec<FiredAction>,
    fired: HashSet<String>,
    sinks: BTreeMap<(String, String), SinkState>,
}

impl ActionJournal {
    /// Reads the journal of `folder` (empty when it does not exist). A last
    /// line cut short by a crash was never acted on and is ignored.
    pub fn open(folder: &SystemFolder) -> Result<Self, AccessError> {
        let path = folder.root().join("actions.jsonl");
        let mut journal = Self {
            path: path.clone(),
            actions: Vec::new(),
            fired: HashSet::new(),
            sinks: BTreeMap::new(),
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(journal),
            Err(source) => {
                return Err(AccessError::Io {
                    action: "cannot read the action journal",
                    path,
                    source,
                });
            }
        };
        let complete = text.rfind('\n').map_or("", |i| &text[..=i]);
        for (number, line) in complete.lines().enumerate() {
            let event: Event =
                serde_json::from_str(line).map_err(|e| AccessError::Damaged {
                    path: path.clone(),
                    reason: format!("line {}: {e}", number + 1),
                })?;
            journal.apply(event);
        }
        Ok(journal)
    }

    fn apply(&mut self, event: Event) {
        match event {
            Event::Fired(action) => {
                if self.fired.insert(action.action_id.clone()) {
                    self.actions.push(action);
                }
            }
            Event::Delivery(d) => {
                let state = self.sinks.entry((d.action_id, d.sink)).or_default();
                state.attempts = state.attempts.max(d.attempt);
                state.delivered |= d.outcome == "delivered";
                state.last_outcome = d.outcome;
                state.last_at = Some(d.at);
            }
        }
    }

    /// Whether the action with `id` has fired before.
    pub fn has_fired(&self, id: &str) -> bool {
        self.fired.contains(id)
    }

    /// Every action, in firing order.
    pub fn actions(&self) -> &[FiredAction] {
        &self.actions
    }

    /// Actions not yet delivered to `sink`.
    pub fn pending(&self, sink: &str) -> Vec<FiredAction> {
        self.actions
            .iter()
            .filter(|a| {
                !self
                    .sinks
                    .get(&(a.action_id.clone(), sink.to_string()))
                    .is_some_and(|s| s.delivered)
            })
            .cloned()
            .collect()
    }

    /// Attempts made so far to deliver `action_id` to `sink`.
    pub fn attempts(&self, action_id: &str, sink: &str) -> u32 {
        self.sinks
            .get(&(action_id.to_string(), sink.to_string()))
            .map_or(0, |s| s.attempts)
    }

    /// Records newly fired actions, flushed to disk before returning, so
    /// an action is never delivered without being on record.
    pub fn record_fired(&mut self, actions: Vec<FiredAction>) -> Result<(), AccessError> {
        let events: Vec<Event> = actions.into_iter().map(Event::Fired).collect();
        self.append(events)
    }

    /// Records one delivery attempt.
    pub fn record_delivery(
        &mut self,
        action_id: &str,
        sink: &str,
        attempt: u32,
        outcome: &str,
    ) -> Result<(), AccessError> {
        self.append(vec![Event::Delivery(Delivery {
            action_id: action_id.to_string(),
            sink: sink.to_string(),
            at: Utc::now(),
            attempt,
            outcome: outcome.to_string(),
        })])
    }

    fn append(&mut self, events: Vec<Event>) -> Result<(), AccessError> {
        if events.is_empty() {
            return Ok(());
        }
        let io = |source| AccessError::Io {
            action: "cannot append to the action journal",
            path: self.path.clone(),
            source,
        };
        let mut bytes = Vec::new();
        for event in &events {
            serde_json::to_writer(&mut bytes, event).map_err(|e| io(e.into()))?;
            bytes.push(b'\n');
        }
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(io)?;
        file.write_all(&bytes)
            .and_then(|()| file.sync_data())
            .map_err(io)?;
        for event in events {
            self.apply(event);
        }
        Ok(())
    }

    /// Every action with its delivery state, as `lakecast.actions`.
    pub fn to_batch(&self) -> Result<RecordBatch, DataFusionError> {
        let a = &self.actions;
        let state: Vec<(String, u64, Option<i64>)> =
            a.iter().map(|action| self.delivery_state(action)).collect();
        let micros = |t: &DateTime<Utc>| t.timestamp_micros();
        let columns: Vec<ArrayRef> = vec![
            Arc::new(
                TimestampMicrosecondArray::from_iter_values(
                    a.iter().map(|x| micros(&x.fired_at)),
                )
                .with_timezone("UTC"),
            ),
            Arc::new(StringArray::from_iter_values(a.iter().map(|x| &x.rule))),
            Arc::new(UInt32Array::from_iter_values(
                a.iter().map(|x| x.rule_version),
            )),
            Arc::new(StringArray::from_iter_values(a.iter().map(|x| &x.key))),
            Arc::new(StringArray::from_iter_values(a.iter().map(|x| &x.kind))),
            Arc::new(StringArray::from_iter_values(a.iter().map(|x| &x.target))),
            Arc::new(StringArray::from_iter_values(
                a.iter().map(|x| x.payload.to_string()),
            )),
            Arc::new(StringArray::from_iter_values(state.iter().map(|s| &s.0))),
            Arc::new(UInt64Array::from_iter_values(state.iter().map(|s| s.1))),
            Arc::new(
                TimestampMicrosecondArray::from_iter(state.iter().map(|s| s.2))
                    .with_timezone("UTC"),
            ),
            Arc::new(StringArray::from_iter_values(
                a.iter().map(|x| &x.action_id),
            )),
        ];
        Ok(RecordBatch::try_new(actions_schema(), columns)?)
    }

    /// `delivered`, `pending`, or the last failure per sink; attempts; last.
    fn delivery_state(&self, action: &FiredAction) -> (String, u64, Option<i64>) {
        let mine: Vec<(&String, &SinkState)> = self
            .sinks
            .iter()
            .filter(|((id, _), _)| *id == action.action_id)
            .map(|((_, sink), state)| (sink, state))
            .collect();
        let attempts = mine.iter().map(|(_, s)| u64::from(s.attempts)).sum();
        let last = mine.iter().filter_map(|(_, s)| s.last_at).max();
        let text = if mine.is_empty() {
            "pending".to_string()
        } else if mine.iter().all(|(_, s)| s.delivered) {
            "delivered".to_string()
        } else {
            mine.iter()
                .filter(|(_, s)| !s.delivered)
                .map(|(sink, s)| format!("{sink}: {}", s.last_outcome))
                .collect::<Vec<_>>()
                .join("; ")
        };
        (text, attempts, last.map(|t| t.timestamp_micros()))
    }
}

/// The columns of `lakecast.actions`.
pub fn actions_schema() -> SchemaRef {
    let time = || DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
    let text = |name: &str| Field::new(name, DataType::Utf8, false);
    Arc::new(Schema::new(vec![
        Field::new("fired_at", time(), false),
        text("rule"),
        Field::new("rule_version", DataType::UInt32, false),
        text("key"),
        text("kind"),
        text("target"),
        text("payload"),
        text("delivery"),
        Field::new("attempts", DataType::UInt64, false),
        Field::new("last_attempt_at", time(), true),
        text("action_id"),
    ]))
}

/// The id of the action a rule fires for a key.
pub fn action_id(rule: &str, key: &str) -> String {
    let mut input = rule.as_bytes().to_vec();
    input.push(0);
    input.extend_from_slice(key.as_bytes());
    digest::digest(&digest::SHA256, &input).as_ref()[..12]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action(rule: &str, key: &str) -> FiredAction {
        FiredAction {
            action_id: action_id(rule, key),
            rule: rule.into(),
            rule_version: 1,
            key: key.into(),
            kind: "call".into(),
            target: "team".into(),
            payload: serde_json::json!({"n": 1}),
            fired_at: Utc::now(),
        }
    }

    #[test]
    fn ids_depend_on_rule_and_key_only() {
        assert_eq!(action_id("a", "k"), action_id("a", "k"));
        assert_ne!(action_id("a", "k"), action_id("b", "k"));
        // The separator keeps ("ab", "c") apart from ("a", "bc").
        assert_ne!(action_id("ab", "c"), action_id("a", "bc"));
    }

    #[test]
    fn the_journal_remembers_firings_and_deliveries_across_opens() {
        let dir = tempfile::tempdir().expect("tempdir");
        let folder = SystemFolder::at(dir.path().to_path_buf()).expect("folder");
        let mut journal = ActionJournal::open(&folder).expect("open");
        journal
            .record_fired(vec![action("r", "1"), action("r", "2")])
            .expect("fire");
        let id = action_id("r", "1");
        journal
            .record_delivery(&id, "hook", 1, "failed: HTTP 500")
            .expect("fail");
        journal
            .record_delivery(&id, "hook", 2, "delivered")
            .expect("deliver");

        // A crash mid-write leaves half a line; it was never acted on.
        let mut file = OpenOptions::new()
            .append(true)
            .open(dir.path().join("actions.jsonl"))
            .expect("append");
        file.write_all(br#"{"event":"fired","act"#).expect("torn");

        let again = ActionJournal::open(&folder).expect("reopen");
        assert!(again.has_fired(&id));
        assert_eq!(again.attempts(&id, "hook"), 2);
        let pending: Vec<String> =
            again.pending("hook").into_iter().map(|a| a.key).collect();
        assert_eq!(pending, vec!["2"]);
        let batch = again.to_batch().expect("batch");
        assert_eq!(batch.num_rows(), 2);
    }
}
