"""ExecutionComponent: forwards order commands and market snapshots to a :class:`VenuePort`.

The venue is injected (default :class:`SimulatedVenue`), so backtest and live differ only here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from actors.clock import Clock
from actors.component import Component
from actors.execution.venue import SimulatedVenue, VenuePort
from actors.messages import CancelOrder, MarketSnapshot, Message, ModifyOrder, SubmitOrder

__all__ = ["ExecutionComponent"]


class ExecutionComponent(Component):
    subscriptions = (MarketSnapshot, SubmitOrder, CancelOrder, ModifyOrder)

    def __init__(
        self,
        name: str,
        clock: Clock,
        venue_factory: Callable[[], VenuePort] | None = None,
    ) -> None:
        super().__init__(name, clock)
        self.venue: VenuePort = venue_factory() if venue_factory else SimulatedVenue()

    def on_market_snapshot(self, snapshot: MarketSnapshot) -> Sequence[Message]:
        return self.venue.on_market(snapshot, self)

    def on_submit_order(self, order: SubmitOrder) -> Sequence[Message]:
        return self.venue.submit(order, self)

    def on_cancel_order(self, cmd: CancelOrder) -> Sequence[Message]:
        return self.venue.cancel(cmd, self)

    def on_modify_order(self, cmd: ModifyOrder) -> Sequence[Message]:
        return self.venue.modify(cmd, self)
