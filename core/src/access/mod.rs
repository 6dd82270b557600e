//! Who may use a served lake and what they did: logins stored as SCRAM
//! verifiers, project grants that end on the hour, the durable audit log,
//! and the per-user sessions that hide projects a user holds no grant for.
//!
//! Everything lives in the lake's system folder, `_lakecast/` beside the
//! tables (the contract check skips `_`-prefixed folders). Users and grants
//! are small JSON documents replaced atomically under a lock file, so the
//! CLI and a running server can change them at the same time; the audit
//! log is an append-only JSON-lines file.

pub mod audit;
pub mod canvas;
pub(crate) mod files;
pub mod grants;
pub mod session;
pub mod users;

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::location::LakeLocation;

pub use audit::{AuditEntry, AuditLog};
pub use grants::{Grant, GrantBook};
pub use session::{Identity, ServedLake};
pub use users::{User, UserBook, Verifier};

/// What can go wrong reading or changing users, grants, the canvas or the
/// audit log. Every message names the file, user, project or value at
/// fault.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// A system file could not be read or written.
    #[error("{action} `{}`: {source}", .path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file involved.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A system file exists but cannot be understood.
    #[error("`{}` is damaged: {reason}", .path.display())]
    Damaged {
        /// The file involved.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The named user does not exist.
    #[error("no user `{0}` (add one with `lakecast user add {0} --role analyst`)")]
    UnknownUser(String),
    /// A value given on the command line or over a connection is invalid.
    #[error("{0}")]
    Invalid(String),
    /// The lake is not a folder and no system folder was named.
    #[error(
        "the lake `{0}` is not a local folder, so users, grants and the audit log \
         need a folder of their own: pass `--system DIR`"
    )]
    NoSystemFolder(String),
    /// An engine error while reading or writing the canvas.
    #[error(transparent)]
    Engine(#[from] datafusion::error::DataFusionError),
    /// A lake error while writing the canvas.
    #[error(transparent)]
    Lake(#[from] crate::LakeError),
}

/// What a user may do: analysts read the projects they hold a grant for,
/// admins read everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads project data only for projects granted to them.
    Analyst,
    /// Reads every project; sees the whole audit log.
    Admin,
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Analyst => "analyst",
            Role::Admin => "admin",
        })
    }
}

impl FromStr for Role {
    type Err = AccessError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "analyst" => Ok(Role::Analyst),
            "admin" => Ok(Role::Admin),
            other => Err(AccessError::Invalid(format!(
                "unknown role `{other}`: expected `analyst` or `admin`"
            ))),
        }
    }
}

/// The `_lakecast/` folder of a lake: users, grants and the audit log.
#[derive(Debug, Clone)]
pub struct SystemFolder {
    root: PathBuf,
}

impl SystemFolder {
    /// The system folder of `lake`: `explicit` when given, else
    /// `_lakecast/` inside a local lake. Created when missing.
    pub fn for_lake(
        lake: &LakeLocation,
        explicit: Option<&Path>,
    ) -> Result<Self, AccessError> {
        let root = match (explicit, lake.local_root()) {
            (Some(dir), _) => dir.to_path_buf(),
            (None, Some(root)) => root.join("_lakecast"),
            (None, None) => {
                return Err(AccessError::NoSystemFolder(lake.display().into()));
            }
        };
        Self::at(root)
    }

    /// The system folder at `root`, created when missing.
    pub fn at(root: PathBuf) -> Result<Self, AccessError> {
        std::fs::create_dir_all(&root).map_err(|source| AccessError::Io {
            action: "cannot create the system folder",
            path: root.clone(),
            source,
        })?;
        Ok(Self { root })
    }

    /// Where the folder is.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn users_file(&self) -> PathBuf {
        self.root.join("users.json")
    }

    fn grants_file(&self) -> PathBuf {
        self.root.join("grants.json")
    }

    fn audit_file(&self) -> PathBuf {
        self.root.join("audit.jsonl")
    }
}

/// The current time in UTC.
pub(crate) fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}
