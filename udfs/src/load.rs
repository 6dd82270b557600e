//! `rep_load_penalty`: how much slower a rep answers when working more
//! accounts a day than the threshold.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
};

use crate::common::{FORECAST, single_function_identity};
use crate::docs::doc;
use crate::numeric::{Param, numeric_udf, optional, required};
use crate::rows::Domain;

const NAME: &str = "rep_load_penalty";

/// `rep_load_penalty(accounts_per_day [, threshold, increase, ramp])`: the
/// general formula, and the step it reduces to when `ramp` is the literal
/// 0 (the default), which needs a third of the arithmetic.
pub struct RepLoadPenalty {
    ramped: ScalarUDF,
    step: ScalarUDF,
}

single_function_identity!(RepLoadPenalty, NAME);

fn params() -> [Param; 4] {
    [
        required("accounts_per_day", Domain::at_least(0.0, ">= 0")),
        optional("threshold", 8.0, Domain::ANY),
        optional("increase", 0.41, Domain::above(-1.0, "> -1")),
        optional("ramp", 0.0, Domain::at_least(0.0, ">= 0")),
    ]
}

fn documentation() -> Documentation {
    doc(
        FORECAST,
        "Response-latency multiplier for a rep's load: 1.0 at or below `threshold`; \
         above it `1 + increase` at once when `ramp` is 0, or rising linearly to \
         `1 + increase` at `threshold + ramp` and flat after.",
        "rep_load_penalty(accounts_per_day [, threshold 8, increase 0.41, ramp 0])",
        &[
            ("accounts_per_day", "Accounts the rep works per day, >= 0."),
            (
                "threshold",
                "Load up to which there is no penalty (default 8).",
            ),
            (
                "increase",
                "Latency increase at full penalty, > -1 (default 0.41).",
            ),
            (
                "ramp",
                "Accounts over the threshold to reach the full penalty, >= 0 (default 0).",
            ),
        ],
        "> SELECT rep_load_penalty(8), rep_load_penalty(9), rep_load_penalty(9, 8, 0.41, 2);\n\
         1.0, 1.41, 1.205",
    )
}

/// `rep_load_penalty`.
pub fn rep_load_penalty() -> ScalarUDF {
    let ramped = numeric_udf(
        NAME,
        params(),
        None,
        documentation(),
        |[load, threshold, increase, ramp]| {
            // Without branches: the ramp's reciprocal is computed once when
            // it is a literal. With ramp 0 the reciprocal is +inf, so a load
            // over the threshold scales to +inf (share 1), one under it to
            // -inf (share 0), and one at it to NaN, which the comparison
            // sends to 0.
            let scaled = (load - threshold) * ramp.abs().recip();
            let share = if scaled > 0.0 { scaled } else { 0.0 };
            let share = if share < 1.0 { share } else { 1.0 };
            Some(1.0 + increase * share)
        },
    );
    let step = numeric_udf(
        NAME,
        params(),
        None,
        documentation(),
        |[load, threshold, increase, _]| {
            Some(if load > threshold {
                1.0 + increase
            } else {
                1.0
            })
        },
    );
    ScalarUDF::new_from_impl(RepLoadPenalty { ramped, step })
}

impl ScalarUDFImpl for RepLoadPenalty {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        self.ramped.signature()
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        self.ramped.return_type(arg_types)
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        self.ramped.coerce_types(arg_types)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let step = match args.args.get(3) {
            None => true,
            Some(ColumnarValue::Scalar(ScalarValue::Float64(Some(ramp)))) => *ramp == 0.0,
            Some(_) => false,
        };
        if step {
            self.step.invoke_with_args(args)
        } else {
            self.ramped.invoke_with_args(args)
        }
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.ramped.documentation()
    }
}
