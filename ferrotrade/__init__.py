"""ferrotrade: an actor-based algorithmic-trading runtime with a Rust core.

The compiled core lives in the private module ``ferrotrade._ferrotrade_core``; this package
re-exports its public classes so user code never names the private module.
"""

from __future__ import annotations

import logging

from ferrotrade._ferrotrade_core import (
    EventKind,
    MatchingEngine,
    OrderBook,
    OrderEvent,
    OrderType,
    RestingOrder,
    Side,
    TimeInForce,
    Trade,
    __version__,
)
from ferrotrade.errors import FerrotradeError

__all__ = [
    "EventKind",
    "FerrotradeError",
    "MatchingEngine",
    "OrderBook",
    "OrderEvent",
    "OrderType",
    "RestingOrder",
    "Side",
    "TimeInForce",
    "Trade",
    "__version__",
]

logging.getLogger(__name__).addHandler(logging.NullHandler())
