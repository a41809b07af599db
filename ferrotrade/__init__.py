"""ferrotrade: an actor-based algorithmic-trading runtime with a Rust core.

The compiled core lives in the private module ``ferrotrade._ferrotrade_core``; this package
re-exports its public classes so user code never names the private module.
"""

from __future__ import annotations

import logging

from ferrotrade._ferrotrade_core import (
    BarMatchingEngine,
    EventKind,
    FifoTracker,
    MatchingEngine,
    OpenLot,
    OrderBook,
    OrderEvent,
    OrderType,
    RestingOrder,
    RoundTrip,
    Side,
    TimeInForce,
    Trade,
    __version__,
)
from ferrotrade.errors import FerrotradeError

__all__ = [
    "BarMatchingEngine",
    "EventKind",
    "FerrotradeError",
    "FifoTracker",
    "MatchingEngine",
    "OpenLot",
    "OrderBook",
    "OrderEvent",
    "OrderType",
    "RestingOrder",
    "RoundTrip",
    "Side",
    "TimeInForce",
    "Trade",
    "__version__",
]

logging.getLogger(__name__).addHandler(logging.NullHandler())
