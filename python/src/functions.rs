//! The function catalogue for Python, and each function as a
//! `datafusion-ffi` capsule the `datafusion` Python package can register.

use std::sync::Arc;

use datafusion::logical_expr::{AggregateUDF, ScalarUDF};
use datafusion_ffi::udaf::FFI_AggregateUDF;
use datafusion_ffi::udf::FFI_ScalarUDF;
use pyo3::prelude::*;
use pyo3::types::{PyCapsule, PyDict, PyList};

use crate::errors::PlanningError;

/// Every function with its documentation, as a list of dicts.
#[pyfunction]
pub fn catalogue(py: Python<'_>) -> PyResult<Bound<'_, PyList>> {
    let list = PyList::empty(py);
    for entry in lakecast_udfs::catalogue() {
        let item = PyDict::new(py);
        item.set_item("name", &entry.name)?;
        item.set_item(
            "kind",
            if entry.aggregate {
                "aggregate"
            } else {
                "scalar"
            },
        )?;
        if let Some(doc) = &entry.doc {
            item.set_item("section", doc.doc_section.label)?;
            item.set_item("description", &doc.description)?;
            item.set_item("syntax", &doc.syntax_example)?;
            item.set_item("arguments", doc.arguments.clone().unwrap_or_default())?;
            item.set_item("example", doc.sql_example.as_deref().map(str::trim))?;
        }
        list.append(item)?;
    }
    Ok(list)
}

/// The major version of DataFusion's FFI this module was built with; the
/// `datafusion` Python package must have the same major version.
#[pyfunction]
pub fn ffi_major_version() -> u64 {
    datafusion_ffi::version()
}

fn unknown(name: &str, kind: &str) -> PyErr {
    PlanningError::new_err(format!(
        "Lakecast has no {kind} function named `{name}`; lakecast.functions() lists them"
    ))
}

/// One Lakecast scalar function, exported over the DataFusion FFI.
#[pyclass(frozen, module = "lakecast._internal")]
pub struct ScalarFunction {
    udf: Arc<ScalarUDF>,
}

#[pymethods]
impl ScalarFunction {
    /// The scalar function called `name`.
    #[new]
    fn new(name: &str) -> PyResult<Self> {
        lakecast_udfs::scalar_functions()
            .into_iter()
            .find(|f| f.name() == name)
            .map(|f| Self { udf: Arc::new(f) })
            .ok_or_else(|| unknown(name, "scalar"))
    }

    /// The SQL name.
    #[getter]
    fn name(&self) -> String {
        self.udf.name().to_string()
    }

    /// The capsule `datafusion.udf()` reads.
    fn __datafusion_scalar_udf__<'py>(
        &self,
        py: Python<'py>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let shared = FFI_ScalarUDF::from(Arc::clone(&self.udf));
        PyCapsule::new_with_value(py, shared, c"datafusion_scalar_udf")
    }
}

/// One Lakecast aggregate function, exported over the DataFusion FFI.
#[pyclass(frozen, module = "lakecast._internal")]
pub struct AggregateFunction {
    udaf: Arc<AggregateUDF>,
}

#[pymethods]
impl AggregateFunction {
    /// The aggregate function called `name`.
    #[new]
    fn new(name: &str) -> PyResult<Self> {
        lakecast_udfs::aggregate_functions()
            .into_iter()
            .find(|f| f.name() == name)
            .map(|f| Self { udaf: Arc::new(f) })
            .ok_or_else(|| unknown(name, "aggregate"))
    }

    /// The SQL name.
    #[getter]
    fn name(&self) -> String {
        self.udaf.name().to_string()
    }

    /// The capsule `datafusion.udaf()` reads.
    fn __datafusion_aggregate_udf__<'py>(
        &self,
        py: Python<'py>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let shared = FFI_AggregateUDF::from(Arc::clone(&self.udaf));
        PyCapsule::new_with_value(py, shared, c"datafusion_aggregate_udf")
    }
}
