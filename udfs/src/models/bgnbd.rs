//! The BG/NBD model (Fader, Hardie & Lee 2005, "Counting Your Customers
//! the Easy Way"): while alive a customer buys at a Poisson rate
//! `λ ~ Gamma(r, α)`; after each purchase they drop out with probability
//! `p ~ Beta(a, b)`. A customer is summarised by `x` repeat purchases, the
//! time `t_x` of the last one and the time `T` since the first, all in one
//! period unit.

use super::optim::minimise;
use super::special::{digamma, hyp2f1_scaled, ln_gamma};

/// BG/NBD parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BgNbd {
    /// Shape of the purchase-rate distribution.
    pub r: f64,
    /// Scale of the purchase-rate distribution, in periods.
    pub alpha: f64,
    /// First shape of the drop-out distribution.
    pub a: f64,
    /// Second shape of the drop-out distribution.
    pub b: f64,
}

/// A fitted model and how the fit went.
#[derive(Debug, Clone, Copy)]
pub struct Fitted<P> {
    /// The maximum-likelihood parameters.
    pub params: P,
    /// The total log-likelihood at them.
    pub log_likelihood: f64,
    /// Optimiser iterations.
    pub iterations: u32,
    /// Whether the gradient vanished to the tolerance.
    pub converged: bool,
}

/// One customer summary with the number of customers sharing it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Customer {
    /// Repeat purchases.
    pub x: f64,
    /// Time of the last purchase.
    pub t_x: f64,
    /// Age: time since the first purchase.
    pub t: f64,
    /// How many customers have exactly this summary.
    pub count: f64,
}

/// Sorts summaries by `x` and folds identical ones into counts, so a fit
/// costs per distinct summary and the terms that depend on `x` alone are
/// computed once per distinct `x`.
pub fn compress(mut rows: Vec<Customer>) -> Vec<Customer> {
    rows.sort_by(|p, q| {
        p.x.total_cmp(&q.x)
            .then(p.t_x.total_cmp(&q.t_x))
            .then(p.t.total_cmp(&q.t))
    });
    let mut out: Vec<Customer> = Vec::with_capacity(rows.len());
    for row in rows {
        match out.last_mut() {
            Some(last) if (last.x, last.t_x, last.t) == (row.x, row.t_x, row.t) => {
                last.count += row.count;
            }
            _ => out.push(row),
        }
    }
    out
}

impl BgNbd {
    /// Log-likelihood of one customer summary.
    pub fn log_likelihood(&self, x: f64, t_x: f64, t: f64) -> f64 {
        let BgNbd { r, alpha, a, b } = *self;
        let a1 = ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln();
        let a2 = ln_gamma(a + b) + ln_gamma(b + x) - ln_gamma(b) - ln_gamma(a + b + x);
        let a3 = -(r + x) * (alpha + t).ln();
        let tail = if x > 0.0 {
            let a4 = a.ln() - (b + x - 1.0).ln() - (r + x) * (alpha + t_x).ln();
            log_add(a3, a4)
        } else {
            a3
        };
        a1 + a2 + tail
    }

    /// Probability that a customer with this summary is still alive at `t`.
    pub fn p_alive(&self, x: f64, t_x: f64, t: f64) -> f64 {
        if x == 0.0 {
            return 1.0;
        }
        let BgNbd { r, alpha, a, b } = *self;
        let log_odds_dead =
            a.ln() - (b + x - 1.0).ln() + (r + x) * ((alpha + t) / (alpha + t_x)).ln();
        1.0 / (1.0 + log_odds_dead.exp())
    }

    /// Expected purchases in the next `horizon` periods of a customer with
    /// this summary (equation 10 of Fader, Hardie & Lee 2005).
    pub fn expected_purchases(&self, horizon: f64, x: f64, t_x: f64, t: f64) -> f64 {
        if horizon == 0.0 {
            return 0.0;
        }
        let BgNbd { r, alpha, a, b } = *self;
        // At a = 1 the formula is 0/0; its limit is taken just beside it.
        let a = if (a - 1.0).abs() < 1e-9 {
            1.0 + 1e-9
        } else {
            a
        };
        let z = horizon / (alpha + t + horizon);
        // 2F1(r+x, b+x; a+b+x-1; z) · (1 - z)^(r+x): bounded, as the power
        // is exactly ((α+T)/(α+T+t))^(r+x) of the formula.
        let scaled = hyp2f1_scaled(r + x, b + x, a + b + x - 1.0, z, r + x);
        let numerator = (a + b + x - 1.0) / (a - 1.0) * (1.0 - scaled);
        let denominator = if x > 0.0 {
            1.0 + (a / (b + x - 1.0)) * ((alpha + t) / (alpha + t_x)).powf(r + x)
        } else {
            1.0
        };
        numerator / denominator
    }
}

/// `ln(e^u + e^v)` without overflow.
fn log_add(u: f64, v: f64) -> f64 {
    let m = u.max(v);
    m + ((u - m).exp() + (v - m).exp()).ln()
}

/// Terms of the likelihood that depend on the parameters and `x` alone.
struct PerX {
    a1: f64,
    a2: f64,
    d_r: f64,
    d_a: f64,
    d_b: f64,
    ln_bx1: f64,
}

/// The mean negative log-likelihood of the customers and its gradient in
/// log parameters.
fn objective(customers: &[Customer], total: f64, theta: &[f64]) -> (f64, Vec<f64>) {
    let [r, alpha, a, b] = [0, 1, 2, 3].map(|i| theta[i].exp());
    if ![r, alpha, a, b].iter().all(|v| v.is_finite() && *v > 0.0) {
        return (f64::INFINITY, vec![0.0; 4]);
    }
    let (ln_alpha, ln_a) = (alpha.ln(), a.ln());
    let (lg_r, lg_ab, lg_b) = (ln_gamma(r), ln_gamma(a + b), ln_gamma(b));
    let (dg_r, dg_ab, dg_b) = (digamma(r), digamma(a + b), digamma(b));
    let mut sum = 0.0;
    let mut grad = [0.0; 4];
    let mut start = 0;
    while start < customers.len() {
        let x = customers[start].x;
        let end = start
            + customers[start..]
                .iter()
                .position(|c| c.x != x)
                .unwrap_or(customers.len() - start);
        let k = PerX {
            a1: ln_gamma(r + x) - lg_r + r * ln_alpha,
            a2: lg_ab + ln_gamma(b + x) - lg_b - ln_gamma(a + b + x),
            d_r: digamma(r + x) - dg_r + ln_alpha,
            d_a: dg_ab - digamma(a + b + x),
            d_b: dg_ab + digamma(b + x) - dg_b - digamma(a + b + x),
            ln_bx1: if x > 0.0 { (b + x - 1.0).ln() } else { 0.0 },
        };
        for c in &customers[start..end] {
            let ln_at = (alpha + c.t).ln();
            let a3 = -(r + x) * ln_at;
            let (tail, w4, ln_atx) = if x > 0.0 {
                let ln_atx = (alpha + c.t_x).ln();
                let a4 = ln_a - k.ln_bx1 - (r + x) * ln_atx;
                let tail = log_add(a3, a4);
                (tail, (a4 - tail).exp(), ln_atx)
            } else {
                (a3, 0.0, 0.0)
            };
            let w3 = 1.0 - w4;
            let n = c.count;
            sum += n * (k.a1 + k.a2 + tail);
            grad[0] += n * (k.d_r - w3 * ln_at - w4 * ln_atx);
            grad[1] += n
                * (r / alpha
                    - w3 * (r + x) / (alpha + c.t)
                    - w4 * (r + x) / (alpha + c.t_x));
            grad[2] += n * (k.d_a + w4 / a);
            let d_b4 = if x > 0.0 { -w4 / (b + x - 1.0) } else { 0.0 };
            grad[3] += n * (k.d_b + d_b4);
        }
        start = end;
    }
    let scale = [r, alpha, a, b];
    let grad = (0..4).map(|i| -grad[i] * scale[i] / total).collect();
    (-sum / total, grad)
}

/// Fits BG/NBD by maximum likelihood on log parameters with analytic
/// gradients. `customers` should come from [`compress`].
pub fn fit(customers: &[Customer]) -> Fitted<BgNbd> {
    let total: f64 = customers.iter().map(|c| c.count).sum();
    let mean_t = customers.iter().map(|c| c.count * c.t).sum::<f64>() / total;
    let start = [0.0, mean_t.max(1.0).ln(), 0.0, 0.0];
    let m = minimise(
        |theta| objective(customers, total, theta),
        &start,
        1e-9,
        2000,
    );
    let [r, alpha, a, b] = [0, 1, 2, 3].map(|i| m.x[i].exp());
    Fitted {
        params: BgNbd { r, alpha, a, b },
        log_likelihood: -m.value * total,
        iterations: m.iterations,
        converged: m.converged,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PUBLISHED: BgNbd = BgNbd {
        r: 0.243,
        alpha: 4.414,
        a: 0.793,
        b: 2.426,
    };

    #[test]
    fn the_papers_example_customer() {
        // Fader, Hardie & Lee (2005), section 5: x = 2, t_x = 30.43,
        // T = 38.86 expects 1.226 purchases in the next 39 weeks.
        let e = PUBLISHED.expected_purchases(39.0, 2.0, 30.43, 38.86);
        assert!((e - 1.226).abs() < 5e-4, "{e}");
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let customers = compress(vec![
            Customer {
                x: 0.0,
                t_x: 0.0,
                t: 38.0,
                count: 3.0,
            },
            Customer {
                x: 2.0,
                t_x: 30.43,
                t: 38.86,
                count: 1.0,
            },
            Customer {
                x: 7.0,
                t_x: 20.0,
                t: 35.0,
                count: 2.0,
            },
            Customer {
                x: 1.0,
                t_x: 1.5,
                t: 60.0,
                count: 1.0,
            },
        ]);
        let theta = [-1.2, 1.4, -0.2, 0.9];
        let (_, grad) = objective(&customers, 7.0, &theta);
        for i in 0..4 {
            let h = 1e-6;
            let mut up = theta;
            let mut down = theta;
            up[i] += h;
            down[i] -= h;
            let slope = (objective(&customers, 7.0, &up).0
                - objective(&customers, 7.0, &down).0)
                / (2.0 * h);
            assert!(
                (grad[i] - slope).abs() < 1e-7,
                "{i}: {} vs {slope}",
                grad[i]
            );
        }
    }

    #[test]
    fn the_likelihood_is_the_sum_over_customers() {
        let rows = [(0.0, 0.0, 38.86), (2.0, 30.43, 38.86), (5.0, 20.0, 38.0)];
        let customers = compress(
            rows.iter()
                .map(|&(x, t_x, t)| Customer {
                    x,
                    t_x,
                    t,
                    count: 1.0,
                })
                .collect(),
        );
        let theta = [PUBLISHED.r, PUBLISHED.alpha, PUBLISHED.a, PUBLISHED.b].map(f64::ln);
        let (mean, _) = objective(&customers, 3.0, &theta);
        let direct: f64 = rows
            .iter()
            .map(|&(x, t_x, t)| PUBLISHED.log_likelihood(x, t_x, t))
            .sum();
        assert!((-mean * 3.0 - direct).abs() < 1e-10);
    }

    #[test]
    fn compress_counts_identical_summaries() {
        let c = |x, count| Customer {
            x,
            t_x: 1.0,
            t: 5.0,
            count,
        };
        let out = compress(vec![c(1.0, 1.0), c(0.0, 1.0), c(1.0, 2.0)]);
        assert_eq!(out, vec![c(0.0, 1.0), c(1.0, 3.0)]);
    }
}
