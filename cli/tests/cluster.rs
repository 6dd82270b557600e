//! The same SQL on a Ballista cluster: a scheduler and two executors on
//! loopback run every example with the same results as a local session,
//! and losing an executor mid-query gives the user a clear outcome.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test here

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{
    Running, canonical_csv, example_files, free_port_pair, lake, lakecast, spawn, text,
    wait_for_port,
};

struct Cluster {
    url: String,
    _scheduler: Running,
    executors: Vec<Running>,
}

fn start_cluster(dir: &Path, executors: usize) -> Cluster {
    let port = free_port_pair();
    let bind = format!("127.0.0.1:{port}");
    let scheduler = spawn(
        &["cluster", "scheduler", "--bind", &bind],
        &dir.join("scheduler.log"),
    );
    wait_for_port(port, "the scheduler");
    let executors = (0..executors)
        .map(|i| {
            let own = free_port_pair();
            let work = dir.join(format!("executor-{i}"));
            std::fs::create_dir_all(&work).unwrap();
            let running = spawn(
                &[
                    "cluster",
                    "executor",
                    "--scheduler",
                    &bind,
                    "--bind",
                    &format!("127.0.0.1:{own}"),
                    "--slots",
                    "2",
                    "--work-dir",
                    &work.to_string_lossy(),
                ],
                &dir.join(format!("executor-{i}.log")),
            );
            wait_for_port(own, "an executor");
            running
        })
        .collect();
    Cluster {
        url: format!("df://{bind}"),
        _scheduler: scheduler,
        executors,
    }
}

fn csv(args: &[&str]) -> String {
    let out = lakecast(args);
    assert!(
        out.status.success(),
        "lakecast {args:?} failed: {}",
        text(&out.stderr)
    );
    text(&out.stdout)
}

#[test]
fn every_example_gives_the_same_rows_on_the_cluster_and_a_lost_executor_is_reported() {
    let (dir, lake) = lake();
    let mut cluster = start_cluster(dir.path(), 2);
    let url = cluster.url.clone();

    // Executors register with the scheduler shortly after they listen.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let out = lakecast(&["sql", "--cluster", &url, "-c", "SELECT 1 AS one"]);
        if out.status.success() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "cluster never answered: {}",
            text(&out.stderr)
        );
        std::thread::sleep(Duration::from_millis(500));
    }

    for (name, path) in example_files() {
        let local = csv(&["sql", "--lake", &lake, "-f", &path, "--format", "csv"]);
        let remote = csv(&[
            "sql",
            "--cluster",
            &url,
            "--lake",
            &lake,
            "-f",
            &path,
            "--format",
            "csv",
        ]);
        assert!(local.lines().count() > 1, "{name} printed no rows");
        assert_eq!(
            canonical_csv(&remote),
            canonical_csv(&local),
            "{name} differs on the cluster"
        );
    }

    // The forecast heatmap on the cluster over a lake in S3, when the test
    // command started its S3 server (executors read the same AWS variables).
    if let Ok(bucket) = std::env::var("LAKECAST_TEST_S3_BUCKET") {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let s3 = format!("s3://{bucket}/cluster-{nanos}");
        csv(&["gen", "--out", &s3, "--scale", "0.01", "--seed", "3"]);
        let heatmap = example_files()
            .into_iter()
            .find(|(name, _)| name == "05_forecast_heatmap.sql")
            .unwrap()
            .1;
        let on_s3 = csv(&[
            "sql",
            "--cluster",
            &url,
            "--lake",
            &s3,
            "-f",
            &heatmap,
            "--format",
            "csv",
        ]);
        let here = csv(&["sql", "--lake", &lake, "-f", &heatmap, "--format", "csv"]);
        assert_eq!(canonical_csv(&on_s3), canonical_csv(&here));
    }

    // Kill one executor while a query with a shuffle is running on both.
    // (Table functions such as generate_series cannot be sent to a
    // cluster, so the work comes from the lake: 18k signals x 1000 deals,
    // about 4 s on one machine.)
    let query = "SELECT count(DISTINCT (s.event_id * 1000 + o.opportunity_id) % 1000003) \
                 AS n FROM customer_signals s CROSS JOIN opportunities o";
    let expected = csv(&["sql", "--lake", &lake, "-c", query, "--format", "csv"]);
    let started = std::process::Command::new(env!("CARGO_BIN_EXE_lakecast"))
        .args([
            "sql",
            "--cluster",
            &url,
            "--lake",
            &lake,
            "-c",
            query,
            "--format",
            "csv",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let mut lost = cluster.executors.pop().unwrap();
    lost.0.kill().unwrap();
    let out = started.wait_with_output().unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    println!(
        "after losing an executor: exit {:?}\n{stdout}{stderr}",
        out.status.code()
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    if out.status.success() {
        // The scheduler ran the lost tasks again on the other executor.
        assert_eq!(stdout, expected);
    } else {
        assert_eq!(out.status.code(), Some(1));
        assert!(stderr.starts_with("error: "), "{stderr}");
    }

    // The remaining executor still serves queries.
    let probe = "SELECT weighted_win_rate(0.5, 0.15) AS p";
    let after = csv(&["sql", "--cluster", &url, "-c", probe, "--format", "csv"]);
    assert_eq!(after, csv(&["sql", "-c", probe, "--format", "csv"]));
    assert!(after.starts_with("p\n0.53488372093"), "{after}");
}

#[test]
fn cluster_urls_and_addresses_are_checked() {
    let out = lakecast(&["sql", "--cluster", "http://x:1", "-c", "SELECT 1"]);
    common::assert_clean_failure(&out);
    assert!(
        text(&out.stderr).contains("df://HOST:PORT"),
        "{}",
        text(&out.stderr)
    );
    let out = lakecast(&["cluster", "executor", "--scheduler", "nowhere"]);
    common::assert_clean_failure(&out);
    assert!(
        text(&out.stderr).contains("HOST:PORT"),
        "{}",
        text(&out.stderr)
    );
}
