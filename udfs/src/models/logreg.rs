//! Logistic regression by Newton's method (iteratively reweighted least
//! squares) with an optional L2 penalty.
//!
//! The fit maximises `LL(β) - (l2 / 2) · Σ_{j≥1} β_j²`, where `LL` is the
//! Bernoulli log-likelihood summed over rows and `β_0`, the intercept, is
//! not penalised. With `l2 = 0` this is plain maximum likelihood; the same
//! optimum as scikit-learn's `LogisticRegression(C = 1 / l2)`.

use super::bgnbd::Fitted;
use super::optim::solve_cholesky;

/// A fitted logistic model.
#[derive(Debug, Clone, PartialEq)]
pub struct Logistic {
    /// The intercept.
    pub intercept: f64,
    /// One coefficient per feature.
    pub coefficients: Vec<f64>,
}

impl Logistic {
    /// The log-odds of a row.
    pub fn log_odds(&self, features: &[f64]) -> f64 {
        self.intercept
            + self
                .coefficients
                .iter()
                .zip(features)
                .map(|(b, x)| b * x)
                .sum::<f64>()
    }

    /// The probability of a row.
    pub fn predict(&self, features: &[f64]) -> f64 {
        sigmoid(self.log_odds(features))
    }
}

fn sigmoid(eta: f64) -> f64 {
    if eta >= 0.0 {
        1.0 / (1.0 + (-eta).exp())
    } else {
        let e = eta.exp();
        e / (1.0 + e)
    }
}

/// `ln(1 + e^eta)` without overflow.
fn softplus(eta: f64) -> f64 {
    if eta > 0.0 {
        eta + (-eta).exp().ln_1p()
    } else {
        eta.exp().ln_1p()
    }
}

/// Rows for a fit: labels (0 or 1) and features, `width` per row.
#[derive(Debug, Clone, Default)]
pub struct Rows {
    /// 1.0 for a positive label, 0.0 otherwise.
    pub labels: Vec<f64>,
    /// Features, row after row.
    pub features: Vec<f64>,
    /// Features per row.
    pub width: usize,
}

impl Rows {
    fn row(&self, i: usize) -> &[f64] {
        &self.features[i * self.width..(i + 1) * self.width]
    }

    /// Log-likelihood (unpenalised) of a model over the rows.
    pub fn log_likelihood(&self, model: &Logistic) -> f64 {
        (0..self.labels.len())
            .map(|i| {
                let eta = model.log_odds(self.row(i));
                self.labels[i] * eta - softplus(eta)
            })
            .sum()
    }
}

/// Fits by Newton's method: each step solves `(Xᵀ W X + L) δ = g` by
/// Cholesky and is halved until the penalised likelihood rises. Converged
/// when no coefficient moves by more than 1e-10 (relative); separable data
/// without a penalty never converges, and says so.
pub fn fit(rows: &Rows, l2: f64, max_iterations: u32) -> Fitted<Logistic> {
    let k = rows.width + 1;
    let mut beta = vec![0.0; k];
    let model = |beta: &[f64]| Logistic {
        intercept: beta[0],
        coefficients: beta[1..].to_vec(),
    };
    let penalised = |beta: &[f64]| {
        let penalty: f64 = beta[1..].iter().map(|b| b * b).sum();
        rows.log_likelihood(&model(beta)) - 0.5 * l2 * penalty
    };
    let mut current = penalised(&beta);
    let mut iterations = 0;
    let mut converged = false;
    while iterations < max_iterations {
        iterations += 1;
        let mut gradient = vec![0.0; k];
        let mut hessian = vec![0.0; k * k];
        let mut x = vec![1.0; k];
        for i in 0..rows.labels.len() {
            x[1..].copy_from_slice(rows.row(i));
            let p = sigmoid(beta.iter().zip(&x).map(|(b, x)| b * x).sum());
            let w = p * (1.0 - p);
            let residual = rows.labels[i] - p;
            for a in 0..k {
                gradient[a] += residual * x[a];
                for b in 0..=a {
                    hessian[a * k + b] += w * x[a] * x[b];
                }
            }
        }
        for j in 1..k {
            gradient[j] -= l2 * beta[j];
            hessian[j * k + j] += l2;
        }
        let Some(step) = solve_cholesky(&hessian, &gradient, k) else {
            break;
        };
        let mut scale = 1.0;
        let mut accepted = None;
        for _ in 0..40 {
            let trial: Vec<f64> =
                beta.iter().zip(&step).map(|(b, s)| b + scale * s).collect();
            let value = penalised(&trial);
            if value.is_finite() && value >= current - 1e-12 * current.abs().max(1.0) {
                accepted = Some((trial, value));
                break;
            }
            scale *= 0.5;
        }
        let Some((next, value)) = accepted else {
            break;
        };
        let moved = next
            .iter()
            .zip(&beta)
            .all(|(n, b)| (n - b).abs() <= 1e-10 * (1.0 + b.abs()));
        beta = next;
        current = value;
        if moved {
            converged = true;
            break;
        }
    }
    let fitted = model(&beta);
    Fitted {
        log_likelihood: rows.log_likelihood(&fitted),
        params: fitted,
        iterations,
        converged,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(data: &[(f64, f64)]) -> Rows {
        Rows {
            labels: data.iter().map(|d| d.0).collect(),
            features: data.iter().map(|d| d.1).collect(),
            width: 1,
        }
    }

    #[test]
    fn one_binary_feature_recovers_the_log_odds_ratio() {
        // x = 0: 1 of 4 positive; x = 1: 3 of 4 positive. The MLE is the
        // empirical log-odds: intercept ln(1/3), slope ln(3) - ln(1/3).
        let data = rows(&[
            (1.0, 0.0),
            (0.0, 0.0),
            (0.0, 0.0),
            (0.0, 0.0),
            (1.0, 1.0),
            (1.0, 1.0),
            (1.0, 1.0),
            (0.0, 1.0),
        ]);
        let fit = fit(&data, 0.0, 100);
        assert!(fit.converged);
        assert!((fit.params.intercept - (1.0f64 / 3.0).ln()).abs() < 1e-9);
        assert!((fit.params.coefficients[0] - 9f64.ln()).abs() < 1e-9);
    }

    #[test]
    fn separable_data_is_reported_not_converged_unless_penalised() {
        let data = rows(&[(0.0, -2.0), (0.0, -1.0), (1.0, 1.0), (1.0, 2.0)]);
        let loose = fit(&data, 0.0, 50);
        assert!(!loose.converged, "{loose:?}");
        let ridge = fit(&data, 1.0, 50);
        assert!(ridge.converged, "{ridge:?}");
        assert!(ridge.params.coefficients[0] > 0.0);
    }
}
