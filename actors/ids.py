"""Distinct id types and a deterministic id source.

Ids never come from ``uuid4`` or the wall clock: each issuer counts from 1, so a replay of the
same inputs produces the same ids on any host.
"""

from __future__ import annotations

from typing import NewType

__all__ = [
    "ClientOrderId",
    "ComponentId",
    "IdSequence",
    "MessageId",
    "StrategyId",
    "VenueOrderId",
    "client_order_id",
]

MessageId = NewType("MessageId", str)
ClientOrderId = NewType("ClientOrderId", str)
VenueOrderId = NewType("VenueOrderId", str)
StrategyId = NewType("StrategyId", str)
ComponentId = NewType("ComponentId", str)


class IdSequence:
    """Issues ``<prefix>-<n>`` ids, n = 1, 2, ...; one instance per issuer, never shared."""

    __slots__ = ("_n", "prefix")

    def __init__(self, prefix: str, start: int = 0) -> None:
        self.prefix = prefix
        self._n = start

    @property
    def last(self) -> int:
        """The number of ids issued so far."""
        return self._n

    def next_int(self) -> int:
        self._n += 1
        return self._n

    def next_message_id(self) -> MessageId:
        self._n += 1
        return MessageId(f"{self.prefix}-{self._n}")


def client_order_id(strategy_id: StrategyId, sequence: int) -> ClientOrderId:
    """Stable client order id: the strategy id plus that strategy's order sequence number."""
    return ClientOrderId(f"{strategy_id}-{sequence}")
