//! Opening a lake: check it against the contract, then register every table
//! in a DataFusion session.

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::TableProvider;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{ListingOptions, ListingTable, ListingTableConfig};
use datafusion::prelude::SessionContext;

use crate::check::{Inspection, TableFacts, inspect};
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

        // DataFusion's own inference keeps its string-view settings; files
        // that disagree on a column's width (Int32 here, Int64 there) make it
        // fail, and then the contract's canonical types unify them.
        let schema = match options.infer_schema(&ctx.state(), &url).await {
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
