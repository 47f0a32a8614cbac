//! `otlp_analytics._native`: the thin PyO3 layer over the `otlp_analytics`
//! crate's `api` module. It only converts arguments, releases the GIL while the
//! engine works, and hands Arrow data to pyarrow zero-copy (the C data
//! interface); errors become `OtlpError` carrying the CLI's message.

use std::path::PathBuf;

use arrow::array::RecordBatch;
use arrow::pyarrow::{FromPyArrow, IntoPyArrow, Table, ToPyArrow};
use otlp_analytics::api::{self, BatchStream, Grouping, ReadOptions};
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

create_exception!(
    _native,
    OtlpError,
    PyException,
    "An input or usage error, with the message the otlp-analytics CLI prints."
);

fn err(e: otlp_analytics::Error) -> PyErr {
    OtlpError::new_err(e.to_string())
}

fn paths(p: Vec<String>) -> Vec<PathBuf> {
    p.into_iter().map(PathBuf::from).collect()
}

fn grouping(signal: &str, by: Option<String>, window: Option<String>) -> PyResult<Grouping> {
    Ok(Grouping {
        signal: api::parse_signal(signal).map_err(err)?,
        by,
        window,
    })
}

fn batch_out(py: Python<'_>, b: RecordBatch) -> PyResult<Py<PyAny>> {
    Ok(b.to_pyarrow(py)?.unbind())
}

/// Record batches of pyarrow tables or batches, keeping the schema (and its
/// metadata) of tables without rows.
fn batches_in(tables: Vec<Bound<'_, PyAny>>) -> PyResult<Vec<RecordBatch>> {
    let mut out = Vec::new();
    for t in tables {
        if let Ok(b) = RecordBatch::from_pyarrow_bound(&t) {
            out.push(b);
            continue;
        }
        let (batches, schema) = Table::from_pyarrow_bound(&t)?.into_inner();
        if batches.is_empty() {
            out.push(RecordBatch::new_empty(schema));
        } else {
            out.extend(batches);
        }
    }
    Ok(out)
}

/// Runs `f` (an `api` call on paths and grouping) without the GIL and
/// returns its batch as a pyarrow.RecordBatch.
fn grouped(
    py: Python<'_>,
    paths: Vec<String>,
    signal: &str,
    by: Option<String>,
    window: Option<String>,
    f: impl FnOnce(&[PathBuf], &Grouping) -> otlp_analytics::Result<RecordBatch> + Send,
) -> PyResult<Py<PyAny>> {
    let g = grouping(signal, by, window)?;
    let p = self::paths(paths);
    let b = py.detach(|| f(&p, &g)).map_err(err)?;
    batch_out(py, b)
}

/// `aggregate PATHS --signal S [--by] [--window]` as a pyarrow.RecordBatch.
#[pyfunction]
#[pyo3(signature = (paths, signal, by=None, window=None))]
fn aggregate(
    py: Python<'_>,
    paths: Vec<String>,
    signal: &str,
    by: Option<String>,
    window: Option<String>,
) -> PyResult<Py<PyAny>> {
    grouped(py, paths, signal, by, window, api::aggregate)
}

/// The partial aggregation state of `paths`, the first at input position
/// `first_input`, as a pyarrow.RecordBatch.
#[pyfunction]
#[pyo3(signature = (paths, signal, by=None, window=None, first_input=0))]
fn partial(
    py: Python<'_>,
    paths: Vec<String>,
    signal: &str,
    by: Option<String>,
    window: Option<String>,
    first_input: u64,
) -> PyResult<Py<PyAny>> {
    grouped(py, paths, signal, by, window, |p, g| {
        api::partial_at(p, g, first_input)
    })
}

/// `validate PATHS --format json` as its JSON text.
#[pyfunction]
#[pyo3(signature = (paths, skew="0s", examples=api::DEFAULT_EXAMPLES))]
fn validate(py: Python<'_>, paths: Vec<String>, skew: &str, examples: usize) -> PyResult<String> {
    let p = self::paths(paths);
    let v = py
        .detach(|| api::validate(&p, skew, examples))
        .map_err(err)?;
    Ok(v.to_string())
}

/// Merges partial states (pyarrow tables or batches); `finish` gives the CLI's result.
#[pyfunction]
#[pyo3(signature = (states, signal, by=None, window=None, finish=true))]
fn merge(
    py: Python<'_>,
    states: Vec<Bound<'_, PyAny>>,
    signal: &str,
    by: Option<String>,
    window: Option<String>,
    finish: bool,
) -> PyResult<Py<PyAny>> {
    let g = grouping(signal, by, window)?;
    let states = batches_in(states)?;
    let b = py.detach(|| api::merge(&states, &g, finish)).map_err(err)?;
    batch_out(py, b)
}

/// The rows of a metric-points state in shard `shard` of `shards`.
#[pyfunction]
fn select_shard(
    py: Python<'_>,
    state: Bound<'_, PyAny>,
    shard: u64,
    shards: u64,
) -> PyResult<Py<PyAny>> {
    let b = RecordBatch::from_pyarrow_bound(&state)?;
    let out = otlp_analytics::aggregate::state::select_shard(&b, shard, shards).map_err(err)?;
    batch_out(py, out)
}

/// The inputs as the CLI reads them (directories expanded, sorted).
#[pyfunction]
fn expand(paths: Vec<String>) -> PyResult<Vec<String>> {
    let p = api::expand(&self::paths(paths)).map_err(err)?;
    Ok(p.into_iter().map(|p| p.display().to_string()).collect())
}

/// Span records of `paths` for a split `validate`.
#[pyfunction]
#[pyo3(signature = (paths, seq_base=0))]
fn validate_spans(py: Python<'_>, paths: Vec<String>, seq_base: u64) -> PyResult<Py<PyAny>> {
    let p = self::paths(paths);
    let b = py
        .detach(|| api::validate_spans(&p, seq_base))
        .map_err(err)?;
    batch_out(py, b)
}

/// Findings of the traces in span states.
#[pyfunction]
#[pyo3(signature = (states, skew="0s", examples=api::DEFAULT_EXAMPLES))]
fn validate_check(
    py: Python<'_>,
    states: Vec<Bound<'_, PyAny>>,
    skew: &str,
    examples: usize,
) -> PyResult<Py<PyAny>> {
    let states = batches_in(states)?;
    let b = py
        .detach(|| api::validate_check(&states, skew, examples))
        .map_err(err)?;
    batch_out(py, b)
}

/// The report JSON from findings states.
#[pyfunction]
#[pyo3(signature = (states, examples=api::DEFAULT_EXAMPLES))]
fn validate_finish(states: Vec<Bound<'_, PyAny>>, examples: usize) -> PyResult<String> {
    let states = batches_in(states)?;
    let v = api::validate_finish(&states, examples).map_err(err)?;
    Ok(v.to_string())
}

/// Iterator of pyarrow.RecordBatch over the `convert` columns of an input.
#[pyclass]
struct Reader {
    stream: Option<BatchStream>,
}

#[pymethods]
impl Reader {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(mut slf: PyRefMut<'_, Self>, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        let Some(stream) = slf.stream.as_mut() else {
            return Ok(None);
        };
        match py.detach(|| stream.next()) {
            Some(Ok(b)) => Ok(Some(batch_out(py, b)?)),
            Some(Err(e)) => {
                slf.stream = None;
                Err(err(e))
            }
            None => {
                slf.stream = None;
                Ok(None)
            }
        }
    }

    /// Stops reading (the decoder threads end, a temporary copy of bytes is removed).
    fn close(&mut self) {
        self.stream = None;
    }
}

/// `read`: `paths` (files or directories) or `data` (the bytes of one dump).
#[pyfunction]
#[pyo3(signature = (paths=None, data=None, signal=None, table=None, columns=None))]
fn read(
    paths: Option<Vec<String>>,
    data: Option<&[u8]>,
    signal: Option<&str>,
    table: Option<String>,
    columns: Option<Vec<String>>,
) -> PyResult<Reader> {
    let opts = ReadOptions {
        signal: signal.map(api::parse_signal).transpose().map_err(err)?,
        table,
        columns,
    };
    let stream = match (paths, data) {
        (Some(p), None) => api::read(&self::paths(p), opts),
        (None, Some(d)) => api::read_bytes(d, opts),
        _ => {
            return Err(OtlpError::new_err(
                "read: give either paths or data (bytes)",
            ))
        }
    }
    .map_err(err)?;
    Ok(Reader {
        stream: Some(stream),
    })
}

/// Concatenates record batches into a pyarrow.Table (all of one schema).
#[pyfunction]
fn table(py: Python<'_>, batches: Vec<Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
    let batches = batches_in(batches)?;
    let Some(first) = batches.first() else {
        return Err(OtlpError::new_err("table: no batches"));
    };
    let schema = first.schema();
    let t = Table::try_new(batches, schema).map_err(|e| OtlpError::new_err(e.to_string()))?;
    Ok(t.into_pyarrow(py)?.unbind())
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("OtlpError", m.py().get_type::<OtlpError>())?;
    m.add_function(wrap_pyfunction!(aggregate, m)?)?;
    m.add_function(wrap_pyfunction!(validate, m)?)?;
    m.add_function(wrap_pyfunction!(partial, m)?)?;
    m.add_function(wrap_pyfunction!(merge, m)?)?;
    m.add_function(wrap_pyfunction!(select_shard, m)?)?;
    m.add_function(wrap_pyfunction!(expand, m)?)?;
    m.add_function(wrap_pyfunction!(validate_spans, m)?)?;
    m.add_function(wrap_pyfunction!(validate_check, m)?)?;
    m.add_function(wrap_pyfunction!(validate_finish, m)?)?;
    m.add_function(wrap_pyfunction!(read, m)?)?;
    m.add_function(wrap_pyfunction!(table, m)?)?;
    m.add_class::<Reader>()?;
    Ok(())
}
