"""PortfolioComponent: applies fills, marks to market on each new bar, publishes state.

Publishes :class:`PortfolioState` after every fill and on every new bar (equity curve). Keeps the
fill ledger; :meth:`reconcile` rebuilds a book from it and raises
:class:`ReconciliationError` on any difference.
"""

from __future__ import annotations

from collections.abc import Sequence

from actors.clock import Clock
from actors.component import Component
from actors.errors import ReconciliationError
from actors.messages import (
    Fill,
    MarketSnapshot,
    Message,
    OrderFilled,
    OrderPartiallyFilled,
    PortfolioState,
    Position,
)
from actors.portfolio.ledger import Book, apply_fill

__all__ = ["PortfolioComponent"]


class PortfolioComponent(Component):
    subscriptions = (MarketSnapshot, OrderFilled, OrderPartiallyFilled)

    def __init__(self, name: str, clock: Clock, initial_cash: float = 100_000.0) -> None:
        super().__init__(name, clock)
        self.initial_cash = initial_cash
        self.book = Book(cash=initial_cash)
        self.ledger: list[Fill] = []
        self._last_price: dict[str, float] = {}
        self._last_bar_ts: dict[str, int] = {}

    def state(self, cause: Message | None = None) -> PortfolioState:
        positions = []
        unrealized = 0.0
        market_value = 0.0
        for sym in sorted(self.book.positions):
            p = self.book.positions[sym]
            last = self._last_price.get(sym, p.avg_cost)
            market_value += p.quantity * last
            unrealized += p.quantity * (last - p.avg_cost)
            positions.append(
                Position(
                    symbol=sym,
                    quantity=p.quantity,
                    avg_cost=p.avg_cost,
                    realized_pnl=p.realized_pnl,
                    last_price=last,
                )
            )
        return PortfolioState(
            **self.stamp(cause),
            cash=self.book.cash,
            equity=self.book.cash + market_value,
            realized_pnl=self.book.realized_pnl(),
            unrealized_pnl=unrealized,
            fees=self.book.fees,
            positions=tuple(positions),
            fill_count=len(self.ledger),
        )

    def on_market_snapshot(self, snapshot: MarketSnapshot) -> Sequence[Message]:
        self._last_price[snapshot.symbol] = snapshot.last_price
        bar = snapshot.bar
        if bar is not None and bar.ts_event > self._last_bar_ts.get(snapshot.symbol, -1):
            self._last_bar_ts[snapshot.symbol] = bar.ts_event
            return (self.state(snapshot),)
        return ()

    def _on_fill(self, fill: Fill) -> Sequence[Message]:
        self.ledger.append(fill)
        apply_fill(self.book, fill)
        self._last_price.setdefault(fill.symbol, fill.price)
        return (self.state(fill),)

    on_order_filled = _on_fill
    on_order_partially_filled = _on_fill

    def reconcile(self) -> Book:
        """Rebuild a book from the ledger; raise :class:`ReconciliationError` if it differs."""
        rebuilt = Book(cash=self.initial_cash)
        for fill in self.ledger:
            apply_fill(rebuilt, fill)
        if rebuilt != self.book:
            raise ReconciliationError(f"ledger replay {rebuilt!r} != live book {self.book!r}")
        return rebuilt
