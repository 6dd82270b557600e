//! Each scalar function on 8192-row batches beside a bare Arrow kernel
//! doing the same arithmetic on the same arrays. Target: the function at
//! least half the kernel's throughput.

#![allow(missing_docs, clippy::unwrap_used)] // a failed unwrap is a broken benchmark

use std::hint::black_box;

use arrow::array::AsArray;
use arrow::array::{Float64Array, Int32Array, StringArray};
use arrow::compute::kernels::cmp::lt;
use arrow::compute::kernels::numeric::{add, div, mul, sub};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lakecast_benches::{BATCH, column, function, invoke, literal, tag_lists, uniform};

fn scalar(c: &mut Criterion) {
    let p = uniform(BATCH, 0.01, 0.99, 1);
    let lift1 = uniform(BATCH, -0.5, 0.8, 2);
    let lift2 = uniform(BATCH, -0.5, 0.8, 3);
    let capacity = uniform(BATCH, 100.0, 400.0, 4);
    let booked = uniform(BATCH, 50.0, 400.0, 5);
    let load = uniform(BATCH, 0.0, 14.0, 6);
    let score = uniform(BATCH, 0.0, 100.0, 7);
    let one = Float64Array::new_scalar(1.0);

    let mut group = c.benchmark_group("scalar");
    group.throughput(Throughput::Elements(BATCH as u64));

    let wwr = function("weighted_win_rate");
    group.bench_function("weighted_win_rate/udf", |b| {
        b.iter(|| invoke(&wwr, &[column(&p), column(&lift1), column(&lift2)], BATCH))
    });
    group.bench_function("weighted_win_rate/arrow", |b| {
        b.iter(|| {
            let odds = div(&p, &sub(&one, &p).unwrap()).unwrap();
            let odds = mul(&odds, &add(&lift1, &one).unwrap()).unwrap();
            let odds = mul(&odds, &add(&lift2, &one).unwrap()).unwrap();
            black_box(div(&odds, &add(&odds, &one).unwrap()).unwrap())
        })
    });

    let slack = function("resource_slack");
    group.bench_function("resource_slack/udf", |b| {
        b.iter(|| invoke(&slack, &[column(&capacity), column(&booked)], BATCH))
    });
    group.bench_function("resource_slack/arrow", |b| {
        b.iter(|| black_box(div(&sub(&capacity, &booked).unwrap(), &capacity).unwrap()))
    });

    let deviation = function("forecast_deviation");
    group.bench_function("forecast_deviation/udf", |b| {
        b.iter(|| invoke(&deviation, &[column(&capacity), column(&booked)], BATCH))
    });
    group.bench_function("forecast_deviation/arrow", |b| {
        b.iter(|| black_box(div(&sub(&booked, &capacity).unwrap(), &capacity).unwrap()))
    });

    let alert = function("slack_alert");
    group.bench_function("slack_alert/udf", |b| {
        b.iter(|| invoke(&alert, &[column(&lift1)], BATCH))
    });
    group.bench_function("slack_alert/arrow", |b| {
        b.iter(|| black_box(lt(&lift1, &Float64Array::new_scalar(0.15)).unwrap()))
    });

    let penalty = function("rep_load_penalty");
    group.bench_function("rep_load_penalty/udf", |b| {
        b.iter(|| invoke(&penalty, &[column(&load)], BATCH))
    });
    group.bench_function("rep_load_penalty/arrow", |b| {
        b.iter(|| {
            black_box(load.unary::<_, arrow::datatypes::Float64Type>(|x| {
                if x > 8.0 { 1.41 } else { 1.0 }
            }))
        })
    });

    let bucket = function("heat_bucket");
    group.bench_function("heat_bucket/udf", |b| {
        b.iter(|| invoke(&bucket, &[column(&p)], BATCH))
    });
    group.bench_function("heat_bucket/arrow", |b| {
        b.iter(|| {
            let out: Int32Array = p.unary(|x| ((x * 10.0).floor() as i32).min(9));
            black_box(out)
        })
    });

    let minmax = function("scale_minmax");
    group.bench_function("scale_minmax/udf", |b| {
        b.iter(|| {
            invoke(
                &minmax,
                &[column(&score), literal(20.0), literal(80.0)],
                BATCH,
            )
        })
    });
    group.bench_function("scale_minmax/arrow", |b| {
        b.iter(|| {
            black_box(score.unary::<_, arrow::datatypes::Float64Type>(|x| {
                ((x - 20.0) / 60.0).clamp(0.0, 1.0)
            }))
        })
    });

    let band = function("health_band");
    group.bench_function("health_band/udf", |b| {
        b.iter(|| invoke(&band, &[column(&score)], BATCH))
    });
    group.bench_function("health_band/arrow", |b| {
        b.iter(|| {
            let out: StringArray = score
                .iter()
                .map(|s| {
                    s.map(|s| {
                        if s < 50.0 {
                            "red"
                        } else if s >= 75.0 {
                            "green"
                        } else {
                            "amber"
                        }
                    })
                })
                .collect();
            black_box(out)
        })
    });

    let decay = function("signal_decay");
    let now = 1.8e15;
    let times = uniform(BATCH, now - 60.0 * 86_400e6, now, 8);
    let times = arrow::array::TimestampMicrosecondArray::from_iter_values(
        times.values().iter().map(|t| *t as i64),
    );
    let as_of =
        datafusion::common::ScalarValue::TimestampMicrosecond(Some(now as i64), None);
    group.bench_function("signal_decay/udf", |b| {
        b.iter(|| {
            invoke(
                &decay,
                &[
                    datafusion::logical_expr::ColumnarValue::Array(std::sync::Arc::new(
                        times.clone(),
                    )),
                    datafusion::logical_expr::ColumnarValue::Scalar(as_of.clone()),
                ],
                BATCH,
            )
        })
    });
    group.bench_function("signal_decay/arrow", |b| {
        b.iter(|| {
            let out: Float64Array = times.unary(|t| {
                let age = now - t as f64;
                if age < 0.0 {
                    0.0
                } else {
                    0.5f64.powf(age / (14.0 * 86_400e6))
                }
            });
            black_box(out)
        })
    });
    let required = tag_lists(BATCH, 3, 11);
    let offered = tag_lists(BATCH, 5, 12);
    let coverage = function("tag_coverage");
    let lists = [
        datafusion::logical_expr::ColumnarValue::Array(std::sync::Arc::new(
            required.clone(),
        )),
        datafusion::logical_expr::ColumnarValue::Array(std::sync::Arc::new(
            offered.clone(),
        )),
    ];
    group.bench_function("tag_coverage/udf", |b| {
        b.iter(|| invoke(&coverage, &lists, BATCH))
    });
    group.bench_function("tag_coverage/arrow", |b| {
        b.iter(|| {
            // The same arithmetic over Arrow's list accessors: distinct
            // required tags, how many the offered list holds.
            let out: Float64Array = (0..BATCH)
                .map(|row| {
                    let need = required.value(row);
                    let need = need.as_string::<i32>();
                    let have = offered.value(row);
                    let have = have.as_string::<i32>();
                    let mut need: Vec<&str> = need.iter().flatten().collect();
                    need.sort_unstable();
                    need.dedup();
                    let found = need
                        .iter()
                        .filter(|t| have.iter().flatten().any(|h| h == **t))
                        .count();
                    Some(found as f64 / need.len().max(1) as f64)
                })
                .collect();
            black_box(out)
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(30)
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2));
    targets = scalar
}
criterion_main!(benches);
