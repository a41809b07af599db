"""Orders sent and not yet done, with running totals.

Every signal's checks need the working quantity per symbol, per (strategy, symbol), and the
cash reserved by working buys. Keeping those as running totals makes each check O(1); walking
every working order per signal made a long live session quadratic. A total whose last order
leaves is dropped, so it reads exactly zero again rather than a floating-point residue.
"""

from __future__ import annotations

from typing import NamedTuple, TypeVar

from actors.ids import ClientOrderId, StrategyId

__all__ = ["Working", "WorkingOrders"]

_K = TypeVar("_K")


class Working(NamedTuple):
    """An order sent and not yet done: signed remaining quantity, reference price, and the
    quantity already filled (unsigned: a modify names the new *total*, so the new remaining
    is that total less what has filled)."""

    strategy_id: StrategyId
    symbol: str
    remaining: float
    price: float
    filled: float = 0.0

    @property
    def reserve(self) -> float:
        """Cash this order holds back: a working buy's remaining quantity times its price."""
        return self.remaining * self.price if self.remaining > 0 else 0.0


class _Totals(dict[_K, tuple[float, int]]):
    """key → (sum, number of orders); a key leaves when its count reaches zero."""

    def change(self, key: _K, amount: float, count: int) -> None:
        total, n = self.get(key, (0.0, 0))
        if n + count == 0:
            self.pop(key, None)
        else:
            self[key] = (total + amount, n + count)

    def total(self, key: _K) -> float:
        return self.get(key, (0.0, 0))[0]


class WorkingOrders:
    """Working orders by client order id, and their totals."""

    __slots__ = ("_by_book", "_by_symbol", "_orders", "_reserved")

    def __init__(self) -> None:
        self._orders: dict[ClientOrderId, Working] = {}
        self._by_symbol: _Totals[str] = _Totals()
        self._by_book: _Totals[tuple[StrategyId, str]] = _Totals()
        self._reserved: _Totals[None] = _Totals()

    def __len__(self) -> int:
        return len(self._orders)

    def get(self, coid: ClientOrderId) -> Working | None:
        return self._orders.get(coid)

    def put(self, coid: ClientOrderId, working: Working) -> None:
        """Adds an order, or replaces it (e.g. its remaining quantity after a partial fill)."""
        self.pop(coid)
        self._orders[coid] = working
        self._count(working, 1)

    def pop(self, coid: ClientOrderId) -> Working | None:
        working = self._orders.pop(coid, None)
        if working is not None:
            self._count(working, -1)
        return working

    def symbol_total(self, symbol: str) -> float:
        """Signed remaining quantity of every working order in ``symbol``."""
        return self._by_symbol.total(symbol)

    def book_total(self, strategy_id: StrategyId, symbol: str) -> float:
        """Signed remaining quantity of ``strategy_id``'s working orders in ``symbol``."""
        return self._by_book.total((strategy_id, symbol))

    def by_symbol(self) -> dict[str, float]:
        """Signed remaining quantity per symbol with working orders."""
        return {symbol: total for symbol, (total, _) in self._by_symbol.items()}

    def reserved(self) -> float:
        """Cash reserved by working buys."""
        return self._reserved.total(None)

    def _count(self, w: Working, sign: int) -> None:
        self._by_symbol.change(w.symbol, sign * w.remaining, sign)
        self._by_book.change((w.strategy_id, w.symbol), sign * w.remaining, sign)
        if w.reserve > 0:
            self._reserved.change(None, sign * w.reserve, sign)
