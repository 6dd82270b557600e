//! The model fits on 10k, 100k and 1M rows: `bgnbd_fit` on customers
//! simulated from a BG/NBD process, `logreg_fit` on rows from a known
//! logistic model with five features. Each run is the whole SQL query over
//! an in-memory table on two partitions, so collecting, merging and fitting
//! are all timed. `benches/compare/lifetimes_bgnbd.py` times the `lifetimes`
//! package on the same kind of data.

#![allow(missing_docs)]

use std::sync::Arc;

use arrow::array::{ArrayRef, BooleanArray, Float64Array, ListArray, RecordBatch};
use arrow::buffer::OffsetBuffer;
use arrow::datatypes::{DataType, Field, Schema};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use datafusion::datasource::MemTable;
use datafusion::prelude::{SessionConfig, SessionContext};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Beta, Distribution, Exp, Gamma, StandardNormal};

const SIZES: [usize; 3] = [10_000, 100_000, 1_000_000];

/// `n` customer summaries (frequency, recency, t) from BG/NBD with
/// r 0.25, alpha 4, a 0.8, b 2.5, ages uniform on 1..78 weeks.
fn customers(n: usize) -> Vec<ArrayRef> {
    let mut rng = StdRng::seed_from_u64(5);
    let rate = Gamma::new(0.25, 1.0 / 4.0).expect("gamma");
    let dropout = Beta::new(0.8, 2.5).expect("beta");
    let (mut x, mut tx, mut t) = (vec![], vec![], vec![]);
    for _ in 0..n {
        let lambda: f64 = rate.sample(&mut rng);
        let p: f64 = dropout.sample(&mut rng);
        let age = rng.random_range(1.0..78.0);
        let gap = Exp::new(lambda.max(1e-12)).expect("exp");
        let (mut now, mut count, mut last) = (0.0, 0.0, 0.0);
        loop {
            now += gap.sample(&mut rng);
            if now >= age {
                break;
            }
            count += 1.0;
            last = now;
            if rng.random_bool(p) {
                break;
            }
        }
        x.push(count);
        tx.push(last);
        t.push(age);
    }
    [x, tx, t]
        .into_iter()
        .map(|v| Arc::new(Float64Array::from(v)) as ArrayRef)
        .collect()
}

/// `n` rows of a logistic model: label and five standard-normal features.
fn deals(n: usize) -> Vec<ArrayRef> {
    let mut rng = StdRng::seed_from_u64(6);
    let beta = [0.8, -0.5, 0.3, 0.0, 1.1];
    let mut features = Vec::with_capacity(n * 5);
    let mut labels = Vec::with_capacity(n);
    for _ in 0..n {
        let row: Vec<f64> = (0..5).map(|_| rng.sample(StandardNormal)).collect();
        let eta = -0.4 + row.iter().zip(beta).map(|(x, b)| x * b).sum::<f64>();
        labels.push(rng.random_bool(1.0 / (1.0 + (-eta).exp())));
        features.extend(row);
    }
    let field = Arc::new(Field::new("item", DataType::Float64, true));
    let lists = ListArray::new(
        field,
        OffsetBuffer::from_lengths(std::iter::repeat_n(5, n)),
        Arc::new(Float64Array::from(features)),
        None,
    );
    vec![Arc::new(BooleanArray::from(labels)), Arc::new(lists)]
}

/// A session with `columns` as table `t`, split into two partitions.
fn context(names: &[&str], columns: Vec<ArrayRef>) -> SessionContext {
    let fields: Vec<Field> = names
        .iter()
        .zip(&columns)
        .map(|(name, c)| Field::new(*name, c.data_type().clone(), false))
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let rows = columns[0].len();
    let half = rows.div_ceil(2);
    let partitions: Vec<Vec<RecordBatch>> = [(0, half), (half, rows - half)]
        .iter()
        .map(|&(start, len)| {
            let sliced = columns.iter().map(|c| c.slice(start, len)).collect();
            vec![RecordBatch::try_new(Arc::clone(&schema), sliced).expect("batch")]
        })
        .collect();
    let config = SessionConfig::new().with_target_partitions(2);
    let ctx = SessionContext::new_with_config(config);
    lakecast_udfs::register_all(&ctx);
    let table = MemTable::try_new(schema, partitions).expect("table");
    ctx.register_table("t", Arc::new(table)).expect("register");
    ctx
}

fn fits(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let run = |ctx: &SessionContext, sql: &str| {
        runtime.block_on(async {
            let batches = ctx
                .sql(sql)
                .await
                .expect("plan")
                .collect()
                .await
                .expect("run");
            assert_eq!(batches.iter().map(RecordBatch::num_rows).sum::<usize>(), 1);
        })
    };
    let mut group = c.benchmark_group("fit");
    group.sample_size(10);
    for n in SIZES {
        group.throughput(Throughput::Elements(n as u64));
        let bg = context(&["frequency", "recency", "t"], customers(n));
        let sql = "SELECT bgnbd_fit(frequency, recency, t)['converged'] FROM t";
        group.bench_with_input(BenchmarkId::new("bgnbd_fit", n), &sql, |b, sql| {
            b.iter(|| run(&bg, sql))
        });
        let lr = context(&["won", "features"], deals(n));
        let sql = "SELECT logreg_fit(won, features)['converged'] FROM t";
        group.bench_with_input(BenchmarkId::new("logreg_fit", n), &sql, |b, sql| {
            b.iter(|| run(&lr, sql))
        });
    }
    group.finish();
}

criterion_group!(benches, fits);
criterion_main!(benches);
