//! `BarMatchingEngine`: the deterministic bar fill model for bar backtests.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use super::convert::Grid;
use super::enums::PyEventKind;
use super::errors::{bar_err, InvalidBarError};
use super::matching::PyOrderEvent;
use crate::bar_matching::{
    Bar, BarEvent, BarEventKind, BarMatchingConfig, BarMatchingEngine, BarOrder, FillAt,
};
use crate::matching::EventKind;
use crate::types::{OrderId, TimestampNs};

fn event_kind(k: BarEventKind) -> PyEventKind {
    let kind = match k {
        BarEventKind::Accepted => EventKind::Accepted,
        BarEventKind::PartiallyFilled => EventKind::PartiallyFilled,
        BarEventKind::Filled => EventKind::Filled,
        BarEventKind::Canceled => EventKind::Canceled,
        BarEventKind::Expired => EventKind::Expired,
        BarEventKind::Triggered => EventKind::Triggered,
    };
    kind.into()
}

/// Fills working orders against OHLCV bars with the documented rules (fill at open, close or
/// VWAP; a cap at a fraction of each bar's volume; slippage against the order; limit and stop
/// semantics against the bar's range; GTC, IOC, FOK and DAY). Orders work from the next bar
/// processed after they are submitted. Sizes are decimals converted with `size_increment`.
#[pyclass(name = "BarMatchingEngine", module = "ferrotrade._ferrotrade_core")]
#[derive(Debug)]
pub struct PyBarMatchingEngine {
    engine: BarMatchingEngine,
    sizes: Grid,
}

impl PyBarMatchingEngine {
    fn event(&self, e: &BarEvent) -> PyOrderEvent {
        PyOrderEvent {
            kind: event_kind(e.kind),
            order_id: e.id.0,
            ts: e.ts,
            price: e.price,
            size: self.sizes.qty_value(e.qty),
            leaves: self.sizes.qty_value(e.leaves),
            reason: "",
        }
    }
}

#[pymethods]
impl PyBarMatchingEngine {
    #[new]
    #[pyo3(
        signature = (fill_at = "open", max_volume_pct = Some(0.1), slippage_bps = 0.0, size_increment = 1.0),
        text_signature = "(fill_at='open', max_volume_pct=0.1, slippage_bps=0.0, size_increment=1.0)"
    )]
    fn new(
        fill_at: &str,
        max_volume_pct: Option<f64>,
        slippage_bps: f64,
        size_increment: f64,
    ) -> PyResult<Self> {
        let fill_at = match fill_at.to_ascii_lowercase().as_str() {
            "open" => FillAt::Open,
            "close" => FillAt::Close,
            "vwap" => FillAt::Vwap,
            other => {
                return Err(PyValueError::new_err(format!(
                    "fill_at must be 'open', 'close' or 'vwap', got {other:?}"
                )))
            }
        };
        let config = BarMatchingConfig {
            fill_at,
            max_volume_pct,
            slippage_bps,
        };
        Ok(PyBarMatchingEngine {
            engine: BarMatchingEngine::new(config).map_err(bar_err)?,
            sizes: Grid::new(size_increment, "size_increment")?,
        })
    }

    /// Submits an order that works from the next bar processed.
    #[pyo3(signature = (order_id, side, size, order_type = None, limit_price = None, stop_price = None, time_in_force = None, ts = 0))]
    #[allow(clippy::too_many_arguments)]
    fn submit(
        &mut self,
        order_id: u64,
        side: &Bound<'_, PyAny>,
        size: f64,
        order_type: Option<&Bound<'_, PyAny>>,
        limit_price: Option<f64>,
        stop_price: Option<f64>,
        time_in_force: Option<&Bound<'_, PyAny>>,
        ts: TimestampNs,
    ) -> PyResult<()> {
        let kind = match order_type {
            Some(t) => super::convert::order_type(t)?,
            None if limit_price.is_some() => crate::types::OrderType::Limit,
            None => crate::types::OrderType::Market,
        };
        let order = BarOrder {
            id: OrderId(order_id),
            side: super::convert::side(side)?,
            order_type: kind,
            tif: match time_in_force {
                Some(t) => super::convert::tif(t)?,
                None => crate::types::TimeInForce::Gtc,
            },
            qty: self.sizes.qty(size)?,
            limit_price,
            stop_price,
        };
        self.engine.submit(order, ts).map_err(bar_err)
    }

    /// Cancels a working order; returns the size cancelled.
    #[pyo3(signature = (order_id, ts = 0))]
    fn cancel(&mut self, order_id: u64, ts: TimestampNs) -> PyResult<f64> {
        let qty = self.engine.cancel(OrderId(order_id), ts).map_err(bar_err)?;
        Ok(self.sizes.qty_value(qty))
    }

    /// Matches working orders against one bar. `volume` is in units; it is floored to whole
    /// size increments for the volume cap.
    #[pyo3(signature = (ts, open, high, low, close, volume, vwap = None))]
    #[allow(clippy::too_many_arguments)]
    fn process_bar(
        &mut self,
        ts: TimestampNs,
        open: f64,
        high: f64,
        low: f64,
        close: f64,
        volume: f64,
        vwap: Option<f64>,
    ) -> PyResult<()> {
        if !volume.is_finite() || volume < 0.0 {
            return Err(InvalidBarError::new_err(format!(
                "bar at {ts}: volume must be finite and non-negative, got {volume}"
            )));
        }
        let lots = (volume / self.sizes.increment * (1.0 + 1e-12)).floor();
        let bar = Bar {
            ts,
            open,
            high,
            low,
            close,
            volume: lots.min(u64::MAX as f64) as u64,
            vwap,
        };
        self.engine.process_bar(&bar).map_err(bar_err)
    }

    /// Expires every DAY order; returns how many.
    fn session_end(&mut self, ts: TimestampNs) -> usize {
        self.engine.session_end(ts)
    }

    /// Buffered events, oldest first; the buffer is emptied.
    fn drain_events(&mut self) -> Vec<PyOrderEvent> {
        let events = self.engine.drain_events();
        events.iter().map(|e| self.event(e)).collect()
    }

    /// Working orders in submission order: (order_id, leaves size).
    fn open_orders(&self) -> Vec<(u64, f64)> {
        self.engine
            .open_orders()
            .iter()
            .map(|o| (o.order.id.0, self.sizes.qty_value(o.leaves)))
            .collect()
    }

    fn is_open(&self, order_id: u64) -> bool {
        self.engine.is_open(OrderId(order_id))
    }
}
