//! Python-visible enums mirroring the core's.

use pyo3::prelude::*;

use crate::matching::EventKind;
use crate::types::{OrderType, Side, TimeInForce};

/// Order side.
#[pyclass(
    name = "Side",
    module = "ferrotrade._ferrotrade_core",
    eq,
    eq_int,
    frozen,
    hash,
    from_py_object
)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(clippy::upper_case_acronyms, non_camel_case_types)]
pub enum PySide {
    BUY = 0,
    SELL = 1,
}

impl From<PySide> for Side {
    fn from(s: PySide) -> Side {
        match s {
            PySide::BUY => Side::Buy,
            PySide::SELL => Side::Sell,
        }
    }
}

impl From<Side> for PySide {
    fn from(s: Side) -> PySide {
        match s {
            Side::Buy => PySide::BUY,
            Side::Sell => PySide::SELL,
        }
    }
}

/// Order type.
#[pyclass(
    name = "OrderType",
    module = "ferrotrade._ferrotrade_core",
    eq,
    eq_int,
    frozen,
    hash,
    from_py_object
)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(clippy::upper_case_acronyms, non_camel_case_types)]
pub enum PyOrderType {
    LIMIT = 0,
    MARKET = 1,
    STOP = 2,
    STOP_LIMIT = 3,
}

impl From<PyOrderType> for OrderType {
    fn from(t: PyOrderType) -> OrderType {
        match t {
            PyOrderType::LIMIT => OrderType::Limit,
            PyOrderType::MARKET => OrderType::Market,
            PyOrderType::STOP => OrderType::Stop,
            PyOrderType::STOP_LIMIT => OrderType::StopLimit,
        }
    }
}

/// Time in force.
#[pyclass(
    name = "TimeInForce",
    module = "ferrotrade._ferrotrade_core",
    eq,
    eq_int,
    frozen,
    hash,
    from_py_object
)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(clippy::upper_case_acronyms, non_camel_case_types)]
pub enum PyTimeInForce {
    GTC = 0,
    IOC = 1,
    FOK = 2,
    DAY = 3,
}

impl From<PyTimeInForce> for TimeInForce {
    fn from(t: PyTimeInForce) -> TimeInForce {
        match t {
            PyTimeInForce::GTC => TimeInForce::Gtc,
            PyTimeInForce::IOC => TimeInForce::Ioc,
            PyTimeInForce::FOK => TimeInForce::Fok,
            PyTimeInForce::DAY => TimeInForce::Day,
        }
    }
}

/// What happened to an order (the order state machine's events).
#[pyclass(
    name = "EventKind",
    module = "ferrotrade._ferrotrade_core",
    eq,
    eq_int,
    frozen,
    hash,
    from_py_object
)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(clippy::upper_case_acronyms, non_camel_case_types)]
pub enum PyEventKind {
    ACCEPTED = 0,
    REJECTED = 1,
    PARTIALLY_FILLED = 2,
    FILLED = 3,
    CANCELED = 4,
    EXPIRED = 5,
    TRIGGERED = 6,
    MODIFIED = 7,
}

impl From<EventKind> for PyEventKind {
    fn from(k: EventKind) -> PyEventKind {
        match k {
            EventKind::Accepted => PyEventKind::ACCEPTED,
            EventKind::Rejected => PyEventKind::REJECTED,
            EventKind::PartiallyFilled => PyEventKind::PARTIALLY_FILLED,
            EventKind::Filled => PyEventKind::FILLED,
            EventKind::Canceled => PyEventKind::CANCELED,
            EventKind::Expired => PyEventKind::EXPIRED,
            EventKind::Triggered => PyEventKind::TRIGGERED,
            EventKind::Modified => PyEventKind::MODIFIED,
        }
    }
}
