//! Checks a lake against the contract: every table present, every column
//! present with a type of the right kind, every Parquet file readable.
//!
//! The checker reads each file's footer (cheap, also on object stores);
//! `deep` additionally decodes every row so damaged data pages are found.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};
use datafusion::parquet::file::metadata::{
    FooterTail, ParquetMetaData, ParquetMetaDataReader,
};
use futures::StreamExt;
use object_store::{ObjectMeta, ObjectStoreExt};

use crate::contract::{Kind, TABLES, TableSpec};
use crate::error::LakeError;
use crate::location::LakeLocation;

/// How many files are read at once.
const CONCURRENT_FILES: usize = 16;

/// One way in which a lake misses the contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The table concerned.
    pub table: String,
    /// The file concerned, as the user would name it, if one is.
    pub file: Option<String>,
    /// The column concerned, if one is.
    pub column: Option<String>,
    /// What is wrong, with the expected and the found value where they apply.
    pub message: String,
    /// How many further files have the same problem.
    pub more_files: usize,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.table)?;
        if let Some(file) = &self.file {
            write!(f, ": {file}")?;
        }
        if let Some(column) = &self.column {
            write!(f, ": column `{column}`")?;
        }
        write!(f, ": {}", self.message)?;
        match self.more_files {
            0 => Ok(()),
            1 => write!(f, " (and 1 more file)"),
            n => write!(f, " (and {n} more files)"),
        }
    }
}

/// What the checker learned about one Parquet file.
#[derive(Debug, Clone)]
pub struct FileFacts {
    /// The object.
    pub meta: ObjectMeta,
    /// Hive partition `(column, value)` pairs from its folder names.
    pub partitions: Vec<(String, String)>,
    /// Its Arrow schema, when the footer could be read.
    pub schema: Option<SchemaRef>,
}

/// What the checker learned about one table.
#[derive(Debug, Clone)]
pub struct TableFacts {
    /// The contract entry.
    pub spec: &'static TableSpec,
    /// The Parquet files found.
    pub files: Vec<FileFacts>,
}

impl TableFacts {
    /// The Hive partition columns the table's files use, in folder order.
    pub fn partition_columns(&self) -> Vec<String> {
        self.files
            .first()
            .map(|f| f.partitions.iter().map(|(k, _)| k.clone()).collect())
            .unwrap_or_default()
    }
}

/// The result of checking a lake.
#[derive(Debug, Clone)]
pub struct Inspection {
    /// Facts per contract table, in contract order.
    pub tables: Vec<TableFacts>,
    /// Every problem found; empty when the lake meets the contract.
    pub problems: Vec<Problem>,
}

/// Checks the lake at `location`. Fails only when the lake cannot be looked
/// at at all; contract problems are returned in [`Inspection::problems`].
pub async fn inspect(
    location: &LakeLocation,
    deep: bool,
) -> Result<Inspection, LakeError> {
    location.require_exists().await?;
    let mut tables = Vec::with_capacity(TABLES.len());
    let mut problems = Vec::new();
    for spec in TABLES {
        let facts = inspect_table(location, spec, deep, &mut problems).await?;
        tables.push(facts);
    }
    tracing::debug!(problems = problems.len(), "lake checked");
    Ok(Inspection {
        tables,
        problems: merge_repeats(problems),
    })
}

async fn inspect_table(
    location: &LakeLocation,
    spec: &'static TableSpec,
    deep: bool,
    problems: &mut Vec<Problem>,
) -> Result<TableFacts, LakeError> {
    let folder = location.path(spec.name);
    let objects = location.list(&folder).await?;
    let mut parquet: Vec<ObjectMeta> = objects
        .into_iter()
        .filter(|o| is_data_file(location, &o.location))
        .collect();
    parquet.sort_by(|a, b| a.location.cmp(&b.location));

    let problem = |file: Option<String>, column: Option<&str>, message: String| Problem {
        table: spec.name.to_string(),
        file,
        column: column.map(str::to_string),
        message,
        more_files: 0,
    };
    if parquet.is_empty() {
        problems.push(problem(
            None,
            None,
            format!(
                "missing table: no Parquet files under {}/",
                location.describe(&folder)
            ),
        ));
        return Ok(TableFacts {
            spec,
            files: Vec::new(),
        });
    }

    let files: Vec<(FileFacts, Vec<Problem>)> = futures::stream::iter(parquet)
        .map(|meta| inspect_file(location, spec, meta, deep))
        .buffered(CONCURRENT_FILES)
        .collect()
        .await;
    let mut facts = Vec::with_capacity(files.len());
    for (file, file_problems) in files {
        problems.extend(file_problems);
        facts.push(file);
    }
    let table = TableFacts { spec, files: facts };
    check_partition_layout(location, &table, problems);
    Ok(table)
}

/// Parquet files count; hidden and bookkeeping files (`.x`, `_x`) do not.
fn is_data_file(location: &LakeLocation, path: &object_store::path::Path) -> bool {
    let parts = location.relative(path);
    let hidden = parts
        .iter()
        .any(|p| p.starts_with('.') || p.starts_with('_'));
    !hidden && path.extension() == Some("parquet")
}

async fn inspect_file(
    location: &LakeLocation,
    spec: &'static TableSpec,
    meta: ObjectMeta,
    deep: bool,
) -> (FileFacts, Vec<Problem>) {
    let name = location.describe(&meta.location);
    let partitions = hive_partitions(&location.relative(&meta.location));
    let mut problems = Vec::new();
    let mut report = |column: Option<&str>, message: String| {
        problems.push(Problem {
            table: spec.name.to_string(),
            file: Some(name.clone()),
            column: column.map(str::to_string),
            message,
            more_files: 0,
        });
    };

    for (column, value) in &partitions {
        if let Some(c) = spec.column(column)
            && !partition_value_fits(c.kind, value)
        {
            report(
                Some(column),
                format!(
                    "partition folder `{column}={value}` is not a valid {}",
                    c.kind
                ),
            );
        }
    }

    let metadata = match read_footer(location, &meta).await {
        Ok(metadata) => metadata,
        Err(reason) => {
            report(None, format!("not a readable Parquet file ({reason})"));
            return (
                FileFacts {
                    meta,
                    partitions,
                    schema: None,
                },
                problems,
            );
        }
    };
    let schema = Arc::clone(metadata.schema());

    for column in spec.columns {
        let in_folder = partitions.iter().any(|(k, _)| k == column.name);
        match schema.field_with_name(column.name) {
            Ok(_) if in_folder => report(
                Some(column.name),
                "is both a partition folder and a column in the file".into(),
            ),
            Ok(field) if !column.kind.accepts(field.data_type()) => report(
                Some(column.name),
                format!("expected {}, found {}", column.kind, field.data_type()),
            ),
            Ok(_) if !column.nullable => {
                let nulls = null_count(metadata.metadata(), column.name);
                if nulls > 0 {
                    report(
                        Some(column.name),
                        format!("has {nulls} NULL values; the contract allows none"),
                    );
                }
            }
            Ok(_) => {}
            Err(_) if in_folder => {}
            Err(_) => report(
                Some(column.name),
                format!("missing (expected {})", column.kind),
            ),
        }
    }

    if deep && let Err(reason) = read_every_row(location, &meta, &metadata).await {
        report(None, format!("damaged Parquet data ({reason})"));
    }
    (
        FileFacts {
            meta,
            partitions,
            schema: Some(schema),
        },
        problems,
    )
}

/// Reads and decodes a file's footer with two ranged reads.
async fn read_footer(
    location: &LakeLocation,
    meta: &ObjectMeta,
) -> Result<ArrowReaderMetadata, String> {
    const TAIL: u64 = 8;
    if meta.size < 12 {
        return Err(format!(
            "{} bytes is too small for a Parquet file",
            meta.size
        ));
    }
    let store = location.store();
    let tail = store
        .get_range(&meta.location, meta.size - TAIL..meta.size)
        .await
        .map_err(|e| e.to_string())?;
    let tail: [u8; 8] = tail
        .as_ref()
        .try_into()
        .map_err(|_| "short read".to_string())?;
    let footer = FooterTail::try_new(&tail).map_err(|e| e.to_string())?;
    if footer.is_encrypted_footer() {
        return Err("encrypted Parquet files are not supported".into());
    }
    let length = footer.metadata_length() as u64;
    if length + TAIL + 4 > meta.size {
        return Err(format!(
            "the footer announces {length} bytes of metadata but the file has {} bytes",
            meta.size
        ));
    }
    let bytes = store
        .get_range(&meta.location, meta.size - TAIL - length..meta.size - TAIL)
        .await
        .map_err(|e| e.to_string())?;
    let metadata =
        ParquetMetaDataReader::decode_metadata(&bytes).map_err(|e| e.to_string())?;
    ArrowReaderMetadata::try_new(Arc::new(metadata), ArrowReaderOptions::new())
        .map_err(|e| e.to_string())
}

/// NULLs in a top-level column, from the row-group statistics (0 when the
/// writer kept no statistics).
fn null_count(metadata: &ParquetMetaData, column: &str) -> u64 {
    let descr = metadata.file_metadata().schema_descr();
    let Some(index) =
        (0..descr.num_columns()).find(|&i| descr.column(i).path().string() == column)
    else {
        return 0;
    };
    metadata
        .row_groups()
        .iter()
        .filter_map(|rg| rg.column(index).statistics()?.null_count_opt())
        .sum()
}

/// Decodes every row of a file (loaded whole: the generator keeps files at
/// a million rows or fewer).
async fn read_every_row(
    location: &LakeLocation,
    meta: &ObjectMeta,
    metadata: &ArrowReaderMetadata,
) -> Result<(), String> {
    let bytes = location
        .store()
        .get(&meta.location)
        .await
        .map_err(|e| e.to_string())?
        .bytes()
        .await
        .map_err(|e| e.to_string())?;
    let reader =
        ParquetRecordBatchReaderBuilder::new_with_metadata(bytes, metadata.clone())
            .build()
            .map_err(|e| e.to_string())?;
    for batch in reader {
        batch.map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// `key=value` folder names between the table folder and the file name.
fn hive_partitions(relative: &[String]) -> Vec<(String, String)> {
    let folders = relative
        .get(1..relative.len().saturating_sub(1))
        .unwrap_or_default();
    folders
        .iter()
        .filter_map(|part| {
            let (key, value) = part.split_once('=')?;
            Some((key.to_string(), value.to_string()))
        })
        .collect()
}

fn partition_value_fits(kind: Kind, value: &str) -> bool {
    match kind {
        Kind::Integer => value.parse::<i64>().is_ok(),
        Kind::Number => value.parse::<f64>().is_ok(),
        Kind::Boolean => matches!(value, "true" | "false"),
        Kind::Date => chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").is_ok(),
        Kind::Timestamp | Kind::Text | Kind::TextList => true,
    }
}

fn check_partition_layout(
    location: &LakeLocation,
    table: &TableFacts,
    problems: &mut Vec<Problem>,
) {
    let expected = table.partition_columns();
    for file in &table.files {
        let found: Vec<String> = file.partitions.iter().map(|(k, _)| k.clone()).collect();
        if found != expected {
            let describe = |cols: &[String]| {
                if cols.is_empty() {
                    "none".to_string()
                } else {
                    cols.join("/")
                }
            };
            problems.push(Problem {
                table: table.spec.name.to_string(),
                file: Some(location.describe(&file.meta.location)),
                column: None,
                message: format!(
                    "partition folders ({}) differ from the table's first file ({})",
                    describe(&found),
                    describe(&expected)
                ),
                more_files: 0,
            });
        }
    }
}

/// Folds problems that repeat file after file into one line each.
fn merge_repeats(problems: Vec<Problem>) -> Vec<Problem> {
    const SHOWN: usize = 3;
    let mut seen: BTreeMap<(String, Option<String>, String), usize> = BTreeMap::new();
    let mut out: Vec<Problem> = Vec::with_capacity(problems.len());
    for problem in problems {
        let key = (
            problem.table.clone(),
            problem.column.clone(),
            problem.message.clone(),
        );
        let count = seen.entry(key).or_insert(0);
        *count += 1;
        if *count <= SHOWN {
            out.push(problem);
        } else if let Some(last) = out.iter_mut().rev().find(|p| {
            p.table == problem.table
                && p.column == problem.column
                && p.message == problem.message
        }) {
            last.more_files += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hive_folders_between_table_and_file_are_partitions() {
        let parts: Vec<String> = ["customer_signals", "month=2026-01", "part-0.parquet"]
            .map(String::from)
            .into();
        assert_eq!(
            hive_partitions(&parts),
            vec![("month".to_string(), "2026-01".to_string())]
        );
        let flat: Vec<String> = ["customers", "part-0.parquet"].map(String::from).into();
        assert!(hive_partitions(&flat).is_empty());
    }

    #[test]
    fn partition_values_are_checked_against_the_column_kind() {
        assert!(partition_value_fits(Kind::Date, "2026-01-31"));
        assert!(!partition_value_fits(Kind::Date, "2026-13-01"));
        assert!(!partition_value_fits(Kind::Integer, "x"));
    }

    #[test]
    fn repeated_problems_fold_into_one_line_after_three() {
        let p = |file: &str| Problem {
            table: "t".into(),
            file: Some(file.into()),
            column: Some("c".into()),
            message: "missing (expected integer)".into(),
            more_files: 0,
        };
        let merged = merge_repeats((0..10).map(|i| p(&format!("f{i}"))).collect());
        assert_eq!(merged.len(), 3);
        assert_eq!(merged[2].more_files, 7);
        assert_eq!(
            merged[2].to_string(),
            "t: f2: column `c`: missing (expected integer) (and 7 more files)"
        );
    }
}
