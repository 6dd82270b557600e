//! Times `bgnbd_fit` on a CSV of customer summaries, for the comparison
//! with the `lifetimes` package (`benches/compare/lifetimes_bgnbd.py`).
//! Reads the file named by `LAKECAST_FIT_CSV` (columns frequency, recency,
//! t) into memory, runs the fit and prints one JSON line: the seconds for
//! reading the file, for the fit query on the data in memory, and the
//! fitted parameters. The fit's time is the median of five runs.
//! Run: `LAKECAST_FIT_CSV=file.csv cargo bench -p lakecast-benches --bench fit_csv`

#![allow(missing_docs)]

use std::time::Instant;

use arrow::array::{AsArray, RecordBatch};
use arrow::datatypes::{Float64Type, Int64Type};
use datafusion::prelude::{CsvReadOptions, SessionContext};

async fn one_row(ctx: &SessionContext, sql: &str) -> Result<RecordBatch, String> {
    let batches = ctx
        .sql(sql)
        .await
        .map_err(|e| e.to_string())?
        .collect()
        .await
        .map_err(|e| e.to_string())?;
    batches
        .into_iter()
        .next()
        .ok_or_else(|| format!("no rows from {sql}"))
}

async fn run(path: &str) -> Result<String, String> {
    let ctx = SessionContext::new();
    lakecast_udfs::register_all(&ctx);
    // The file is read into memory first and timed apart, as lifetimes'
    // timing starts from data already in memory.
    let start = Instant::now();
    let data = ctx
        .read_csv(path, CsvReadOptions::new())
        .await
        .map_err(|e| format!("{path}: {e}"))?
        .cache()
        .await
        .map_err(|e| format!("{path}: {e}"))?;
    ctx.register_table("summary", data.into_view())
        .map_err(|e| e.to_string())?;
    let read_seconds = start.elapsed().as_secs_f64();
    let count = one_row(&ctx, "SELECT count(*) FROM summary").await?;
    let rows = count.column(0).as_primitive::<Int64Type>().value(0);
    // The median of five runs: one run on a shared machine is noisy.
    let mut times = Vec::new();
    let mut fit = None;
    for _ in 0..5 {
        let start = Instant::now();
        fit = Some(
            one_row(
                &ctx,
                "SELECT f['r'], f['alpha'], f['a'], f['b'], f['converged'], f['iterations'], \
                 f['log_likelihood'] \
                 FROM (SELECT bgnbd_fit(frequency, recency, t) AS f FROM summary)",
            )
            .await?,
        );
        times.push(start.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let seconds = times[times.len() / 2];
    let fit = fit.ok_or("no fit ran")?;
    let float = |i: usize| fit.column(i).as_primitive::<Float64Type>().value(0);
    let converged = fit.column(4).as_boolean().value(0);
    let iterations = fit.column(5).as_primitive::<Int64Type>().value(0);
    Ok(format!(
        "{{\"rows\": {rows}, \"read_seconds\": {read_seconds}, \"seconds\": {seconds}, \
         \"r\": {}, \"alpha\": {}, \"a\": {}, \"b\": {}, \"converged\": {converged}, \
         \"iterations\": {iterations}, \"log_likelihood\": {}}}",
        float(0),
        float(1),
        float(2),
        float(3),
        float(6)
    ))
}

fn main() {
    let Ok(path) = std::env::var("LAKECAST_FIT_CSV") else {
        // `cargo bench` without the variable runs every bench target: nothing
        // to time here then.
        eprintln!("fit_csv: set LAKECAST_FIT_CSV to a CSV of frequency, recency, t");
        return;
    };
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    match runtime.block_on(run(&path)) {
        Ok(line) => println!("{line}"),
        Err(e) => {
            eprintln!("fit_csv: {e}");
            std::process::exit(1);
        }
    }
}
