//! Runs every `tests/slt/*.slt` file against a freshly generated test lake,
//! each file in its own session. Pass a word to run only matching files.

use std::path::PathBuf;
use std::process::ExitCode;

use lakecast_tests::{LakeDb, test_lake};
use sqllogictest::{Runner, strict_column_validator};

fn main() -> ExitCode {
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("cannot start tokio: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run_all(&filter))
}

async fn run_all(filter: &[String]) -> ExitCode {
    let lake = match test_lake().await {
        Ok(lake) => lake,
        Err(e) => {
            eprintln!("cannot generate the test lake: {e}");
            return ExitCode::FAILURE;
        }
    };
    let location = lake.path().to_string_lossy().to_string();
    let (mut passed, mut failed) = (0, 0);
    for file in slt_files() {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        if !filter.is_empty() && !filter.iter().any(|f| name.contains(f.as_str())) {
            continue;
        }
        let location = location.clone();
        let mut runner = Runner::new(move || {
            let location = location.clone();
            async move { LakeDb::open(&location).await }
        });
        runner.with_column_validator(strict_column_validator);
        match runner.run_file_async(&file).await {
            Ok(()) => {
                println!("ok     {name}");
                passed += 1;
            }
            Err(e) => {
                println!("FAILED {name}\n{e}\n");
                failed += 1;
            }
        }
    }
    println!("sqllogictests: {passed} passed, {failed} failed");
    if failed == 0 && passed > 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn slt_files() -> Vec<PathBuf> {
    let folder = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("slt");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "slt"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}
