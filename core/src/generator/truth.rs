//! The known truth of the generating process: the parameters models fitted
//! on a generated lake should recover. `docs/generator.md` explains each.

use super::{GENERATOR_VERSION, GenOptions, GenReport};

/// Win odds of a new deal before any signal: 0.30.
pub const BASE_WIN_PROBABILITY: f64 = 0.30;

/// A signal rule of the true win model: the deal feature, the comparison,
/// the threshold and the odds lift applied when it holds.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// Canvas rule key.
    pub rule_id: &'static str,
    /// Deal feature it reads.
    pub signal: &'static str,
    /// Comparison operator.
    pub operator: &'static str,
    /// Threshold the feature is compared with.
    pub threshold: f64,
    /// Odds lift when it holds (the true one, equal to canvas version 3).
    pub lift: f64,
}

/// The true win model: `odds = 0.3/0.7 * prod(1 + lift)` over the rules that
/// hold for a deal's realised signals.
pub const WIN_RULES: &[Rule] = &[
    Rule {
        rule_id: "spec_views_3_plus",
        signal: "spec_page_views",
        operator: ">=",
        threshold: 3.0,
        lift: 0.35,
    },
    Rule {
        rule_id: "dwell_over_120s",
        signal: "max_dwell_seconds",
        operator: ">",
        threshold: 120.0,
        lift: 0.15,
    },
    Rule {
        rule_id: "click_rate_under_5pct",
        signal: "email_click_rate",
        operator: "<",
        threshold: 0.05,
        lift: -0.22,
    },
    Rule {
        rule_id: "legal_reviewing",
        signal: "legal_review",
        operator: "=",
        threshold: 1.0,
        lift: 0.60,
    },
    Rule {
        rule_id: "rep_over_8_accounts",
        signal: "rep_accounts_per_day",
        operator: ">",
        threshold: 8.0,
        lift: -0.25,
    },
    Rule {
        rule_id: "slack_under_15pct",
        signal: "delivery_slack",
        operator: "<",
        threshold: 0.15,
        lift: -0.30,
    },
];

/// Response time multiplier on days a rep works more than 8 accounts.
pub const OVERLOAD_LATENCY_INCREASE: f64 = 0.41;

/// BG/NBD purchase process per customer (time unit: weeks):
/// `lambda ~ Gamma(r, 1/alpha)`, `p ~ Beta(a, b)`.
pub const BGNBD: (f64, f64, f64, f64) = (0.25, 4.0, 0.8, 2.5);

/// Gamma-Gamma spend per transaction: `nu ~ Gamma(q, 1/gamma)`,
/// `amount ~ Gamma(p, 1/nu)`; listed as `(p, q, gamma)`.
pub const GAMMA_GAMMA: (f64, f64, f64) = (6.0, 4.0, 2500.0);

/// Weekly churn hazard: `sigmoid(CHURN_INTERCEPT + CHURN_HEALTH * health)`
/// where the latent health is a standardised AR(1) with this persistence.
pub const CHURN_INTERCEPT: f64 = -6.0;
/// Effect of latent health on the churn log-odds.
pub const CHURN_HEALTH: f64 = -1.5;
/// Week-to-week persistence of latent health.
pub const HEALTH_PERSISTENCE: f64 = 0.97;

/// The `_generator.json` recorded at the lake root.
pub fn marker_json(options: GenOptions, report: &GenReport) -> String {
    let rules: Vec<serde_json::Value> = WIN_RULES
        .iter()
        .map(|r| {
            serde_json::json!({
                "rule_id": r.rule_id, "signal": r.signal, "operator": r.operator,
                "threshold": r.threshold, "lift": r.lift,
            })
        })
        .collect();
    let rows: serde_json::Map<String, serde_json::Value> = report
        .tables
        .iter()
        .map(|(name, rows, _)| ((*name).to_string(), serde_json::json!(rows)))
        .collect();
    let value = serde_json::json!({
        "generator_version": GENERATOR_VERSION,
        "seed": options.seed,
        "scale": options.scale,
        "as_of": super::iso(super::as_of()),
        "rows": rows,
        "truth": {
            "win_model": {"base_probability": BASE_WIN_PROBABILITY, "rules": rules},
            "overload_latency_increase": OVERLOAD_LATENCY_INCREASE,
            "bgnbd_weeks": {"r": BGNBD.0, "alpha": BGNBD.1, "a": BGNBD.2, "b": BGNBD.3},
            "gamma_gamma": {"p": GAMMA_GAMMA.0, "q": GAMMA_GAMMA.1, "gamma": GAMMA_GAMMA.2},
            "churn": {
                "intercept": CHURN_INTERCEPT,
                "health_effect": CHURN_HEALTH,
                "health_persistence": HEALTH_PERSISTENCE,
            },
        },
    });
    serde_json::to_string_pretty(&value).unwrap_or_default() + "\n"
}

/// The true win probability of a deal given which rules hold.
pub fn win_probability(holds: &[bool]) -> f64 {
    let base = BASE_WIN_PROBABILITY / (1.0 - BASE_WIN_PROBABILITY);
    let odds = WIN_RULES
        .iter()
        .zip(holds)
        .filter(|(_, h)| **h)
        .fold(base, |odds, (rule, _)| odds * (1.0 + rule.lift));
    odds / (1.0 + odds)
}
