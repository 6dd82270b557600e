//! Everything the user reads: result formats, plain text, the progress bar.
//! Diagnostics go through `tracing` instead.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use arrow::array::{Array, ArrayRef, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::error::ArrowError;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use arrow::util::pretty::pretty_format_batches;
use datafusion::parquet::arrow::ArrowWriter;
use indicatif::{ProgressBar, ProgressStyle};

/// How results are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// An aligned table for reading in a terminal.
    Table,
    /// Comma-separated values with a header line.
    Csv,
    /// A JSON array of objects.
    Json,
    /// One JSON object per line.
    Ndjson,
    /// A Parquet file (needs `--out`, or standard output that is not a terminal).
    Parquet,
}

/// Where results go: standard output or a file.
pub struct Sink {
    writer: Box<dyn Write + Send>,
    to_terminal: bool,
    closed: Arc<AtomicBool>,
}

/// A writer that remembers when its reader went away. Arrow's CSV and JSON
/// writers report a closed pipe as text, so its kind is lost on the way.
struct Watched<W> {
    inner: W,
    closed: Arc<AtomicBool>,
}

impl<W: Write> Watched<W> {
    fn note<T>(&self, result: io::Result<T>) -> io::Result<T> {
        if let Err(e) = &result
            && e.kind() == io::ErrorKind::BrokenPipe
        {
            self.closed.store(true, Ordering::Relaxed);
        }
        result
    }
}

impl<W: Write> Write for Watched<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let result = self.inner.write(buf);
        self.note(result)
    }

    fn flush(&mut self) -> io::Result<()> {
        let result = self.inner.flush();
        self.note(result)
    }
}

impl Sink {
    /// Standard output, or `path` when given.
    pub fn open(path: Option<&Path>) -> Result<Self, String> {
        let closed = Arc::new(AtomicBool::new(false));
        let watched = |inner: Box<dyn Write + Send>| -> Box<dyn Write + Send> {
            Box::new(BufWriter::new(Watched {
                inner,
                closed: Arc::clone(&closed),
            }))
        };
        let (writer, to_terminal) = match path {
            Some(path) => {
                let file = File::create(path)
                    .map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
                (watched(Box::new(file)), false)
            }
            None => (watched(Box::new(io::stdout())), io::stdout().is_terminal()),
        };
        Ok(Self {
            writer,
            to_terminal,
            closed,
        })
    }

    /// Whether the sink is an interactive terminal.
    pub fn is_terminal(&self) -> bool {
        self.to_terminal
    }

    /// Writes one statement's result.
    pub fn write_result(
        &mut self,
        batches: &[RecordBatch],
        format: Format,
        max_rows: usize,
    ) -> io::Result<()> {
        let written = self.write_batches(batches, format, max_rows);
        match written {
            Err(_) if self.closed.load(Ordering::Relaxed) => {
                Err(io::ErrorKind::BrokenPipe.into())
            }
            other => other,
        }
    }

    fn write_batches(
        &mut self,
        batches: &[RecordBatch],
        format: Format,
        max_rows: usize,
    ) -> io::Result<()> {
        match format {
            Format::Table => self.write_table(batches, max_rows),
            Format::Csv => {
                let mut writer = arrow::csv::WriterBuilder::new()
                    .with_header(true)
                    .build(&mut self.writer);
                batches
                    .iter()
                    .try_for_each(|b| writer.write(&nested_as_text(b)?))
                    .map_err(io::Error::other)
            }
            Format::Json => {
                // NULLs are written as `null`, so every row has every column.
                let mut writer = arrow::json::WriterBuilder::new()
                    .with_explicit_nulls(true)
                    .build::<_, arrow::json::writer::JsonArray>(&mut self.writer);
                batches
                    .iter()
                    .try_for_each(|b| writer.write(b))
                    .map_err(io::Error::other)?;
                writer.finish().map_err(io::Error::other)?;
                writeln!(self.writer)
            }
            Format::Ndjson => {
                let mut writer = arrow::json::WriterBuilder::new()
                    .with_explicit_nulls(true)
                    .build::<_, arrow::json::writer::LineDelimited>(&mut self.writer);
                batches
                    .iter()
                    .try_for_each(|b| writer.write(b))
                    .map_err(io::Error::other)?;
                writer.finish().map_err(io::Error::other)
            }
            Format::Parquet => {
                let Some(first) = batches.first() else {
                    return Ok(());
                };
                let mut writer =
                    ArrowWriter::try_new(&mut self.writer, first.schema(), None)
                        .map_err(io::Error::other)?;
                batches
                    .iter()
                    .try_for_each(|b| writer.write(b))
                    .map_err(io::Error::other)?;
                writer.close().map_err(io::Error::other).map(|_| ())
            }
        }
    }

    fn write_table(
        &mut self,
        batches: &[RecordBatch],
        max_rows: usize,
    ) -> io::Result<()> {
        let total: usize = batches.iter().map(RecordBatch::num_rows).sum();
        if batches.is_empty() || batches[0].num_columns() == 0 {
            return Ok(());
        }
        let shown = if max_rows == 0 {
            total
        } else {
            total.min(max_rows)
        };
        let mut kept = Vec::new();
        let mut left = shown;
        for batch in batches {
            if left == 0 {
                break;
            }
            let take = left.min(batch.num_rows());
            kept.push(batch.slice(0, take));
            left -= take;
        }
        if kept.is_empty() {
            kept.push(batches[0].slice(0, 0));
        }
        let table = pretty_format_batches(&kept).map_err(io::Error::other)?;
        writeln!(self.writer, "{table}")?;
        if shown < total {
            writeln!(
                self.writer,
                "({shown} of {total} rows shown; --max-rows 0 shows all)"
            )?;
        } else {
            writeln!(
                self.writer,
                "({total} row{})",
                if total == 1 { "" } else { "s" }
            )?;
        }
        Ok(())
    }

    /// Writes plain text.
    pub fn write_text(&mut self, text: &str) -> io::Result<()> {
        self.writer.write_all(text.as_bytes())
    }

    /// Flushes buffered output.
    pub fn flush(&mut self) -> io::Result<()> {
        self.writer.flush()
    }
}

/// Prints text to standard output; a closed pipe ends quietly.
pub fn print_text(text: &str) -> Result<ExitCode, String> {
    let mut sink = Sink::open(None)?;
    finish_io(sink.write_text(text).and_then(|()| sink.flush()))
}

/// `batch` with every nested column (lists, structs, maps), which CSV has no
/// form for, turned into text as the table format shows it: `[a, b]`,
/// `{k: 1}`. NULLs stay empty cells.
fn nested_as_text(batch: &RecordBatch) -> Result<RecordBatch, ArrowError> {
    if !batch.columns().iter().any(|c| c.data_type().is_nested()) {
        return Ok(batch.clone());
    }
    let options = FormatOptions::default();
    let mut fields = Vec::with_capacity(batch.num_columns());
    let mut columns = Vec::with_capacity(batch.num_columns());
    for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
        if !column.data_type().is_nested() {
            fields.push(Arc::clone(field));
            columns.push(Arc::clone(column));
            continue;
        }
        let formatter = ArrayFormatter::try_new(column.as_ref(), &options)?;
        let text: StringArray = (0..column.len())
            .map(|i| column.is_valid(i).then(|| formatter.value(i).to_string()))
            .collect();
        fields.push(Arc::new(Field::new(field.name(), DataType::Utf8, true)));
        columns.push(Arc::new(text) as ArrayRef);
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
}

/// Maps an output error to the process result: a reader that went away
/// (`| head`) is not an error, anything else is.
pub fn finish_io(result: io::Result<()>) -> Result<ExitCode, String> {
    match result {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        Err(e) => Err(format!("cannot write output: {e}")),
    }
}

/// A progress bar on standard error, shown only on a terminal.
pub struct Bar(ProgressBar);

impl Bar {
    /// A bar that is hidden unless standard error is a terminal.
    pub fn new() -> Self {
        let bar = if io::stderr().is_terminal() {
            ProgressBar::new(0)
        } else {
            ProgressBar::hidden()
        };
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} [{bar:30}] {pos}/{len} {msg} ({elapsed})",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        Self(bar)
    }

    /// Sets the number of steps.
    pub fn set_length(&self, steps: u64) {
        self.0.set_length(steps);
    }

    /// Moves to the next step.
    pub fn advance(&self, message: &str) {
        if !self.0.message().is_empty() {
            self.0.inc(1);
        }
        self.0.set_message(message.to_string());
    }

    /// Removes the bar.
    pub fn done(&self) {
        self.0.finish_and_clear();
    }
}
