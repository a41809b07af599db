//! PyO3 bindings: the mirror of the pure-Rust core, compiled only with the `python` feature.
//! Errors are converted in `errors`; decimal ↔ tick conversion happens in `convert`.

mod bar_matching;
mod book;
mod convert;
mod enums;
mod errors;
mod matching;
mod native;
mod tracker;

use pyo3::prelude::*;

#[pymodule(name = "_ferrotrade_core")]
fn ferrotrade_core_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<enums::PySide>()?;
    m.add_class::<enums::PyOrderType>()?;
    m.add_class::<enums::PyTimeInForce>()?;
    m.add_class::<enums::PyEventKind>()?;
    m.add_class::<book::PyOrderBook>()?;
    m.add_class::<book::PyRestingOrder>()?;
    m.add_class::<matching::PyMatchingEngine>()?;
    m.add_class::<matching::PyTrade>()?;
    m.add_class::<matching::PyOrderEvent>()?;
    m.add_class::<bar_matching::PyBarMatchingEngine>()?;
    m.add_class::<tracker::PyFifoTracker>()?;
    m.add_class::<tracker::PyRoundTrip>()?;
    m.add_class::<tracker::PyOpenLot>()?;
    m.add_function(wrap_pyfunction!(native::lobster_replay, m)?)?;
    m.add_function(wrap_pyfunction!(native::generate_stream, m)?)?;
    m.add_function(wrap_pyfunction!(native::bench_matching_native, m)?)?;
    Ok(())
}
