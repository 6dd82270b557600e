//! The rule book: every version of every rule, with who added or removed it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ACTION_COLUMNS;
use crate::access::audit::{AuditEntry, AuditLog};
use crate::access::{AccessError, SystemFolder};
use crate::engine::split_statements;

/// One version of a rule.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Rule {
    /// The rule's name.
    pub name: String,
    /// 1 for the first version, then one more for each `rules add`.
    pub version: u32,
    /// The query whose rows are the actions.
    pub sql: String,
    /// Who added this version.
    pub added_by: String,
    /// When.
    pub added_at: DateTime<Utc>,
    /// When the rule was removed, if it was (set on its last version).
    pub removed_at: Option<DateTime<Utc>>,
}

/// All rules of a lake, in `_lakecast/rules.json`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RuleBook {
    rules: Vec<Rule>,
}

impl RuleBook {
    /// Reads the rules of `folder` (none when the file does not exist).
    pub fn load(folder: &SystemFolder) -> Result<Self, AccessError> {
        crate::access::files::read_json(&folder.root().join("rules.json"))
    }

    /// The rules in force (latest version of each name not removed),
    /// sorted by name.
    pub fn active(&self) -> Vec<&Rule> {
        let mut names: Vec<&str> = self.rules.iter().map(|r| r.name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        names
            .into_iter()
            .filter_map(|name| self.latest(name))
            .filter(|r| r.removed_at.is_none())
            .collect()
    }

    /// The latest version of `name`, removed or not.
    pub fn latest(&self, name: &str) -> Option<&Rule> {
        self.rules
            .iter()
            .filter(|r| r.name == name)
            .max_by_key(|r| r.version)
    }

    /// Every version of `name`, oldest first.
    pub fn versions(&self, name: &str) -> Vec<&Rule> {
        self.rules.iter().filter(|r| r.name == name).collect()
    }

    /// Adds `sql` as the next version of rule `name`, recorded in the
    /// audit log before it is saved. The SQL must be one query; whether it
    /// returns the action columns is checked by the caller, which can plan
    /// it against the lake ([`check_columns`]).
    pub fn add(
        folder: &SystemFolder,
        audit: &AuditLog,
        actor: &str,
        name: &str,
        sql: &str,
    ) -> Result<Rule, AccessError> {
        check_name(name)?;
        let statements = split_statements(sql)
            .map_err(|e| AccessError::Invalid(format!("rule `{name}`: {e}")))?;
        if statements.len() != 1 {
            return Err(AccessError::Invalid(format!(
                "rule `{name}` must be one query; the file holds {} statements",
                statements.len()
            )));
        }
        let _lock = crate::access::files::FolderLock::take(folder.root())?;
        let mut book = Self::load(folder)?;
        let version = book.latest(name).map_or(1, |r| r.version + 1);
        let rule = Rule {
            name: name.to_string(),
            version,
            sql: sql.trim().to_string(),
            added_by: actor.to_string(),
            added_at: Utc::now(),
            removed_at: None,
        };
        book.rules.push(rule.clone());
        audit.record_blocking(
            AuditEntry::new(actor, "local", "rules.add", name)
                .with_detail(serde_json::json!({ "version": version, "sql": rule.sql })),
        )?;
        book.save(folder)?;
        Ok(rule)
    }

    /// Removes rule `name` (its versions stay for the record).
    pub fn remove(
        folder: &SystemFolder,
        audit: &AuditLog,
        actor: &str,
        name: &str,
    ) -> Result<(), AccessError> {
        let _lock = crate::access::files::FolderLock::take(folder.root())?;
        let mut book = Self::load(folder)?;
        let Some(latest) = book
            .rules
            .iter_mut()
            .filter(|r| r.name == name && r.removed_at.is_none())
            .max_by_key(|r| r.version)
        else {
            return Err(AccessError::Invalid(format!("no rule `{name}`")));
        };
        latest.removed_at = Some(Utc::now());
        let version = latest.version;
        audit.record_blocking(
            AuditEntry::new(actor, "local", "rules.remove", name)
                .with_detail(serde_json::json!({ "version": version })),
        )?;
        book.save(folder)
    }

    fn save(&self, folder: &SystemFolder) -> Result<(), AccessError> {
        crate::access::files::write_json(&folder.root().join("rules.json"), self)
    }
}

/// Checks a rule's result columns: `key`, `kind`, `target` and `payload`
/// must all be there.
pub fn check_columns(name: &str, columns: &[String]) -> Result<(), AccessError> {
    let missing: Vec<&str> = ACTION_COLUMNS
        .iter()
        .copied()
        .filter(|c| !columns.iter().any(|have| have == c))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(AccessError::Invalid(format!(
        "rule `{name}` must return the columns key, kind, target and payload; \
         missing: {} (it returns: {})",
        missing.join(", "),
        columns.join(", ")
    )))
}

fn check_name(name: &str) -> Result<(), AccessError> {
    let ok = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(AccessError::Invalid(format!(
            "invalid rule name `{name}`: use letters, digits, `_` and `-`, starting \
             with a letter"
        )))
    }
}
