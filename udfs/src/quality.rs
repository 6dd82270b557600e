//! Forecast-quality measures: how far forecasts were from what happened.

use datafusion::common::Result;
use datafusion::logical_expr::{AggregateUDF, ScalarUDF};

use crate::common::{QUALITY, domain_error};
use crate::docs::doc;
use crate::numeric::{numeric_udf, required};
use crate::rows::Domain;
use crate::sums::sums_udaf;

/// Probabilities are clipped to this distance from 0 and 1 in `log_loss`.
pub const LOG_LOSS_EPSILON: f64 = 1e-15;

/// `forecast_deviation(forecast, actual)`.
pub fn forecast_deviation() -> ScalarUDF {
    numeric_udf(
        "forecast_deviation",
        [
            required("forecast", Domain::ANY),
            required("actual", Domain::ANY),
        ],
        None,
        doc(
            QUALITY,
            "Relative miss of a forecast: `(actual - forecast) / forecast`, negative for a \
             shortfall, NULL when the forecast is 0. The forecast review lists deals with \
             `abs(forecast_deviation(...)) > 0.15`.",
            "forecast_deviation(forecast, actual)",
            &[
                ("forecast", "The forecast value."),
                ("actual", "What happened."),
            ],
            "> SELECT forecast_deviation(100, 80), forecast_deviation(100, 120), \
             forecast_deviation(0, 5);\n-0.2, 0.2, NULL",
        ),
        |[forecast, actual]| (forecast != 0.0).then(|| (actual - forecast) / forecast),
    )
}

fn probability(function: &str, p: f64, outcome: f64) -> Result<()> {
    if !(0.0..=1.0).contains(&p) {
        return Err(domain_error(function, "p", p, "0 <= p <= 1"));
    }
    if outcome != 0.0 && outcome != 1.0 {
        return Err(domain_error(
            function,
            "outcome",
            outcome,
            "0, 1, false or true",
        ));
    }
    Ok(())
}

fn mean([sum, _]: [f64; 2], rows: f64) -> Result<Option<f64>> {
    Ok((rows > 0.0).then(|| sum / rows))
}

fn ratio([a, b]: [f64; 2], rows: f64) -> Result<Option<f64>> {
    Ok((rows > 0.0 && b != 0.0).then(|| a / b))
}

/// Every forecast-quality aggregate.
pub fn aggregates() -> Vec<AggregateUDF> {
    vec![
        sums_udaf(
            "wape",
            ["forecast", "actual"],
            &[],
            doc(
                QUALITY,
                "Aggregate: weighted absolute percentage error, `sum(|actual - forecast|) / \
                 sum(|actual|)`, over rows where both are non-NULL; NULL when the actuals sum \
                 to 0.",
                "wape(forecast, actual)",
                &[
                    ("forecast", "The forecast value."),
                    ("actual", "What happened."),
                ],
                "> SELECT wape(f, a) FROM (VALUES (100, 80), (50, 70)) t(f, a);\n0.266666666667",
            ),
            |[f, a]| Ok(Some([(a - f).abs(), a.abs()])),
            ratio,
        ),
        sums_udaf(
            "mape",
            ["forecast", "actual"],
            &[],
            doc(
                QUALITY,
                "Aggregate: mean absolute percentage error, the mean of `|actual - forecast| \
                 / |actual|` over rows with a non-zero actual; NULL when there are none.",
                "mape(forecast, actual)",
                &[
                    ("forecast", "The forecast value."),
                    ("actual", "What happened."),
                ],
                "> SELECT mape(f, a) FROM (VALUES (100, 80), (50, 70), (10, 0)) t(f, a);\n\
                 0.267857142857",
            ),
            |[f, a]| Ok((a != 0.0).then(|| [((a - f) / a).abs(), 0.0])),
            mean,
        ),
        sums_udaf(
            "forecast_bias",
            ["forecast", "actual"],
            &[],
            doc(
                QUALITY,
                "Aggregate: `sum(forecast - actual) / sum(actual)`; positive when forecasts \
                 ran high. NULL when the actuals sum to 0.",
                "forecast_bias(forecast, actual)",
                &[
                    ("forecast", "The forecast value."),
                    ("actual", "What happened."),
                ],
                "> SELECT forecast_bias(f, a) FROM (VALUES (100, 80), (50, 70)) t(f, a);\n0.0",
            ),
            |[f, a]| Ok(Some([f - a, a])),
            ratio,
        ),
        sums_udaf(
            "brier_score",
            ["p", "outcome"],
            &["outcome"],
            doc(
                QUALITY,
                "Aggregate: mean squared error of probability forecasts, `mean((p - \
                 outcome)^2)`; 0 is perfect, 0.25 is a coin toss.",
                "brier_score(p, outcome)",
                &[
                    ("p", "Forecast probability, 0 <= p <= 1."),
                    ("outcome", "What happened: true/false or 1/0."),
                ],
                "> SELECT brier_score(p, won) FROM (VALUES (0.9, true), (0.2, false), \
                 (0.6, false)) t(p, won);\n0.136666666667",
            ),
            |[p, outcome]| {
                probability("brier_score", p, outcome)?;
                Ok(Some([(p - outcome).powi(2), 0.0]))
            },
            mean,
        ),
        sums_udaf(
            "log_loss",
            ["p", "outcome"],
            &["outcome"],
            doc(
                QUALITY,
                "Aggregate: mean negative log-likelihood of probability forecasts, with p \
                 clipped to [1e-15, 1 - 1e-15] so a confident miss costs about 34.5, not \
                 infinity.",
                "log_loss(p, outcome)",
                &[
                    ("p", "Forecast probability, 0 <= p <= 1."),
                    ("outcome", "What happened: true/false or 1/0."),
                ],
                "> SELECT log_loss(p, won) FROM (VALUES (0.9, true), (0.2, false)) t(p, won);\n\
                 0.164252033486",
            ),
            |[p, outcome]| {
                probability("log_loss", p, outcome)?;
                let p = p.clamp(LOG_LOSS_EPSILON, 1.0 - LOG_LOSS_EPSILON);
                let loss = -(outcome * p.ln() + (1.0 - outcome) * (1.0 - p).ln());
                Ok(Some([loss, 0.0]))
            },
            mean,
        ),
        crate::roc_auc::roc_auc(),
    ]
}
