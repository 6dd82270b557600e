//! The `lakecast` binary as a user runs it: exit codes, messages and
//! output formats, including every broken-lake error path.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test here

mod common;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{assert_clean_failure, lake, lakecast, text};
use std::sync::Arc;

use datafusion::arrow::array::{Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::parquet::arrow::ArrowWriter;

fn write_parquet(path: &Path, batch: &RecordBatch) {
    let file = std::fs::File::create(path).unwrap();
    let mut writer = ArrowWriter::try_new(file, batch.schema(), None).unwrap();
    writer.write(batch).unwrap();
    writer.close().unwrap();
}

fn only_file(folder: &Path) -> PathBuf {
    std::fs::read_dir(folder)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path()
}

#[test]
fn a_generated_lake_passes_check() {
    let (_dir, lake) = lake();
    let out = lakecast(&["check", &lake]);
    assert!(out.status.success(), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("meets the contract (12 tables"));
    let deep = lakecast(&["check", "--deep", &lake]);
    assert!(deep.status.success(), "{}", text(&deep.stdout));
}

#[test]
fn check_names_a_missing_lake_folder() {
    let out = lakecast(&["check", "/no/such/lake"]);
    assert_clean_failure(&out);
    assert!(
        text(&out.stderr).contains("no lake at `/no/such/lake`"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn check_lists_a_missing_table() {
    let (_dir, lake) = lake();
    std::fs::remove_dir_all(Path::new(&lake).join("transactions")).unwrap();
    let out = lakecast(&["check", &lake]);
    assert_clean_failure(&out);
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(
        stdout.starts_with("transactions: missing table: no Parquet files under"),
        "{stdout}"
    );
}

#[test]
fn check_names_file_column_expected_and_found_types() {
    let (_dir, lake) = lake();
    // customers without `segment`, and with `employees` as text.
    let file = only_file(&Path::new(&lake).join("customers"));
    let schema = Arc::new(Schema::new(vec![
        Field::new("customer_id", DataType::Int64, false),
        Field::new("name", DataType::Utf8, false),
        Field::new("industry", DataType::Utf8, false),
        Field::new("region", DataType::Utf8, false),
        Field::new("country", DataType::Utf8, false),
        Field::new("employees", DataType::Utf8, false),
        Field::new("acquired_on", DataType::Date32, false),
        Field::new("churned_on", DataType::Date32, true),
    ]));
    let one = |v: &str| Arc::new(StringArray::from(vec![v])) as _;
    let batch = RecordBatch::try_new(
        schema,
        vec![
            Arc::new(Int64Array::from(vec![1])),
            one("Acme"),
            one("Retail"),
            one("DACH"),
            one("Germany"),
            one("many"),
            Arc::new(datafusion::arrow::array::Date32Array::from(vec![20000])),
            Arc::new(datafusion::arrow::array::Date32Array::from(vec![None])),
        ],
    )
    .unwrap();
    write_parquet(&file, &batch);

    let out = lakecast(&["check", &lake]);
    assert_clean_failure(&out);
    let stdout = text(&out.stdout);
    let name = file.to_string_lossy();
    assert!(
        stdout.contains(&format!(
            "customers: {name}: column `segment`: missing (expected text)"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "customers: {name}: column `employees`: expected integer, found Utf8"
        )),
        "{stdout}"
    );
}

#[test]
fn check_names_a_corrupt_parquet_file() {
    let (_dir, lake) = lake();
    let file = only_file(&Path::new(&lake).join("members"));
    std::fs::write(&file, b"this is not parquet at all").unwrap();
    let out = lakecast(&["check", &lake]);
    assert_clean_failure(&out);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(&format!(
            "members: {}: not a readable Parquet file",
            file.display()
        )),
        "{stdout}"
    );
}

#[test]
fn deep_check_finds_damaged_data_pages_that_the_footer_hides() {
    let (_dir, lake) = lake();
    let file = only_file(&Path::new(&lake).join("opportunities"));
    let mut bytes = std::fs::read(&file).unwrap();
    // Overwrite data pages just after the magic number, leave the footer.
    for b in &mut bytes[4..400] {
        *b = 0xAB;
    }
    std::fs::write(&file, &bytes).unwrap();
    assert!(
        lakecast(&["check", &lake]).status.success(),
        "footer alone looks fine"
    );
    let out = lakecast(&["check", "--deep", &lake]);
    assert_clean_failure(&out);
    assert!(
        text(&out.stdout).contains("damaged Parquet data"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn other_commands_refuse_a_broken_lake_with_the_same_message() {
    let (_dir, lake) = lake();
    std::fs::remove_dir_all(Path::new(&lake).join("members")).unwrap();
    let out = lakecast(&["sql", "--lake", &lake, "-c", "SELECT 1"]);
    assert_clean_failure(&out);
    let stderr = text(&out.stderr);
    assert!(stderr.starts_with("error: the lake at"), "{stderr}");
    assert!(stderr.contains("members: missing table"), "{stderr}");

    let missing = lakecast(&["sql", "--lake", "/no/such/lake", "-c", "SELECT 1"]);
    assert_clean_failure(&missing);
    assert!(text(&missing.stderr).contains("no lake at"));
}

#[test]
fn sql_runs_several_statements_and_prints_every_result() {
    let (_dir, lake) = lake();
    let out = lakecast(&[
        "sql",
        "--lake",
        &lake,
        "--format",
        "csv",
        "-c",
        "CREATE VIEW big AS SELECT * FROM customers WHERE segment = 'Enterprise'; \
         SELECT count(*) AS n FROM customers; SELECT 'two' AS second",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "n\n200\nsecond\ntwo\n");
}

#[test]
fn sql_reads_a_file_of_statements() {
    let (dir, lake) = lake();
    let file = dir.path().join("q.sql");
    std::fs::write(&file, "-- a comment\nSELECT 1 AS a;\n\nSELECT 2 AS b;\n").unwrap();
    let out = lakecast(&[
        "sql",
        "--lake",
        &lake,
        "-f",
        &file.to_string_lossy(),
        "--format",
        "csv",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "a\n1\nb\n2\n");

    let missing = lakecast(&["sql", "-f", "/no/such.sql"]);
    assert_clean_failure(&missing);
    assert!(text(&missing.stderr).contains("cannot read `/no/such.sql`"));
}

#[test]
fn sql_errors_are_one_readable_line_naming_the_statement() {
    let out = lakecast(&["sql", "-c", "SELECT 1; SELECT nope FROM nowhere"]);
    assert_clean_failure(&out);
    let stderr = text(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("statement 2 of 2"), "{stderr}");
    assert!(
        stderr.contains("table 'datafusion.public.nowhere' not found"),
        "{stderr}"
    );

    let parse = lakecast(&["sql", "-c", "SELEC 1"]);
    assert_clean_failure(&parse);
    assert!(
        text(&parse.stderr).starts_with("error: -c: "),
        "{}",
        text(&parse.stderr)
    );
}

#[test]
fn sql_writes_table_json_ndjson_and_parquet() {
    let dir = tempfile::tempdir().unwrap();
    let query = "SELECT 1 AS id, 'a' AS tag UNION ALL SELECT 2, NULL ORDER BY id";

    let table = lakecast(&["sql", "-c", query]);
    let table_text = text(&table.stdout);
    assert!(
        table_text.contains("| id | tag |") && table_text.contains("(2 rows)"),
        "{table_text}"
    );

    let json = lakecast(&["sql", "-c", query, "--format", "json"]);
    assert_eq!(
        text(&json.stdout).trim(),
        r#"[{"id":1,"tag":"a"},{"id":2,"tag":null}]"#
    );

    let ndjson = lakecast(&["sql", "-c", query, "--format", "ndjson"]);
    assert_eq!(
        text(&ndjson.stdout),
        "{\"id\":1,\"tag\":\"a\"}\n{\"id\":2,\"tag\":null}\n"
    );

    let file = dir.path().join("out.parquet");
    let file_name = file.to_string_lossy().to_string();
    let written = lakecast(&[
        "sql", "-c", query, "--format", "parquet", "--out", &file_name,
    ]);
    assert!(written.status.success(), "{}", text(&written.stderr));
    let back = lakecast(&[
        "sql",
        "--format",
        "csv",
        "-c",
        &format!("SELECT sum(id) AS s, string_agg(tag, '') AS t FROM '{file_name}'"),
    ]);
    assert_eq!(text(&back.stdout), "s,t\n3,a\n", "{}", text(&back.stderr));
}

#[test]
fn table_output_is_capped_and_says_so() {
    let out = lakecast(&[
        "sql",
        "-c",
        "SELECT * FROM generate_series(1, 50)",
        "--max-rows",
        "5",
    ]);
    assert!(text(&out.stdout).contains("(5 of 50 rows shown; --max-rows 0 shows all)"));
}

#[test]
fn csv_writes_lists_and_structs_as_text() {
    let sql = "SELECT named_struct('a', 1) AS s, make_array('x', 'y') AS l, 2 AS n";
    let out = lakecast(&["sql", "-c", sql, "--format", "csv"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "s,l,n\n{a: 1},\"[x, y]\",2\n");
}

#[test]
fn a_failed_write_is_an_error_not_a_silent_success() {
    // Every write to /dev/full fails with "no space left on device".
    let out = lakecast(&[
        "sql",
        "-c",
        "SELECT 1 AS one",
        "--format",
        "csv",
        "--out",
        "/dev/full",
    ]);
    assert_clean_failure(&out);
    let message = text(&out.stderr);
    assert!(message.contains("cannot write output"), "{message}");
}

#[test]
fn a_query_that_finds_nothing_still_shows_its_columns() {
    let sql =
        "SELECT value AS n, 'x' AS label FROM generate_series(1, 3) WHERE value > 9";
    let table = lakecast(&["sql", "-c", sql]);
    assert!(table.status.success(), "{}", text(&table.stderr));
    let shown = text(&table.stdout);
    assert!(shown.contains("| n | label |"), "{shown}");
    assert!(shown.trim_end().ends_with("(0 rows)"), "{shown}");

    let csv = lakecast(&["sql", "-c", sql, "--format", "csv"]);
    assert_eq!(text(&csv.stdout), "n,label\n");

    // A statement without columns prints nothing.
    let view = lakecast(&["sql", "-c", "CREATE VIEW v AS SELECT 1 AS one"]);
    assert_eq!(text(&view.stdout), "");
}

#[test]
fn the_prompt_takes_multi_line_statements_and_backslash_commands() {
    let (_dir, lake) = lake();
    let mut child = Command::new(env!("CARGO_BIN_EXE_lakecast"))
        .args(["sql", "--lake", &lake, "--format", "csv"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let script = "\\d\n\\d members\nSELECT count(*)\n  AS n\nFROM customers;\n\
                  \\d nothing_here\nSELECT broken;\n\\q\nSELECT 'after quit';\n";
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stdout.contains("public,transactions,BASE TABLE"),
        "{stdout}"
    );
    assert!(stdout.contains("hard_skills,List("), "{stdout}");
    assert!(stdout.contains("n\n200\n"), "{stdout}");
    assert!(!stdout.contains("after quit"), "{stdout}");
    assert!(stderr.contains("no table named `nothing_here`"), "{stderr}");
    assert!(stderr.contains("error: "), "{stderr}");
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lakecast"))
        .args([
            "sql",
            "--format",
            "csv",
            "-c",
            "SELECT * FROM generate_series(1, 2000000)",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    child
        .stdout
        .as_mut()
        .unwrap()
        .read_exact(&mut first)
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "");
}

#[test]
fn gen_refuses_bad_scales_and_occupied_folders() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_string_lossy().to_string();
    let bad = lakecast(&["gen", "--out", &path, "--scale", "0"]);
    assert_clean_failure(&bad);
    assert!(text(&bad.stderr).contains("--scale must be a number above 0"));

    std::fs::write(dir.path().join("keep.txt"), "x").unwrap();
    let occupied = lakecast(&["gen", "--out", &path, "--scale", "0.01"]);
    assert_clean_failure(&occupied);
    assert!(text(&occupied.stderr).contains("--replace"));
}

#[test]
fn contract_and_functions_print_their_catalogues() {
    let contract = lakecast(&["contract"]);
    assert!(text(&contract.stdout).contains("required_tags"));
    let functions = lakecast(&["functions"]);
    assert!(functions.status.success());
}
