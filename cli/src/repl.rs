//! The interactive prompt of `lakecast sql`.

use std::process::ExitCode;

use datafusion::prelude::SessionContext;
use rustyline::DefaultEditor;
use rustyline::error::ReadlineError;

use crate::output::{Sink, finish_io};
use crate::run::{Settings, clean_error, execute, split};

const HELP: &str = "\
Statements end with `;` and may span several lines.
  \\d          list tables
  \\d TABLE    describe a table's columns
  \\?          this help
  \\q          quit (or Ctrl-D)
";

/// Reads statements until `\q` or end of input.
pub async fn run(ctx: &SessionContext, settings: &Settings) -> Result<ExitCode, String> {
    let mut editor =
        DefaultEditor::new().map_err(|e| format!("cannot start the prompt: {e}"))?;
    let interactive = std::io::IsTerminal::is_terminal(&std::io::stdin());
    let history = history_file();
    if interactive && let Some(path) = &history {
        let _ = editor.load_history(path);
    }
    if interactive {
        eprintln!("lakecast SQL prompt; \\? for help, \\q to quit");
    }
    let mut buffer = String::new();
    loop {
        let prompt = if buffer.is_empty() {
            "lakecast> "
        } else {
            "      -> "
        };
        let line = match editor.readline(prompt) {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) => {
                buffer.clear();
                continue;
            }
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(format!("cannot read input: {e}")),
        };
        let trimmed = line.trim();
        if buffer.is_empty() && trimmed.starts_with('\\') {
            let _ = editor.add_history_entry(trimmed);
            if trimmed == "\\q" {
                break;
            }
            let code = meta_command(ctx, trimmed, settings).await?;
            if code != ExitCode::SUCCESS {
                return Ok(code);
            }
            continue;
        }
        if trimmed.is_empty() && buffer.is_empty() {
            continue;
        }
        buffer.push_str(&line);
        buffer.push('\n');
        if trimmed.ends_with(';') {
            let statement = std::mem::take(&mut buffer);
            let _ = editor.add_history_entry(statement.trim());
            run_statements(ctx, &statement, settings).await?;
        }
    }
    if !buffer.trim().is_empty() {
        run_statements(ctx, &buffer, settings).await?;
    }
    if interactive && let Some(path) = &history {
        if let Some(folder) = path.parent() {
            let _ = std::fs::create_dir_all(folder);
        }
        let _ = editor.save_history(path);
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs what the user typed; errors are shown and the prompt goes on.
async fn run_statements(
    ctx: &SessionContext,
    text: &str,
    settings: &Settings,
) -> Result<(), String> {
    let statements = match split(text) {
        Ok(statements) => statements,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(());
        }
    };
    let mut sink = Sink::open(settings.out.as_deref())?;
    for statement in statements {
        match execute(ctx, statement).await {
            Ok(batches) => {
                finish_io(
                    sink.write_result(&batches, settings.format, settings.max_rows)
                        .and_then(|()| sink.flush()),
                )?;
            }
            Err(e) => {
                eprintln!("error: {}", clean_error(&e));
                break;
            }
        }
    }
    Ok(())
}

async fn meta_command(
    ctx: &SessionContext,
    command: &str,
    settings: &Settings,
) -> Result<ExitCode, String> {
    let mut words = command.split_whitespace();
    let sql = match (words.next(), words.next()) {
        (Some("\\d"), None) => "SELECT table_schema, table_name, table_type \
             FROM information_schema.tables \
             WHERE table_schema <> 'information_schema' \
             ORDER BY table_schema, table_name"
            .to_string(),
        (Some("\\d"), Some(table)) => {
            if !table_exists(ctx, table) {
                eprintln!("error: no table named `{table}` (\\d lists them)");
                return Ok(ExitCode::SUCCESS);
            }
            format!(
                "SELECT column_name, data_type, is_nullable \
                 FROM information_schema.columns WHERE table_name = '{}' \
                 ORDER BY ordinal_position",
                table.replace('\'', "''")
            )
        }
        (Some("\\?" | "\\h" | "\\help"), _) => {
            eprint!("{HELP}");
            return Ok(ExitCode::SUCCESS);
        }
        _ => {
            eprintln!("error: unknown command `{command}`; \\? lists the commands");
            return Ok(ExitCode::SUCCESS);
        }
    };
    run_statements(ctx, &sql, settings).await?;
    Ok(ExitCode::SUCCESS)
}

fn table_exists(ctx: &SessionContext, table: &str) -> bool {
    ctx.table_exist(table).unwrap_or(false)
}

/// `$XDG_DATA_HOME/lakecast/history` or the platform's equivalent.
fn history_file() -> Option<std::path::PathBuf> {
    dirs::data_local_dir().map(|dir| dir.join("lakecast").join("history"))
}
