//! Seeded randomness for the generator: one independent stream per table
//! family, so each family's data depends only on the seed and the scale.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Beta, Binomial, Distribution, Gamma, Poisson, StandardNormal};

/// A deterministic random source with the draws the generator needs.
pub struct Dice(ChaCha8Rng);

impl Dice {
    /// A stream for `family` under `seed`; different families never share
    /// draws, so adding one does not change the others.
    pub fn new(seed: u64, family: &str) -> Self {
        let mut mixed = seed ^ 0x9E37_79B9_7F4A_7C15;
        for byte in family.bytes() {
            mixed = (mixed ^ u64::from(byte)).wrapping_mul(0x0100_0000_01B3);
        }
        Self(ChaCha8Rng::seed_from_u64(mixed))
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        self.0.random::<f64>()
    }

    /// Uniform in [lo, hi).
    pub fn between(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// Uniform integer in [lo, hi] (inclusive).
    pub fn int(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            lo
        } else {
            self.0.random_range(lo..=hi)
        }
    }

    /// Uniform index below `n` (which must be positive).
    pub fn index(&mut self, n: usize) -> usize {
        self.0.random_range(0..n.max(1))
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Standard normal draw times `sd` plus `mean`.
    pub fn normal(&mut self, mean: f64, sd: f64) -> f64 {
        let z: f64 = StandardNormal.sample(&mut self.0);
        mean + sd * z
    }

    /// exp(Normal(mu, sigma)).
    pub fn lognormal(&mut self, mu: f64, sigma: f64) -> f64 {
        self.normal(mu, sigma).exp()
    }

    /// Poisson count with mean `lambda` (0 for a non-positive mean).
    pub fn poisson(&mut self, lambda: f64) -> i64 {
        if lambda <= 0.0 || !lambda.is_finite() {
            return 0;
        }
        match Poisson::new(lambda) {
            Ok(d) => {
                let x: f64 = d.sample(&mut self.0);
                x as i64
            }
            Err(_) => lambda.round() as i64,
        }
    }

    /// Binomial count of `n` trials with success probability `p`.
    pub fn binomial(&mut self, n: i64, p: f64) -> i64 {
        match Binomial::new(n.max(0) as u64, p.clamp(0.0, 1.0)) {
            Ok(d) => d.sample(&mut self.0) as i64,
            Err(_) => (n as f64 * p).round() as i64,
        }
    }

    /// Gamma draw with the given shape and scale.
    pub fn gamma(&mut self, shape: f64, scale: f64) -> f64 {
        Gamma::new(shape, scale).map_or(shape * scale, |d| d.sample(&mut self.0))
    }

    /// Beta draw.
    pub fn beta(&mut self, a: f64, b: f64) -> f64 {
        Beta::new(a, b).map_or(a / (a + b), |d| d.sample(&mut self.0))
    }

    /// An index drawn with probability proportional to `weights`.
    pub fn weighted(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut target = self.unit() * total;
        for (i, w) in weights.iter().enumerate() {
            if target < *w {
                return i;
            }
            target -= w;
        }
        weights.len().saturating_sub(1)
    }

    /// A uniformly chosen element.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.index(items.len())]
    }

    /// `k` distinct elements in random order (fewer if `items` is shorter).
    pub fn sample<T: Clone>(&mut self, items: &[T], k: usize) -> Vec<T> {
        let mut pool: Vec<T> = items.to_vec();
        let k = k.min(pool.len());
        for i in 0..k {
            let j = i + self.index(pool.len() - i);
            pool.swap(i, j);
        }
        pool.truncate(k);
        pool
    }
}

/// The logistic function.
pub fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}
