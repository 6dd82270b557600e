//! The BG/NBD model (Fader, Hardie & Lee 2005, "Counting Your Customers
//! the Easy Way"): while alive a customer buys at a Poisson rate
//! `λ ~ Gamma(r, α)`; after each purchase they drop out with probability
//! `p ~ Beta(a, b)`. A customer is summarised by `x` repeat purchases, the
//! time `t_x` of the last one and the time `T` since the first, all in one
//! period unit.

use super::optim::{Second, minimise_newton};
use super::special::{digamma, hyp2f1_scaled, ln_gamma, trigamma};

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
    // Summaries are never negative, and the bits of non-negative doubles
    // sort as the numbers do: integer keys make the sort several times
    // faster than float comparisons.
    rows.sort_unstable_by_key(|c| (c.x.to_bits(), c.t_x.to_bits(), c.t.to_bits()));
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

/// Sizes of the evenly spaced samples a large fit is started from, each
/// fitted from the previous one's optimum (a sample is used only when the
/// data hold more than four times as many summaries).
const SAMPLES: [usize; 2] = [2_000, 20_000];

/// Customers per piece when the likelihood is summed on several threads.
/// The pieces are fixed by the data, not the machine, and their sums are
/// added in order, so a fit gives the same bits on any number of cores.
const PIECE: usize = 4_096;

/// Sums of the log-likelihood, its gradient and its Hessian in the
/// parameters `(r, alpha, a, b)` themselves.
#[derive(Debug, Clone, Copy, Default)]
struct Sums {
    value: f64,
    grad: [f64; 4],
    hess: [[f64; 4]; 4],
}

impl Sums {
    /// Adds `weight` times `other`.
    fn add(&mut self, other: &Sums, weight: f64) {
        self.value += weight * other.value;
        for i in 0..4 {
            self.grad[i] += weight * other.grad[i];
            for j in 0..4 {
                self.hess[i][j] += weight * other.hess[i][j];
            }
        }
    }
}

/// The mean negative log-likelihood of the customers, its gradient and its
/// Hessian in log parameters.
fn objective(customers: &[Customer], total: f64, theta: &[f64]) -> Second {
    let [r, alpha, a, b] = [0, 1, 2, 3].map(|i| theta[i].exp());
    if ![r, alpha, a, b].iter().all(|v| v.is_finite() && *v > 0.0) {
        return (f64::INFINITY, vec![0.0; 4], vec![0.0; 16]);
    }
    let params = BgNbd { r, alpha, a, b };
    let pieces: Vec<&[Customer]> = customers.chunks(PIECE).collect();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let partials: Vec<Sums> = if pieces.len() < 8 || threads < 2 {
        pieces.iter().map(|piece| partial(piece, &params)).collect()
    } else {
        let workers = threads.min(pieces.len());
        let mut results = vec![Sums::default(); pieces.len()];
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..workers)
                .map(|w| {
                    let pieces = &pieces;
                    scope.spawn(move || {
                        (w..pieces.len())
                            .step_by(workers)
                            .map(|i| (i, partial(pieces[i], &params)))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            for handle in handles {
                // A worker only does arithmetic; if it panicked anyway the
                // sum is marked unusable rather than propagated.
                match handle.join() {
                    Ok(done) => {
                        for (i, value) in done {
                            results[i] = value;
                        }
                    }
                    Err(_) => results[0].value = f64::NAN,
                }
            }
        });
        results
    };
    let mut sums = Sums::default();
    for p in &partials {
        sums.add(p, 1.0);
    }
    // To log parameters: d/dθ_i = φ_i d/dφ_i, and
    // d²/dθ_i dθ_j = φ_i φ_j d²/dφ_i dφ_j + [i = j] φ_i d/dφ_i.
    let phi = [r, alpha, a, b];
    let grad: Vec<f64> = (0..4).map(|i| -phi[i] * sums.grad[i] / total).collect();
    let mut hess = vec![0.0; 16];
    for i in 0..4 {
        for j in 0..4 {
            let mut h = phi[i] * phi[j] * sums.hess[i][j];
            if i == j {
                h += phi[i] * sums.grad[i];
            }
            hess[i * 4 + j] = -h / total;
        }
    }
    (-sums.value / total, grad, hess)
}

/// The log-likelihood, gradient and Hessian summed over a run of customers
/// sorted by `x`. The terms of `x` alone are computed once per distinct
/// `x`; each customer then costs two logarithms and one exponential.
fn partial(customers: &[Customer], params: &BgNbd) -> Sums {
    let BgNbd { r, alpha, a, b } = *params;
    let (ln_alpha, ln_a) = (alpha.ln(), a.ln());
    let (lg_r, lg_ab, lg_b) = (ln_gamma(r), ln_gamma(a + b), ln_gamma(b));
    let (dg_r, dg_ab, dg_b) = (digamma(r), digamma(a + b), digamma(b));
    let (tg_r, tg_ab, tg_b) = (trigamma(r), trigamma(a + b), trigamma(b));
    let mut out = Sums::default();
    let mut start = 0;
    while start < customers.len() {
        let x = customers[start].x;
        let end = start
            + customers[start..]
                .iter()
                .position(|c| c.x != x)
                .unwrap_or(customers.len() - start);
        let run = &customers[start..end];
        start = end;
        let count: f64 = run.iter().map(|c| c.count).sum();
        let rx = r + x;
        // The parts that depend on x alone: A1 = lnΓ(r+x) - lnΓ(r) + r ln α
        // and A2 = lnΓ(a+b) + lnΓ(b+x) - lnΓ(b) - lnΓ(a+b+x).
        let (tg_abx, tg_bx) = (trigamma(a + b + x), trigamma(b + x));
        let per_x = Sums {
            value: ln_gamma(rx) - lg_r + r * ln_alpha + lg_ab + ln_gamma(b + x)
                - lg_b
                - ln_gamma(a + b + x),
            grad: [
                digamma(rx) - dg_r + ln_alpha,
                r / alpha,
                dg_ab - digamma(a + b + x),
                dg_ab + digamma(b + x) - dg_b - digamma(a + b + x),
            ],
            hess: [
                [trigamma(rx) - tg_r, 1.0 / alpha, 0.0, 0.0],
                [1.0 / alpha, -r / (alpha * alpha), 0.0, 0.0],
                [0.0, 0.0, tg_ab - tg_abx, tg_ab - tg_abx],
                [0.0, 0.0, tg_ab - tg_abx, tg_ab + tg_bx - tg_b - tg_abx],
            ],
        };
        out.add(&per_x, count);
        if x == 0.0 {
            // No repeat purchase: only a3 = -(r+x) ln(α+T).
            for c in run {
                let n = c.count;
                let at = alpha + c.t;
                let ln_at = at.ln();
                out.value -= n * rx * ln_at;
                out.grad[0] -= n * ln_at;
                out.grad[1] -= n * rx / at;
                out.hess[0][1] -= n / at;
                out.hess[1][0] -= n / at;
                out.hess[1][1] += n * rx / (at * at);
            }
            continue;
        }
        let bx1 = b + x - 1.0;
        let ln_bx1 = bx1.ln();
        // Per-customer sums, kept in registers; the gradient's a and b parts
        // and the Hessian's outer product (g3 - g4)(g3 - g4)ᵀ have two
        // components that are constant within the run (-1/a and 1/(b+x-1)),
        // so only the sums of the varying ones are needed.
        let (mut value, mut g0, mut g1, mut w4_sum) = (0.0, 0.0, 0.0, 0.0);
        let (mut c, mut c0, mut c1, mut c00, mut c01, mut c11) =
            (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
        let (mut h01, mut h11) = (0.0, 0.0);
        for customer in run {
            let n = customer.count;
            let (at, atx) = (alpha + customer.t, alpha + customer.t_x);
            let (inv_at, inv_atx) = (1.0 / at, 1.0 / atx);
            let (ln_at, ln_atx) = (at.ln(), atx.ln());
            let a3 = -rx * ln_at;
            let a4 = ln_a - ln_bx1 - rx * ln_atx;
            // ln(e^a3 + e^a4) and the weight w4 = e^a4 / (e^a3 + e^a4) from
            // one exponential; e <= 1, so ln(1 + e) loses nothing that
            // matters in absolute terms and is about twice as fast as ln_1p.
            let d = a3 - a4;
            let e = (-d.abs()).exp();
            let share = 1.0 / (1.0 + e);
            let tail = a3.max(a4) + (1.0 + e).ln();
            let w4 = if d > 0.0 { e * share } else { share };
            let w3 = 1.0 - w4;
            value += n * tail;
            g0 -= n * (w3 * ln_at + w4 * ln_atx);
            g1 -= n * rx * (w3 * inv_at + w4 * inv_atx);
            w4_sum += n * w4;
            let diff0 = ln_atx - ln_at;
            let diff1 = rx * (inv_atx - inv_at);
            let cross = n * w3 * w4;
            c += cross;
            c0 += cross * diff0;
            c1 += cross * diff1;
            c00 += cross * diff0 * diff0;
            c01 += cross * diff0 * diff1;
            c11 += cross * diff1 * diff1;
            h01 -= n * (w3 * inv_at + w4 * inv_atx);
            h11 += n * rx * (w3 * inv_at * inv_at + w4 * inv_atx * inv_atx);
        }
        let (d2, d3) = (-1.0 / a, 1.0 / bx1);
        out.value += value;
        out.grad[0] += g0;
        out.grad[1] += g1;
        out.grad[2] += w4_sum / a;
        out.grad[3] -= w4_sum / bx1;
        let outer = [
            [c00, c01, d2 * c0, d3 * c0],
            [c01, c11, d2 * c1, d3 * c1],
            [d2 * c0, d2 * c1, d2 * d2 * c, d2 * d3 * c],
            [d3 * c0, d3 * c1, d2 * d3 * c, d3 * d3 * c],
        ];
        for (row, add) in out.hess.iter_mut().zip(&outer) {
            for (h, v) in row.iter_mut().zip(add) {
                *h += v;
            }
        }
        out.hess[0][1] += h01;
        out.hess[1][0] += h01;
        out.hess[1][1] += h11;
        out.hess[2][2] -= w4_sum / (a * a);
        out.hess[3][3] += w4_sum / (bx1 * bx1);
    }
    out
}

/// Fits BG/NBD by maximum likelihood on log parameters with analytic
/// gradients. `customers` should come from [`compress`].
pub fn fit(customers: &[Customer]) -> Fitted<BgNbd> {
    let total: f64 = customers.iter().map(|c| c.count).sum();
    let mean_t = customers.iter().map(|c| c.count * c.t).sum::<f64>() / total;
    let mut start = vec![0.0, mean_t.max(1.0).ln(), 0.0, 0.0];
    // Many customers: find the neighbourhood of the optimum on an evenly
    // spaced sample first (every k-th summary, still sorted by x), so the
    // full data needs only the last, quadratically converging steps.
    for size in SAMPLES {
        if customers.len() <= 4 * size {
            continue;
        }
        let every = customers.len() / size;
        let sample: Vec<Customer> = customers.iter().step_by(every).copied().collect();
        let sample_total: f64 = sample.iter().map(|c| c.count).sum();
        let rough = minimise_newton(
            |theta| objective(&sample, sample_total, theta),
            &start,
            1e-6,
            500,
        );
        if rough.converged {
            start = rough.x;
        }
    }
    let m = minimise_newton(
        |theta| objective(customers, total, theta),
        &start,
        1e-9,
        500,
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
    fn gradient_and_hessian_match_finite_differences() {
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
        let (_, grad, hess) = objective(&customers, 7.0, &theta);
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
            let g_up = objective(&customers, 7.0, &up).1;
            let g_down = objective(&customers, 7.0, &down).1;
            for j in 0..4 {
                let curvature = (g_up[j] - g_down[j]) / (2.0 * h);
                let exact = hess[j * 4 + i];
                assert!(
                    (exact - curvature).abs() < 1e-6,
                    "H[{j}][{i}]: {exact} vs {curvature}"
                );
            }
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
        let (mean, _, _) = objective(&customers, 3.0, &theta);
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
