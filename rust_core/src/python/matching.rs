//! `MatchingEngine`: per-call decimal API and an array batch API over the Rust engine.

use numpy::ndarray::Array2;
use numpy::{PyArray2, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use super::book::{depth_list, resting, PyRestingOrder};
use super::convert::Grid;
use super::enums::{PyEventKind, PySide};
use super::errors::match_err;
use crate::batch::{apply_rows_to, COLUMNS};
use crate::matching::{MatchingEngine, OrderEvent, OrderRequest, RejectReason, Sink, Trade};
use crate::types::{OrderId, OrderType, Side, TimeInForce, TimestampNs};

/// (trades, events, errors) arrays returned by `apply_batch`.
type BatchOutput<'py> = (
    Bound<'py, PyArray2<i64>>,
    Bound<'py, PyArray2<i64>>,
    Bound<'py, PyArray2<i64>>,
);

/// Integers per row of the `apply_batch` trade and event arrays.
const TRADE_WIDTH: usize = 6;
const EVENT_WIDTH: usize = 7;

/// Command rows per chunk of an `apply_batch` call; chunks only pace the output reservation
/// (see [`RowSink::reserve_ahead`]).
const CHUNK_ROWS: usize = 4096;

fn trade_row(t: &Trade) -> [i64; TRADE_WIDTH] {
    [
        t.maker.0 as i64,
        t.taker.0 as i64,
        t.price,
        t.qty as i64,
        t.aggressor as i64,
        t.ts,
    ]
}

fn event_row(e: &OrderEvent) -> [i64; EVENT_WIDTH] {
    [
        e.kind as i64,
        e.id.0 as i64,
        e.ts,
        e.price,
        e.qty as i64,
        e.leaves as i64,
        e.reason as i64,
    ]
}

/// `apply_batch`'s output arrays as the engine's [`Sink`]: each trade and event is written
/// once, as its row, straight into the array that is returned (no intermediate records to
/// buffer and convert afterwards).
#[derive(Debug, Default)]
struct RowSink {
    trades: Vec<[i64; TRADE_WIDTH]>,
    events: Vec<[i64; EVENT_WIDTH]>,
}

impl Sink for RowSink {
    #[inline(always)]
    fn trade(&mut self, trade: Trade) {
        self.trades.push(trade_row(&trade));
    }

    #[inline(always)]
    fn event(&mut self, event: OrderEvent) {
        self.events.push(event_row(&event));
    }

    #[inline(always)]
    fn fill(&mut self, trade: Trade, maker: OrderEvent, taker: OrderEvent) {
        self.trades.push(trade_row(&trade));
        // One capacity check for both rows (an array's iterator has an exact length).
        self.events.extend([event_row(&maker), event_row(&taker)]);
    }
}

impl RowSink {
    /// Trade and event rows per command row assumed before the first batch.
    const FIRST_RATES: (f64, f64) = (0.5, 2.0);
    /// The most trade and event rows per command row reserved for up front, so that one
    /// unusual batch (a few rows sweeping deep books) does not make the next, large one
    /// reserve far more than it writes; a busier batch grows in `reserve_ahead`.
    const MAX_RATES: (f64, f64) = (1.0, 3.0);

    /// Output arrays with room for `total` command rows at `rates` (trade and event rows per
    /// command row, as the last batch had them, at most [`RowSink::MAX_RATES`]), plus a
    /// sixteenth and the margin that [`RowSink::reserve_ahead`] keeps before each chunk: one
    /// allocation per array for a batch like the last, so no growth (a copy of everything
    /// written so far) in the middle of it. [`RowSink::reserve_ahead`] still grows them if
    /// this batch turns out busier.
    fn with_room_for(total: usize, (trades, events): (f64, f64)) -> Self {
        let rows = (total + total / 16 + 2 * CHUNK_ROWS) as f64;
        let room = |rate: f64, most: f64| (rate.min(most) * rows) as usize + 256;
        let (most_trades, most_events) = RowSink::MAX_RATES;
        RowSink {
            trades: Vec::with_capacity(room(trades, most_trades)),
            events: Vec::with_capacity(room(events, most_events)),
        }
    }

    /// Trade and event rows per command row written for `total` command rows (none for none).
    fn rates(&self, total: usize) -> Option<(f64, f64)> {
        (total > 0).then(|| {
            (
                self.trades.len() as f64 / total as f64,
                self.events.len() as f64 / total as f64,
            )
        })
    }

    /// Called before each chunk of `chunk` command rows, after `done` of `total`: makes room
    /// for the chunk (twice the rate so far; a guess for the first) so that the arrays do not
    /// double, and so copy, in the middle of it; when they must grow, they grow once to what
    /// the rate so far predicts for the whole batch, plus an eighth.
    fn reserve_ahead(&mut self, done: usize, chunk: usize, total: usize) {
        fn grow<T>(out: &mut Vec<T>, done: usize, chunk: usize, total: usize, first: usize) {
            let (ahead, predicted) = match done {
                0 => (first, first),
                _ => {
                    let per_row = out.len() as f64 / done as f64;
                    let ahead = (per_row * 2.0 * chunk as f64) as usize + 64;
                    (ahead, (per_row * 1.125 * total as f64) as usize + ahead)
                }
            };
            if out.capacity() - out.len() < ahead {
                out.reserve_exact(predicted.max(out.len() + ahead) - out.len());
            }
        }
        grow(&mut self.trades, done, chunk, total, chunk / 2);
        grow(&mut self.events, done, chunk, total, chunk * 2);
    }
}

/// A trade: the resting maker against the incoming taker, at the maker's price.
#[pyclass(
    name = "Trade",
    module = "ferrotrade._ferrotrade_core",
    frozen,
    get_all
)]
#[derive(Debug, Clone)]
pub struct PyTrade {
    pub maker_id: u64,
    pub taker_id: u64,
    pub price: f64,
    pub size: f64,
    pub aggressor: PySide,
    pub ts: TimestampNs,
}

#[pymethods]
impl PyTrade {
    fn __repr__(&self) -> String {
        format!(
            "Trade(maker_id={}, taker_id={}, price={}, size={}, aggressor={:?}, ts={})",
            self.maker_id, self.taker_id, self.price, self.size, self.aggressor, self.ts
        )
    }
}

/// An order event. `price`/`size` are the fill's for fills; for CANCELED and EXPIRED `size`
/// is the size removed; `leaves` is what stays working.
#[pyclass(
    name = "OrderEvent",
    module = "ferrotrade._ferrotrade_core",
    frozen,
    get_all
)]
#[derive(Debug, Clone)]
pub struct PyOrderEvent {
    pub kind: PyEventKind,
    pub order_id: u64,
    pub ts: TimestampNs,
    pub price: f64,
    pub size: f64,
    pub leaves: f64,
    /// "" unless rejected: "fok_cannot_fill" or "no_liquidity".
    pub reason: &'static str,
}

#[pymethods]
impl PyOrderEvent {
    fn __repr__(&self) -> String {
        format!(
            "OrderEvent(kind={:?}, order_id={}, ts={}, price={}, size={}, leaves={}, reason={:?})",
            self.kind, self.order_id, self.ts, self.price, self.size, self.leaves, self.reason
        )
    }
}

fn reason_str(r: RejectReason) -> &'static str {
    match r {
        RejectReason::None => "",
        RejectReason::FokCannotFill => "fok_cannot_fill",
        RejectReason::NoLiquidity => "no_liquidity",
    }
}

/// A matching engine: limit, market, stop and stop-limit orders; GTC, IOC, FOK and DAY; partial
/// fills; trades and order events buffered until drained. The rules are in the Rust module doc
/// `rust_core/src/matching.rs` and the README. After any error the engine is unchanged.
#[pyclass(name = "MatchingEngine", module = "ferrotrade._ferrotrade_core")]
#[derive(Debug)]
pub struct PyMatchingEngine {
    engine: MatchingEngine,
    prices: Grid,
    sizes: Grid,
    /// Trade and event rows per command row of the last `apply_batch` (see
    /// [`RowSink::with_room_for`]).
    batch_rates: (f64, f64),
}

impl PyMatchingEngine {
    fn trade(&self, t: &Trade) -> PyTrade {
        PyTrade {
            maker_id: t.maker.0,
            taker_id: t.taker.0,
            price: self.prices.to_value(t.price),
            size: self.sizes.qty_value(t.qty),
            aggressor: t.aggressor.into(),
            ts: t.ts,
        }
    }

    fn event(&self, e: &OrderEvent) -> PyOrderEvent {
        PyOrderEvent {
            kind: e.kind.into(),
            order_id: e.id.0,
            ts: e.ts,
            price: if e.price == 0 {
                0.0
            } else {
                self.prices.to_value(e.price)
            },
            size: self.sizes.qty_value(e.qty),
            leaves: self.sizes.qty_value(e.leaves),
            reason: reason_str(e.reason),
        }
    }
}

#[pymethods]
impl PyMatchingEngine {
    #[new]
    #[pyo3(signature = (price_increment = 0.01, size_increment = 1.0))]
    fn new(price_increment: f64, size_increment: f64) -> PyResult<Self> {
        Ok(PyMatchingEngine {
            engine: MatchingEngine::with_capacity(1024),
            prices: Grid::new(price_increment, "price_increment")?,
            sizes: Grid::new(size_increment, "size_increment")?,
            batch_rates: RowSink::FIRST_RATES,
        })
    }

    #[getter]
    fn price_increment(&self) -> f64 {
        self.prices.increment
    }

    #[getter]
    fn size_increment(&self) -> f64 {
        self.sizes.increment
    }

    /// Submits an order. `order_type` defaults to LIMIT when a price is given, else MARKET.
    #[pyo3(signature = (order_id, side, size, price = None, order_type = None, time_in_force = None, stop_price = None, ts = 0))]
    #[allow(clippy::too_many_arguments)]
    fn submit(
        &mut self,
        order_id: u64,
        side: &Bound<'_, PyAny>,
        size: f64,
        price: Option<f64>,
        order_type: Option<&Bound<'_, PyAny>>,
        time_in_force: Option<&Bound<'_, PyAny>>,
        stop_price: Option<f64>,
        ts: TimestampNs,
    ) -> PyResult<()> {
        let kind = match order_type {
            Some(t) => super::convert::order_type(t)?,
            None if price.is_some() => OrderType::Limit,
            None => OrderType::Market,
        };
        let req = OrderRequest {
            id: OrderId(order_id),
            side: super::convert::side(side)?,
            order_type: kind,
            tif: match time_in_force {
                Some(t) => super::convert::tif(t)?,
                None => TimeInForce::Gtc,
            },
            qty: self.sizes.qty(size)?,
            price: price.map(|p| self.prices.price(p)).transpose()?,
            stop_price: stop_price.map(|p| self.prices.price(p)).transpose()?,
            ts,
        };
        self.engine.submit(req).map_err(match_err)
    }

    /// Fast path: a GTC limit order given in integer ticks and lots (no conversion).
    #[pyo3(signature = (order_id, is_buy, price_ticks, lots, ts = 0))]
    fn submit_limit_ticks(
        &mut self,
        order_id: u64,
        is_buy: bool,
        price_ticks: i64,
        lots: u64,
        ts: TimestampNs,
    ) -> PyResult<()> {
        let side = if is_buy { Side::Buy } else { Side::Sell };
        self.engine
            .submit(OrderRequest::limit(order_id, side, price_ticks, lots, ts))
            .map_err(match_err)
    }

    /// Applies one command given as the nine integers of a batch row (see `apply_batch`);
    /// returns 0, or the error code of a refused row (nothing changes then). The cheapest
    /// per-call entry point.
    #[allow(clippy::too_many_arguments)]
    fn apply(
        &mut self,
        op: i64,
        order_id: i64,
        side: i64,
        order_type: i64,
        time_in_force: i64,
        price_ticks: i64,
        stop_ticks: i64,
        lots: i64,
        ts: TimestampNs,
    ) -> i64 {
        let row = [
            op,
            order_id,
            side,
            order_type,
            time_in_force,
            price_ticks,
            stop_ticks,
            lots,
            ts,
        ];
        match crate::batch::decode(&row) {
            Some(cmd) => match self.engine.apply(&cmd) {
                Ok(()) => 0,
                Err(e) => crate::batch::error_code(&e),
            },
            None => crate::batch::ERR_MALFORMED,
        }
    }

    /// Cancels a resting or pending order.
    #[pyo3(signature = (order_id, ts = 0))]
    fn cancel(&mut self, order_id: u64, ts: TimestampNs) -> PyResult<()> {
        self.engine.cancel(OrderId(order_id), ts).map_err(match_err)
    }

    /// New working size, and a new limit price (resting) or stop price (pending stop).
    #[pyo3(signature = (order_id, size, price = None, ts = 0))]
    fn modify(
        &mut self,
        order_id: u64,
        size: f64,
        price: Option<f64>,
        ts: TimestampNs,
    ) -> PyResult<()> {
        let qty = self.sizes.qty(size)?;
        let price = price.map(|p| self.prices.price(p)).transpose()?;
        self.engine
            .modify(OrderId(order_id), qty, price, ts)
            .map_err(match_err)
    }

    /// Expires every DAY order.
    fn session_end(&mut self, ts: TimestampNs) {
        self.engine.session_end(ts);
    }

    /// Buffered trades, oldest first; the buffer is emptied.
    fn drain_trades(&mut self) -> Vec<PyTrade> {
        let trades = std::mem::take(&mut self.engine.trades);
        trades.iter().map(|t| self.trade(t)).collect()
    }

    /// Buffered order events, oldest first; the buffer is emptied.
    fn drain_events(&mut self) -> Vec<PyOrderEvent> {
        let events = std::mem::take(&mut self.engine.events);
        events.iter().map(|e| self.event(e)).collect()
    }

    /// Drops buffered trades and events without converting them.
    fn clear_output(&mut self) {
        self.engine.clear_output();
    }

    /// Applies many commands at once, with the GIL released. `ops` is an int64 array of shape
    /// (n, 9): [op, id, side, order_type, tif, price_ticks, stop_ticks, lots, ts] with op 0
    /// submit, 1 cancel, 2 modify (new lots, and price or 0 to keep it), 3 session end; side
    /// 0 buy, 1 sell; order_type 0 limit, 1 market, 2 stop, 3 stop-limit; tif 0 GTC, 1 IOC,
    /// 2 FOK, 3 DAY; a price of 0 means none. Returns (trades (m, 6): [maker, taker,
    /// price_ticks, lots, aggressor, ts]; events (k, 7): [kind, id, ts, price_ticks, lots,
    /// leaves, reason]; errors (e, 2): [row, code] with codes 1 malformed, 2 duplicate id,
    /// 3 unknown id, 4 invalid quantity, 5 invalid price, 6 missing price, 7 overflow). A
    /// failing row changes nothing; the others apply.
    fn apply_batch<'py>(
        &mut self,
        py: Python<'py>,
        ops: PyReadonlyArray2<'py, i64>,
    ) -> PyResult<BatchOutput<'py>> {
        if ops.shape()[1] != COLUMNS {
            return Err(PyValueError::new_err(format!(
                "ops must have shape (n, {COLUMNS}), got {:?}",
                ops.shape()
            )));
        }
        let owned;
        let rows: &[i64] = match ops.as_slice() {
            Ok(s) => s,
            Err(_) => {
                owned = ops.as_array().iter().copied().collect::<Vec<_>>();
                &owned
            }
        };
        let engine = &mut self.engine;
        let rates = &mut self.batch_rates;
        let (RowSink { trades, events }, errors) = py.detach(|| {
            engine.clear_output();
            let total = rows.len() / COLUMNS;
            let mut out = RowSink::with_room_for(total, *rates);
            let mut errors = Vec::new();
            let mut done = 0;
            // Chunks only pace the output reservation: rows are written straight to `out`.
            for chunk in rows.chunks(CHUNK_ROWS * COLUMNS) {
                out.reserve_ahead(done, chunk.len() / COLUMNS, total);
                for (i, code) in apply_rows_to(engine, chunk, &mut out) {
                    errors.extend_from_slice(&[done as i64 + i, code]);
                }
                done += chunk.len() / COLUMNS;
            }
            if let Some(seen) = out.rates(total) {
                *rates = seen;
            }
            (out, errors)
        });
        let to_array = |v: Vec<i64>, width: usize| -> PyResult<Bound<'py, PyArray2<i64>>> {
            let rows = v.len() / width;
            let arr = Array2::from_shape_vec((rows, width), v)
                .map_err(|e| PyValueError::new_err(e.to_string()))?;
            Ok(PyArray2::from_owned_array(py, arr))
        };
        Ok((
            to_array(trades.into_flattened(), TRADE_WIDTH)?,
            to_array(events.into_flattened(), EVENT_WIDTH)?,
            to_array(errors, 2)?,
        ))
    }

    fn best_bid(&self) -> Option<(f64, f64)> {
        self.engine
            .book()
            .best_bid()
            .map(|(p, q)| (self.prices.to_value(p), self.sizes.qty_value(q)))
    }

    fn best_ask(&self) -> Option<(f64, f64)> {
        self.engine
            .book()
            .best_ask()
            .map(|(p, q)| (self.prices.to_value(p), self.sizes.qty_value(q)))
    }

    /// Top levels of one side, best first: (price, total size, order count).
    #[pyo3(signature = (side, levels = 10))]
    fn depth(&self, side: &Bound<'_, PyAny>, levels: usize) -> PyResult<Vec<(f64, f64, u32)>> {
        let side = super::convert::side(side)?;
        Ok(depth_list(
            self.engine.book(),
            side,
            levels,
            &self.prices,
            &self.sizes,
        ))
    }

    /// Top levels in integer ticks and lots: (price_ticks, lots, order count).
    #[pyo3(signature = (side, levels = 10))]
    fn depth_ticks(
        &self,
        side: &Bound<'_, PyAny>,
        levels: usize,
    ) -> PyResult<Vec<(i64, u64, u32)>> {
        let side = super::convert::side(side)?;
        Ok(self
            .engine
            .book()
            .depth(side, levels)
            .iter()
            .map(|l| (l.price, l.qty, l.count))
            .collect())
    }

    /// The resting order, or None (pending stops are not in the book).
    fn order(&self, order_id: u64) -> Option<PyRestingOrder> {
        self.engine
            .book()
            .order(OrderId(order_id))
            .map(|o| resting(o, &self.prices, &self.sizes))
    }

    /// True if the order is resting or a pending stop.
    fn is_live(&self, order_id: u64) -> bool {
        self.engine.is_live(OrderId(order_id))
    }

    #[getter]
    fn pending_stop_count(&self) -> usize {
        self.engine.pending_stop_count()
    }

    #[getter]
    fn last_trade_price(&self) -> Option<f64> {
        self.engine
            .last_trade_price()
            .map(|p| self.prices.to_value(p))
    }

    /// Raises AssertionError if an internal invariant is broken (for tests).
    fn check_integrity(&self) -> PyResult<()> {
        self.engine
            .book()
            .check_integrity()
            .map_err(pyo3::exceptions::PyAssertionError::new_err)
    }

    fn __len__(&self) -> usize {
        self.engine.book().len()
    }
}
