//! Special functions the lifetime-value models need: the log-gamma and
//! digamma functions and the Gauss hypergeometric function 2F1 on [0, 1).

/// `ln Γ(x)` for `x > 0`, by the Lanczos approximation (g = 7, 9 terms),
/// accurate to about 1e-15 relative.
pub fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const COEFFICIENTS: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x) Γ(1 - x) = π / sin(πx); only reached for 0 < x < 0.5.
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut sum = COEFFICIENTS[0];
    for (i, c) in COEFFICIENTS.iter().enumerate().skip(1) {
        sum += c / (x + i as f64);
    }
    let t = x + G + 0.5;
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

/// The digamma function `ψ(x) = d/dx ln Γ(x)` for `x > 0`: the recurrence
/// `ψ(x) = ψ(x + 1) - 1/x` up to 12, then the asymptotic series.
pub fn digamma(mut x: f64) -> f64 {
    let mut shift = 0.0;
    while x < 12.0 {
        shift -= 1.0 / x;
        x += 1.0;
    }
    let inv = 1.0 / x;
    let inv2 = inv * inv;
    let series = inv2
        * (1.0 / 12.0
            - inv2
                * (1.0 / 120.0
                    - inv2
                        * (1.0 / 252.0 - inv2 * (1.0 / 240.0 - inv2 * (1.0 / 132.0)))));
    shift + x.ln() - 0.5 * inv - series
}

/// The trigamma function `ψ'(x)` for `x > 0`: the recurrence
/// `ψ'(x) = ψ'(x + 1) + 1/x²` up to 12, then the asymptotic series.
pub fn trigamma(mut x: f64) -> f64 {
    let mut shift = 0.0;
    while x < 12.0 {
        shift += 1.0 / (x * x);
        x += 1.0;
    }
    let inv = 1.0 / x;
    let inv2 = inv * inv;
    let series = inv
        + inv2 / 2.0
        + inv
            * inv2
            * (1.0 / 6.0
                - inv2 * (1.0 / 30.0 - inv2 * (1.0 / 42.0 - inv2 * (1.0 / 30.0))));
    shift + series
}

/// Most terms summed before a hypergeometric series is given up on.
const MAX_TERMS: usize = 1_000_000;

/// The Gauss series `Σ (a)_n (b)_n / ((c)_n n!) z^n` for `0 <= z < 1`,
/// summed until a term no longer changes the sum.
fn gauss_series(a: f64, b: f64, c: f64, z: f64) -> f64 {
    let mut term = 1.0;
    let mut sum = 1.0;
    for n in 0..MAX_TERMS {
        let n = n as f64;
        term *= (a + n) * (b + n) / ((c + n) * (n + 1.0)) * z;
        sum += term;
        if term.abs() <= 1e-16 * sum.abs() || term == 0.0 {
            break;
        }
    }
    sum
}

/// `2F1(a, b; c; z) · (1 - z)^s` for `0 <= z < 1` and `c > 0`.
///
/// The factor keeps the result finite where 2F1 itself grows without
/// bound as z nears 1. When `c - a - b < 0` the series converges slowly
/// near 1 (its terms shrink like `n^(a+b-c-1) z^n`), so Euler's
/// transformation `2F1(a, b; c; z) = (1 - z)^(c-a-b) 2F1(c-a, c-b; c; z)`
/// is used instead, whose terms shrink like `n^(c-a-b-1) z^n`.
pub fn hyp2f1_scaled(a: f64, b: f64, c: f64, z: f64, s: f64) -> f64 {
    let excess = c - a - b;
    if excess < 0.0 {
        let power = (excess + s) * (1.0 - z).ln();
        gauss_series(c - a, c - b, c, z) * power.exp()
    } else {
        gauss_series(a, b, c, z) * (s * (1.0 - z).ln()).exp()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tolerance: f64) -> bool {
        (a - b).abs() <= tolerance * b.abs().max(1.0)
    }

    #[test]
    fn log_gamma_matches_known_values() {
        // Γ(n) = (n-1)!, Γ(1/2) = √π.
        assert!(close(ln_gamma(1.0), 0.0, 1e-15));
        assert!(close(ln_gamma(5.0), 24f64.ln(), 1e-14));
        assert!(close(
            ln_gamma(0.5),
            std::f64::consts::PI.sqrt().ln(),
            1e-14
        ));
        assert!(close(ln_gamma(171.0), 706.573_062_245_787_4, 1e-13));
        assert!(close(ln_gamma(1e-3), 6.907_178_885_383_854, 1e-10));
    }

    #[test]
    fn digamma_matches_known_values() {
        // ψ(1) = -γ, ψ(1/2) = -γ - 2 ln 2.
        let euler = 0.577_215_664_901_532_9;
        assert!(close(digamma(1.0), -euler, 1e-13));
        assert!(close(digamma(0.5), -euler - 2.0 * 2f64.ln(), 1e-13));
        assert!(close(digamma(10.0), 2.251_752_589_066_721, 1e-13));
        // ψ is the derivative of ln Γ.
        for x in [0.3, 1.7, 4.2, 25.0] {
            let h = 1e-6;
            let slope = (ln_gamma(x + h) - ln_gamma(x - h)) / (2.0 * h);
            assert!(close(digamma(x), slope, 1e-7), "{x}");
        }
    }

    #[test]
    fn trigamma_is_the_derivative_of_digamma() {
        // ψ'(1) = π²/6.
        let pi = std::f64::consts::PI;
        assert!(close(trigamma(1.0), pi * pi / 6.0, 1e-13));
        for x in [0.2, 1.3, 7.5, 40.0] {
            let h = 1e-5;
            let slope = (digamma(x + h) - digamma(x - h)) / (2.0 * h);
            assert!(close(trigamma(x), slope, 1e-7), "{x}");
        }
    }

    #[test]
    fn hypergeometric_matches_closed_forms() {
        // 2F1(1, 1; 2; z) = -ln(1 - z) / z.
        for z in [0.1f64, 0.5, 0.9, 0.999] {
            let expected = -(1.0 - z).ln() / z;
            assert!(
                close(hyp2f1_scaled(1.0, 1.0, 2.0, z, 0.0), expected, 1e-12),
                "{z}"
            );
        }
        // 2F1(a, b; b; z) = (1 - z)^-a, on the Euler path (c - a - b = -a < 0).
        for (a, z) in [(3.5, 0.2), (40.0, 0.7), (120.0, 0.95)] {
            let scaled = hyp2f1_scaled(a, 2.0, 2.0, z, a);
            assert!(close(scaled, 1.0, 1e-12), "{a} {z}: {scaled}");
        }
        // Euler's path agrees with the plain series where that converges
        // quickly, and with c - a - b < 0.
        let (a, b, c, z) = (5.0, 3.0, 4.0, 0.5);
        assert!(close(
            hyp2f1_scaled(a, b, c, z, 0.0),
            gauss_series(a, b, c, z),
            1e-12
        ));
        // Both paths agree where both converge.
        let (a, b, c, z) = (2.3, 1.1, 3.0, 0.6);
        let direct = gauss_series(a, b, c, z);
        let euler = gauss_series(c - a, c - b, c, z) * (1.0 - z).powf(c - a - b);
        assert!(close(direct, euler, 1e-13));
    }
}
