//! What every Lakecast function shares: the domain error, argument
//! coercion and arity checks at planning time, and documentation sections.
//! Evaluation over whole arrays lives in [`crate::rows`].

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::common::{Result, exec_datafusion_err, plan_err};
use datafusion::logical_expr::DocSection;

/// Gives a function type with a single instance its identity: equal to
/// itself, hashed and printed by its SQL name.
macro_rules! single_function_identity {
    ($type:ty, $name:expr) => {
        impl PartialEq for $type {
            fn eq(&self, _: &Self) -> bool {
                true
            }
        }

        impl Eq for $type {}

        impl std::hash::Hash for $type {
            fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
                std::hash::Hash::hash($name, state);
            }
        }

        impl std::fmt::Debug for $type {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str($name)
            }
        }
    };
}

pub(crate) use single_function_identity;

/// Documentation section of the forecast functions.
pub const FORECAST: DocSection = DocSection {
    include: true,
    label: "Forecast",
    description: None,
};
/// Documentation section of the forecast-quality functions.
pub const QUALITY: DocSection = DocSection {
    include: true,
    label: "Forecast quality",
    description: None,
};
/// Documentation section of the team functions.
pub const TEAMS: DocSection = DocSection {
    include: true,
    label: "Teams",
    description: None,
};
/// Documentation section of the health functions.
pub const HEALTH: DocSection = DocSection {
    include: true,
    label: "Health",
    description: None,
};

/// Documentation section of the lifetime-value functions.
pub const LIFETIME: DocSection = DocSection {
    include: true,
    label: "Lifetime value",
    description: None,
};
/// Documentation section of the learned win model.
pub const WIN_MODEL: DocSection = DocSection {
    include: true,
    label: "Learned win model",
    description: None,
};

/// The error for a value outside a function's domain: names the function,
/// the argument, the value and what was expected.
pub fn domain_error(
    function: &str,
    argument: &str,
    value: impl std::fmt::Display,
    expected: &str,
) -> datafusion::error::DataFusionError {
    exec_datafusion_err!(
        "{function}: argument `{argument}` is {value}, outside its domain ({expected})"
    )
}

/// Whether a type coerces to a double: any number, or NULL.
pub fn is_numeric(data_type: &DataType) -> bool {
    data_type.is_numeric() || matches!(data_type, DataType::Null)
}

/// Plans numeric arguments as Float64, refusing anything else with the
/// function and argument named.
pub fn coerce_numeric(
    function: &str,
    names: &[&str],
    types: &[DataType],
) -> Result<Vec<DataType>> {
    types
        .iter()
        .enumerate()
        .map(|(i, t)| {
            if is_numeric(t) {
                Ok(DataType::Float64)
            } else {
                let name = names.get(i).copied().unwrap_or("argument");
                plan_err!("{function}: argument `{name}` must be a number, got {t}")
            }
        })
        .collect()
}

/// Checks the number of arguments at planning time.
pub fn check_arity(
    function: &str,
    syntax: &str,
    given: usize,
    min: usize,
    max: usize,
) -> Result<()> {
    if given < min || given > max {
        let expected = if min == max {
            format!("{min}")
        } else if max == usize::MAX {
            format!("{min} or more")
        } else {
            format!("{min} to {max}")
        };
        return plan_err!(
            "{function} takes {expected} arguments ({syntax}), got {given}"
        );
    }
    Ok(())
}

/// The list type text-list arguments are planned as.
pub fn text_list() -> DataType {
    DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)))
}

/// Whether a type is a list of text (or NULL), as Parquet files produce them.
pub fn is_text_list(data_type: &DataType) -> bool {
    match data_type {
        DataType::Null => true,
        DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _) => {
            matches!(
                f.data_type(),
                DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
            ) || matches!(f.data_type(), DataType::Dictionary(_, v)
                    if matches!(v.as_ref(), DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View))
                || matches!(f.data_type(), DataType::Null)
        }
        _ => false,
    }
}
