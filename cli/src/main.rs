//! `lakecast`: generate, check and query signal lakes from the command line.

mod admin;
mod demo;
mod functions;
mod heatmap;
mod output;
mod repl;
mod rules;
mod run;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use lakecast_core::generator::{GenOptions, Progress};

use crate::output::Format;

/// Sales forecasts, win-rate heatmaps, customer health and lifetime value,
/// written as SQL over a lake of Parquet files.
#[derive(Parser)]
#[command(name = "lakecast", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build (or reuse) a small demo lake in your cache folder and print what
    /// Lakecast computes from it.
    Demo {
        /// Regenerate the demo lake even when a valid one exists.
        #[arg(long)]
        fresh: bool,
    },
    /// Write a generated signal lake.
    Gen {
        /// Folder to write the lake into (created if missing).
        #[arg(long, value_name = "DIR")]
        out: String,
        /// Size: 1 is a mid-size company, 0.01 a few thousand rows per table.
        #[arg(long, default_value_t = 1.0, value_name = "F")]
        scale: f64,
        /// Random seed; the same seed and scale give identical files.
        #[arg(long, default_value_t = 42, value_name = "N")]
        seed: u64,
        /// Overwrite the lake tables in a folder that is not empty.
        #[arg(long)]
        replace: bool,
    },
    /// Check a lake against the contract: exit 1 with one line per problem.
    Check {
        /// The lake: a folder or URL.
        #[arg(value_name = "LAKE")]
        lake: String,
        /// Also decode every row of every file, to find damaged data pages.
        #[arg(long)]
        deep: bool,
    },
    /// Run SQL: one statement or several (`-c`), a file (`-f`), or an
    /// interactive prompt when neither is given.
    Sql {
        #[command(flatten)]
        query: run::QueryInput,
        /// How to print results.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Write results to this file instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Most rows printed per result in the table format (0: all).
        #[arg(long, default_value_t = 200, value_name = "N")]
        max_rows: usize,
    },
    /// Draw a query's (row label, column label, value) rows as a heatmap.
    Heatmap {
        #[command(flatten)]
        query: run::QueryInput,
        /// Picture to write: FILE.png or FILE.svg.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Title above the picture (default: the file's first comment).
        #[arg(long)]
        title: Option<String>,
    },
    /// List every SQL function Lakecast adds, with signature and description.
    Functions {
        /// Print the Markdown reference page instead of plain text.
        #[arg(long)]
        markdown: bool,
    },
    /// Run Lakecast on Apache DataFusion Ballista: a scheduler, or an
    /// executor that serves one. Both know every Lakecast function; query
    /// them with `lakecast sql --cluster df://HOST:PORT`.
    Cluster {
        #[command(subcommand)]
        role: ClusterRole,
    },
    /// Serve a lake to BI tools over the PostgreSQL wire protocol and Arrow
    /// Flight SQL: logins required, read-only, analysts see only the
    /// projects they hold a grant for, every query in the audit log. Runs
    /// until Ctrl-C or SIGTERM. Logs (listen addresses, each login and
    /// query with user, rows and time) go to standard error at `info`;
    /// set RUST_LOG to change that.
    Serve(admin::ServeArgs),
    /// Manage logins for `lakecast serve`.
    User {
        #[command(subcommand)]
        command: admin::UserCommand,
    },
    /// Let a user read a project's data until an hour (`--until
    /// 2026-12-31T18:00` UTC, or `+8h`, `+30d`).
    Grant {
        /// The user.
        name: String,
        /// The project (an `opportunity_id`).
        project: i64,
        /// When access ends, on the hour.
        #[arg(long, value_name = "TIME")]
        until: String,
        #[command(flatten)]
        lake: admin::LakeArgs,
    },
    /// End a user's access to a project now.
    Revoke {
        /// The user.
        name: String,
        /// The project (an `opportunity_id`).
        project: i64,
        #[command(flatten)]
        lake: admin::LakeArgs,
    },
    /// Change the signal canvas or show its history.
    Canvas {
        #[command(subcommand)]
        command: admin::CanvasCommand,
    },
    /// Saved SQL rules whose rows become actions (key, kind, target,
    /// payload), fired once per key into `lakecast.actions`.
    Rules {
        #[command(subcommand)]
        command: rules::RulesCommand,
    },
    /// Run the rules every DURATION until Ctrl-C or SIGTERM, delivering new
    /// actions to the sinks given.
    Watch(rules::WatchArgs),
    /// Print the lake contract: every table and column with its meaning.
    Contract {
        /// Print the Markdown page (docs/lake-contract.md).
        #[arg(long)]
        markdown: bool,
    },
}

#[derive(Subcommand)]
enum ClusterRole {
    /// Start a scheduler: it plans queries and hands their tasks to
    /// executors. Runs until Ctrl-C or SIGTERM.
    Scheduler {
        /// Address to listen on for clients and executors.
        #[arg(long, default_value = "127.0.0.1:50050", value_name = "ADDR")]
        bind: std::net::SocketAddr,
    },
    /// Start an executor: it runs query tasks and serves their shuffle
    /// data. Runs until Ctrl-C or SIGTERM.
    Executor {
        /// The scheduler to serve, HOST:PORT.
        #[arg(long, value_name = "ADDR")]
        scheduler: String,
        /// Address of the executor's data (Flight) service; its control
        /// (gRPC) service listens on the next port.
        #[arg(long, default_value = "127.0.0.1:50051", value_name = "ADDR")]
        bind: std::net::SocketAddr,
        /// Tasks run at once (0: one per core).
        #[arg(long, default_value_t = 0, value_name = "N")]
        slots: usize,
        /// Folder for shuffle and spill files (default: a temporary folder).
        #[arg(long, value_name = "DIR")]
        work_dir: Option<String>,
    },
}

/// Stack size of each async worker thread.
const WORKER_STACK_BYTES: usize = 16 * 1024 * 1024;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // A server's log is part of its output: listen addresses, logins and
    // queries at `info`. Other commands log warnings only.
    init_logging(if matches!(cli.command, Command::Serve(_)) {
        "info"
    } else {
        "warn"
    });
    // Planning, and a cluster scheduler decoding and optimising plans,
    // recurse over the expression tree; long SQL needs more than the
    // default 2 MiB of stack per worker thread.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(WORKER_STACK_BYTES)
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return fail(&format!("cannot start the async runtime: {e}")),
    };
    match runtime.block_on(dispatch(cli.command)) {
        Ok(code) => code,
        Err(message) => fail(&message),
    }
}

async fn dispatch(command: Command) -> Result<ExitCode, String> {
    match command {
        Command::Demo { fresh } => demo::run(fresh).await,
        Command::Gen {
            out,
            scale,
            seed,
            replace,
        } => generate(&out, GenOptions { scale, seed }, replace).await,
        Command::Check { lake, deep } => check(&lake, deep).await,
        Command::Sql {
            query,
            format,
            out,
            max_rows,
        } => {
            run::sql(
                query,
                run::Settings {
                    format,
                    out,
                    max_rows,
                },
            )
            .await
        }
        Command::Heatmap { query, out, title } => draw_heatmap(query, &out, title).await,
        Command::Functions { markdown } => functions::print(markdown),
        Command::Cluster { role } => cluster(role).await,
        Command::Serve(args) => admin::serve(args).await,
        Command::User { command } => admin::user(command),
        Command::Grant {
            name,
            project,
            until,
            lake,
        } => admin::grant(&name, project, &until, &lake),
        Command::Revoke {
            name,
            project,
            lake,
        } => admin::revoke(&name, project, &lake),
        Command::Canvas { command } => admin::canvas(command).await,
        Command::Rules { command } => rules::rules(command).await,
        Command::Watch(args) => rules::watch(args).await,
        Command::Contract { markdown } => {
            let text = if markdown {
                lakecast_core::contract::to_markdown()
            } else {
                functions::contract_text()
            };
            output::print_text(&text)
        }
    }
}

async fn generate(
    out: &str,
    options: GenOptions,
    replace: bool,
) -> Result<ExitCode, String> {
    let progress = output::Bar::new();
    let started = std::time::Instant::now();
    let report = lakecast_core::generator::generate(out, options, replace, &progress)
        .await
        .map_err(|e| e.to_string())?;
    progress.finish();
    let mut text = String::new();
    let mut total = 0;
    for (table, rows, files) in &report.tables {
        text.push_str(&format!("{table:<20} {rows:>12} rows  {files:>4} files\n"));
        total += rows;
    }
    text.push_str(&format!(
        "wrote {total} rows to {out} in {:.1} s (scale {}, seed {})\n",
        started.elapsed().as_secs_f64(),
        options.scale,
        options.seed
    ));
    output::print_text(&text)
}

async fn check(lake: &str, deep: bool) -> Result<ExitCode, String> {
    let location =
        lakecast_core::location::LakeLocation::parse(lake).map_err(|e| e.to_string())?;
    let inspection = lakecast_core::check::inspect(&location, deep)
        .await
        .map_err(|e| e.to_string())?;
    if inspection.problems.is_empty() {
        let files: usize = inspection.tables.iter().map(|t| t.files.len()).sum();
        output::print_text(&format!(
            "ok: {lake} meets the contract ({} tables, {files} files)\n",
            inspection.tables.len()
        ))?;
        return Ok(ExitCode::SUCCESS);
    }
    let text: String = inspection
        .problems
        .iter()
        .map(|p| format!("{p}\n"))
        .collect();
    output::print_text(&text)?;
    eprintln!(
        "{lake}: {} problem{} found",
        inspection.problems.len(),
        if inspection.problems.len() == 1 {
            ""
        } else {
            "s"
        }
    );
    Ok(ExitCode::from(1))
}

async fn draw_heatmap(
    query: run::QueryInput,
    out: &std::path::Path,
    title: Option<String>,
) -> Result<ExitCode, String> {
    let (sql, source) = query
        .text()?
        .ok_or("give the query with -c SQL or -f FILE")?;
    let title = title.unwrap_or_else(|| match lakecast_core::examples::title(&sql) {
        "" => "Heatmap".to_string(),
        t => t.to_string(),
    });
    let ctx = run::session(&query).await?;
    let (rows, columns) = heatmap::draw(&ctx, &sql, &source, &title, out).await?;
    output::print_text(&format!(
        "heatmap of {rows} rows x {columns} columns written to {}\n",
        out.display()
    ))
}

async fn cluster(role: ClusterRole) -> Result<ExitCode, String> {
    match role {
        ClusterRole::Scheduler { bind } => lakecast_cluster::run_scheduler(bind).await?,
        ClusterRole::Executor {
            scheduler,
            bind,
            slots,
            work_dir,
        } => {
            let options = lakecast_cluster::ExecutorOptions {
                scheduler,
                bind,
                slots,
                work_dir,
            };
            lakecast_cluster::run_executor(options).await?
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn fail(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(1)
}

/// Diagnostics go to standard error, filtered by `RUST_LOG` (default: `default`).
fn init_logging(default: &str) {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

impl Progress for output::Bar {
    fn start(&self, steps: u64) {
        self.set_length(steps);
    }
    fn step(&self, message: &str) {
        self.advance(message);
    }
    fn finish(&self) {
        self.done();
    }
}
