//! Invariants checked over many generated inputs: results stay in range,
//! the win rate rises with every lift, and every aggregate gives the same
//! answer however its input is split into partitions and groups.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test here

use std::sync::Arc;

use datafusion::arrow::array::{Array, Float64Array, Int64Array, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::datasource::MemTable;
use datafusion::prelude::{SessionConfig, SessionContext};
use lakecast_udfs::{apply_lifts, register_all};

/// A small deterministic generator (xorshift), so failures reproduce.
struct Cases(u64);

impl Cases {
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    fn lift(&mut self) -> f64 {
        -0.95 + 3.0 * self.unit()
    }
}

#[test]
fn win_rate_stays_a_probability_and_rises_with_every_lift() {
    let mut cases = Cases(0x5eed);
    for _ in 0..20_000 {
        let base = cases.unit();
        let lifts: Vec<f64> = (0..1 + (cases.unit() * 5.0) as usize)
            .map(|_| cases.lift())
            .collect();
        let p = apply_lifts("t", base, lifts.iter().copied().enumerate()).unwrap();
        assert!((0.0..=1.0).contains(&p), "{base} {lifts:?} -> {p}");

        let which = (cases.unit() * lifts.len() as f64) as usize % lifts.len();
        let mut higher = lifts.clone();
        higher[which] += 0.1;
        let q = apply_lifts("t", base, higher.iter().copied().enumerate()).unwrap();
        assert!(q >= p, "raising lift {which} lowered {p} to {q}");

        let up = (base + 0.05).min(1.0);
        let r = apply_lifts("t", up, lifts.iter().copied().enumerate()).unwrap();
        assert!(r >= p, "raising base_p lowered {p} to {r}");
    }
}

#[test]
fn a_zero_lift_changes_nothing() {
    for base in [0.0, 0.1, 0.5, 0.93, 1.0] {
        let p = apply_lifts("t", base, [(1, 0.0)].into_iter()).unwrap();
        assert!((p - base).abs() < 1e-12);
    }
}

/// Rows of (group, x in 0..1, y in 0..1, outcome 0/1), split into
/// `partitions` in-memory partitions.
fn context(partitions: usize, rows: usize) -> SessionContext {
    let mut cases = Cases(0xfeed);
    let schema = Arc::new(Schema::new(vec![
        Field::new("g", DataType::Int64, false),
        Field::new("x", DataType::Float64, true),
        Field::new("y", DataType::Float64, true),
        Field::new("o", DataType::Float64, false),
    ]));
    let (mut g, mut x, mut y, mut o) = (vec![], vec![], vec![], vec![]);
    for i in 0..rows {
        g.push((i % 997) as i64);
        let xv = cases.unit();
        x.push((cases.unit() > 0.05).then_some(xv));
        y.push(Some(cases.unit()));
        o.push(if cases.unit() < xv { 1.0 } else { 0.0 });
    }
    let chunk = rows.div_ceil(partitions);
    let batches: Vec<Vec<RecordBatch>> = (0..partitions)
        .map(|p| {
            let range = p * chunk..((p + 1) * chunk).min(rows);
            let batch = RecordBatch::try_new(
                Arc::clone(&schema),
                vec![
                    Arc::new(Int64Array::from(g[range.clone()].to_vec())),
                    Arc::new(Float64Array::from(x[range.clone()].to_vec())),
                    Arc::new(Float64Array::from(y[range.clone()].to_vec())),
                    Arc::new(Float64Array::from(o[range].to_vec())),
                ],
            )
            .unwrap();
            vec![batch]
        })
        .collect();
    let config = SessionConfig::new().with_target_partitions(partitions.max(1));
    let ctx = SessionContext::new_with_config(config);
    register_all(&ctx);
    ctx.register_table("t", Arc::new(MemTable::try_new(schema, batches).unwrap()))
        .unwrap();
    ctx
}

async fn column(ctx: &SessionContext, sql: &str) -> Vec<Option<f64>> {
    let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
    batches
        .iter()
        .flat_map(|b| {
            let a = b.column(0).as_any().downcast_ref::<Float64Array>().unwrap();
            a.iter().collect::<Vec<_>>()
        })
        .collect()
}

#[tokio::test]
async fn aggregates_agree_across_partitions_and_groupings() {
    let aggregates = [
        "combine_lifts(x - 0.5)",
        "resource_slack_agg(1 + x, y)",
        "wape(x, y)",
        "mape(x, y)",
        "forecast_bias(x, y)",
        "brier_score(x, o)",
        "log_loss(x, o)",
        "roc_auc(x, o)",
        "health_score(x, y)",
        // Fits collect their rows as list states; merged in any order they
        // must give the same model.
        "bgnbd_fit(floor(x * 6), y * 10, 10 + y * 10)['alpha']",
        "gamma_gamma_fit(floor(x * 6), 1 + y * 50)['v']",
        "logreg_fit(o > 0.5, [x, y], 0.1)['intercept']",
    ];
    let one = context(1, 20_000);
    let many = context(7, 20_000);
    for aggregate in aggregates {
        let whole = format!("SELECT {aggregate} FROM t");
        let grouped = format!("SELECT {aggregate} FROM t GROUP BY g ORDER BY g");
        for sql in [whole, grouped] {
            let a = column(&one, &sql).await;
            let b = column(&many, &sql).await;
            assert_eq!(a.len(), b.len(), "{sql}");
            for (a, b) in a.iter().zip(&b) {
                match (a, b) {
                    (Some(a), Some(b)) => {
                        let tolerance = 1e-9 * a.abs().max(1.0);
                        assert!((a - b).abs() <= tolerance, "{sql}: {a} vs {b}");
                    }
                    (a, b) => assert_eq!(a, b, "{sql}"),
                }
            }
        }
    }
}

#[tokio::test]
async fn scores_stay_in_their_ranges() {
    let ctx = context(3, 5_000);
    let sql = "SELECT min(h), max(h), min(b), max(b) FROM (
                 SELECT health_score(x, y) AS h, brier_score(x, o) AS b FROM t GROUP BY g)";
    let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
    let value = |i: usize| {
        batches[0]
            .column(i)
            .as_any()
            .downcast_ref::<Float64Array>()
            .unwrap()
            .value(0)
    };
    assert!(value(0) >= 0.0 && value(1) <= 100.0);
    assert!(value(2) >= 0.0 && value(3) <= 1.0);
}

/// Rows of `(x, y, results...)` from a query over `t`.
async fn rows(ctx: &SessionContext, sql: &str) -> Vec<Vec<Option<f64>>> {
    let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
    let mut out = Vec::new();
    for batch in &batches {
        let columns: Vec<&Float64Array> = batch
            .columns()
            .iter()
            .map(|c| c.as_any().downcast_ref::<Float64Array>().unwrap())
            .collect();
        for row in 0..batch.num_rows() {
            out.push(
                columns
                    .iter()
                    .map(|c| c.is_valid(row).then(|| c.value(row)))
                    .collect(),
            );
        }
    }
    out
}

fn close(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() <= 1e-12,
        (a, b) => a == b,
    }
}

#[tokio::test]
async fn columns_and_literals_give_the_row_formula() {
    // Each function is evaluated with literals, with columns standing in for
    // them, and against its formula computed here row by row: the fast paths
    // for literal arguments and zipped columns must agree with each other.
    let ctx = context(3, 30_000);
    let sql = "SELECT x, y,
                 rep_load_penalty(x * 16, 8, 0.41, 0),
                 rep_load_penalty(x * 16, 8, 0.41, y * 0),
                 rep_load_penalty(x * 16, 8 + y * 0, 0.41, 2),
                 weighted_win_rate(y, x - 0.5, 0.2),
                 weighted_win_rate(y, x - 0.5, y * 0 + 0.2),
                 scale_minmax(x, 0.2, 0.8),
                 scale_minmax(x, y * 0 + 0.2, y * 0 + 0.8)
               FROM t";
    let rows = rows(&ctx, sql).await;
    assert_eq!(rows.len(), 30_000);
    let mut nulls = 0;
    for row in rows {
        let (x, y) = (row[0], row[1].unwrap());
        nulls += usize::from(x.is_none());
        let step = x.map(|x| if x * 16.0 > 8.0 { 1.41 } else { 1.0 });
        let ramp = x.map(|x| 1.0 + 0.41 * ((x * 16.0 - 8.0) / 2.0).clamp(0.0, 1.0));
        let lifts = x.map(|x| (1, x - 0.5)).into_iter().chain([(2, 0.2)]);
        let win = apply_lifts("t", y, lifts).ok();
        let scaled = x.map(|x| ((x - 0.2) / 0.6).clamp(0.0, 1.0));
        let expected = [step, step, ramp, win, win, scaled, scaled];
        for (i, e) in expected.iter().enumerate() {
            assert!(
                close(row[2 + i], *e),
                "column {i} of {row:?}: expected {e:?}"
            );
        }
    }
    assert!(
        nulls > 1000,
        "the data should hold NULL x values, has {nulls}"
    );
}
