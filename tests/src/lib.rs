//! Shared pieces of Lakecast's integration tests: a generated test lake and
//! a SQL logic test database over it.

mod slt;

pub use slt::LakeDb;

use lakecast_core::generator::{GenOptions, Silent, generate};

/// Scale of the lake the SQL logic tests run on: a few thousand rows.
pub const TEST_LAKE: GenOptions = GenOptions {
    scale: 0.01,
    seed: 42,
};

/// Generates the test lake into a fresh temporary folder.
pub async fn test_lake() -> Result<tempfile::TempDir, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let path = dir.path().to_string_lossy().to_string();
    generate(&path, TEST_LAKE, true, &Silent)
        .await
        .map_err(|e| e.to_string())?;
    Ok(dir)
}
