//! The exception classes Python sees, and which engine errors map to which.

use datafusion::error::DataFusionError;
use lakecast_core::LakeError;
use pyo3::PyErr;
use pyo3::exceptions::PyException;

pyo3::create_exception!(
    lakecast,
    LakecastError,
    PyException,
    "Base class of every error Lakecast raises."
);
pyo3::create_exception!(
    lakecast,
    PlanningError,
    LakecastError,
    "The query cannot be planned: bad SQL, an unknown table, column or \
     function, or arguments of the wrong type or number."
);
pyo3::create_exception!(
    lakecast,
    ExecutionError,
    LakecastError,
    "The query failed while running, for example a value outside a \
     function's domain or a file that cannot be read."
);
pyo3::create_exception!(
    lakecast,
    LakeContractError,
    LakecastError,
    "The lake is missing or does not meet the lake contract."
);

/// An engine error as the Python exception of its kind, with the engine's
/// message (the innermost cause, which names what is at fault).
pub fn engine_error(error: DataFusionError) -> PyErr {
    let root = error.find_root();
    let message = root.to_string().trim().to_string();
    match root {
        DataFusionError::Plan(_)
        | DataFusionError::SchemaError(..)
        | DataFusionError::SQL(..)
        | DataFusionError::NotImplemented(_) => PlanningError::new_err(message),
        _ => ExecutionError::new_err(message),
    }
}

/// A lake error as the Python exception of its kind.
pub fn lake_error(error: LakeError) -> PyErr {
    match error {
        LakeError::Engine(e) => engine_error(e),
        LakeError::InvalidLocation { .. }
        | LakeError::NotFound { .. }
        | LakeError::Contract { .. } => LakeContractError::new_err(error.to_string()),
        LakeError::Store { .. } | LakeError::Write { .. } => {
            LakecastError::new_err(error.to_string())
        }
    }
}
