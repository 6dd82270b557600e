//! Aggregates over 1M rows with 10, 10k and 1M groups, beside the same
//! measure written with DataFusion's built-in aggregates where one exists.

#![allow(missing_docs)]

use std::sync::Arc;

use arrow::array::{Float64Array, Int64Array, RecordBatch};
use arrow::datatypes::{DataType, Field, Schema};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use datafusion::datasource::MemTable;
use datafusion::prelude::{SessionConfig, SessionContext};
use lakecast_benches::uniform;

const ROWS: usize = 1_000_000;

fn context(groups: usize) -> SessionContext {
    let schema = Arc::new(Schema::new(vec![
        Field::new("g", DataType::Int64, false),
        Field::new("x", DataType::Float64, false),
        Field::new("y", DataType::Float64, false),
        Field::new("o", DataType::Float64, false),
    ]));
    let x = uniform(ROWS, 0.0, 1.0, 11);
    let y = uniform(ROWS, 0.0, 1.0, 12);
    let o = Float64Array::from_iter_values(
        x.values()
            .iter()
            .zip(y.values())
            .map(|(x, y)| if y < x { 1.0 } else { 0.0 }),
    );
    let g = Int64Array::from_iter_values((0..ROWS).map(|i| ((i * 7919) % groups) as i64));
    let batches: Vec<RecordBatch> = (0..ROWS)
        .step_by(8192)
        .map(|start| {
            let len = 8192.min(ROWS - start);
            RecordBatch::try_new(
                Arc::clone(&schema),
                vec![
                    Arc::new(g.slice(start, len)),
                    Arc::new(x.slice(start, len)),
                    Arc::new(y.slice(start, len)),
                    Arc::new(o.slice(start, len)),
                ],
            )
            .expect("batch")
        })
        .collect();
    let partitions: Vec<Vec<RecordBatch>> = batches
        .chunks(batches.len().div_ceil(2))
        .map(<[_]>::to_vec)
        .collect();
    let ctx =
        SessionContext::new_with_config(SessionConfig::new().with_target_partitions(2));
    lakecast_udfs::register_all(&ctx);
    ctx.register_table(
        "t",
        Arc::new(MemTable::try_new(schema, partitions).expect("table")),
    )
    .expect("register");
    ctx
}

fn query(
    runtime: &tokio::runtime::Runtime,
    ctx: &SessionContext,
    sql: &str,
) -> Vec<RecordBatch> {
    runtime.block_on(async {
        ctx.sql(sql)
            .await
            .expect("plan")
            .collect()
            .await
            .expect("run")
    })
}

fn aggregates(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("tokio");
    let cases = [
        ("wape", "wape(x, y)", Some("sum(abs(y - x)) / sum(abs(y))")),
        (
            "brier_score",
            "brier_score(x, o)",
            Some("avg((x - o) * (x - o))"),
        ),
        (
            "health_score",
            "health_score(x, y)",
            Some("100 * sum(x * y) / sum(y)"),
        ),
        (
            "combine_lifts",
            "combine_lifts(x - 0.5)",
            Some("exp(sum(ln(x + 0.5)))"),
        ),
        ("roc_auc", "roc_auc(x, o)", None),
    ];
    for groups in [10, 10_000, 1_000_000] {
        let ctx = context(groups);
        let mut group = c.benchmark_group(format!("aggregate/{groups}_groups"));
        group.throughput(Throughput::Elements(ROWS as u64));
        for (name, udaf, builtin) in cases {
            let lakecast = format!("SELECT g, {udaf} FROM t GROUP BY g");
            group.bench_function(format!("{name}/lakecast"), |b| {
                b.iter(|| query(&runtime, &ctx, &lakecast))
            });
            if let Some(builtin) = builtin {
                let reference = format!("SELECT g, {builtin} FROM t GROUP BY g");
                group.bench_function(format!("{name}/builtin_sql"), |b| {
                    b.iter(|| query(&runtime, &ctx, &reference))
                });
            }
        }
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(3));
    targets = aggregates
}
criterion_main!(benches);
