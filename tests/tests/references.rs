//! The models against published and independent references: BG/NBD and
//! Gamma-Gamma on the CDNOW summaries (Fader, Hardie & Lee 2005; Fader &
//! Hardie 2013; the values the `lifetimes` package computes), logistic
//! regression against statsmodels and scikit-learn on `tests/data/logreg.csv`,
//! and the generator's true BG/NBD parameters recovered within their
//! sampling error.
//!
//! The CDNOW files are not in the repository: `scripts/fetch-cdnow.py`
//! extracts them from the `lifetimes` wheel into `$LAKECAST_DATA/cdnow`
//! (default `~/.cache/lakecast-data/cdnow`), and these tests run it when
//! the files are missing.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test here

use std::path::{Path, PathBuf};
use std::process::Command;

use arrow::array::{AsArray, RecordBatch};
use arrow::datatypes::Float64Type;
use datafusion::prelude::{CsvReadOptions, SessionConfig, SessionContext};
use lakecast_udfs::models::bgnbd::BgNbd;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The CDNOW folder, fetched on first use.
fn cdnow() -> PathBuf {
    let out = Command::new("python3")
        .arg(workspace().join("scripts/fetch-cdnow.py"))
        .output()
        .expect("python3 runs scripts/fetch-cdnow.py");
    assert!(
        out.status.success(),
        "fetching CDNOW failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

async fn session(partitions: usize) -> SessionContext {
    let config = SessionConfig::new()
        .with_target_partitions(partitions)
        .with_repartition_file_scans(true)
        .with_repartition_file_min_size(1);
    let ctx = SessionContext::new_with_config(config);
    lakecast_udfs::register_all(&ctx);
    let folder = cdnow();
    let csv = |name: &str| folder.join(name).to_string_lossy().to_string();
    ctx.register_csv(
        "cdnow",
        &csv("cdnow_customers_summary.csv"),
        CsvReadOptions::new(),
    )
    .await
    .unwrap();
    ctx.register_csv(
        "cdnow_spend",
        &csv("cdnow_customers_summary_with_transactions.csv"),
        CsvReadOptions::new(),
    )
    .await
    .unwrap();
    let logreg = workspace().join("tests/data/logreg.csv");
    ctx.register_csv("logreg", &logreg.to_string_lossy(), CsvReadOptions::new())
        .await
        .unwrap();
    ctx
}

async fn row(ctx: &SessionContext, sql: &str) -> RecordBatch {
    let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
    let batch = arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap();
    assert_eq!(batch.num_rows(), 1, "{sql}");
    batch
}

fn float(batch: &RecordBatch, column: usize) -> f64 {
    batch.column(column).as_primitive::<Float64Type>().value(0)
}

fn assert_close(name: &str, got: f64, expected: f64, relative: f64) {
    let error = (got - expected).abs() / expected.abs().max(1e-300);
    assert!(
        error <= relative,
        "{name}: got {got}, expected {expected} (relative error {error:e})"
    );
}

/// BG/NBD on CDNOW, maximum likelihood polished by Newton's method with
/// exact derivatives (gradient below 1e-12); lifetimes 0.11.3 agrees to 4e-7.
const CDNOW_BGNBD: [f64; 4] = [
    0.24259290720446597,
    4.413531561205423,
    0.7928861480987294,
    2.4257534364934608,
];
const CDNOW_BGNBD_LL: f64 = -9582.425560567362;
/// Gamma-Gamma on the 946 CDNOW customers with repeat purchases.
const CDNOW_GG: [f64; 3] = [6.248802489709004, 3.744588453287475, 15.44774800946399];
const CDNOW_GG_LL: f64 = -4055.9232435028644;

fn bg_struct(p: [f64; 4]) -> String {
    format!(
        "named_struct('r', {:e}, 'alpha', {:e}, 'a', {:e}, 'b', {:e})",
        p[0], p[1], p[2], p[3]
    )
}

fn gg_struct(p: [f64; 3]) -> String {
    format!(
        "named_struct('p', {:e}, 'q', {:e}, 'v', {:e})",
        p[0], p[1], p[2]
    )
}

#[tokio::test]
async fn cdnow_fits_give_the_published_parameters() {
    for partitions in [1, 4] {
        let ctx = session(partitions).await;
        let bg = row(
            &ctx,
            "SELECT f.r, f.alpha, f.a, f.b, f.log_likelihood, f.converged FROM \
             (SELECT bgnbd_fit(frequency, recency, \"T\") AS f FROM cdnow)",
        )
        .await;
        assert!(
            bg.column(5).as_boolean().value(0),
            "BG/NBD did not converge"
        );
        // Published (Fader, Hardie & Lee 2005): 0.243, 4.414, 0.793, 2.426.
        let published = [0.243, 4.414, 0.793, 2.426];
        for (i, name) in ["r", "alpha", "a", "b"].iter().enumerate() {
            let got = float(&bg, i);
            assert!(
                (got - published[i]).abs() < 5e-4,
                "{name} {got} to three decimals"
            );
            assert_close(name, got, CDNOW_BGNBD[i], 1e-5);
        }
        assert_close(
            "BG/NBD log-likelihood",
            float(&bg, 4),
            CDNOW_BGNBD_LL,
            1e-10,
        );

        let gg = row(
            &ctx,
            "SELECT g.p, g.q, g.v, g.log_likelihood, g.converged FROM \
             (SELECT gamma_gamma_fit(x, zbar) AS g FROM cdnow_spend)",
        )
        .await;
        assert!(
            gg.column(4).as_boolean().value(0),
            "Gamma-Gamma did not converge"
        );
        for (i, name) in ["p", "q", "v"].iter().enumerate() {
            assert_close(name, float(&gg, i), CDNOW_GG[i], 1e-6);
        }
        assert_close(
            "Gamma-Gamma log-likelihood",
            float(&gg, 3),
            CDNOW_GG_LL,
            1e-10,
        );
    }
}

#[tokio::test]
async fn predictions_match_the_paper_and_lifetimes() {
    let ctx = session(1).await;
    // The paper's customer with the published rounded parameters.
    let published = bg_struct([0.243, 4.414, 0.793, 2.426]);
    let sql = format!(
        "SELECT bgnbd_expected_purchases({published}, 39, 2, 30.43, 38.86), \
                bgnbd_p_alive({published}, 2, 30.43, 38.86)"
    );
    let r = row(&ctx, &sql).await;
    assert_close("E[X(39)]", float(&r, 0), 1.226028174767135, 1e-12);
    assert_close("P(alive)", float(&r, 1), 0.726578570080673, 1e-12);

    // (horizon, x, t_x, T) -> (expected purchases, P(alive)) at the fit.
    let points = [
        (
            39.0,
            2.0,
            30.43,
            38.86,
            1.2259104521226891,
            0.7266091515506481,
        ),
        (39.0, 0.0, 0.0, 38.86, 0.19478084700632003, 1.0),
        (
            10.0,
            5.0,
            20.0,
            38.0,
            0.35786380020038666,
            0.30933046565679634,
        ),
        (
            52.0,
            15.0,
            38.0,
            39.0,
            12.547342333660634,
            0.9355784525295359,
        ),
        (
            39.0,
            1.0,
            2.0,
            60.0,
            0.09981123440190787,
            0.14825710584872961,
        ),
    ];
    let fitted = bg_struct(CDNOW_BGNBD);
    for (h, x, tx, t, e, p) in points {
        let sql = format!(
            "SELECT bgnbd_expected_purchases({fitted}, {h}, {x}, {tx}, {t}), \
                    bgnbd_p_alive({fitted}, {x}, {tx}, {t})"
        );
        let r = row(&ctx, &sql).await;
        assert_close(&format!("E at {x},{tx},{t}"), float(&r, 0), e, 1e-9);
        assert_close(&format!("P(alive) at {x},{tx},{t}"), float(&r, 1), p, 1e-9);
    }

    let gg = gg_struct(CDNOW_GG);
    for (x, m, spend) in [
        (2.0, 35.0, 35.03079152347373),
        (10.0, 20.0, 20.63830276019358),
        (1.0, 100.0, 80.21559162338293),
    ] {
        let r = row(
            &ctx,
            &format!("SELECT gamma_gamma_expected_spend({gg}, {x}, {m})"),
        )
        .await;
        assert_close(&format!("spend at {x},{m}"), float(&r, 0), spend, 1e-10);
    }

    // Discounted lifetime value, summed period by period from lifetimes'
    // conditional expectations.
    for (args, ltv) in [
        ("2, 30.43, 38.86, 35.0, 52, 0.01, 1.0", 43.1935039261884),
        ("10, 35, 39, 20.0, 26, 0.0, 0.3", 27.011093914054918),
    ] {
        let r = row(
            &ctx,
            &format!("SELECT customer_ltv({fitted}, {gg}, {args})"),
        )
        .await;
        assert_close(&format!("ltv {args}"), float(&r, 0), ltv, 1e-9);
    }
}

#[tokio::test]
async fn logistic_fits_match_statsmodels_and_scikit_learn() {
    // (l2, intercept, coefficients, unpenalised log-likelihood); l2 = 0 from
    // statsmodels' Logit, the penalised ones from scikit-learn with C = 1/l2.
    let references = [
        (
            0.0,
            -0.38793709684472344,
            [1.181975621428302, -0.9263413293289936, 0.5582823003769183],
            -229.82697686776137,
        ),
        (
            1.0,
            -0.3859460233969672,
            [1.130500806180498, -0.8830624163304285, 0.5418013502518872],
            -229.87930842428852,
        ),
        (
            10.0,
            -0.37725560274234754,
            [0.8402797081084684, -0.6389292146767985, 0.4451971704096669],
            -232.3244973830196,
        ),
    ];
    for partitions in [1, 3] {
        let ctx = session(partitions).await;
        for (l2, intercept, coefficients, ll) in references {
            let sql = format!(
                "SELECT m.intercept, m.log_likelihood, m.converged, m.coefficients FROM \
                 (SELECT logreg_fit(label, [x1, x2, x3], {l2}) AS m FROM logreg)"
            );
            let r = row(&ctx, &sql).await;
            assert!(r.column(2).as_boolean().value(0));
            assert_close("intercept", float(&r, 0), intercept, 1e-7);
            assert_close("log-likelihood", float(&r, 1), ll, 1e-9);
            let list = r.column(3).as_list::<i32>().value(0);
            let got = list.as_primitive::<Float64Type>();
            assert_eq!(got.len(), 3);
            for (i, expected) in coefficients.iter().enumerate() {
                assert_close(
                    &format!("coefficient {i} at l2 {l2}"),
                    got.value(i),
                    *expected,
                    1e-7,
                );
            }
        }
    }
    let ctx = session(1).await;
    let sql = "WITH m AS (SELECT logreg_fit(label, [x1, x2, x3]) AS m FROM logreg) \
               SELECT logreg_predict(m, [0.5, -1.0, 2.0]), logreg_predict(m, [0.0, 0.0, 0.0]) FROM m";
    let r = row(&ctx, sql).await;
    assert_close("p at [0.5, -1, 2]", float(&r, 0), 0.904301192419809, 1e-9);
    assert_close("p at 0", float(&r, 1), 0.4042140011203107, 1e-9);
}

#[tokio::test]
async fn the_generators_bgnbd_truth_is_recovered_within_sampling_error() {
    // A lake with a few thousand customers, summarised by the recipe of
    // sql-examples/10_customer_lifetime_value.sql (its views), then fitted.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_string_lossy().to_string();
    let options = lakecast_core::generator::GenOptions {
        scale: 0.3,
        seed: 7,
    };
    lakecast_core::generator::generate(
        &path,
        options,
        true,
        &lakecast_core::generator::Silent,
    )
    .await
    .unwrap();
    let (ctx, _) = lakecast_core::open_session(&path).await.unwrap();
    let example = std::fs::read_to_string(
        workspace().join("sql-examples/10_customer_lifetime_value.sql"),
    )
    .unwrap();
    for statement in example.split(';').filter(|s| s.contains("CREATE VIEW")) {
        ctx.sql(statement).await.unwrap().collect().await.unwrap();
    }
    let batches = ctx
        .sql("SELECT frequency, recency, t FROM customer_summary")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let mut customers = Vec::new();
    for b in &batches {
        let col = |i: usize| b.column(i).as_primitive::<Float64Type>().clone();
        let (x, tx, t) = (col(0), col(1), col(2));
        for i in 0..b.num_rows() {
            customers.push((x.value(i), tx.value(i), t.value(i)));
        }
    }
    let fit = row(
        &ctx,
        "SELECT m.bg.r, m.bg.alpha, m.bg.a, m.bg.b FROM models m",
    )
    .await;
    let estimate: [f64; 4] = [0, 1, 2, 3].map(|i| float(&fit, i));
    let truth: [f64; 4] = [0.25, 4.0, 0.8, 2.5];

    // Standard errors of the log parameters from the observed information:
    // the Hessian of the total log-likelihood by central differences.
    let ll = |theta: [f64; 4]| {
        let [r, alpha, a, b] = theta.map(f64::exp);
        let model = BgNbd { r, alpha, a, b };
        customers
            .iter()
            .map(|&(x, tx, t)| model.log_likelihood(x, tx, t))
            .sum::<f64>()
    };
    let theta = estimate.map(f64::ln);
    let h = 1e-3;
    let mut hessian = [[0.0; 4]; 4];
    for i in 0..4 {
        for j in 0..4 {
            let shifted = |di: f64, dj: f64| {
                let mut t = theta;
                t[i] += di;
                t[j] += dj;
                ll(t)
            };
            hessian[i][j] = (shifted(h, h) - shifted(h, -h) - shifted(-h, h)
                + shifted(-h, -h))
                / (4.0 * h * h);
        }
    }
    let covariance = invert(hessian.map(|row| row.map(|v| -v)));
    for i in 0..4 {
        let se = covariance[i][i].sqrt();
        let off = (theta[i] - truth[i].ln()).abs();
        assert!(
            off < 3.0 * se,
            "parameter {i}: estimate {} vs truth {} is {:.1} standard errors off (se {se:.3} in log)",
            estimate[i],
            truth[i],
            off / se
        );
    }
}

/// Inverts a symmetric positive-definite 4x4 matrix by Gauss-Jordan.
fn invert(mut m: [[f64; 4]; 4]) -> [[f64; 4]; 4] {
    let mut inv = [[0.0; 4]; 4];
    for (i, row) in inv.iter_mut().enumerate() {
        row[i] = 1.0;
    }
    for col in 0..4 {
        let pivot = m[col][col];
        assert!(pivot.abs() > 1e-12, "singular information matrix");
        for k in 0..4 {
            m[col][k] /= pivot;
            inv[col][k] /= pivot;
        }
        for r in 0..4 {
            if r != col {
                let factor = m[r][col];
                for k in 0..4 {
                    m[r][k] -= factor * m[col][k];
                    inv[r][k] -= factor * inv[col][k];
                }
            }
        }
    }
    inv
}
