//! Lakes on S3-compatible storage, against the local S3 server the test
//! command starts (`scripts/s3-server.py`, which sets the AWS variables and
//! `LAKECAST_TEST_S3_BUCKET`): `gen` writes there, `check` and `sql` read
//! from there with the same results as a local lake, and a wrong key or a
//! missing bucket gives a clear error.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test here

mod common;

use common::{assert_clean_failure, canonical_csv, lakecast, lakecast_with, text};

/// The test bucket, or `None` (with a note) when no S3 server was started,
/// as when `cargo test` runs outside the test command.
fn bucket() -> Option<String> {
    let bucket = std::env::var("LAKECAST_TEST_S3_BUCKET").ok();
    if bucket.is_none() {
        eprintln!(
            "LAKECAST_TEST_S3_BUCKET is not set: run ./scripts/test-all.sh for S3 tests"
        );
    }
    bucket
}

/// A prefix no other test run uses.
fn fresh_prefix(bucket: &str, name: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("s3://{bucket}/{name}-{}-{nanos}", std::process::id())
}

#[test]
fn gen_check_and_sql_work_on_s3_as_on_a_folder() {
    let Some(bucket) = bucket() else { return };
    let lake = fresh_prefix(&bucket, "lake");
    let local = tempfile::tempdir().unwrap();
    let folder = local.path().join("lake").to_string_lossy().to_string();
    for out in [&lake, &folder] {
        let made = lakecast(&["gen", "--out", out, "--scale", "0.01", "--seed", "5"]);
        assert!(made.status.success(), "gen {out}: {}", text(&made.stderr));
    }

    let checked = lakecast(&["check", &lake]);
    assert!(checked.status.success(), "{}", text(&checked.stderr));
    assert!(text(&checked.stdout).starts_with(&format!("ok: {lake} meets the contract")));

    let heatmap = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../sql-examples/05_forecast_heatmap.sql"
    );
    let run = |where_: &str| {
        let out = lakecast(&["sql", "--lake", where_, "-f", heatmap, "--format", "csv"]);
        assert!(out.status.success(), "{where_}: {}", text(&out.stderr));
        text(&out.stdout)
    };
    let (remote, here) = (run(&lake), run(&folder));
    assert!(remote.lines().count() > 2, "{remote}");
    assert_eq!(canonical_csv(&remote), canonical_csv(&here));

    // A second gen into the same prefix must be asked for.
    let again = lakecast(&["gen", "--out", &lake, "--scale", "0.01"]);
    assert_clean_failure(&again);
    assert!(
        text(&again.stderr).contains("--replace"),
        "{}",
        text(&again.stderr)
    );
}

#[test]
fn wrong_keys_missing_buckets_and_empty_prefixes_are_named() {
    let Some(bucket) = bucket() else { return };
    let lake = fresh_prefix(&bucket, "keys");
    let made = lakecast(&["gen", "--out", &lake, "--scale", "0.01"]);
    assert!(made.status.success(), "{}", text(&made.stderr));

    let wrong = lakecast_with(
        &[
            ("AWS_ACCESS_KEY_ID", "AKIAWRONG"),
            ("AWS_SECRET_ACCESS_KEY", "wrong"),
        ],
        &["check", &lake],
    );
    assert_clean_failure(&wrong);
    let message = text(&wrong.stderr);
    assert!(
        message.contains(&lake) && message.contains("InvalidAccessKeyId"),
        "{message}"
    );

    let missing = "s3://no-such-bucket-for-lakecast/lake";
    let out = lakecast(&["sql", "--lake", missing, "-c", "SELECT 1"]);
    assert_clean_failure(&out);
    let message = text(&out.stderr);
    assert!(
        message.contains("no-such-bucket-for-lakecast")
            && message.contains("NoSuchBucket"),
        "{message}"
    );

    let empty = fresh_prefix(&bucket, "nothing");
    let out = lakecast(&["check", &empty]);
    assert_clean_failure(&out);
    assert!(
        text(&out.stderr).contains(&format!("no lake at `{empty}`")),
        "{}",
        text(&out.stderr)
    );
}
