//! Helpers shared by the CLI test files.

#![allow(dead_code, clippy::unwrap_used)] // each test file uses some; unwraps fail tests

use std::process::{Command, Output};

pub fn lakecast(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lakecast"))
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("the lakecast binary runs")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).to_string()
}

/// A fresh scale-0.01 lake in a temporary folder.
pub fn lake() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lake").to_string_lossy().to_string();
    let out = lakecast(&["gen", "--out", &path, "--scale", "0.01", "--seed", "3"]);
    assert!(out.status.success(), "gen failed: {}", text(&out.stderr));
    (dir, path)
}

pub fn assert_clean_failure(out: &Output) {
    assert_eq!(out.status.code(), Some(1), "stderr: {}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
        "{stderr}"
    );
}
