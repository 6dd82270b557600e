//! `lakecast serve` and the commands that manage who may use it: users,
//! grants and canvas changes. Every change is in the audit log before the
//! command reports success.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};
use lakecast_core::access::canvas;
use lakecast_core::access::grants::parse_until;
use lakecast_core::access::session::register_system_tables;
use lakecast_core::access::{
    AccessError, AuditLog, GrantBook, Role, ServedLake, SystemFolder, UserBook,
};
use lakecast_core::datafusion::arrow::util::pretty::pretty_format_batches;
use lakecast_core::location::LakeLocation;
use lakecast_core::new_session;

use crate::output;

/// The lake a management command changes.
#[derive(Args, Clone)]
pub struct LakeArgs {
    /// The lake: a folder or URL.
    #[arg(long, env = "LAKECAST_LAKE", value_name = "LAKE")]
    pub lake: String,
    /// Folder for users, grants and the audit log (default: `_lakecast/`
    /// inside a lake folder; required for `s3://` lakes).
    #[arg(long, value_name = "DIR")]
    pub system: Option<PathBuf>,
}

impl LakeArgs {
    /// The system folder of the lake.
    pub fn folder(&self) -> Result<SystemFolder, String> {
        let location = LakeLocation::parse(&self.lake).map_err(|e| e.to_string())?;
        if location.local_root().is_some_and(|root| !root.is_dir()) {
            return Err(format!(
                "no lake at `{}`: the folder does not exist",
                self.lake
            ));
        }
        SystemFolder::for_lake(&location, self.system.as_deref())
            .map_err(|e| e.to_string())
    }
}

/// `lakecast user ...`
#[derive(Subcommand)]
pub enum UserCommand {
    /// Add a login. The password comes from `LAKECAST_PASSWORD`, else a
    /// prompt; only its SCRAM-SHA-256 verifier is stored.
    Add {
        /// The login name.
        name: String,
        /// `analyst` (reads granted projects only) or `admin` (reads all).
        #[arg(long, value_name = "ROLE")]
        role: String,
        /// Set a new password and role for an existing user.
        #[arg(long)]
        replace: bool,
        #[command(flatten)]
        lake: LakeArgs,
    },
    /// List logins and their roles.
    List {
        #[command(flatten)]
        lake: LakeArgs,
    },
}

/// `lakecast canvas ...`
#[derive(Subcommand)]
pub enum CanvasCommand {
    /// Write a new canvas version with one rule's lift changed.
    Set {
        /// The rule, such as `dwell_over_120s`.
        rule: String,
        /// Its new lift: 0.15 means +15% odds, -0.22 means -22%.
        #[arg(allow_hyphen_values = true)]
        weight: f64,
        /// Why it changed (kept with the version).
        #[arg(long)]
        note: Option<String>,
        #[command(flatten)]
        lake: LakeArgs,
    },
    /// Every canvas change made with `canvas set`: who, when, before and after.
    History {
        #[command(flatten)]
        lake: LakeArgs,
    },
}

/// Who is making a change: `LAKECAST_ACTOR`, else the login of the shell.
pub fn actor() -> String {
    ["LAKECAST_ACTOR", "USER", "USERNAME"]
        .iter()
        .find_map(|var| std::env::var(var).ok().filter(|v| !v.is_empty()))
        .unwrap_or_else(|| "local".to_string())
}

fn text(error: AccessError) -> String {
    error.to_string()
}

pub fn user(command: UserCommand) -> Result<ExitCode, String> {
    match command {
        UserCommand::Add {
            name,
            role,
            replace,
            lake,
        } => {
            let role: Role = role.parse().map_err(text)?;
            let folder = lake.folder()?;
            let password = password_for(&name)?;
            let audit = AuditLog::open(&folder).map_err(text)?;
            UserBook::add(&folder, &audit, &actor(), &name, role, &password, replace)
                .map_err(text)?;
            output::print_text(&format!("user `{name}` added as {role}\n"))
        }
        UserCommand::List { lake } => {
            let book = UserBook::load(&lake.folder()?).map_err(text)?;
            let lines: String = book
                .users()
                .iter()
                .map(|u| {
                    format!(
                        "{:<24} {:<8} added {}\n",
                        u.name,
                        u.role,
                        u.created_at.format("%Y-%m-%d %H:%M UTC")
                    )
                })
                .collect();
            output::print_text(&lines)
        }
    }
}

fn password_for(name: &str) -> Result<String, String> {
    if let Ok(password) = std::env::var("LAKECAST_PASSWORD") {
        return Ok(password);
    }
    if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        return Err(format!(
            "no password for `{name}`: set LAKECAST_PASSWORD or run in a terminal to be asked"
        ));
    }
    let first = rpassword::prompt_password(format!("password for {name}: "))
        .map_err(|e| format!("cannot read the password: {e}"))?;
    let again = rpassword::prompt_password("again: ")
        .map_err(|e| format!("cannot read the password: {e}"))?;
    if first != again {
        return Err("the two passwords differ".into());
    }
    Ok(first)
}

pub fn grant(
    name: &str,
    project: i64,
    until: &str,
    lake: &LakeArgs,
) -> Result<ExitCode, String> {
    let folder = lake.folder()?;
    let expires = parse_until(until, chrono::Utc::now()).map_err(text)?;
    let audit = AuditLog::open(&folder).map_err(text)?;
    GrantBook::grant(&folder, &audit, &actor(), name, project, expires).map_err(text)?;
    output::print_text(&format!(
        "`{name}` may read project {project} until {}\n",
        expires.format("%Y-%m-%d %H:%M UTC")
    ))
}

pub fn revoke(name: &str, project: i64, lake: &LakeArgs) -> Result<ExitCode, String> {
    let folder = lake.folder()?;
    let audit = AuditLog::open(&folder).map_err(text)?;
    GrantBook::revoke(&folder, &audit, &actor(), name, project).map_err(text)?;
    output::print_text(&format!("`{name}` may no longer read project {project}\n"))
}

pub async fn canvas(command: CanvasCommand) -> Result<ExitCode, String> {
    match command {
        CanvasCommand::Set {
            rule,
            weight,
            note,
            lake,
        } => {
            let served = ServedLake::open(&lake.lake, lake.system.as_deref())
                .await
                .map_err(text)?;
            let change = canvas::set_lift(
                served.lake(),
                served.audit(),
                &actor(),
                &rule,
                weight,
                note.as_deref(),
            )
            .await
            .map_err(text)?;
            output::print_text(&format!(
                "canvas version {}: {} lift {} -> {}\n",
                change.version, change.rule, change.before, change.after
            ))
        }
        CanvasCommand::History { lake } => {
            let folder = lake.folder()?;
            print_history(&folder).await
        }
    }
}

async fn print_history(folder: &SystemFolder) -> Result<ExitCode, String> {
    let ctx = new_session();
    register_system_tables(&ctx, folder, None)
        .await
        .map_err(text)?;
    let batches = ctx
        .sql(
            "SELECT time, actor, object AS rule, \
             json_version AS version, json_before AS before, json_after AS after \
             FROM (SELECT time, actor, object, \
               regexp_match(detail, '\"version\":([0-9]+)')[1] AS json_version, \
               regexp_match(detail, '\"before\":([^,}]+)')[1] AS json_before, \
               regexp_match(detail, '\"after\":([^,}]+)')[1] AS json_after \
               FROM lakecast.audit_log WHERE action = 'canvas.set') ORDER BY time",
        )
        .await
        .map_err(|e| e.to_string())?
        .collect()
        .await
        .map_err(|e| e.to_string())?;
    if batches.iter().all(|b| b.num_rows() == 0) {
        return output::print_text("no canvas changes recorded yet\n");
    }
    let table = pretty_format_batches(&batches).map_err(|e| e.to_string())?;
    output::print_text(&format!("{table}\n"))
}

/// Options of `lakecast serve`.
#[derive(Args)]
pub struct ServeArgs {
    #[command(flatten)]
    lake: LakeArgs,
    /// Address of the PostgreSQL wire endpoint, such as 127.0.0.1:5432.
    #[arg(long, value_name = "ADDR")]
    pg: Option<std::net::SocketAddr>,
    /// Address of the Arrow Flight SQL endpoint, such as 127.0.0.1:50060.
    #[arg(long, value_name = "ADDR")]
    flight: Option<std::net::SocketAddr>,
    /// Memory one query may hold before it spills to disk or fails with
    /// an error naming the limit (`512MiB`, `2GiB`).
    #[arg(long, default_value = "1GiB", value_name = "SIZE")]
    query_memory: String,
    /// Longest a statement may run before it is cancelled (`30s`, `5m`);
    /// a client's own `SET statement_timeout` may only shorten it.
    #[arg(long, default_value = "5m", value_name = "DURATION")]
    statement_timeout: String,
    /// Most connections open at once, both endpoints together; more are
    /// refused with "too many connections".
    #[arg(long, default_value_t = 256, value_name = "N")]
    max_connections: usize,
}

pub async fn serve(args: ServeArgs) -> Result<ExitCode, String> {
    let options = lakecast_server::ServeOptions {
        lake: args.lake.lake.clone(),
        system: args.lake.system.clone(),
        pg: args.pg,
        flight: args.flight,
        query_memory: parse_size(&args.query_memory)?,
        statement_timeout: parse_duration(&args.statement_timeout)?,
        max_connections: args.max_connections,
    };
    lakecast_server::serve(options, shutdown_signal())
        .await
        .map_err(|e| e.to_string())?;
    Ok(ExitCode::SUCCESS)
}

/// Resolves on Ctrl-C or SIGTERM. The handlers are installed when this is
/// called, not when the future is first polled, so a signal that arrives
/// while the caller is busy is not lost (nor fatal).
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let term =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    let interrupt = tokio::signal::ctrl_c();
    async move {
        #[cfg(unix)]
        if let Some(mut term) = term {
            tokio::select! {
                _ = term.recv() => {}
                _ = interrupt => {}
            }
            return;
        }
        let _ = interrupt.await;
    }
}

/// Reads `512MiB`, `2GiB`, `1G` or a number of bytes.
pub fn parse_size(text: &str) -> Result<usize, String> {
    let lower = text.trim().to_ascii_lowercase();
    let split = lower
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(lower.len());
    let (number, unit) = lower.split_at(split);
    let scale: f64 = match unit.trim() {
        "" | "b" => 1.0,
        "k" | "kb" | "kib" => 1024.0,
        "m" | "mb" | "mib" => 1024.0 * 1024.0,
        "g" | "gb" | "gib" => 1024.0 * 1024.0 * 1024.0,
        _ => {
            return Err(format!(
                "cannot read size `{text}`: use a number with KiB, MiB or GiB"
            ));
        }
    };
    let value: f64 = number.parse().map_err(|_| {
        format!("cannot read size `{text}`: use a number with KiB, MiB or GiB")
    })?;
    if value <= 0.0 {
        return Err(format!("size `{text}` must be above zero"));
    }
    Ok((value * scale) as usize)
}

/// Reads `30s`, `5m`, `2h` or `1500ms`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let n: u64 = number.parse().map_err(|_| {
        format!("cannot read duration `{text}`: use 1500ms, 30s, 5m or 2h")
    })?;
    let duration = match unit {
        "ms" => Duration::from_millis(n),
        "s" | "" => Duration::from_secs(n),
        "m" => Duration::from_secs(n * 60),
        "h" => Duration::from_secs(n * 3600),
        _ => {
            return Err(format!(
                "cannot read duration `{text}`: use 1500ms, 30s, 5m or 2h"
            ));
        }
    };
    if duration.is_zero() {
        return Err(format!("duration `{text}` must be above zero"));
    }
    Ok(duration)
}
