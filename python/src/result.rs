//! A collected query result, handed to Python through the Arrow C stream
//! interface so pyarrow, pandas and polars share its buffers.

use arrow_pyarrow::{IntoPyArrow, Table};
use datafusion::arrow::array::RecordBatchIterator;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::ffi_stream::FFI_ArrowArrayStream;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::util::pretty::pretty_format_batches;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

use crate::errors::ExecutionError;

/// The batches of one query with its schema and how long it took.
#[pyclass(frozen, module = "lakecast._internal")]
pub struct QueryResult {
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
    rows: usize,
    elapsed: f64,
}

impl QueryResult {
    /// A result of `batches`, all of `schema`, that took `elapsed` seconds.
    pub fn new(schema: SchemaRef, batches: Vec<RecordBatch>, elapsed: f64) -> Self {
        let rows = batches.iter().map(RecordBatch::num_rows).sum();
        Self {
            schema,
            batches,
            rows,
            elapsed,
        }
    }

    /// The first `limit` rows, as batches sharing this result's buffers.
    fn head(&self, limit: usize) -> Vec<RecordBatch> {
        let mut left = limit;
        let mut out = Vec::new();
        for batch in &self.batches {
            if left == 0 {
                break;
            }
            let take = batch.num_rows().min(left);
            out.push(batch.slice(0, take));
            left -= take;
        }
        out
    }
}

#[pymethods]
impl QueryResult {
    /// Number of rows.
    #[getter]
    fn num_rows(&self) -> usize {
        self.rows
    }

    /// Seconds from planning to the last batch.
    #[getter]
    fn elapsed(&self) -> f64 {
        self.elapsed
    }

    /// Column names in order.
    #[getter]
    fn column_names(&self) -> Vec<String> {
        self.schema
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect()
    }

    /// The result as a `pyarrow.Table` (no copy of the data).
    fn to_pyarrow<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let table = Table::try_new(self.batches.clone(), self.schema.clone())
            .map_err(|e| ExecutionError::new_err(e.to_string()))?;
        table.into_pyarrow(py)
    }

    /// The first `limit` rows as a pyarrow table, for display.
    fn head_pyarrow<'py>(
        &self,
        py: Python<'py>,
        limit: usize,
    ) -> PyResult<Bound<'py, PyAny>> {
        let table = Table::try_new(self.head(limit), self.schema.clone())
            .map_err(|e| ExecutionError::new_err(e.to_string()))?;
        table.into_pyarrow(py)
    }

    /// The first `limit` rows as a text table.
    fn format(&self, limit: usize) -> PyResult<String> {
        let head = self.head(limit);
        if head.is_empty() {
            let empty = RecordBatch::new_empty(self.schema.clone());
            return pretty_format_batches(&[empty])
                .map(|t| t.to_string())
                .map_err(|e| ExecutionError::new_err(e.to_string()));
        }
        pretty_format_batches(&head)
            .map(|t| t.to_string())
            .map_err(|e| ExecutionError::new_err(e.to_string()))
    }

    /// The Arrow PyCapsule stream protocol. A requested schema is ignored,
    /// as the protocol allows: the data keeps its own types.
    #[pyo3(signature = (requested_schema = None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let _ = requested_schema;
        let reader = RecordBatchIterator::new(
            self.batches.clone().into_iter().map(Ok),
            self.schema.clone(),
        );
        let stream = FFI_ArrowArrayStream::new(Box::new(reader));
        PyCapsule::new_with_value(py, stream, c"arrow_array_stream")
    }
}
