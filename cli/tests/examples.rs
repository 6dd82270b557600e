//! The SQL examples, the demo and the heatmap as a user runs them: every
//! example works on a generated lake and shows what the generator
//! guarantees.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test here

mod common;

use std::process::Command;

use common::{assert_clean_failure, lake, lakecast, text};

#[test]
fn demo_builds_then_reuses_its_lake_and_prints_every_example() {
    let cache = tempfile::tempdir().unwrap();
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_lakecast"))
            .arg("demo")
            .env("LAKECAST_CACHE_DIR", cache.path())
            .output()
            .unwrap()
    };
    let first = run();
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert!(text(&first.stderr).contains("building the demo lake"));
    let stdout = text(&first.stdout);
    for heading in [
        "== Lake overview",
        "== Open pipeline by stage",
        "== What drives wins",
    ] {
        assert!(
            stdout.contains(heading),
            "{heading} missing from:\n{stdout}"
        );
    }
    let second = run();
    assert!(second.status.success());
    let picture = cache.path().join("forecast-heatmap.png");
    assert_eq!(&std::fs::read(&picture).unwrap()[1..4], b"PNG");

    // The README's example query prints exactly the output shown there.
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
            .unwrap();
    let block = |fence: &str| {
        let start = readme.find(fence).unwrap() + fence.len();
        readme[start..start + readme[start..].find("```").unwrap()].to_string()
    };
    let lake = cache.path().join("demo-lake-v1");
    let shown = lakecast(&[
        "sql",
        "--lake",
        &lake.to_string_lossy(),
        "-c",
        &block("```sql\n"),
    ]);
    assert_eq!(
        text(&shown.stdout),
        block("```text\n"),
        "{}",
        text(&shown.stderr)
    );
    assert!(
        text(&second.stderr).contains("using the demo lake"),
        "{}",
        text(&second.stderr)
    );
    assert_eq!(text(&first.stdout), text(&second.stdout));
}

#[test]
fn heatmap_draws_png_and_svg_and_names_bad_input() {
    let (dir, lake) = lake();
    let examples = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../sql-examples/05_forecast_heatmap.sql"
    );
    let png = dir.path().join("h.png");
    let out = lakecast(&[
        "heatmap",
        "--lake",
        &lake,
        "-f",
        examples,
        "--out",
        &png.to_string_lossy(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with("heatmap of "),
        "{}",
        text(&out.stdout)
    );
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[1..4], b"PNG");

    let svg = dir.path().join("h.svg");
    let query = "SELECT 'north' AS region, '2026-Q4' AS cycle, 0.42 AS p";
    let out = lakecast(&[
        "heatmap",
        "-c",
        query,
        "--out",
        &svg.to_string_lossy(),
        "--title",
        "T",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let drawn = std::fs::read_to_string(&svg).unwrap();
    assert!(
        drawn.contains(">42%<") && drawn.contains(">north<") && drawn.contains(">T<")
    );

    let two = lakecast(&[
        "heatmap",
        "-c",
        "SELECT 1 AS a, 2 AS b",
        "--out",
        "/tmp/x.svg",
    ]);
    assert_clean_failure(&two);
    assert!(
        text(&two.stderr).contains("needs three columns"),
        "{}",
        text(&two.stderr)
    );
    let words = lakecast(&[
        "heatmap",
        "-c",
        "SELECT 'a', 'b', 'c' AS v",
        "--out",
        "/tmp/x.svg",
    ]);
    assert_clean_failure(&words);
    assert!(
        text(&words.stderr).contains("third column `v`"),
        "{}",
        text(&words.stderr)
    );
    let ext = lakecast(&["heatmap", "-c", query, "--out", "/tmp/x.gif"]);
    assert_clean_failure(&ext);
    assert!(text(&ext.stderr).contains("must end in .png or .svg"));
}

/// Runs an example as JSON and returns the rows of each statement that
/// returned any (so a leading CREATE VIEW is not counted).
fn example_rows(lake: &str, name: &str) -> Vec<Vec<serde_json::Value>> {
    let file = format!("{}/../sql-examples/{name}", env!("CARGO_MANIFEST_DIR"));
    let out = lakecast(&["sql", "--lake", lake, "-f", &file, "--format", "json"]);
    assert!(out.status.success(), "{name}: {}", text(&out.stderr));
    text(&out.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(
            |l| match serde_json::from_str::<serde_json::Value>(l).unwrap() {
                serde_json::Value::Array(rows) => rows,
                other => vec![other],
            },
        )
        .filter(|rows| !rows.is_empty())
        .collect()
}

fn num(row: &serde_json::Value, column: &str) -> f64 {
    row[column]
        .as_f64()
        .unwrap_or_else(|| panic!("{column} in {row}"))
}

#[test]
fn every_example_runs_and_shows_what_the_generator_guarantees() {
    let (_dir, lake) = lake();
    let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/../sql-examples");
    let mut names: Vec<String> = std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".sql"))
        .collect();
    names.sort();
    for name in &names {
        let results = example_rows(&lake, name);
        assert!(
            results.iter().any(|rows| !rows.is_empty()),
            "{name} returned no rows"
        );
    }

    // Legal review and spec-sheet reading win more; overloaded reps less.
    let wins = &example_rows(&lake, "02_what_drives_wins.sql")[0];
    let rate = |signal: &str| {
        let row = wins.iter().find(|r| r["signal"] == signal).unwrap();
        (num(row, "win_rate_with"), num(row, "win_rate_without"))
    };
    let (with, without) = rate("legal_reviewing");
    assert!(with > without, "legal review {with} vs {without}");
    let (with, without) = rate("rep_over_8_accounts");
    assert!(with < without, "overloaded reps {with} vs {without}");

    let load = &example_rows(&lake, "03_rep_load.sql")[0][0];
    let increase = num(load, "latency_increase");
    assert!(
        (0.3..0.55).contains(&increase),
        "latency increase {increase}"
    );

    for row in &example_rows(&lake, "05_forecast_heatmap.sql")[0] {
        let p = num(row, "win probability (amount-weighted)");
        assert!((0.0..=1.0).contains(&p), "{row}");
    }
    // Alerted regions really are under 15% slack, and fixing them helps.
    for row in &example_rows(&lake, "06_slack_alerts.sql")[0] {
        assert!(num(row, "slack") < 0.15, "{row}");
        assert!(num(row, "p_if_staffed") > num(row, "p_now"), "{row}");
    }
    let review = example_rows(&lake, "07_forecast_review.sql");
    for row in &review[0] {
        assert!(num(row, "brier") <= 0.35, "{row}");
    }
    for row in &review[1] {
        assert!(num(row, "deviation").abs() > 0.15, "{row}");
    }
    for row in &example_rows(&lake, "08_team_matching.sql")[0] {
        assert!(
            num(row, "pick") <= 3.0 && num(row, "free_hours") >= 8.0,
            "{row}"
        );
        assert!((0.0..=1.0).contains(&num(row, "coverage")), "{row}");
    }
    let health = example_rows(&lake, "09_health_model.sql");
    for row in &health[0] {
        let (band, score) = (row["band"].as_str().unwrap(), num(row, "avg_score"));
        match band {
            "red" => assert!(score < 50.0),
            "amber" => assert!((50.0..75.0).contains(&score)),
            _ => assert!(score >= 75.0),
        }
    }
    for row in &health[1] {
        assert_eq!(row["band"], "red");
    }

    // Both lifetime models converge; predictions for the held-out weeks
    // track what happened overall; the top list is ordered by value.
    let ltv = example_rows(&lake, "10_customer_lifetime_value.sql");
    let fits = &ltv[0][0];
    assert_eq!(fits["bgnbd_converged"], true, "{fits}");
    assert_eq!(fits["gamma_gamma_converged"], true, "{fits}");
    let weighted = |column: &str| {
        ltv[1]
            .iter()
            .map(|r| num(r, "customers") * num(r, column))
            .sum::<f64>()
    };
    let (predicted, actual) = (weighted("predicted"), weighted("actual"));
    assert!(
        (predicted / actual - 1.0).abs() < 0.3,
        "holdout purchases: predicted {predicted}, actual {actual}"
    );
    let values: Vec<f64> = ltv[2].iter().map(|r| num(r, "ltv_52w")).collect();
    assert!(values.windows(2).all(|w| w[0] >= w[1]), "{values:?}");
    for row in &ltv[2] {
        assert!((0.0..=1.0).contains(&num(row, "p_alive")), "{row}");
    }

    // The learned win model beats the canvas forecast on held-out deals.
    let win = example_rows(&lake, "11_learned_win_model.sql");
    assert_eq!(win[0][0]["converged"], true, "{}", win[0][0]);
    let score = |forecast: &str, column: &str| {
        let row = win[1].iter().find(|r| r["forecast"] == forecast).unwrap();
        num(row, column)
    };
    for measure in ["brier", "log_loss"] {
        let (learned, canvas) = (
            score("learned model", measure),
            score("canvas forecast", measure),
        );
        assert!(
            learned < canvas,
            "{measure}: learned {learned}, canvas {canvas}"
        );
    }
    for row in &win[2] {
        assert_eq!(
            row["top_factors"].as_array().map(Vec::len),
            Some(3),
            "{row}"
        );
    }
}
