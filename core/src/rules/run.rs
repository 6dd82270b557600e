//! Running rules: each rule's query runs on the lake; its rows become
//! actions, and those whose rule and key have not fired before are
//! recorded in the journal. A broken rule is reported with its name and
//! the others still run.

use datafusion::arrow::array::{Array, AsArray, RecordBatch, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::json::ArrayWriter;
use datafusion::error::DataFusionError;
use datafusion::prelude::{DataFrame, SessionContext};

use super::book::{Rule, check_columns};
use super::journal::{ActionJournal, FiredAction, action_id};
use crate::access::AccessError;
use crate::access::audit::{AuditEntry, AuditLog};

/// What one rule did in a run.
#[derive(Debug, Clone)]
pub enum RuleOutcome {
    /// The rule ran: rows it returned and actions that fired for the first time.
    Ran {
        /// Rows returned.
        rows: usize,
        /// New actions.
        fired: usize,
    },
    /// The rule failed; the message names the rule.
    Failed(String),
}

/// What a run did, rule by rule.
#[derive(Debug, Clone, Default)]
pub struct RunReport {
    /// One entry per rule run, in name order.
    pub rules: Vec<(String, RuleOutcome)>,
}

impl RunReport {
    /// Whether any rule failed.
    pub fn has_failures(&self) -> bool {
        self.rules
            .iter()
            .any(|(_, o)| matches!(o, RuleOutcome::Failed(_)))
    }
}

/// Runs `rules` on `ctx` and records the actions that fire for the first
/// time in `journal`. Each rule's run is in the audit log.
pub async fn run_rules(
    ctx: &SessionContext,
    rules: &[Rule],
    journal: &mut ActionJournal,
    audit: &AuditLog,
    actor: &str,
) -> Result<RunReport, AccessError> {
    let mut report = RunReport::default();
    for rule in rules {
        let outcome = match evaluate(ctx, rule).await {
            Ok(actions) => {
                let rows = actions.len();
                let new: Vec<FiredAction> = dedup_new(actions, journal);
                let fired = new.len();
                journal.record_fired(new)?;
                RuleOutcome::Ran { rows, fired }
            }
            Err(e) => RuleOutcome::Failed(format!("rule `{}` failed: {e}", rule.name)),
        };
        let entry = AuditEntry::new(actor, "local", "rules.run", &rule.name);
        let entry = match &outcome {
            RuleOutcome::Ran { rows, fired } => entry.with_detail(serde_json::json!({
                "version": rule.version, "rows": rows, "fired": fired,
            })),
            RuleOutcome::Failed(message) => entry.with_outcome(message.clone()),
        };
        audit.record(entry).await?;
        report.rules.push((rule.name.clone(), outcome));
    }
    Ok(report)
}

/// Keeps the actions whose ids have not fired, each id once.
fn dedup_new(actions: Vec<FiredAction>, journal: &ActionJournal) -> Vec<FiredAction> {
    let mut seen = std::collections::HashSet::new();
    actions
        .into_iter()
        .filter(|a| !journal.has_fired(&a.action_id) && seen.insert(a.action_id.clone()))
        .collect()
}

/// Plans rule `name`'s query on `ctx` and checks it returns the action
/// columns: what `rules add` checks before saving, and each run before
/// running.
pub async fn plan_rule(
    ctx: &SessionContext,
    name: &str,
    sql: &str,
) -> Result<DataFrame, String> {
    let frame = ctx.sql(sql).await.map_err(|e| e.to_string())?;
    let columns: Vec<String> = frame
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    check_columns(name, &columns).map_err(|e| e.to_string())?;
    Ok(frame)
}

/// Runs one rule and turns its rows into actions.
async fn evaluate(ctx: &SessionContext, rule: &Rule) -> Result<Vec<FiredAction>, String> {
    let frame = plan_rule(ctx, &rule.name, &rule.sql).await?;
    let batches = frame.collect().await.map_err(|e| e.to_string())?;
    let mut actions = Vec::new();
    for batch in &batches {
        actions.extend(batch_actions(rule, batch).map_err(|e| e.to_string())?);
    }
    Ok(actions)
}

fn batch_actions(
    rule: &Rule,
    batch: &RecordBatch,
) -> Result<Vec<FiredAction>, DataFusionError> {
    let text = |name: &str| -> Result<StringArray, DataFusionError> {
        let column = batch
            .column_by_name(name)
            .ok_or_else(|| DataFusionError::Plan(format!("no column `{name}`")))?;
        Ok(cast(column, &DataType::Utf8)?.as_string::<i32>().clone())
    };
    let (keys, kinds, targets) = (text("key")?, text("kind")?, text("target")?);
    let payloads = payload_values(batch)?;
    let now = chrono::Utc::now();
    let mut actions = Vec::with_capacity(batch.num_rows());
    for row in 0..batch.num_rows() {
        if keys.is_null(row) {
            return Err(DataFusionError::Execution(format!(
                "row {} has a NULL key: every action needs one",
                row + 1
            )));
        }
        let key = keys.value(row).to_string();
        actions.push(FiredAction {
            action_id: action_id(&rule.name, &key),
            rule: rule.name.clone(),
            rule_version: rule.version,
            key,
            kind: value_or_empty(&kinds, row),
            target: value_or_empty(&targets, row),
            payload: payloads
                .get(row)
                .cloned()
                .unwrap_or(serde_json::Value::Null),
            fired_at: now,
        });
    }
    Ok(actions)
}

fn value_or_empty(array: &StringArray, row: usize) -> String {
    if array.is_null(row) {
        String::new()
    } else {
        array.value(row).to_string()
    }
}

/// Each row's `payload` as JSON: text stays text, numbers and structs
/// become JSON numbers and objects.
fn payload_values(
    batch: &RecordBatch,
) -> Result<Vec<serde_json::Value>, DataFusionError> {
    let index = batch.schema().index_of("payload")?;
    let only = batch.project(&[index])?;
    let mut writer = ArrayWriter::new(Vec::new());
    writer.write(&only)?;
    writer.finish()?;
    let bytes = writer.into_inner();
    let rows: Vec<serde_json::Map<String, serde_json::Value>> = if bytes.is_empty() {
        Vec::new()
    } else {
        serde_json::from_slice(&bytes)
            .map_err(|e| DataFusionError::External(Box::new(e)))?
    };
    Ok(rows
        .into_iter()
        .map(|mut row| row.remove("payload").unwrap_or(serde_json::Value::Null))
        .collect())
}
