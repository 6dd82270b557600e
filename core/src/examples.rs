//! The SQL examples of `sql-examples/`, built into the binary so that
//! `lakecast demo` and `lakecast.examples()` in Python work wherever
//! Lakecast is installed.

/// An example's file name and its SQL, read at compile time.
macro_rules! example {
    ($name:literal) => {
        ($name, include_str!(concat!("../../sql-examples/", $name)))
    };
}

/// `(file name, SQL)` of every example, in the order the demo runs them.
pub const EXAMPLES: &[(&str, &str)] = &[
    example!("00_lake_overview.sql"),
    example!("01_open_pipeline.sql"),
    example!("02_what_drives_wins.sql"),
    example!("03_rep_load.sql"),
    example!("04_canvas_win_rate.sql"),
    example!("05_forecast_heatmap.sql"),
    example!("06_slack_alerts.sql"),
    example!("07_forecast_review.sql"),
    example!("08_team_matching.sql"),
    example!("09_health_model.sql"),
    example!("10_customer_lifetime_value.sql"),
    example!("11_learned_win_model.sql"),
];

/// The title of an example: its first comment line up to the first colon.
pub fn title(sql: &str) -> &str {
    let first = sql
        .lines()
        .find_map(|line| line.trim().strip_prefix("--"))
        .unwrap_or("");
    first.split(':').next().unwrap_or(first).trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_in_sql_examples_is_built_in() {
        let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/../sql-examples");
        let mut files: Vec<String> = std::fs::read_dir(folder)
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|name| name.ends_with(".sql"))
            .collect();
        files.sort();
        let built_in: Vec<String> = EXAMPLES.iter().map(|(n, _)| n.to_string()).collect();
        assert_eq!(files, built_in);
        for (name, sql) in EXAMPLES {
            assert!(!title(sql).is_empty(), "{name} needs a title comment");
        }
    }
}
