//! Writing generated tables as Parquet into the lake's object store.

use datafusion::arrow::array::RecordBatch;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::basic::Compression;
use datafusion::parquet::file::properties::WriterProperties;
use object_store::ObjectStoreExt;

use super::TableData;
use crate::contract::TABLES;
use crate::error::LakeError;
use crate::location::LakeLocation;

/// Rows per file; larger tables are split into several parts.
const ROWS_PER_FILE: usize = 1 << 20;
/// Rows per row group: small enough for statistics to prune well.
const ROWS_PER_GROUP: usize = 128 * 1024;

/// Makes sure the output folder can take a new lake: it must be absent or
/// empty, or `replace` must be set, in which case contract tables and the
/// generator marker are removed first (other files are left alone).
pub async fn prepare_folder(
    location: &LakeLocation,
    replace: bool,
) -> Result<(), LakeError> {
    let occupied = match location.local_root() {
        Some(root) => {
            std::fs::create_dir_all(root).map_err(|e| LakeError::InvalidLocation {
                location: location.display().to_string(),
                reason: format!("cannot create the folder: {e}"),
            })?;
            std::fs::read_dir(root)
                .map_err(|e| LakeError::InvalidLocation {
                    location: location.display().to_string(),
                    reason: format!("cannot read the folder: {e}"),
                })?
                .next()
                .is_some()
        }
        None => location.is_occupied().await?,
    };
    if occupied && !replace {
        return Err(LakeError::InvalidLocation {
            location: location.display().to_string(),
            reason: "the folder is not empty; pass --replace to overwrite the lake \
                     tables in it"
                .into(),
        });
    }
    if replace {
        for table in TABLES {
            remove_prefix(location, table.name).await?;
        }
        remove_prefix(location, super::MARKER_FILE).await?;
    }
    Ok(())
}

async fn remove_prefix(location: &LakeLocation, relative: &str) -> Result<(), LakeError> {
    let prefix = location.path(relative);
    let store = location.store();
    for object in location.list(&prefix).await? {
        store
            .delete(&object.location)
            .await
            .map_err(|source| LakeError::Store {
                action: "cannot delete",
                path: location.describe(&object.location),
                source,
            })?;
    }
    if let Some(root) = location.local_root() {
        // Local stores leave empty folders behind; a lake should not.
        let _ = std::fs::remove_dir_all(root.join(relative));
    }
    Ok(())
}

/// Writes one table; returns the number of files written.
pub async fn write_table(
    location: &LakeLocation,
    table: &TableData,
) -> Result<usize, LakeError> {
    let mut files = 0;
    for (partition, batch) in &table.parts {
        let folder = match partition {
            Some(p) => format!("{}/{p}", table.spec.name),
            None => table.spec.name.to_string(),
        };
        let mut offset = 0;
        let mut part = 0;
        while offset < batch.num_rows() || (offset == 0 && part == 0) {
            let len = ROWS_PER_FILE.min(batch.num_rows() - offset);
            let path = location.path(&format!("{folder}/part-{part:05}.parquet"));
            let bytes =
                encode(&batch.slice(offset, len)).map_err(|source| LakeError::Write {
                    path: location.describe(&path),
                    source,
                })?;
            location.put(&path, bytes).await?;
            offset += len;
            part += 1;
            files += 1;
        }
    }
    Ok(files)
}

pub(crate) fn encode(
    batch: &RecordBatch,
) -> Result<Vec<u8>, datafusion::parquet::errors::ParquetError> {
    let properties = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(ROWS_PER_GROUP))
        .set_created_by("lakecast gen".to_string())
        .build();
    let mut out = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut out, batch.schema(), Some(properties))?;
    writer.write(batch)?;
    writer.close()?;
    Ok(out)
}
