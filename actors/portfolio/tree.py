"""The portfolio as a composite tree: a root account with one group per strategy.

Invariant: the root :class:`Book` and every strategy group's :class:`Book` change only through
:func:`~actors.portfolio.ledger.apply_fill`, fed the same fills; so for every symbol the root
position is the sum of the groups' positions, and ``root.cash == initial_cash + sum(group cash
flows)`` (a group's ``cash`` starts at 0 and holds that strategy's net cash flow). Each group
also feeds its fills to its own Rust :class:`~ferrotrade.FifoTracker`: FIFO round trips and FIFO
realized P&L per strategy (lots of different strategies never net against each other).

Two realized-P&L conventions coexist, and both satisfy ``equity = initial - fees + realized +
unrealized``: the books use **average cost** (``PortfolioState.realized_pnl``, the position's
``avg_cost``); the trackers use **FIFO** (round trips, ``fifo_realized_pnl``, attribution). They
differ only in how a gain is split between realized and unrealized while a position is open.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from actors.messages import Fill, Side
from actors.portfolio.ledger import Book, apply_fill
from ferrotrade import FifoTracker
from ferrotrade import Side as CoreSide

__all__ = ["PortfolioTree", "StrategyGroup"]


@dataclass(slots=True)
class StrategyGroup:
    """One strategy's node: its net cash flow, positions and FIFO tracker."""

    strategy_id: str
    book: Book = field(default_factory=lambda: Book(cash=0.0))
    tracker: FifoTracker = field(default_factory=lambda: FifoTracker(1e-8))
    fill_count: int = 0
    round_trip_count: int = 0

    def market_value(self, prices: Mapping[str, float]) -> float:
        return math.fsum(
            p.quantity * prices.get(s, p.avg_cost) for s, p in sorted(self.book.positions.items())
        )

    def fifo_unrealized(self, prices: Mapping[str, float]) -> float:
        total = 0.0
        for sym in self.tracker.symbols():
            px = prices.get(sym)
            for lot in self.tracker.open_lots(sym):
                mark = lot.price if px is None else px
                sign = 1.0 if lot.side == CoreSide.BUY else -1.0
                total += sign * lot.quantity * (mark - lot.price)
        return total

    def attribution(self, prices: Mapping[str, float]) -> dict[str, Any]:
        """This strategy's P&L as JSON types: ``pnl`` (cash flow + market value, net of fees),
        FIFO realized (net of the round trips' fees) and unrealized against open lots."""
        book = self.book
        mv = self.market_value(prices)
        return {
            "strategy_id": self.strategy_id,
            "fills": self.fill_count,
            "cash_flow": book.cash,
            "market_value": mv,
            "pnl": book.cash + mv,
            "fees": book.fees,
            "realized_pnl_avg_cost": book.realized_pnl(),
            "realized_pnl_fifo": self.tracker.realized_pnl(),
            "unrealized_pnl_fifo": self.fifo_unrealized(prices),
            "round_trips": self.round_trip_count,
            "positions": {
                s: p.quantity for s, p in sorted(book.positions.items()) if p.quantity != 0.0
            },
        }


class PortfolioTree:
    """Root book plus strategy groups (created on a strategy's first fill, in fill order).

    ``track_fifo=False`` skips the FIFO trackers (a replay that only compares books)."""

    def __init__(self, initial_cash: float, *, track_fifo: bool = True) -> None:
        self.initial_cash = initial_cash
        self.track_fifo = track_fifo
        self.root = Book(cash=initial_cash)
        self.groups: dict[str, StrategyGroup] = {}

    def group(self, strategy_id: str) -> StrategyGroup:
        g = self.groups.get(strategy_id)
        if g is None:
            g = self.groups[strategy_id] = StrategyGroup(strategy_id)
        return g

    def apply(self, fill: Fill) -> None:
        apply_fill(self.root, fill)
        g = self.group(fill.strategy_id)
        apply_fill(g.book, fill)
        g.fill_count += 1
        if not self.track_fifo:
            return
        g.round_trip_count += g.tracker.add_fill(
            fill.symbol,
            "buy" if fill.side is Side.BUY else "sell",
            fill.quantity,
            fill.price,
            fill.fee,
            fill.ts_event,
        )

    def __iter__(self) -> Iterator[StrategyGroup]:
        return iter(self.groups.values())

    def fifo_realized_pnl(self) -> float:
        return math.fsum(g.tracker.realized_pnl() for g in self.groups.values())

    def round_trips(self) -> list[dict[str, Any]]:
        """Every closed round trip of every strategy, ordered by (exit, entry, strategy)."""
        out: list[dict[str, Any]] = []
        for g in self.groups.values():
            for rt in g.tracker.round_trips():
                d = rt.to_dict()
                d["strategy_id"] = g.strategy_id
                out.append(d)
        out.sort(key=lambda d: (d["exit_time"], d["entry_time"], d["strategy_id"], d["symbol"]))
        return out

    def attribution(self, prices: Mapping[str, float]) -> list[dict[str, Any]]:
        return [g.attribution(prices) for g in self.groups.values()]
