//! Decimal ↔ integer conversion at the boundary, from an instrument's increments.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyString;

use super::errors::{
    InvalidParameterError, InvalidPriceError, InvalidQuantityError, OffTickError,
    QuantityOverflowError,
};
use crate::types::{OrderType, Price, Qty, Side, TimeInForce};

/// Relative tolerance for "on the grid": absorbs binary floating-point noise such as
/// 100.01 / 0.01 = 10000.999999999998, and nothing a user could mean.
const GRID_TOLERANCE: f64 = 1e-6;

/// Converts between decimal values and integer multiples of one increment.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Grid {
    pub increment: f64,
    /// `1 / increment` when that is a whole number (0.01 → 100): dividing by it gives the
    /// correctly rounded decimal, where multiplying by 0.01 would not.
    inverse: Option<f64>,
}

impl Grid {
    pub fn new(increment: f64, what: &str) -> PyResult<Self> {
        if !increment.is_finite() || increment <= 0.0 {
            return Err(InvalidParameterError::new_err(format!(
                "{what} must be a positive finite number, got {increment}"
            )));
        }
        let inv = 1.0 / increment;
        let inverse = ((inv - inv.round()).abs() < 1e-9 * inv.max(1.0)).then(|| inv.round());
        Ok(Grid { increment, inverse })
    }

    fn steps(&self, value: f64) -> f64 {
        match self.inverse {
            Some(inv) => value * inv,
            None => value / self.increment,
        }
    }

    pub fn to_value(self, steps: i64) -> f64 {
        self.scale(steps as f64)
    }

    pub fn qty_value(self, lots: u64) -> f64 {
        self.scale(lots as f64)
    }

    fn scale(self, steps: f64) -> f64 {
        match self.inverse {
            Some(inv) => steps / inv,
            None => steps * self.increment,
        }
    }

    /// The whole number of increments in `value`: Ok(None) when off the grid, Err when it
    /// does not fit in 63 bits.
    fn on_grid(&self, value: f64) -> PyResult<Option<i64>> {
        let steps = self.steps(value);
        let rounded = steps.round();
        if rounded.abs() >= 9.0e18 {
            return Err(QuantityOverflowError::new_err(format!(
                "{value} is {rounded:e} increments of {}: too large for 63 bits",
                self.increment
            )));
        }
        if (steps - rounded).abs() > GRID_TOLERANCE * rounded.abs().max(1.0) {
            return Ok(None);
        }
        Ok(Some(rounded as i64))
    }

    pub fn price(&self, value: f64) -> PyResult<Price> {
        if !value.is_finite() || value <= 0.0 {
            return Err(InvalidPriceError::new_err(format!(
                "price must be a positive finite number, got {value}"
            )));
        }
        self.on_grid(value)?.ok_or_else(|| {
            OffTickError::new_err(format!(
                "price {value} is not a multiple of the price increment {}",
                self.increment
            ))
        })
    }

    pub fn qty(&self, value: f64) -> PyResult<Qty> {
        if !value.is_finite() || value <= 0.0 {
            return Err(InvalidQuantityError::new_err(format!(
                "size must be a positive finite number, got {value}"
            )));
        }
        match self.on_grid(value)? {
            Some(lots) if lots > 0 => Ok(lots as Qty),
            _ => Err(InvalidQuantityError::new_err(format!(
                "size {value} is not a positive multiple of the size increment {}",
                self.increment
            ))),
        }
    }
}

/// Reads a side given as `Side.BUY` / `Side.SELL` or the strings "buy" / "sell" (any case).
pub(crate) fn side(obj: &Bound<'_, PyAny>) -> PyResult<Side> {
    if let Ok(s) = obj.extract::<super::enums::PySide>() {
        return Ok(s.into());
    }
    if let Ok(s) = obj.cast::<PyString>() {
        match s.to_str()?.to_ascii_lowercase().as_str() {
            "buy" | "b" => return Ok(Side::Buy),
            "sell" | "s" => return Ok(Side::Sell),
            _ => {}
        }
    }
    Err(PyValueError::new_err(format!(
        "side must be Side.BUY, Side.SELL, 'buy' or 'sell', got {obj}"
    )))
}

pub(crate) fn order_type(obj: &Bound<'_, PyAny>) -> PyResult<OrderType> {
    if let Ok(t) = obj.extract::<super::enums::PyOrderType>() {
        return Ok(t.into());
    }
    if let Ok(s) = obj.cast::<PyString>() {
        match s.to_str()?.to_ascii_lowercase().as_str() {
            "limit" => return Ok(OrderType::Limit),
            "market" => return Ok(OrderType::Market),
            "stop" => return Ok(OrderType::Stop),
            "stop_limit" => return Ok(OrderType::StopLimit),
            _ => {}
        }
    }
    Err(PyValueError::new_err(format!(
        "order_type must be an OrderType or one of 'limit', 'market', 'stop', 'stop_limit', got {obj}"
    )))
}

pub(crate) fn tif(obj: &Bound<'_, PyAny>) -> PyResult<TimeInForce> {
    if let Ok(t) = obj.extract::<super::enums::PyTimeInForce>() {
        return Ok(t.into());
    }
    if let Ok(s) = obj.cast::<PyString>() {
        match s.to_str()?.to_ascii_lowercase().as_str() {
            "gtc" => return Ok(TimeInForce::Gtc),
            "ioc" => return Ok(TimeInForce::Ioc),
            "fok" => return Ok(TimeInForce::Fok),
            "day" => return Ok(TimeInForce::Day),
            _ => {}
        }
    }
    Err(PyValueError::new_err(format!(
        "time_in_force must be a TimeInForce or one of 'gtc', 'ioc', 'fok', 'day', got {obj}"
    )))
}
