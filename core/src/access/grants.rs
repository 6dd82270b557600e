//! Project grants: a user may read a project's data from the moment a
//! grant is given until the hour it ends, or until it is revoked. Whether
//! a grant holds is decided when each query runs, so an expired or revoked
//! grant hides rows at once.

use chrono::{DateTime, Duration, NaiveDateTime, Timelike, Utc};
use serde::{Deserialize, Serialize};

use super::audit::{AuditEntry, AuditLog};
use super::files::{FolderLock, read_json, write_json};
use super::users::UserBook;
use super::{AccessError, SystemFolder, now};

/// Access to one project for one user.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Grant {
    /// The user.
    pub user: String,
    /// The project (an `opportunity_id`).
    pub project_id: i64,
    /// When access started.
    pub granted_at: DateTime<Utc>,
    /// When access ends, on the hour.
    pub expires_at: DateTime<Utc>,
    /// Who gave it.
    pub granted_by: String,
    /// When it was revoked early, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Who revoked it.
    pub revoked_by: Option<String>,
}

impl Grant {
    /// Whether the grant gives access at `moment`.
    pub fn holds_at(&self, moment: DateTime<Utc>) -> bool {
        self.granted_at <= moment
            && moment < self.expires_at
            && self.revoked_at.is_none_or(|revoked| moment < revoked)
    }
}

/// Every grant ever given, in `_lakecast/grants.json`; revoked and expired
/// grants stay for the record.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GrantBook {
    grants: Vec<Grant>,
}

impl GrantBook {
    /// Reads the grants of `folder` (none when the file does not exist).
    pub fn load(folder: &SystemFolder) -> Result<Self, AccessError> {
        read_json(&folder.grants_file())
    }

    /// Every grant, oldest first.
    pub fn grants(&self) -> &[Grant] {
        &self.grants
    }

    /// The projects `user` may read at `moment`, sorted and without repeats.
    pub fn projects_of(&self, user: &str, moment: DateTime<Utc>) -> Vec<i64> {
        let mut projects: Vec<i64> = self
            .grants
            .iter()
            .filter(|g| g.user == user && g.holds_at(moment))
            .map(|g| g.project_id)
            .collect();
        projects.sort_unstable();
        projects.dedup();
        projects
    }

    /// Gives `user` access to `project_id` until `expires_at` and records
    /// it in the audit log before returning.
    pub fn grant(
        folder: &SystemFolder,
        audit: &AuditLog,
        actor: &str,
        user: &str,
        project_id: i64,
        expires_at: DateTime<Utc>,
    ) -> Result<Grant, AccessError> {
        let _lock = FolderLock::take(folder.root())?;
        if UserBook::load(folder)?.find(user).is_none() {
            return Err(AccessError::UnknownUser(user.to_string()));
        }
        let granted_at = now();
        if expires_at <= granted_at {
            return Err(AccessError::Invalid(format!(
                "--until {} is in the past: a grant must end after now ({})",
                expires_at.format("%Y-%m-%d %H:%M UTC"),
                granted_at.format("%Y-%m-%d %H:%M UTC")
            )));
        }
        let mut book = Self::load(folder)?;
        let before = book.latest_until(user, project_id, granted_at);
        let grant = Grant {
            user: user.to_string(),
            project_id,
            granted_at,
            expires_at,
            granted_by: actor.to_string(),
            revoked_at: None,
            revoked_by: None,
        };
        book.grants.push(grant.clone());
        audit.record_blocking(
            AuditEntry::new(
                actor,
                "local",
                "grant",
                &format!("{user} project {project_id}"),
            )
            .with_detail(serde_json::json!({
                "before": before,
                "after": format!("until {}", expires_at.to_rfc3339()),
            })),
        )?;
        write_json(&folder.grants_file(), &book)?;
        Ok(grant)
    }

    /// Ends every grant `user` holds on `project_id` now, recorded in the
    /// audit log before returning. Returns how many grants were ended.
    pub fn revoke(
        folder: &SystemFolder,
        audit: &AuditLog,
        actor: &str,
        user: &str,
        project_id: i64,
    ) -> Result<usize, AccessError> {
        let _lock = FolderLock::take(folder.root())?;
        let mut book = Self::load(folder)?;
        let moment = now();
        let before = book.latest_until(user, project_id, moment);
        let mut ended = 0;
        for grant in &mut book.grants {
            if grant.user == user
                && grant.project_id == project_id
                && grant.holds_at(moment)
            {
                grant.revoked_at = Some(moment);
                grant.revoked_by = Some(actor.to_string());
                ended += 1;
            }
        }
        if ended == 0 {
            return Err(AccessError::Invalid(format!(
                "`{user}` holds no grant on project {project_id} that is still in force"
            )));
        }
        audit.record_blocking(
            AuditEntry::new(
                actor,
                "local",
                "revoke",
                &format!("{user} project {project_id}"),
            )
            .with_detail(serde_json::json!({
                "before": before,
                "after": "revoked",
            })),
        )?;
        write_json(&folder.grants_file(), &book)?;
        Ok(ended)
    }

    fn latest_until(
        &self,
        user: &str,
        project_id: i64,
        moment: DateTime<Utc>,
    ) -> Option<String> {
        self.grants
            .iter()
            .filter(|g| {
                g.user == user && g.project_id == project_id && g.holds_at(moment)
            })
            .map(|g| g.expires_at)
            .max()
            .map(|until| format!("until {}", until.to_rfc3339()))
    }
}

/// Reads a grant's end: an hour as `2026-12-31T18:00`, `2026-12-31 18:00`,
/// `2026-12-31T18:00:00Z` (all UTC), or a span from now rounded up to the
/// next whole hour, `+8h` or `+30d`. Minutes other than `:00` are refused:
/// grants are precise to the hour.
pub fn parse_until(
    text: &str,
    moment: DateTime<Utc>,
) -> Result<DateTime<Utc>, AccessError> {
    let invalid = |why: &str| {
        AccessError::Invalid(format!(
            "cannot read --until `{text}`: {why} (write an hour such as \
             `2026-12-31T18:00`, or a span such as `+8h` or `+30d`)"
        ))
    };
    let text = text.trim();
    if let Some(span) = text.strip_prefix('+') {
        let (count, unit) = span.split_at(span.len().saturating_sub(1));
        let count: i64 = count
            .parse()
            .map_err(|_| invalid("not a number of hours or days"))?;
        let hours = match unit {
            "h" => count,
            "d" => count.saturating_mul(24),
            _ => return Err(invalid("the unit must be `h` or `d`")),
        };
        if hours <= 0 || hours > 24 * 366 * 10 {
            return Err(invalid("the span must be between 1 hour and 10 years"));
        }
        return Ok(next_hour(moment) + Duration::hours(hours - 1));
    }
    let parsed = DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .or_else(|_| {
            [
                "%Y-%m-%dT%H:%M",
                "%Y-%m-%d %H:%M",
                "%Y-%m-%dT%H:%M:%S",
                "%Y-%m-%d %H:%M:%S",
            ]
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
            .map(|t| t.and_utc())
            .ok_or(())
        })
        .map_err(|()| invalid("not a date and hour"))?;
    if parsed.minute() != 0 || parsed.second() != 0 || parsed.nanosecond() != 0 {
        return Err(invalid("grants end on the hour"));
    }
    Ok(parsed)
}

/// The first whole hour after `moment`.
fn next_hour(moment: DateTime<Utc>) -> DateTime<Utc> {
    let floor = moment
        .with_minute(0)
        .and_then(|t| t.with_second(0))
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(moment);
    floor + Duration::hours(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("time")
            .with_timezone(&Utc)
    }

    #[test]
    fn until_accepts_hours_and_spans() {
        let moment = at("2026-12-04T09:20:00Z");
        assert_eq!(
            parse_until("2026-12-31T18:00", moment).ok(),
            Some(at("2026-12-31T18:00:00Z"))
        );
        assert_eq!(
            parse_until("2026-12-31 18:00", moment).ok(),
            Some(at("2026-12-31T18:00:00Z"))
        );
        assert_eq!(
            parse_until("+1h", moment).ok(),
            Some(at("2026-12-04T10:00:00Z"))
        );
        assert_eq!(
            parse_until("+2d", moment).ok(),
            Some(at("2026-12-06T09:00:00Z"))
        );
        for bad in ["2026-12-31T18:30", "tomorrow", "+3w", "+0h", "+h"] {
            let err = parse_until(bad, moment).expect_err(bad).to_string();
            assert!(err.contains(bad), "{err}");
        }
    }

    #[test]
    fn a_grant_holds_until_its_hour_or_its_revocation() {
        let grant = Grant {
            user: "ana".into(),
            project_id: 7,
            granted_at: at("2026-12-04T09:00:00Z"),
            expires_at: at("2026-12-04T12:00:00Z"),
            granted_by: "root".into(),
            revoked_at: None,
            revoked_by: None,
        };
        assert!(grant.holds_at(at("2026-12-04T11:59:59Z")));
        assert!(!grant.holds_at(at("2026-12-04T12:00:00Z")));
        assert!(!grant.holds_at(at("2026-12-04T08:59:59Z")));
        let revoked = Grant {
            revoked_at: Some(at("2026-12-04T10:00:00Z")),
            ..grant
        };
        assert!(!revoked.holds_at(at("2026-12-04T10:00:00Z")));
        let book = GrantBook {
            grants: vec![
                revoked.clone(),
                Grant {
                    project_id: 3,
                    ..revoked
                },
            ],
        };
        assert_eq!(
            book.projects_of("ana", at("2026-12-04T09:30:00Z")),
            vec![3, 7]
        );
        assert!(
            book.projects_of("bob", at("2026-12-04T09:30:00Z"))
                .is_empty()
        );
    }
}
