//! Minimising a smooth function of a few parameters: BFGS with a
//! backtracking line search, as the model fits use on log parameters.

/// How a minimisation ended.
#[derive(Debug, Clone)]
pub struct Minimum {
    /// The parameters at the end.
    pub x: Vec<f64>,
    /// The function's value there.
    pub value: f64,
    /// Iterations taken.
    pub iterations: u32,
    /// Whether the gradient fell below the tolerance.
    pub converged: bool,
}

/// Largest gradient component accepted as a minimum when no step can lower
/// the value any further.
const STALLED: f64 = 1e-6;

/// Minimises `f`, which returns the value and the gradient, from `start`.
/// Converged means every gradient component is at most `tolerance`, or at
/// most 1e-6 when no step lowers the value any more (the precision of the
/// value is exhausted); otherwise the search ends unconverged after
/// `max_iterations`. Non-finite values count as "too far" in the line search.
pub fn minimise(
    f: impl Fn(&[f64]) -> (f64, Vec<f64>),
    start: &[f64],
    tolerance: f64,
    max_iterations: u32,
) -> Minimum {
    let n = start.len();
    let mut x = start.to_vec();
    let (mut value, mut grad) = f(&x);
    // The inverse Hessian estimate, row-major.
    let mut h = identity(n);
    let mut iterations = 0;
    let small = |g: &[f64]| g.iter().all(|v| v.abs() <= tolerance);
    let mut converged = value.is_finite() && small(&grad);
    while !converged && iterations < max_iterations && value.is_finite() {
        iterations += 1;
        let mut direction: Vec<f64> = (0..n)
            .map(|i| -(0..n).map(|j| h[i * n + j] * grad[j]).sum::<f64>())
            .collect();
        let mut slope: f64 = direction.iter().zip(&grad).map(|(d, g)| d * g).sum();
        if slope >= 0.0 || !slope.is_finite() {
            // Not a descent direction: restart from steepest descent.
            h = identity(n);
            direction = grad.iter().map(|g| -g).collect();
            slope = -grad.iter().map(|g| g * g).sum::<f64>();
        }
        // Backtracking (Armijo) line search.
        let mut step = 1.0;
        let mut next = None;
        for _ in 0..60 {
            let candidate: Vec<f64> = x
                .iter()
                .zip(&direction)
                .map(|(x, d)| x + step * d)
                .collect();
            let (v, g) = f(&candidate);
            if v.is_finite() && v <= value + 1e-4 * step * slope {
                next = Some((candidate, v, g));
                break;
            }
            step *= 0.5;
        }
        let Some((candidate, v, g)) = next else {
            // No step lowers the value: at the limit of floating-point
            // precision. That is the minimum if the gradient is nearly flat.
            converged = grad.iter().all(|v| v.abs() <= STALLED);
            break;
        };
        let s: Vec<f64> = candidate.iter().zip(&x).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = g.iter().zip(&grad).map(|(a, b)| a - b).collect();
        let sy: f64 = s.iter().zip(&y).map(|(a, b)| a * b).sum();
        if sy > 1e-12 {
            if iterations == 1 {
                // Scale the first estimate to the curvature just seen
                // (Nocedal & Wright, eq. 6.20), so later steps of length 1
                // are about right instead of needing many halvings.
                let yy: f64 = y.iter().map(|v| v * v).sum();
                h = identity(n).into_iter().map(|v| v * sy / yy).collect();
            }
            update_inverse_hessian(&mut h, &s, &y, sy);
        }
        let moved = (value - v).abs() <= 1e-15 * value.abs().max(1.0);
        x = candidate;
        value = v;
        grad = g;
        converged = small(&grad);
        if moved && !converged && s.iter().all(|v| v.abs() < 1e-14) {
            converged = grad.iter().all(|v| v.abs() <= STALLED);
            break;
        }
    }
    Minimum {
        x,
        value,
        iterations,
        converged,
    }
}

/// A function's value, gradient and Hessian (row-major) at a point.
pub type Second = (f64, Vec<f64>, Vec<f64>);

/// Minimises `f` by Newton's method from `start`: each step solves
/// `(H + λI) δ = -g` with λ = 0 while `H` is positive definite and the step
/// lowers the value, raised tenfold otherwise (Levenberg-Marquardt damping),
/// so it converges quadratically near the minimum and safely far from it.
/// Converged as for [`minimise`].
pub fn minimise_newton(
    f: impl Fn(&[f64]) -> Second,
    start: &[f64],
    tolerance: f64,
    max_iterations: u32,
) -> Minimum {
    let n = start.len();
    let mut x = start.to_vec();
    let (mut value, mut grad, mut hess) = f(&x);
    let small = |g: &[f64]| g.iter().all(|v| v.abs() <= tolerance);
    let mut converged = value.is_finite() && small(&grad);
    let mut iterations = 0;
    let mut damping = 0.0;
    while !converged && iterations < max_iterations && value.is_finite() {
        iterations += 1;
        let mut accepted = None;
        for _ in 0..40 {
            let mut system = hess.clone();
            for i in 0..n {
                system[i * n + i] += damping;
            }
            let rhs: Vec<f64> = grad.iter().map(|g| -g).collect();
            if let Some(step) = solve_cholesky(&system, &rhs, n) {
                let candidate: Vec<f64> =
                    x.iter().zip(&step).map(|(x, s)| x + s).collect();
                let next = f(&candidate);
                if next.0.is_finite() && next.0 <= value {
                    accepted = Some((candidate, next));
                    break;
                }
            }
            damping = if damping == 0.0 { 1e-6 } else { damping * 10.0 };
        }
        let Some((candidate, (v, g, h))) = accepted else {
            converged = grad.iter().all(|v| v.abs() <= STALLED);
            break;
        };
        let still = (value - v).abs() <= 1e-15 * value.abs().max(1.0);
        x = candidate;
        value = v;
        grad = g;
        hess = h;
        damping /= 100.0;
        if damping < 1e-9 {
            damping = 0.0;
        }
        converged = small(&grad);
        if still && !converged {
            converged = grad.iter().all(|v| v.abs() <= STALLED);
            break;
        }
    }
    Minimum {
        x,
        value,
        iterations,
        converged,
    }
}

/// Solves `A x = b` for a symmetric positive-definite `A` of which the
/// lower triangle is filled; `None` when `A` is not positive definite.
pub fn solve_cholesky(a: &[f64], b: &[f64], n: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let sum: f64 = (0..j).map(|m| l[i * n + m] * l[j * n + m]).sum();
            if i == j {
                let d = a[i * n + i] - sum;
                if d <= 1e-12 * a[i * n + i].abs().max(1e-300) || !d.is_finite() {
                    return None;
                }
                l[i * n + i] = d.sqrt();
            } else {
                l[i * n + j] = (a[i * n + j] - sum) / l[j * n + j];
            }
        }
    }
    let mut y = vec![0.0; n];
    for i in 0..n {
        let sum: f64 = (0..i).map(|m| l[i * n + m] * y[m]).sum();
        y[i] = (b[i] - sum) / l[i * n + i];
    }
    let mut x = vec![0.0; n];
    for i in (0..n).rev() {
        let sum: f64 = (i + 1..n).map(|m| l[m * n + i] * x[m]).sum();
        x[i] = (y[i] - sum) / l[i * n + i];
    }
    Some(x)
}

fn identity(n: usize) -> Vec<f64> {
    let mut h = vec![0.0; n * n];
    for i in 0..n {
        h[i * n + i] = 1.0;
    }
    h
}

/// The BFGS update `H ← (I - ρ s yᵀ) H (I - ρ y sᵀ) + ρ s sᵀ`, `ρ = 1/(yᵀs)`.
fn update_inverse_hessian(h: &mut [f64], s: &[f64], y: &[f64], sy: f64) {
    let n = s.len();
    let rho = 1.0 / sy;
    let hy: Vec<f64> = (0..n)
        .map(|i| (0..n).map(|j| h[i * n + j] * y[j]).sum())
        .collect();
    let yhy: f64 = y.iter().zip(&hy).map(|(a, b)| a * b).sum();
    for i in 0..n {
        for j in 0..n {
            h[i * n + j] += (1.0 + rho * yhy) * rho * s[i] * s[j]
                - rho * (hy[i] * s[j] + s[i] * hy[j]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_minimum_of_the_rosenbrock_valley() {
        let rosenbrock = |x: &[f64]| {
            let (a, b) = (x[0], x[1]);
            let value = (1.0 - a).powi(2) + 100.0 * (b - a * a).powi(2);
            let grad = vec![
                -2.0 * (1.0 - a) - 400.0 * a * (b - a * a),
                200.0 * (b - a * a),
            ];
            (value, grad)
        };
        let m = minimise(rosenbrock, &[-1.2, 1.0], 1e-10, 500);
        assert!(m.converged, "{m:?}");
        assert!(
            (m.x[0] - 1.0).abs() < 1e-8 && (m.x[1] - 1.0).abs() < 1e-8,
            "{m:?}"
        );
    }

    #[test]
    fn newton_finds_the_minimum_of_the_rosenbrock_valley() {
        let rosenbrock = |x: &[f64]| {
            let (a, b) = (x[0], x[1]);
            let value = (1.0 - a).powi(2) + 100.0 * (b - a * a).powi(2);
            let grad = vec![
                -2.0 * (1.0 - a) - 400.0 * a * (b - a * a),
                200.0 * (b - a * a),
            ];
            let hess = vec![
                2.0 - 400.0 * (b - 3.0 * a * a),
                -400.0 * a,
                -400.0 * a,
                200.0,
            ];
            (value, grad, hess)
        };
        let m = minimise_newton(rosenbrock, &[-1.2, 1.0], 1e-10, 200);
        assert!(m.converged, "{m:?}");
        assert!(
            (m.x[0] - 1.0).abs() < 1e-8 && (m.x[1] - 1.0).abs() < 1e-8,
            "{m:?}"
        );
    }

    #[test]
    fn says_when_it_did_not_converge() {
        // Unbounded below: the search must stop and say so.
        let m = minimise(|x: &[f64]| (-x[0], vec![-1.0]), &[0.0], 1e-10, 20);
        assert!(!m.converged);
        assert_eq!(m.iterations, 20);
    }
}
