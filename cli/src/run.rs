//! `lakecast sql`: run statements from the command line, a file or a prompt.

use std::path::PathBuf;
use std::process::ExitCode;

use arrow::array::RecordBatch;
use datafusion::error::DataFusionError;
use datafusion::prelude::SessionContext;
use datafusion::sql::parser::Statement;

use crate::output::{Format, Sink, finish_io};

/// Output settings shared by every way of running SQL.
pub struct Settings {
    pub format: Format,
    pub out: Option<PathBuf>,
    pub max_rows: usize,
}

/// Where a command's SQL comes from, and the lake it runs on.
#[derive(clap::Args)]
pub struct QueryInput {
    /// The lake whose tables to query: a folder or URL (`s3://BUCKET/PREFIX`,
    /// configured by the standard AWS environment variables).
    #[arg(long, value_name = "LAKE")]
    pub lake: Option<String>,
    /// Run the queries on a Ballista cluster, `df://HOST:PORT` (see
    /// `lakecast cluster`).
    #[arg(long, value_name = "URL")]
    pub cluster: Option<String>,
    /// SQL to run; several statements separated by `;` are allowed.
    #[arg(
        short = 'c',
        long = "command",
        value_name = "SQL",
        conflicts_with = "file"
    )]
    pub command: Option<String>,
    /// File of SQL statements to run in order.
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: Option<PathBuf>,
}

impl QueryInput {
    /// The SQL text and how to name its source in messages, or `None` when
    /// neither `-c` nor `-f` was given.
    pub fn text(&self) -> Result<Option<(String, String)>, String> {
        match (&self.command, &self.file) {
            (Some(sql), _) => Ok(Some((sql.clone(), "-c".to_string()))),
            (None, Some(path)) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
                Ok(Some((text, format!("`{}`", path.display()))))
            }
            (None, None) => Ok(None),
        }
    }
}

/// Runs `lakecast sql`.
pub async fn sql(query: QueryInput, settings: Settings) -> Result<ExitCode, String> {
    let ctx = session(&query).await?;
    let Some((text, source)) = query.text()? else {
        return crate::repl::run(&ctx, &settings).await;
    };
    let mut sink = Sink::open(settings.out.as_deref())?;
    if settings.format == Format::Parquet && sink.is_terminal() {
        return Err("parquet output is binary: pass --out FILE or redirect it".into());
    }
    run_script(&ctx, &text, &source, &settings, &mut sink).await
}

/// A session on the lake, or on no lake at all, local or on a cluster. On
/// the command line a local query may also read a file by its path
/// (`SELECT * FROM 'x.parquet'`).
pub async fn session(query: &QueryInput) -> Result<SessionContext, String> {
    let lake = query.lake.as_deref();
    if let Some(url) = &query.cluster {
        return lakecast_cluster::connect(url, lake)
            .await
            .map_err(|e| format!("cluster {url}: {e}"));
    }
    let ctx = match lake {
        Some(location) => lakecast_core::open_session(location)
            .await
            .map(|(ctx, _)| ctx)
            .map_err(|e| e.to_string())?,
        None => lakecast_core::new_session(),
    };
    Ok(ctx.enable_url_table())
}

/// Runs every statement of `text` in order, printing each result. With the
/// Parquet format only the last statement's result is written.
pub async fn run_script(
    ctx: &SessionContext,
    text: &str,
    source: &str,
    settings: &Settings,
    sink: &mut Sink,
) -> Result<ExitCode, String> {
    let statements = split(text).map_err(|e| format!("{source}: {e}"))?;
    let count = statements.len();
    for (index, statement) in statements.into_iter().enumerate() {
        let label = describe(&statement);
        let batches = execute(ctx, statement).await.map_err(|e| {
            let which = if count > 1 {
                format!("{source}, statement {} of {count} ({label})", index + 1)
            } else {
                source.to_string()
            };
            format!("{which}: {}", clean_error(&e))
        })?;
        let last = index + 1 == count;
        if settings.format != Format::Parquet || last {
            let written = sink.write_result(&batches, settings.format, settings.max_rows);
            let code = finish_io(written)?;
            if code != ExitCode::SUCCESS {
                return Ok(code);
            }
        }
    }
    finish_io(sink.flush())
}

/// Splits SQL text into statements.
pub fn split(text: &str) -> Result<Vec<Statement>, String> {
    lakecast_core::engine::split_statements(text).map_err(|e| clean_error(&e))
}

/// Plans and runs one statement, collecting its result.
pub async fn execute(
    ctx: &SessionContext,
    statement: Statement,
) -> Result<Vec<RecordBatch>, DataFusionError> {
    let (schema, batches) = lakecast_core::engine::run_statement(ctx, statement).await?;
    // A query that finds nothing still shows its columns (and "(0 rows)").
    if batches.is_empty() && !schema.fields().is_empty() {
        return Ok(vec![RecordBatch::new_empty(schema)]);
    }
    Ok(batches)
}

/// The first words of a statement, to say which one failed.
fn describe(statement: &Statement) -> String {
    let text = statement.to_string();
    let words: Vec<&str> = text.split_whitespace().take(6).collect();
    let mut short = words.join(" ");
    if text.split_whitespace().count() > 6 {
        short.push_str(" ...");
    }
    short
}

/// An engine error as one readable message: the innermost cause, without
/// the engine's layers of wrapping.
pub fn clean_error(error: &DataFusionError) -> String {
    let text = error.find_root().to_string();
    text.trim().to_string()
}
