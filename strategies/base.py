"""The Strategy interface: market snapshots in, signals out.

A strategy is plain, single-threaded logic hosted by the strategy component. It never imports a
broker SDK, never reads the wall clock (use ``snapshot.ts_event``) and never sends messages
itself: it returns :class:`Signal` values and the host stamps and routes them. Signals may leave
the envelope (ids, timestamps) and ``strategy_id`` empty; the component fills them in.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any

from actors.ids import StrategyId
from actors.messages import MarketSnapshot, OrderEvent, Signal

__all__ = ["Strategy", "StrategyParams"]

StrategyParams = Mapping[str, Any]


class Strategy(ABC):
    """Subclass and implement :meth:`generate_signals`; the other hooks are optional."""

    def __init__(self, strategy_id: StrategyId, params: StrategyParams | None = None) -> None:
        self.strategy_id = strategy_id
        self.params: dict[str, Any] = dict(params or {})

    @abstractmethod
    def generate_signals(self, snapshot: MarketSnapshot) -> Sequence[Signal]:
        """Signals caused by ``snapshot`` (empty when nothing to do)."""

    def on_start(self) -> None:  # noqa: B027 - optional hook
        """Called when the strategy enters RUNNING from STOPPED or ERROR."""

    def on_stop(self) -> None:  # noqa: B027 - optional hook
        """Called when the strategy enters STOPPED."""

    def on_order_event(self, event: OrderEvent) -> None:  # noqa: B027 - optional hook
        """Order events (accepted, fills, rejections...) for this strategy's orders."""
