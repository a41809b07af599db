//! `OrderBook`: the L3 book alone, for replay tools and users who do their own matching.

use pyo3::prelude::*;

use super::convert::Grid;
use super::enums::PySide;
use super::errors::book_err;
use crate::book::{OrderBook, RestingOrder};
use crate::types::{OrderId, Side, TimestampNs};

/// A resting order as seen from Python.
#[pyclass(
    name = "RestingOrder",
    module = "ferrotrade._ferrotrade_core",
    frozen,
    get_all
)]
#[derive(Debug, Clone)]
pub struct PyRestingOrder {
    pub order_id: u64,
    pub side: PySide,
    pub price: f64,
    pub size: f64,
    pub ts: TimestampNs,
}

#[pymethods]
impl PyRestingOrder {
    fn __repr__(&self) -> String {
        format!(
            "RestingOrder(order_id={}, side={:?}, price={}, size={}, ts={})",
            self.order_id, self.side, self.price, self.size, self.ts
        )
    }
}

pub(crate) fn resting(o: RestingOrder, prices: &Grid, sizes: &Grid) -> PyRestingOrder {
    PyRestingOrder {
        order_id: o.id.0,
        side: o.side.into(),
        price: prices.to_value(o.price),
        size: sizes.qty_value(o.qty),
        ts: o.ts,
    }
}

pub(crate) fn depth_list(
    book: &OrderBook,
    side: Side,
    levels: usize,
    prices: &Grid,
    sizes: &Grid,
) -> Vec<(f64, f64, u32)> {
    book.depth(side, levels)
        .iter()
        .map(|l| (prices.to_value(l.price), sizes.qty_value(l.qty), l.count))
        .collect()
}

/// An L3 limit order book with price-time priority. Prices and sizes are decimals converted
/// once, here, to integer ticks and lots; an off-grid price raises `OffTickError`. The book does
/// not match: use `MatchingEngine` for that. After any error the book is unchanged.
#[pyclass(name = "OrderBook", module = "ferrotrade._ferrotrade_core")]
#[derive(Debug)]
pub struct PyOrderBook {
    book: OrderBook,
    prices: Grid,
    sizes: Grid,
}

#[pymethods]
impl PyOrderBook {
    #[new]
    #[pyo3(signature = (price_increment = 0.01, size_increment = 1.0))]
    fn new(price_increment: f64, size_increment: f64) -> PyResult<Self> {
        Ok(PyOrderBook {
            book: OrderBook::new(),
            prices: Grid::new(price_increment, "price_increment")?,
            sizes: Grid::new(size_increment, "size_increment")?,
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

    /// Rests an order at the back of its price level.
    #[pyo3(signature = (order_id, side, price, size, ts = 0))]
    fn add(
        &mut self,
        order_id: u64,
        side: &Bound<'_, PyAny>,
        price: f64,
        size: f64,
        ts: TimestampNs,
    ) -> PyResult<()> {
        let order = RestingOrder {
            id: OrderId(order_id),
            side: super::convert::side(side)?,
            price: self.prices.price(price)?,
            qty: self.sizes.qty(size)?,
            ts,
            tag: 0,
        };
        self.book.add(order).map_err(book_err)
    }

    /// Removes an order; returns the size it had left.
    fn cancel(&mut self, order_id: u64) -> PyResult<f64> {
        let o = self.book.cancel(OrderId(order_id)).map_err(book_err)?;
        Ok(self.sizes.qty_value(o.qty))
    }

    /// Reduces an order in place (keeps priority); returns the size left (0: it left the book).
    fn reduce(&mut self, order_id: u64, size: f64) -> PyResult<f64> {
        let by = self.sizes.qty(size)?;
        let left = self.book.reduce(OrderId(order_id), by).map_err(book_err)?;
        Ok(self.sizes.qty_value(left))
    }

    /// Changes price and size: a smaller size at the same price keeps priority, anything else
    /// goes to the back of the level.
    #[pyo3(signature = (order_id, price, size, ts = 0))]
    fn modify(&mut self, order_id: u64, price: f64, size: f64, ts: TimestampNs) -> PyResult<()> {
        let price = self.prices.price(price)?;
        let qty = self.sizes.qty(size)?;
        self.book
            .modify(OrderId(order_id), price, qty, ts)
            .map_err(book_err)
    }

    /// (price, size) of the best bid, or None.
    fn best_bid(&self) -> Option<(f64, f64)> {
        self.book
            .best_bid()
            .map(|(p, q)| (self.prices.to_value(p), self.sizes.qty_value(q)))
    }

    /// (price, size) of the best ask, or None.
    fn best_ask(&self) -> Option<(f64, f64)> {
        self.book
            .best_ask()
            .map(|(p, q)| (self.prices.to_value(p), self.sizes.qty_value(q)))
    }

    /// Top levels of one side, best first: (price, total size, order count).
    #[pyo3(signature = (side, levels = 10))]
    fn depth(&self, side: &Bound<'_, PyAny>, levels: usize) -> PyResult<Vec<(f64, f64, u32)>> {
        let side = super::convert::side(side)?;
        Ok(depth_list(
            &self.book,
            side,
            levels,
            &self.prices,
            &self.sizes,
        ))
    }

    /// The resting order, or None.
    fn order(&self, order_id: u64) -> Option<PyRestingOrder> {
        self.book
            .order(OrderId(order_id))
            .map(|o| resting(o, &self.prices, &self.sizes))
    }

    /// (orders ahead, size ahead) of an order in its level's queue.
    fn queue_position(&self, order_id: u64) -> PyResult<(usize, f64)> {
        let (n, q) = self
            .book
            .queue_position(OrderId(order_id))
            .ok_or_else(|| book_err(crate::book::BookError::UnknownOrderId(OrderId(order_id))))?;
        Ok((n, self.sizes.qty_value(q)))
    }

    /// Number of occupied price levels on one side.
    fn level_count(&self, side: &Bound<'_, PyAny>) -> PyResult<usize> {
        Ok(self.book.level_count(super::convert::side(side)?))
    }

    /// Raises AssertionError if an internal invariant is broken (for tests).
    fn check_integrity(&self) -> PyResult<()> {
        self.book
            .check_integrity()
            .map_err(pyo3::exceptions::PyAssertionError::new_err)
    }

    fn __len__(&self) -> usize {
        self.book.len()
    }

    fn __contains__(&self, order_id: u64) -> bool {
        self.book.contains(OrderId(order_id))
    }
}
