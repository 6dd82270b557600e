//! Health functions: scaling raw signals to 0..1, the weighted health score
//! and its red / amber / green band.

use datafusion::logical_expr::{AggregateUDF, ScalarUDF};

use crate::common::{HEALTH, domain_error};
use crate::docs::doc;
use crate::numeric::{numeric_udf, optional, required};
use crate::rows::{Domain, Relation};
use crate::sums::sums_udaf;

/// `scale_minmax(value, lo, hi)`.
pub fn scale_minmax() -> ScalarUDF {
    numeric_udf(
        "scale_minmax",
        [
            required("value", Domain::ANY),
            required("lo", Domain::number("a number")),
            required("hi", Domain::number("a number other than lo")),
        ],
        Some(Relation {
            first: 1,
            second: 2,
            holds: |lo, hi| lo != hi,
            expected: "a number other than lo",
        }),
        doc(
            HEALTH,
            "Scales a raw signal into 0..1: `(value - lo) / (hi - lo)`, clamped. With \
             `lo > hi` the scale is inverted, for signals where lower is better (ticket \
             response time, days late).",
            "scale_minmax(value, lo, hi)",
            &[
                ("value", "The raw signal."),
                ("lo", "The value that scores 0."),
                ("hi", "The value that scores 1; must differ from lo."),
            ],
            "> SELECT scale_minmax(97, 95, 100), scale_minmax(30, 240, 15), \
             scale_minmax(500, 240, 15);\n0.4, 0.933333333333, 0.0",
        ),
        |[value, lo, hi]| Some(((value - lo) / (hi - lo)).clamp(0.0, 1.0)),
    )
}

/// `health_score(value, weight)`.
pub fn health_score() -> AggregateUDF {
    sums_udaf(
        "health_score",
        ["value", "weight"],
        &[],
        doc(
            HEALTH,
            "Aggregate: the health score 0..100, the weighted mean of signal values already \
             scaled to 0..1, times 100. Rows with a NULL value (or weight) are skipped and \
             the remaining weights re-normalised; NULL when no weight remains.",
            "health_score(value, weight)",
            &[
                ("value", "A signal scaled to 0..1 (see scale_minmax)."),
                ("weight", "The signal class's weight, >= 0."),
            ],
            "> SELECT health_score(v, w) FROM (VALUES (1.0, 2), (0.5, 1), (NULL, 5)) t(v, w);\n\
             83.3333333333",
        ),
        |[value, weight]| {
            if !(0.0..=1.0).contains(&value) {
                return Err(domain_error(
                    "health_score",
                    "value",
                    value,
                    "0 <= value <= 1",
                ));
            }
            if weight.is_nan() || weight < 0.0 {
                return Err(domain_error("health_score", "weight", weight, ">= 0"));
            }
            Ok(Some([weight * value, weight]))
        },
        |[weighted, weights], _| Ok((weights > 0.0).then(|| 100.0 * weighted / weights)),
    )
}

/// `health_band(score [, red_below 50, green_from 75])`.
pub fn health_band() -> ScalarUDF {
    numeric_udf(
        "health_band",
        [
            required("score", Domain::between(0.0, 100.0, "0 <= score <= 100")),
            optional("red_below", 50.0, Domain::number("a number")),
            optional(
                "green_from",
                75.0,
                Domain::number("green_from >= red_below"),
            ),
        ],
        Some(Relation {
            first: 1,
            second: 2,
            holds: |red_below, green_from| green_from >= red_below,
            expected: "green_from >= red_below",
        }),
        doc(
            HEALTH,
            "The red / amber / green band of a health score: 'red' below `red_below`, \
             'green' from `green_from` on, 'amber' between.",
            "health_band(score [, red_below 50, green_from 75])",
            &[
                ("score", "Health score, 0 <= score <= 100."),
                ("red_below", "Scores under this are red (default 50)."),
                (
                    "green_from",
                    "Scores at or over this are green, >= red_below (default 75).",
                ),
            ],
            "> SELECT health_band(42), health_band(60), health_band(75);\nred, amber, green",
        ),
        |[score, red_below, green_from]| {
            let band = if score < red_below {
                "red"
            } else if score >= green_from {
                "green"
            } else {
                "amber"
            };
            Some(band)
        },
    )
}
