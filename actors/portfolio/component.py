"""PortfolioComponent: applies fills, marks to market on each new bar, publishes state.

Publishes :class:`PortfolioState` after every fill and on every new bar of a symbol (the equity
curve). State is a composite tree (:class:`~actors.portfolio.tree.PortfolioTree`): the root
account plus one group per strategy, each with its own Rust FIFO tracker (round trips, FIFO
realized P&L) -- see that module for the two realized-P&L conventions.

The fill ledger is the truth: :meth:`reconcile_report` replays it into a fresh tree and reports
every drift (root cash, fees, per-symbol and per-strategy positions); :meth:`reconcile` raises
:class:`ReconciliationError` naming the drift when there is any.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

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
from actors.portfolio.ledger import Book
from actors.portfolio.tree import PortfolioTree

__all__ = ["PortfolioComponent"]

_TOL = 1e-6


class PortfolioComponent(Component):
    subscriptions = (MarketSnapshot, OrderFilled, OrderPartiallyFilled)

    def __init__(self, name: str, clock: Clock, initial_cash: float = 100_000.0) -> None:
        super().__init__(name, clock)
        self.initial_cash = initial_cash
        self.tree = PortfolioTree(initial_cash)
        self.book = self.tree.root
        self.ledger: list[Fill] = []
        self._last_price: dict[str, float] = {}
        self._last_bar_ts: dict[str, int] = {}

    # -- reads ---------------------------------------------------------------------------------
    def prices(self) -> dict[str, float]:
        """The marks: last price per symbol (a fill's price until a bar is seen)."""
        return dict(self._last_price)

    def gross_exposure(self) -> float:
        last = self._last_price
        return math.fsum(
            abs(p.quantity * last.get(s, p.avg_cost)) for s, p in self.book.positions.items()
        )

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

    def round_trips(self) -> list[dict[str, Any]]:
        """FIFO round trips of every strategy (the Rust trackers), with ``strategy_id``."""
        return self.tree.round_trips()

    def fifo_realized_pnl(self) -> float:
        return self.tree.fifo_realized_pnl()

    def attribution(self) -> list[dict[str, Any]]:
        """Per-strategy P&L at the current marks (see :meth:`StrategyGroup.attribution`)."""
        return self.tree.attribution(self._last_price)

    # -- handlers ------------------------------------------------------------------------------
    def on_market_snapshot(self, snapshot: MarketSnapshot) -> Sequence[Message]:
        self._last_price[snapshot.symbol] = snapshot.last_price
        bar = snapshot.bar
        if bar is not None and bar.ts_event > self._last_bar_ts.get(snapshot.symbol, -1):
            self._last_bar_ts[snapshot.symbol] = bar.ts_event
            return (self.state(snapshot),)
        return ()

    def apply(self, fill: Fill) -> None:
        """Book ``fill`` (ledger, root, strategy group, FIFO tracker) without publishing."""
        self.ledger.append(fill)
        self.tree.apply(fill)
        self._last_price.setdefault(fill.symbol, fill.price)

    def _on_fill(self, fill: Fill) -> Sequence[Message]:
        self.apply(fill)
        return (self.state(fill),)

    on_order_filled = _on_fill
    on_order_partially_filled = _on_fill

    # -- reconciliation ------------------------------------------------------------------------
    def rebuild(self) -> PortfolioTree:
        """A fresh tree (books only, no FIFO trackers) from the ledger alone."""
        tree = PortfolioTree(self.initial_cash, track_fifo=False)
        for fill in self.ledger:
            tree.apply(fill)
        return tree

    def reconcile_report(self) -> dict[str, Any]:
        """Replay the ledger and compare with the live tree. ``drift`` lists every difference
        as ``{"what", "ledger", "live"}`` (empty when they agree, within 1e-6)."""
        rebuilt = self.rebuild()
        drift: list[dict[str, Any]] = []

        def check(what: str, ledger: float, live: float) -> None:
            if not abs(ledger - live) <= _TOL * max(1.0, abs(ledger)):
                drift.append({"what": what, "ledger": ledger, "live": live})

        def books(prefix: str, ledger: Book, live: Book) -> None:
            check(f"{prefix}cash", ledger.cash, live.cash)
            check(f"{prefix}fees", ledger.fees, live.fees)
            for sym in sorted(set(ledger.positions) | set(live.positions)):
                a = ledger.positions.get(sym)
                b = live.positions.get(sym)
                check(
                    f"{prefix}position[{sym}]", a.quantity if a else 0.0, b.quantity if b else 0.0
                )
                check(
                    f"{prefix}realized_pnl[{sym}]",
                    a.realized_pnl if a else 0.0,
                    b.realized_pnl if b else 0.0,
                )

        books("", rebuilt.root, self.book)
        for sid in sorted(set(rebuilt.groups) | set(self.tree.groups)):
            a = rebuilt.groups.get(sid)
            b = self.tree.groups.get(sid)
            books(
                f"strategy[{sid}].",
                a.book if a else Book(cash=0.0),
                b.book if b else Book(cash=0.0),
            )
        for sym in sorted(self.book.positions):
            total = math.fsum(
                g.book.positions[sym].quantity for g in self.tree if sym in g.book.positions
            )
            check(f"sum of groups position[{sym}]", self.book.positions[sym].quantity, total)
        return {
            "fills": len(self.ledger),
            "cash": rebuilt.root.cash,
            "positions": {
                s: p.quantity for s, p in sorted(rebuilt.root.positions.items()) if p.quantity
            },
            "drift": drift,
            "ok": not drift,
        }

    def reconcile(self) -> Book:
        """Rebuild the root book from the ledger; raise :class:`ReconciliationError` naming the
        drift if the live book differs (exactly: replay is deterministic)."""
        rebuilt = self.rebuild()
        if rebuilt.root != self.book:
            report = self.reconcile_report()
            raise ReconciliationError(
                f"ledger replay != live book: {report['drift'] or 'float-level difference'}; "
                f"ledger {rebuilt.root!r}, live {self.book!r}"
            )
        return rebuilt.root
