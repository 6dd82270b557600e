//! `lakecast._internal`: the extension module under the Python package. It
//! holds sessions and query results and hands Lakecast's SQL functions to
//! the `datafusion` Python package; the typed API lives in `python/lakecast`.

mod errors;
mod functions;
mod result;
mod runtime;
mod session;

use pyo3::prelude::*;

/// The module Python imports as `lakecast._internal`.
#[pymodule]
fn _internal(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("LakecastError", py.get_type::<errors::LakecastError>())?;
    m.add("PlanningError", py.get_type::<errors::PlanningError>())?;
    m.add("ExecutionError", py.get_type::<errors::ExecutionError>())?;
    m.add(
        "LakeContractError",
        py.get_type::<errors::LakeContractError>(),
    )?;
    m.add_class::<session::Session>()?;
    m.add_class::<result::QueryResult>()?;
    m.add_class::<functions::ScalarFunction>()?;
    m.add_class::<functions::AggregateFunction>()?;
    m.add_function(wrap_pyfunction!(session::connect, m)?)?;
    m.add_function(wrap_pyfunction!(session::generate, m)?)?;
    m.add_function(wrap_pyfunction!(session::examples, m)?)?;
    m.add_function(wrap_pyfunction!(functions::catalogue, m)?)?;
    m.add_function(wrap_pyfunction!(functions::ffi_major_version, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
