//! Whole-job entry points that run in Rust with the GIL released: LOBSTER replay, the
//! benchmark stream and the native matching benchmark.

use std::time::Instant;

use numpy::ndarray::Array2;
use numpy::{PyArray2, PyReadonlyArray2};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use super::errors::{lobster_err, InvalidParameterError};
use crate::batch::{apply_rows, COLUMNS};
use crate::lobster::{parse_files, replay, BookRow};
use crate::matching::MatchingEngine;
use crate::stream::generate;

fn row_dict<'py>(py: Python<'py>, row: &BookRow) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("asks", PyList::new(py, row.asks.iter().copied())?)?;
    d.set_item("bids", PyList::new(py, row.bids.iter().copied())?)?;
    Ok(d)
}

/// Replays a LOBSTER message file against its orderbook file (both as bytes) and returns the
/// statistics as a dict; prices in the mismatch report are LOBSTER's (dollars × 10,000).
/// `msgs_per_s` is the replay with row-by-row checking; CSV parsing is timed separately
/// (`parse_seconds`, `end_to_end_msgs_per_s`).
#[pyfunction]
pub fn lobster_replay<'py>(
    py: Python<'py>,
    messages: &[u8],
    orderbook: &[u8],
    levels: usize,
) -> PyResult<Bound<'py, PyDict>> {
    if levels == 0 || levels > 200 {
        return Err(lobster_err(crate::lobster::LobsterError::BadLevels(levels)));
    }
    let (result, parse_seconds, seconds) = py.detach(|| {
        let start = Instant::now();
        let parsed = parse_files(messages, orderbook, levels);
        let parse_seconds = start.elapsed().as_secs_f64();
        let start = Instant::now();
        let result = parsed.and_then(|(m, rows)| replay(&m, &rows, levels));
        (result, parse_seconds, start.elapsed().as_secs_f64())
    });
    let stats = result.map_err(lobster_err)?;
    let d = PyDict::new(py);
    d.set_item("messages", stats.messages)?;
    d.set_item("levels", stats.levels)?;
    d.set_item("rows_checked", stats.rows_checked)?;
    d.set_item("rows_matched", stats.rows_matched)?;
    d.set_item("levels_revealed", stats.levels_revealed)?;
    d.set_item("mismatches", stats.mismatches)?;
    d.set_item("unknown_order_events", stats.unknown_order_events)?;
    d.set_item("anomalies", stats.anomalies)?;
    match &stats.first_mismatch {
        None => d.set_item("first_mismatch", py.None())?,
        Some(m) => {
            let fm = PyDict::new(py);
            fm.set_item("row", m.row)?;
            fm.set_item("expected", row_dict(py, &m.expected)?)?;
            fm.set_item("got", row_dict(py, &m.got)?)?;
            d.set_item("first_mismatch", fm)?;
        }
    }
    // Replay-and-check throughput; parsing the CSV text is reported on its own.
    d.set_item("replay_seconds", seconds)?;
    d.set_item("parse_seconds", parse_seconds)?;
    d.set_item("msgs_per_s", stats.messages as f64 / seconds.max(1e-12))?;
    d.set_item(
        "end_to_end_msgs_per_s",
        stats.messages as f64 / (seconds + parse_seconds).max(1e-12),
    )?;
    Ok(d)
}

/// The seeded synthetic benchmark stream as an int64 array of shape (n, 9).
#[pyfunction]
#[pyo3(signature = (n, seed = 42, mid_ticks = 10_000))]
pub fn generate_stream<'py>(
    py: Python<'py>,
    n: usize,
    seed: u64,
    mid_ticks: i64,
) -> PyResult<Bound<'py, PyArray2<i64>>> {
    if mid_ticks <= 100 {
        return Err(InvalidParameterError::new_err(
            "mid_ticks must be above 100",
        ));
    }
    let rows = py.detach(|| generate(n, seed, mid_ticks));
    let arr = Array2::from_shape_vec((n, COLUMNS), rows)
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    Ok(PyArray2::from_owned_array(py, arr))
}

fn percentile(sorted: &[u64], q: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let idx = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[idx]
}

/// Runs the stream natively: `repeats` untimed-per-op passes for throughput (best and median
/// seconds), then one pass timing every operation for latency percentiles (ns).
#[pyfunction]
#[pyo3(signature = (ops, repeats = 5))]
pub fn bench_matching_native<'py>(
    py: Python<'py>,
    ops: PyReadonlyArray2<'py, i64>,
    repeats: usize,
) -> PyResult<Bound<'py, PyDict>> {
    let rows: Vec<i64> = ops.as_array().iter().copied().collect();
    if rows.len() % COLUMNS != 0 || rows.is_empty() {
        return Err(PyValueError::new_err(
            "ops must be a non-empty (n, 9) array",
        ));
    }
    let n = rows.len() / COLUMNS;
    let (mut times, latencies, trades, errors) = py.detach(|| {
        let mut times = Vec::new();
        let mut trades = 0usize;
        let mut errors = 0usize;
        for _ in 0..repeats.max(1) {
            let mut engine = MatchingEngine::new();
            trades = 0;
            errors = 0;
            let start = Instant::now();
            // Events are consumed in chunks, as a live consumer would.
            for chunk in rows.chunks(4096 * COLUMNS) {
                errors += apply_rows(&mut engine, chunk).len();
                trades += engine.trades.len();
                engine.clear_output();
            }
            times.push(start.elapsed().as_secs_f64());
        }
        let mut engine = MatchingEngine::new();
        let mut latencies = Vec::with_capacity(n);
        for row in rows.chunks_exact(COLUMNS) {
            let start = Instant::now();
            if let Some(cmd) = crate::batch::decode(row) {
                let _ = engine.apply(&cmd);
            }
            latencies.push(start.elapsed().as_nanos() as u64);
            if engine.events.len() > 4096 {
                engine.clear_output();
            }
        }
        latencies.sort_unstable();
        (times, latencies, trades, errors)
    });
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    let d = PyDict::new(py);
    d.set_item("ops", n)?;
    d.set_item("trades", trades)?;
    d.set_item("errors", errors)?;
    d.set_item("best_seconds", times[0])?;
    d.set_item("median_seconds", median)?;
    d.set_item("ops_per_s", n as f64 / median)?;
    d.set_item("p50_ns", percentile(&latencies, 0.5))?;
    d.set_item("p99_ns", percentile(&latencies, 0.99))?;
    d.set_item("p999_ns", percentile(&latencies, 0.999))?;
    Ok(d)
}
