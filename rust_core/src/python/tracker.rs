//! `FifoTracker`: fills in, FIFO round trips out, per symbol name.

use numpy::PyReadonlyArray1;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use rustc_hash::FxHashMap;

use super::enums::PySide;
use super::errors::{tracker_err, InvalidQuantityError};
use crate::tracker::{FifoTracker, Fill, OpenLot, RoundTrip};
use crate::types::{Side, TimestampNs};

const NS_PER_DAY: f64 = 86_400e9;

/// One closed round trip (a lot, or part of one, opened and then closed).
#[pyclass(
    name = "RoundTrip",
    module = "ferrotrade._ferrotrade_core",
    frozen,
    get_all
)]
#[derive(Debug, Clone)]
pub struct PyRoundTrip {
    pub symbol: String,
    /// "long" or "short".
    pub direction: &'static str,
    pub entry_time: TimestampNs,
    pub exit_time: TimestampNs,
    pub entry_price: f64,
    pub exit_price: f64,
    pub quantity: f64,
    /// (exit − entry) × quantity × direction − the fees allocated to this round trip.
    pub pnl: f64,
    /// pnl / (entry price × quantity), as a fraction.
    pub ret: f64,
    /// Days between entry and exit.
    pub holding_period: f64,
    pub entry_fee: f64,
    pub exit_fee: f64,
}

#[pymethods]
impl PyRoundTrip {
    /// The seed's field names: entry_time, exit_time, entry_price, exit_price, quantity, pnl,
    /// return, holding_period (days), plus symbol, direction and fees.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("symbol", &self.symbol)?;
        d.set_item("direction", self.direction)?;
        d.set_item("entry_time", self.entry_time)?;
        d.set_item("exit_time", self.exit_time)?;
        d.set_item("entry_price", self.entry_price)?;
        d.set_item("exit_price", self.exit_price)?;
        d.set_item("quantity", self.quantity)?;
        d.set_item("pnl", self.pnl)?;
        d.set_item("return", self.ret)?;
        d.set_item("holding_period", self.holding_period)?;
        d.set_item("entry_fee", self.entry_fee)?;
        d.set_item("exit_fee", self.exit_fee)?;
        Ok(d)
    }

    fn __repr__(&self) -> String {
        format!(
            "RoundTrip(symbol={:?}, direction={:?}, quantity={}, entry_price={}, exit_price={}, pnl={})",
            self.symbol, self.direction, self.quantity, self.entry_price, self.exit_price, self.pnl
        )
    }
}

/// An open lot still waiting to be closed.
#[pyclass(
    name = "OpenLot",
    module = "ferrotrade._ferrotrade_core",
    frozen,
    get_all
)]
#[derive(Debug, Clone)]
pub struct PyOpenLot {
    pub side: PySide,
    pub quantity: f64,
    pub price: f64,
    pub ts: TimestampNs,
    pub entry_fee: f64,
}

/// Matches fills first-in first-out into round trips, per symbol; long and short, partial
/// closes, and flips through zero (the old lots close first, the rest opens a new lot). Sizes
/// are decimals converted with `size_increment` (default 1e-8: fractional crypto sizes).
#[pyclass(name = "FifoTracker", module = "ferrotrade._ferrotrade_core")]
#[derive(Debug, Clone)]
pub struct PyFifoTracker {
    tracker: FifoTracker,
    ids: FxHashMap<String, u32>,
    names: Vec<String>,
    increment: super::convert::Grid,
}

impl PyFifoTracker {
    fn symbol_id(&mut self, symbol: &str) -> u32 {
        if let Some(&id) = self.ids.get(symbol) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(symbol.to_string());
        self.ids.insert(symbol.to_string(), id);
        id
    }

    fn known(&self, symbol: &str) -> Option<u32> {
        self.ids.get(symbol).copied()
    }

    fn round_trip(&self, r: &RoundTrip) -> PyRoundTrip {
        PyRoundTrip {
            symbol: self.names[r.symbol as usize].clone(),
            direction: if r.direction == Side::Buy {
                "long"
            } else {
                "short"
            },
            entry_time: r.entry_time,
            exit_time: r.exit_time,
            entry_price: r.entry_price,
            exit_price: r.exit_price,
            quantity: self.increment.qty_value(r.quantity),
            pnl: r.pnl,
            ret: r.ret,
            holding_period: (r.exit_time - r.entry_time) as f64 / NS_PER_DAY,
            entry_fee: r.entry_fee,
            exit_fee: r.exit_fee,
        }
    }

    fn lot(&self, l: &OpenLot) -> PyOpenLot {
        PyOpenLot {
            side: l.side.into(),
            quantity: self.increment.qty_value(l.qty),
            price: l.price,
            ts: l.ts,
            entry_fee: l.entry_fee,
        }
    }
}

#[pymethods]
impl PyFifoTracker {
    #[new]
    #[pyo3(signature = (size_increment = 1e-8))]
    fn new(size_increment: f64) -> PyResult<Self> {
        Ok(PyFifoTracker {
            tracker: FifoTracker::new(size_increment).map_err(tracker_err)?,
            ids: FxHashMap::default(),
            names: Vec::new(),
            increment: super::convert::Grid::new(size_increment, "size_increment")?,
        })
    }

    /// Adds one fill; returns the number of round trips it closed. Nothing changes on error.
    #[pyo3(signature = (symbol, side, size, price, fee = 0.0, ts = 0))]
    fn add_fill(
        &mut self,
        symbol: &str,
        side: &Bound<'_, PyAny>,
        size: f64,
        price: f64,
        fee: f64,
        ts: TimestampNs,
    ) -> PyResult<usize> {
        let side = super::convert::side(side)?;
        let qty = self.increment.qty(size)?;
        let known = self.known(symbol);
        let id = known.unwrap_or(self.names.len() as u32);
        let fill = Fill {
            symbol: id,
            side,
            qty,
            price,
            fee,
            ts,
        };
        // Register the name only once the fill is accepted, so a bad fill leaves no trace.
        let closed = self.tracker.add_fill(&fill).map_err(tracker_err)?;
        if known.is_none() {
            self.symbol_id(symbol);
        }
        Ok(closed)
    }

    #[allow(clippy::too_many_arguments)]
    /// Adds many fills of one symbol at once, all or nothing. `sides` holds +1 (buy) or -1
    /// (sell); sizes are in units.
    fn add_fills(
        &mut self,
        py: Python<'_>,
        symbol: &str,
        sides: PyReadonlyArray1<'_, i64>,
        sizes: PyReadonlyArray1<'_, f64>,
        prices: PyReadonlyArray1<'_, f64>,
        fees: PyReadonlyArray1<'_, f64>,
        ts: PyReadonlyArray1<'_, i64>,
    ) -> PyResult<usize> {
        let (sides, sizes, prices, fees, ts) = (
            sides.as_array(),
            sizes.as_array(),
            prices.as_array(),
            fees.as_array(),
            ts.as_array(),
        );
        let n = sides.len();
        if [sizes.len(), prices.len(), fees.len(), ts.len()]
            .iter()
            .any(|&l| l != n)
        {
            return Err(PyValueError::new_err(
                "all arrays must have the same length",
            ));
        }
        let id = self.known(symbol).unwrap_or(self.names.len() as u32);
        let mut fills = Vec::with_capacity(n);
        for i in 0..n {
            let side = match sides[i] {
                1 => Side::Buy,
                -1 => Side::Sell,
                s => {
                    return Err(PyValueError::new_err(format!(
                        "sides[{i}] must be 1 or -1, got {s}"
                    )))
                }
            };
            let qty = self.increment.qty(sizes[i]).map_err(|e| {
                InvalidQuantityError::new_err(format!("sizes[{i}]: {}", e.value(py)))
            })?;
            fills.push(Fill {
                symbol: id,
                side,
                qty,
                price: prices[i],
                fee: fees[i],
                ts: ts[i],
            });
        }
        let tracker = &mut self.tracker;
        let closed = py
            .detach(|| tracker.add_fills(&fills))
            .map_err(tracker_err)?;
        if n > 0 {
            self.symbol_id(symbol);
        }
        Ok(closed)
    }

    /// Signed position in units (positive long, negative short); 0 for an unknown symbol.
    fn position(&self, symbol: &str) -> f64 {
        self.known(symbol)
            .map(|id| self.increment.to_value(self.tracker.position(id)))
            .unwrap_or(0.0)
    }

    /// Open lots of a symbol, oldest first.
    fn open_lots(&self, symbol: &str) -> Vec<PyOpenLot> {
        self.known(symbol)
            .map(|id| {
                self.tracker
                    .open_lots(id)
                    .iter()
                    .map(|l| self.lot(l))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Realized P&L of one symbol, or of all symbols (summed in first-seen order) when None.
    #[pyo3(signature = (symbol = None))]
    fn realized_pnl(&self, symbol: Option<&str>) -> f64 {
        match symbol {
            Some(s) => self
                .known(s)
                .map(|id| self.tracker.realized_pnl(id))
                .unwrap_or(0.0),
            None => self.tracker.total_realized_pnl(),
        }
    }

    /// Fees of every fill so far.
    #[getter]
    fn fees_paid(&self) -> f64 {
        self.tracker.fees_paid()
    }

    /// Symbols in the order first seen.
    fn symbols(&self) -> Vec<String> {
        self.names.clone()
    }

    /// Every round trip closed so far, in closing order.
    fn round_trips(&self) -> Vec<PyRoundTrip> {
        self.tracker
            .round_trips()
            .iter()
            .map(|r| self.round_trip(r))
            .collect()
    }

    /// Round trips closed since the last call; they are removed from the tracker.
    fn take_round_trips(&mut self) -> Vec<PyRoundTrip> {
        let trips = self.tracker.take_round_trips();
        trips.iter().map(|r| self.round_trip(r)).collect()
    }

    /// An independent copy: open lots, round trips and symbols (supervision checkpoints).
    fn __copy__(&self) -> Self {
        self.clone()
    }

    /// Same as `__copy__`: the tracker holds no Python objects to copy deeper.
    fn __deepcopy__(&self, _memo: &Bound<'_, PyAny>) -> Self {
        self.clone()
    }
}
