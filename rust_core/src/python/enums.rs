//! Python-visible enums mirroring the core's, with conversions both ways.

use pyo3::prelude::*;

use crate::matching::EventKind;
use crate::types::{OrderType, Side, TimeInForce};

/// Declares a Python enum `$py` (exposed as `$name`) whose members map one to one onto the
/// core enum `$core`, with `From` both ways.
macro_rules! mirror_enum {
    ($(#[$doc:meta])* $py:ident as $name:literal <=> $core:ident { $($member:ident = $value:literal <=> $variant:ident),+ $(,)? }) => {
        $(#[$doc])*
        #[pyclass(name = $name, module = "ferrotrade._ferrotrade_core", eq, eq_int, frozen, hash, from_py_object)]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[allow(clippy::upper_case_acronyms, non_camel_case_types)]
        pub enum $py {
            $($member = $value),+
        }

        impl From<$py> for $core {
            fn from(value: $py) -> $core {
                match value {
                    $($py::$member => $core::$variant),+
                }
            }
        }

        impl From<$core> for $py {
            fn from(value: $core) -> $py {
                match value {
                    $($core::$variant => $py::$member),+
                }
            }
        }
    };
}

mirror_enum! {
    /// Order side.
    PySide as "Side" <=> Side { BUY = 0 <=> Buy, SELL = 1 <=> Sell }
}

mirror_enum! {
    /// Order type.
    PyOrderType as "OrderType" <=> OrderType {
        LIMIT = 0 <=> Limit,
        MARKET = 1 <=> Market,
        STOP = 2 <=> Stop,
        STOP_LIMIT = 3 <=> StopLimit,
    }
}

mirror_enum! {
    /// Time in force.
    PyTimeInForce as "TimeInForce" <=> TimeInForce {
        GTC = 0 <=> Gtc,
        IOC = 1 <=> Ioc,
        FOK = 2 <=> Fok,
        DAY = 3 <=> Day,
    }
}

mirror_enum! {
    /// What happened to an order (the order state machine's events).
    PyEventKind as "EventKind" <=> EventKind {
        ACCEPTED = 0 <=> Accepted,
        REJECTED = 1 <=> Rejected,
        PARTIALLY_FILLED = 2 <=> PartiallyFilled,
        FILLED = 3 <=> Filled,
        CANCELED = 4 <=> Canceled,
        EXPIRED = 5 <=> Expired,
        TRIGGERED = 6 <=> Triggered,
        MODIFIED = 7 <=> Modified,
    }
}
