"""The order state machine: NEW -> ACKED -> PARTIALLY_FILLED -> FILLED, as one table."""

from __future__ import annotations

from enum import StrEnum

from actors.lifecycle import TransitionTable

__all__ = ["ORDER_TRANSITIONS", "OrderStatus"]


class OrderStatus(StrEnum):
    NEW = "NEW"
    ACKED = "ACKED"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    REJECTED = "REJECTED"
    CANCELED = "CANCELED"
    EXPIRED = "EXPIRED"


_O = OrderStatus
ORDER_TRANSITIONS: TransitionTable[OrderStatus] = TransitionTable(
    "order",
    {
        (_O.NEW, "accept"): _O.ACKED,
        (_O.NEW, "reject"): _O.REJECTED,
        (_O.ACKED, "partial_fill"): _O.PARTIALLY_FILLED,
        (_O.ACKED, "fill"): _O.FILLED,
        (_O.ACKED, "modify"): _O.ACKED,
        (_O.ACKED, "cancel"): _O.CANCELED,
        (_O.ACKED, "expire"): _O.EXPIRED,
        (_O.PARTIALLY_FILLED, "partial_fill"): _O.PARTIALLY_FILLED,
        (_O.PARTIALLY_FILLED, "fill"): _O.FILLED,
        (_O.PARTIALLY_FILLED, "modify"): _O.PARTIALLY_FILLED,
        (_O.PARTIALLY_FILLED, "cancel"): _O.CANCELED,
        (_O.PARTIALLY_FILLED, "expire"): _O.EXPIRED,
    },
)
