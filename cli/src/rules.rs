//! `lakecast rules ...` and `lakecast watch`: saved SQL rules whose rows
//! become actions, fired once per key and delivered to a JSON-lines file
//! or a webhook.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};
use lakecast_core::access::{AccessError, AuditLog, SystemFolder};
use lakecast_core::rules::{
    ActionJournal, RuleBook, RuleOutcome, Sink, deliver_pending, run_rules,
};

use crate::admin::{LakeArgs, actor, parse_duration};
use crate::output;

/// `lakecast rules ...`
#[derive(Subcommand)]
pub enum RulesCommand {
    /// Save a rule (a new version if the name exists). The query must
    /// return the columns key, kind, target and payload.
    Add {
        /// The rule's name.
        name: String,
        /// File holding the rule's query.
        #[arg(short = 'f', long = "file", value_name = "FILE")]
        file: PathBuf,
        #[command(flatten)]
        lake: LakeArgs,
    },
    /// List the rules in force.
    List {
        #[command(flatten)]
        lake: LakeArgs,
    },
    /// Print a rule's SQL and versions.
    Show {
        /// The rule's name.
        name: String,
        #[command(flatten)]
        lake: LakeArgs,
    },
    /// Remove a rule (its versions and actions stay on record).
    Remove {
        /// The rule's name.
        name: String,
        #[command(flatten)]
        lake: LakeArgs,
    },
    /// Run the rules once (or only NAME), fire new actions and deliver
    /// pending ones. Exit 1 when a rule or a delivery failed.
    Run {
        /// Only this rule.
        name: Option<String>,
        #[command(flatten)]
        sinks: SinkArgs,
        #[command(flatten)]
        lake: LakeArgs,
    },
}

/// Where actions are delivered.
#[derive(Args, Clone)]
pub struct SinkArgs {
    /// Append each action as a JSON line to this file.
    #[arg(long, value_name = "FILE")]
    jsonl: Option<PathBuf>,
    /// POST each action as JSON to this URL (with an Idempotency-Key header).
    #[arg(long, value_name = "URL")]
    webhook: Option<String>,
    /// Attempts per action per run for the webhook, with doubling back-off.
    #[arg(long, default_value_t = 4, value_name = "N")]
    attempts: u32,
    /// Wait before the second webhook attempt (`200ms`, `1s`).
    #[arg(long, default_value = "200ms", value_name = "DURATION")]
    backoff: String,
}

impl SinkArgs {
    fn sinks(&self) -> Result<Vec<Sink>, String> {
        let mut sinks = Vec::new();
        if let Some(path) = &self.jsonl {
            sinks.push(Sink::JsonLines(path.clone()));
        }
        if let Some(url) = &self.webhook {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(format!(
                    "--webhook `{url}` must be an http:// or https:// URL"
                ));
            }
            sinks.push(Sink::Webhook {
                url: url.clone(),
                attempts: self.attempts.max(1),
                first_backoff: parse_duration(&self.backoff)?,
            });
        }
        Ok(sinks)
    }
}

fn text(error: AccessError) -> String {
    error.to_string()
}

pub async fn rules(command: RulesCommand) -> Result<ExitCode, String> {
    match command {
        RulesCommand::Add { name, file, lake } => add(&name, &file, &lake).await,
        RulesCommand::List { lake } => {
            let book = RuleBook::load(&lake.folder()?).map_err(text)?;
            let lines: String = book
                .active()
                .iter()
                .map(|r| {
                    format!(
                        "{:<32} v{:<4} added by {} {}\n",
                        r.name,
                        r.version,
                        r.added_by,
                        r.added_at.format("%Y-%m-%d %H:%M UTC")
                    )
                })
                .collect();
            output::print_text(if lines.is_empty() {
                "no rules yet\n"
            } else {
                &lines
            })
        }
        RulesCommand::Show { name, lake } => {
            let book = RuleBook::load(&lake.folder()?).map_err(text)?;
            let versions = book.versions(&name);
            let Some(latest) = versions.last() else {
                return Err(format!("no rule `{name}`"));
            };
            let mut out = format!("-- rule {name}, version {}", latest.version);
            if latest.removed_at.is_some() {
                out.push_str(" (removed)");
            }
            out.push('\n');
            for v in &versions {
                out.push_str(&format!(
                    "-- v{} added by {} at {}\n",
                    v.version,
                    v.added_by,
                    v.added_at.to_rfc3339()
                ));
            }
            out.push_str(&latest.sql);
            out.push('\n');
            output::print_text(&out)
        }
        RulesCommand::Remove { name, lake } => {
            let folder = lake.folder()?;
            let audit = AuditLog::open(&folder).map_err(text)?;
            RuleBook::remove(&folder, &audit, &actor(), &name).map_err(text)?;
            output::print_text(&format!("rule `{name}` removed\n"))
        }
        RulesCommand::Run { name, sinks, lake } => {
            let failed = run_once(&lake, name.as_deref(), &sinks.sinks()?).await?;
            Ok(if failed {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
    }
}

async fn add(name: &str, file: &PathBuf, lake: &LakeArgs) -> Result<ExitCode, String> {
    let sql = std::fs::read_to_string(file)
        .map_err(|e| format!("cannot read `{}`: {e}", file.display()))?;
    let (ctx, _) = lakecast_core::open_session(&lake.lake)
        .await
        .map_err(|e| e.to_string())?;
    let frame = lakecast_core::rules::plan_rule(&ctx, name, &sql)
        .await
        .map_err(|e| format!("rule `{name}` ({}): {e}", file.display()))?;
    // Planning it whole catches type errors now rather than at the first run.
    frame
        .create_physical_plan()
        .await
        .map_err(|e| format!("rule `{name}` ({}): {e}", file.display()))?;
    let folder = lake.folder()?;
    let audit = AuditLog::open(&folder).map_err(text)?;
    let rule = RuleBook::add(&folder, &audit, &actor(), name, &sql).map_err(text)?;
    output::print_text(&format!(
        "rule `{name}` saved as version {}\n",
        rule.version
    ))
}

/// One run: rules, then deliveries. Returns whether anything failed; every
/// failure is printed on standard error, named.
async fn run_once(
    lake: &LakeArgs,
    only: Option<&str>,
    sinks: &[Sink],
) -> Result<bool, String> {
    let folder: SystemFolder = lake.folder()?;
    let book = RuleBook::load(&folder).map_err(text)?;
    let rules: Vec<_> = book
        .active()
        .into_iter()
        .filter(|r| only.is_none_or(|n| r.name == n))
        .cloned()
        .collect();
    if let Some(name) = only
        && rules.is_empty()
    {
        return Err(format!("no rule `{name}` (see `lakecast rules list`)"));
    }
    let (ctx, _) = lakecast_core::open_session(&lake.lake)
        .await
        .map_err(|e| e.to_string())?;
    let audit = AuditLog::open(&folder).map_err(text)?;
    let mut journal = ActionJournal::open(&folder).map_err(text)?;
    let report = run_rules(&ctx, &rules, &mut journal, &audit, &actor())
        .await
        .map_err(text)?;
    let mut out = String::new();
    let mut failed = report.has_failures();
    for (name, outcome) in &report.rules {
        match outcome {
            RuleOutcome::Ran { rows, fired } => {
                out.push_str(&format!("{name}: {rows} rows, {fired} new actions\n"));
            }
            RuleOutcome::Failed(message) => eprintln!("error: {message}"),
        }
    }
    for sink in sinks {
        let delivery = deliver_pending(sink, &mut journal).await.map_err(text)?;
        out.push_str(&format!(
            "{}: {} delivered\n",
            delivery.sink, delivery.delivered
        ));
        for (id, message) in &delivery.failed {
            eprintln!(
                "error: action {id} not delivered to {}: {message}",
                delivery.sink
            );
            failed = true;
        }
    }
    output::print_text(&out)?;
    Ok(failed)
}

/// `lakecast watch`: runs the rules every DURATION until Ctrl-C or SIGTERM.
#[derive(Args)]
pub struct WatchArgs {
    /// Time between runs (`30s`, `5m`, `1h`).
    #[arg(long, value_name = "DURATION")]
    every: String,
    #[command(flatten)]
    sinks: SinkArgs,
    #[command(flatten)]
    lake: LakeArgs,
}

pub async fn watch(args: WatchArgs) -> Result<ExitCode, String> {
    let every: Duration = parse_duration(&args.every)?;
    let sinks = args.sinks.sinks()?;
    let stop = crate::admin::shutdown_signal();
    tokio::pin!(stop);
    loop {
        // A failing rule or sink is reported and retried next round; only
        // a lake or system folder that cannot be read ends the watch.
        run_once(&args.lake, None, &sinks).await?;
        tokio::select! {
            () = &mut stop => return Ok(ExitCode::SUCCESS),
            () = tokio::time::sleep(every) => {}
        }
    }
}
