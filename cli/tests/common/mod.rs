//! Helpers shared by the CLI test files.

#![allow(dead_code, clippy::unwrap_used)] // each test file uses some; unwraps fail tests

use std::process::{Command, Output};

pub fn lakecast(args: &[&str]) -> Output {
    lakecast_with(&[], args)
}

/// `lakecast ARGS` with extra environment variables.
pub fn lakecast_with(env: &[(&str, &str)], args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lakecast"))
        .args(args)
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
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

/// The SQL example files, as `(file name, path)`, in the order the demo runs them.
pub fn example_files() -> Vec<(String, String)> {
    let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/../sql-examples");
    let mut files: Vec<(String, String)> = std::fs::read_dir(folder)
        .unwrap()
        .filter_map(|e| {
            let path = e.ok()?.path();
            let name = path.file_name()?.to_string_lossy().to_string();
            name.ends_with(".sql")
                .then(|| (name, path.to_string_lossy().to_string()))
        })
        .collect();
    files.sort();
    files
}

/// A CSV result as sorted rows, numbers rounded to 9 significant digits,
/// so results of the same query agree however the engine split the work.
pub fn canonical_csv(csv: &str) -> Vec<String> {
    let round = |field: &str| match field.parse::<f64>() {
        Ok(v) if field.contains('.') || field.contains('e') => format!("{v:.9e}"),
        _ => field.to_string(),
    };
    let mut rows: Vec<String> = csv
        .lines()
        .map(|line| line.split(',').map(round).collect::<Vec<_>>().join(","))
        .collect();
    rows.sort();
    rows
}

/// A free loopback port whose next port is free too.
pub fn free_port_pair() -> u16 {
    loop {
        let first = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = first.local_addr().unwrap().port();
        if port < u16::MAX && std::net::TcpListener::bind(("127.0.0.1", port + 1)).is_ok()
        {
            return port;
        }
    }
}

/// A child process killed when dropped, so a failing test leaves no server.
pub struct Running(pub std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `lakecast ARGS` in the background, its output kept in `log`.
pub fn spawn(args: &[&str], log: &std::path::Path) -> Running {
    let file = std::fs::File::create(log).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_lakecast"))
        .args(args)
        .env("RUST_LOG", "info")
        .stdout(file.try_clone().unwrap())
        .stderr(file)
        .spawn()
        .unwrap();
    Running(child)
}

/// Waits until something listens on `port`, or fails the test.
pub fn wait_for_port(port: u16, what: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while std::time::Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("{what} did not listen on port {port} within 60 s");
}
