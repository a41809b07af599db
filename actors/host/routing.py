"""Routing table: message type -> subscribed component names, plus taps that see everything.

Matching is on the exact type (a dict lookup on the hot path). Subscribers are listed in
component order, the order both hosts deliver in; that order is part of determinism.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from actors.messages import Message

__all__ = ["RoutingTable"]


class RoutingTable:
    def __init__(
        self,
        subscriptions: Iterable[tuple[str, Iterable[type[Message]]]],
        taps: Iterable[str] = (),
    ) -> None:
        table: dict[type[Message], list[str]] = {}
        order: list[str] = []
        for name, types in subscriptions:
            order.append(name)
            for t in types:
                names = table.setdefault(t, [])
                if name not in names:
                    names.append(name)
        self.components: tuple[str, ...] = tuple(order)
        self.taps: tuple[str, ...] = tuple(taps)
        self._table: dict[type[Message], tuple[str, ...]] = {
            t: tuple(n for n in names if n not in self.taps) for t, names in table.items()
        }

    def targets(self, message_type: type) -> tuple[str, ...]:
        """Non-tap subscribers of ``message_type``, in component order."""
        return self._table.get(message_type, ())

    def as_mapping(self) -> Mapping[type[Message], tuple[str, ...]]:
        return dict(self._table)
