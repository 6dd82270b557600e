//! Opening a lake: check it against the contract, then register every table
//! in a DataFusion session.

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::error::ArrowError;
use datafusion::catalog::TableProvider;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{ListingOptions, ListingTable, ListingTableConfig};
use datafusion::datasource::physical_plan::parquet::{
    transform_binary_to_string, transform_schema_to_view,
};
use datafusion::prelude::SessionContext;

use crate::check::{FileFacts, Inspection, TableFacts, inspect};
use crate::error::LakeError;
use crate::location::LakeLocation;

/// A lake that met the contract when it was opened.
#[derive(Debug, Clone)]
pub struct Lake {
    location: LakeLocation,
    tables: Vec<TableFacts>,
}

impl Lake {
    /// Opens the lake at `location` (a folder or URL) and checks it; a lake
    /// that misses the contract is refused with every problem listed.
    pub async fn open(location: &str) -> Result<Self, LakeError> {
        let location = LakeLocation::parse(location)?;
        let Inspection { tables, problems } = inspect(&location, false).await?;
        if !problems.is_empty() {
            return Err(LakeError::Contract {
                location: location.display().to_string(),
                problems,
            });
        }
        tracing::info!(
            lake = location.display(),
            tables = tables.len(),
            "lake opened"
        );
        Ok(Self { location, tables })
    }

    /// Where the lake lives.
    pub fn location(&self) -> &LakeLocation {
        &self.location
    }

    /// Number of Parquet files and their total size in bytes.
    pub fn size(&self) -> (usize, u64) {
        self.tables
            .iter()
            .flat_map(|t| &t.files)
            .fold((0, 0), |(n, bytes), f| (n + 1, bytes + f.meta.size))
    }

    /// Registers the lake's object store and every table in `ctx`.
    pub async fn register(&self, ctx: &SessionContext) -> Result<(), LakeError> {
        for (name, provider) in self.tables(ctx).await? {
            ctx.register_table(name, provider)?;
        }
        Ok(())
    }

    /// Registers the lake's object store in `ctx` and returns one table
    /// provider per lake table, to register as they are or behind a filter.
    pub async fn tables(
        &self,
        ctx: &SessionContext,
    ) -> Result<Vec<(&'static str, Arc<dyn TableProvider>)>, LakeError> {
        let store_url = self.location.object_store_url();
        ctx.register_object_store(store_url.as_ref(), Arc::clone(self.location.store()));
        let mut providers = Vec::with_capacity(self.tables.len());
        for table in &self.tables {
            providers.push((table.spec.name, self.table_provider(ctx, table).await?));
        }
        Ok(providers)
    }

    async fn table_provider(
        &self,
        ctx: &SessionContext,
        table: &TableFacts,
    ) -> Result<Arc<dyn TableProvider>, LakeError> {
        let spec = table.spec;
        let partition_cols: Vec<(String, DataType)> = table
            .partition_columns()
            .into_iter()
            .map(|name| {
                let data_type = spec
                    .column(&name)
                    .map_or(DataType::Utf8, |c| c.kind.canonical_type());
                (name, data_type)
            })
            .collect();
        let options = ListingOptions::new(Arc::new(ParquetFormat::default()))
            .with_file_extension(".parquet")
            .with_table_partition_cols(partition_cols);
        let url = self.location.table_url(spec.name)?;

        // The schema DataFusion's own inference would give, built from the
        // footers the contract check already read (inference would read
        // every footer again: a fifth of a small query's time at scale 10).
        // Files that disagree on a column's width (Int32 here, Int64 there)
        // cannot be merged, and then the contract's canonical types unify
        // them.
        let schema = match inferred_schema(ctx, table) {
            Ok(schema) => all_nullable(&schema),
            Err(e) => {
                tracing::debug!(table = spec.name, error = %e, "schemas differ across files");
                unified_schema(table)
            }
        };
        let config = ListingTableConfig::new(url)
            .with_listing_options(options)
            .with_schema(schema);
        Ok(Arc::new(ListingTable::try_new(config)?))
    }
}

/// The table's schema as DataFusion's Parquet schema inference makes it
/// (files in path order, metadata dropped, the session's choice of string
/// views and binary-as-string), from the schemas the checker read.
fn inferred_schema(
    ctx: &SessionContext,
    table: &TableFacts,
) -> Result<SchemaRef, ArrowError> {
    let mut files: Vec<&FileFacts> = table.files.iter().collect();
    files.sort_unstable_by(|a, b| a.meta.location.cmp(&b.meta.location));
    let schemas = files.iter().map(|file| match &file.schema {
        Some(schema) => Ok(Schema::new(schema.fields().clone())),
        None => Err(ArrowError::SchemaError(format!(
            "the footer of {} was not read",
            file.meta.location
        ))),
    });
    let schema = Schema::try_merge(schemas.collect::<Result<Vec<_>, _>>()?)?;
    let state = ctx.state();
    let parquet = &state.config_options().execution.parquet;
    let schema = if parquet.binary_as_string {
        transform_binary_to_string(&schema)
    } else {
        schema
    };
    let schema = if parquet.schema_force_view_types {
        transform_schema_to_view(&schema)
    } else {
        schema
    };
    Ok(Arc::new(schema))
}

/// `schema` with every column nullable. Whether a column may hold NULLs
/// is the contract's business, checked by `lakecast check`; a file that
/// declares a column required must not make plans assume it. (An outer
/// join's filter over such a column fails in DataFusion 55's sort-merge
/// join, the join Ballista prefers.)
fn all_nullable(schema: &SchemaRef) -> SchemaRef {
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| f.as_ref().clone().with_nullable(true))
        .collect();
    Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
}

/// One schema for files that disagree on physical types: contract columns
/// take their canonical type, other columns the first file's type.
fn unified_schema(table: &TableFacts) -> SchemaRef {
    let mut fields: Vec<Field> = Vec::new();
    let partitions = table.partition_columns();
    for file in &table.files {
        let Some(schema) = &file.schema else { continue };
        for field in schema.fields() {
            if fields.iter().any(|f| f.name() == field.name())
                || partitions.contains(field.name())
            {
                continue;
            }
            let field = match table.spec.column(field.name()) {
                Some(c) => Field::new(field.name(), c.kind.canonical_type(), true),
                None => field.as_ref().clone().with_nullable(true),
            };
            fields.push(field);
        }
    }
    Arc::new(Schema::new(fields))
}
