//! The Gamma-Gamma model of spend per purchase (Fader & Hardie 2013, "The
//! Gamma-Gamma Model of Monetary Value"): a customer's purchase values are
//! `Gamma(p, ν)` with `ν ~ Gamma(q, v)` across customers. A customer is
//! summarised by `x` repeat purchases and their mean value `m`.

use super::bgnbd::Fitted;
use super::optim::minimise;
use super::special::{digamma, ln_gamma};

/// Gamma-Gamma parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GammaGamma {
    /// Shape of each purchase's value.
    pub p: f64,
    /// Shape of the distribution of customers' rate parameters.
    pub q: f64,
    /// Scale of the distribution of customers' rate parameters.
    pub v: f64,
}

/// One spender: `x > 0` purchases of mean value `m`, shared by `count`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spender {
    /// Repeat purchases, > 0.
    pub x: f64,
    /// Their mean value, > 0.
    pub m: f64,
    /// Customers with exactly this summary.
    pub count: f64,
}

/// Sorts by `x` and folds identical summaries into counts.
pub fn compress(mut rows: Vec<Spender>) -> Vec<Spender> {
    // Positive doubles sort as their bits do.
    rows.sort_unstable_by_key(|s| (s.x.to_bits(), s.m.to_bits()));
    let mut out: Vec<Spender> = Vec::with_capacity(rows.len());
    for row in rows {
        match out.last_mut() {
            Some(last) if (last.x, last.m) == (row.x, row.m) => last.count += row.count,
            _ => out.push(row),
        }
    }
    out
}

impl GammaGamma {
    /// Log-likelihood of one spender's mean value.
    pub fn log_likelihood(&self, x: f64, m: f64) -> f64 {
        let GammaGamma { p, q, v } = *self;
        ln_gamma(p * x + q) - ln_gamma(p * x) - ln_gamma(q)
            + q * v.ln()
            + (p * x - 1.0) * m.ln()
            + p * x * x.ln()
            - (p * x + q) * (x * m + v).ln()
    }

    /// Expected value of a purchase of a customer with `x` purchases of
    /// mean `m` (`x = 0` gives the population mean `p v / (q - 1)`).
    pub fn expected_spend(&self, x: f64, m: f64) -> f64 {
        let GammaGamma { p, q, v } = *self;
        p * (v + x * m) / (p * x + q - 1.0)
    }
}

/// Mean negative log-likelihood and its gradient in log parameters.
fn objective(spenders: &[Spender], total: f64, theta: &[f64]) -> (f64, Vec<f64>) {
    let [p, q, v] = [0, 1, 2].map(|i| theta[i].exp());
    if ![p, q, v].iter().all(|t| t.is_finite() && *t > 0.0) {
        return (f64::INFINITY, vec![0.0; 3]);
    }
    let (lg_q, dg_q, ln_v) = (ln_gamma(q), digamma(q), v.ln());
    let mut sum = 0.0;
    let mut grad = [0.0; 3];
    let mut start = 0;
    while start < spenders.len() {
        let x = spenders[start].x;
        let end = start
            + spenders[start..]
                .iter()
                .position(|s| s.x != x)
                .unwrap_or(spenders.len() - start);
        let px = p * x;
        let lg = ln_gamma(px + q) - ln_gamma(px) - lg_q + q * ln_v + px * x.ln();
        let (dg_pxq, dg_px) = (digamma(px + q), digamma(px));
        for s in &spenders[start..end] {
            let (ln_m, ln_xmv) = (s.m.ln(), (x * s.m + v).ln());
            let n = s.count;
            sum += n * (lg + (px - 1.0) * ln_m - (px + q) * ln_xmv);
            grad[0] += n * x * (dg_pxq - dg_px + ln_m + x.ln() - ln_xmv);
            grad[1] += n * (dg_pxq - dg_q + ln_v - ln_xmv);
            grad[2] += n * (q / v - (px + q) / (x * s.m + v));
        }
        start = end;
    }
    let scale = [p, q, v];
    let grad = (0..3).map(|i| -grad[i] * scale[i] / total).collect();
    (-sum / total, grad)
}

/// Fits Gamma-Gamma by maximum likelihood on log parameters with analytic
/// gradients. `spenders` should come from [`compress`].
pub fn fit(spenders: &[Spender]) -> Fitted<GammaGamma> {
    let total: f64 = spenders.iter().map(|s| s.count).sum();
    let m = minimise(
        |theta| objective(spenders, total, theta),
        &[0.0; 3],
        1e-9,
        2000,
    );
    let [p, q, v] = [0, 1, 2].map(|i| m.x[i].exp());
    Fitted {
        params: GammaGamma { p, q, v },
        log_likelihood: -m.value * total,
        iterations: m.iterations,
        converged: m.converged,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gradient_matches_finite_differences() {
        let spenders = compress(vec![
            Spender {
                x: 1.0,
                m: 35.0,
                count: 2.0,
            },
            Spender {
                x: 4.0,
                m: 12.5,
                count: 1.0,
            },
            Spender {
                x: 9.0,
                m: 80.0,
                count: 1.0,
            },
        ]);
        let theta = [1.8, 1.3, 2.7];
        let (_, grad) = objective(&spenders, 4.0, &theta);
        for i in 0..3 {
            let h = 1e-6;
            let (mut up, mut down) = (theta, theta);
            up[i] += h;
            down[i] -= h;
            let slope = (objective(&spenders, 4.0, &up).0
                - objective(&spenders, 4.0, &down).0)
                / (2.0 * h);
            assert!(
                (grad[i] - slope).abs() < 1e-7,
                "{i}: {} vs {slope}",
                grad[i]
            );
        }
    }

    #[test]
    fn expected_spend_shrinks_towards_the_population_mean() {
        let g = GammaGamma {
            p: 6.25,
            q: 3.74,
            v: 15.44,
        };
        let population = g.expected_spend(0.0, 0.0);
        assert!((population - 6.25 * 15.44 / 2.74).abs() < 1e-12);
        // One purchase of 100 moves the estimate part of the way to 100;
        // many purchases move it nearly all the way.
        let one = g.expected_spend(1.0, 100.0);
        let many = g.expected_spend(200.0, 100.0);
        assert!(
            population < one && one < many && many < 100.5,
            "{one} {many}"
        );
    }
}
