"""State snapshots published by portfolio and risk (nouns)."""

from __future__ import annotations

from dataclasses import dataclass

from actors.messages.base import Message

__all__ = ["PortfolioState", "Position", "RiskAssessment"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Position:
    """Signed quantity (short < 0) at an average cost; not a message, a value inside one."""

    symbol: str
    quantity: float
    avg_cost: float
    realized_pnl: float
    last_price: float


@dataclass(frozen=True, slots=True, kw_only=True)
class PortfolioState(Message):
    """Portfolio after a fill or a mark to market; ``positions`` sorted by symbol."""

    cash: float
    equity: float
    realized_pnl: float
    unrealized_pnl: float
    fees: float
    positions: tuple[Position, ...] = ()
    fill_count: int = 0

    def position(self, symbol: str) -> float:
        """Signed quantity held in ``symbol`` (0.0 when flat)."""
        for p in self.positions:
            if p.symbol == symbol:
                return p.quantity
        return 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class RiskAssessment(Message):
    """Risk's view after a change: drawdown, whether trading is halted and why.

    ``drawdown`` is the current fall from ``peak_equity`` (a fraction); ``max_drawdown`` the
    worst seen. ``daily_pnl`` is equity minus the equity at the start of the (UTC) day.
    Exposures are valued at the last known prices: gross = sum of |value|, net = signed sum,
    ``leverage`` = gross / equity (0 when equity <= 0).
    """

    equity: float
    peak_equity: float
    drawdown: float
    halted: bool
    halt_reasons: tuple[str, ...] = ()
    signals_checked: int = 0
    signals_rejected: int = 0
    max_drawdown: float = 0.0
    daily_pnl: float = 0.0
    day_start_equity: float = 0.0
    gross_exposure: float = 0.0
    net_exposure: float = 0.0
    leverage: float = 0.0
    open_positions: int = 0
