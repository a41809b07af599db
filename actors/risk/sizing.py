"""Position sizing: how many units one position gets, from a signal, the portfolio and a price.

Invariant: :meth:`PositionSizer.calculate_qty` returns a finite quantity ``>= 0``, a whole
multiple of the instrument's size increment, never NaN and never negative. When it cannot size
it returns ``0.0``; :meth:`PositionSizer.size` returns the same quantity with the reason (no
price, no equity, ATR still warming up, below one increment, no edge...).

The quantity is the absolute size of one *full* position in the signal's symbol (what
``target_weight=±1`` means), not an order delta: risk multiplies it by the signal's
``target_weight`` and orders the difference from the position held.

Methods (``equity`` is ``portfolio.equity``, ``price`` the order's reference price):

===========  ==================================================================================
Fixed        ``quantity`` units
Percent      ``equity * fraction / price``
RiskBased    ``equity * risk_fraction / stop_distance``: losing ``risk_fraction`` of equity when
             the stop (``stop_distance`` in price units, else ``price * stop_pct``) is hit;
             position value capped at ``equity * max_fraction``
Kelly        ``equity * min(kelly_multiplier * f, max_fraction) / price`` with Kelly
             ``f = W - (1 - W) / R`` (W win rate, R average win / average loss). W and R come
             from trades recorded with :meth:`KellySizer.record_trade` once ``min_trades`` are
             known, else from the configured ``win_rate``/``payoff``; with neither, the
             documented fallback is ``fallback_fraction`` of equity. ``f <= 0`` (no edge) sizes 0.
Volatility   ``equity * risk_fraction / (atr_multiple * ATR(atr_period))``: the position moves
             ``risk_fraction`` of equity on an ``atr_multiple``-ATR move; ATR from the bars the
             sizer observes (:meth:`PositionSizer.observe`), value capped at
             ``equity * max_fraction``
===========  ==================================================================================

Units: ``increment`` (default 1.0, whole units) or a per-symbol ``increments`` mapping gives
the size step; quantities are rounded *down* to it (never more than the budget). ``increment=0``
allows any fraction.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from actors.errors import ConfigurationError
from actors.messages import MarketSnapshot, PortfolioState, Signal
from strategies.features import ATR

__all__ = [
    "SIZERS",
    "FixedSizer",
    "KellySizer",
    "PercentSizer",
    "PositionSizer",
    "RiskBasedSizer",
    "SizingResult",
    "VolatilitySizer",
    "sizer_from_config",
]


@dataclass(frozen=True, slots=True)
class SizingResult:
    """A quantity (>= 0) and, when it is zero, why."""

    quantity: float
    reason: str = ""


def _check(
    name: str, value: float, *, positive: bool = True, at_most: float | None = None
) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigurationError(f"sizer {name} must be a number, got {value!r}")
    v = float(value)
    if not math.isfinite(v) or (v <= 0.0 if positive else v < 0.0):
        raise ConfigurationError(
            f"sizer {name} must be finite and {'>' if positive else '>='} 0, got {value!r}"
        )
    if at_most is not None and v > at_most:
        raise ConfigurationError(f"sizer {name} must be <= {at_most:g}, got {value!r}")
    return v


class PositionSizer(ABC):
    """Base: validation of inputs, rounding to the size increment, the zero-with-reason rule."""

    name = "base"

    def __init__(
        self, *, increment: float = 1.0, increments: Mapping[str, float] | None = None
    ) -> None:
        self.increment = _check("increment", increment, positive=False)
        self.increments = {
            s: _check(f"increments[{s}]", v, positive=False) for s, v in (increments or {}).items()
        }

    def increment_for(self, symbol: str) -> float:
        return self.increments.get(symbol, self.increment)

    def round_quantity(self, symbol: str, quantity: float) -> float:
        """``quantity`` rounded down (towards zero) to ``symbol``'s increment; sign kept."""
        if not math.isfinite(quantity):
            return 0.0
        step = self.increment_for(symbol)
        if step == 0.0:
            return quantity
        sign = -1.0 if quantity < 0 else 1.0
        steps = math.floor(abs(quantity) / step + 1e-9)
        return sign * round(steps * step, 12) if steps else 0.0

    def calculate_qty(self, signal: Signal, portfolio: PortfolioState, price: float) -> float:
        """Units for one full position in ``signal.symbol`` (>= 0; 0 when it cannot size)."""
        return self.size(signal, portfolio, price).quantity

    def size(self, signal: Signal, portfolio: PortfolioState, price: float) -> SizingResult:
        """:meth:`calculate_qty` with the reason when the quantity is zero."""
        if (
            isinstance(price, bool)
            or not isinstance(price, int | float)
            or not (0.0 < price < math.inf)
        ):
            return SizingResult(0.0, f"no valid price ({price!r})")
        raw = self._raw(signal, portfolio, float(price))
        if isinstance(raw, SizingResult):
            return raw
        if not math.isfinite(raw) or raw <= 0.0:
            return SizingResult(0.0, f"{self.name}: computed size {raw!r} is not > 0")
        qty = self.round_quantity(signal.symbol, raw)
        if qty <= 0.0:
            step = self.increment_for(signal.symbol)
            return SizingResult(
                0.0, f"{self.name}: {raw:.6g} units is below one increment ({step:g})"
            )
        return SizingResult(qty)

    def observe(self, snapshot: MarketSnapshot) -> None:  # noqa: B027 - optional hook
        """See market data (the volatility sizer keeps its ATR from the bars)."""

    @abstractmethod
    def _raw(self, signal: Signal, portfolio: PortfolioState, price: float) -> float | SizingResult:
        """Unrounded units, or a zero :class:`SizingResult` with the reason."""

    @staticmethod
    def _equity(portfolio: PortfolioState) -> float | SizingResult:
        eq = portfolio.equity
        if not math.isfinite(eq) or eq <= 0.0:
            return SizingResult(0.0, f"no equity to size from (equity={eq!r})")
        return eq


class FixedSizer(PositionSizer):
    """A fixed number of units per position."""

    name = "fixed"

    def __init__(self, quantity: float = 1.0, **kw: Any) -> None:
        super().__init__(**kw)
        self.quantity = _check("quantity", quantity)

    def _raw(self, signal: Signal, portfolio: PortfolioState, price: float) -> float | SizingResult:
        return self.quantity


class PercentSizer(PositionSizer):
    """``fraction`` of equity per position, at ``price``."""

    name = "percent"

    def __init__(self, fraction: float = 0.1, **kw: Any) -> None:
        super().__init__(**kw)
        self.fraction = _check("fraction", fraction)

    def _raw(self, signal: Signal, portfolio: PortfolioState, price: float) -> float | SizingResult:
        eq = self._equity(portfolio)
        if isinstance(eq, SizingResult):
            return eq
        return eq * self.fraction / price


def _cap(qty: float, eq: float, price: float, max_fraction: float | None) -> float:
    if max_fraction is None:
        return qty
    return min(qty, eq * max_fraction / price)


class RiskBasedSizer(PositionSizer):
    """Risk ``risk_fraction`` of equity between entry and the stop."""

    name = "risk"

    def __init__(
        self,
        risk_fraction: float = 0.01,
        stop_pct: float | None = 0.02,
        stop_distance: float | None = None,
        max_fraction: float | None = 1.0,
        **kw: Any,
    ) -> None:
        super().__init__(**kw)
        self.risk_fraction = _check("risk_fraction", risk_fraction, at_most=1.0)
        if stop_pct is None and stop_distance is None:
            raise ConfigurationError("sizer risk needs stop_pct or stop_distance")
        self.stop_pct = None if stop_pct is None else _check("stop_pct", stop_pct, at_most=1.0)
        self.stop_distance = (
            None if stop_distance is None else _check("stop_distance", stop_distance)
        )
        self.max_fraction = None if max_fraction is None else _check("max_fraction", max_fraction)

    def _raw(self, signal: Signal, portfolio: PortfolioState, price: float) -> float | SizingResult:
        eq = self._equity(portfolio)
        if isinstance(eq, SizingResult):
            return eq
        distance = (
            self.stop_distance if self.stop_distance is not None else price * (self.stop_pct or 0.0)
        )
        if not distance > 0.0:  # a subnormal price times stop_pct underflows to 0
            return SizingResult(0.0, f"risk: stop distance {distance!r} is not > 0")
        return _cap(eq * self.risk_fraction / distance, eq, price, self.max_fraction)


class KellySizer(PositionSizer):
    """Kelly fraction of equity (scaled by ``kelly_multiplier``, capped at ``max_fraction``)."""

    name = "kelly"

    def __init__(
        self,
        win_rate: float | None = None,
        payoff: float | None = None,
        kelly_multiplier: float = 0.5,
        max_fraction: float = 0.25,
        min_trades: int = 30,
        fallback_fraction: float = 0.01,
        **kw: Any,
    ) -> None:
        super().__init__(**kw)
        self.win_rate = None if win_rate is None else _check("win_rate", win_rate, at_most=1.0)
        self.payoff = None if payoff is None else _check("payoff", payoff)
        self.kelly_multiplier = _check("kelly_multiplier", kelly_multiplier, at_most=1.0)
        self.max_fraction = _check("max_fraction", max_fraction, at_most=1.0)
        if isinstance(min_trades, bool) or not isinstance(min_trades, int) or min_trades < 1:
            raise ConfigurationError(f"sizer min_trades must be an int >= 1, got {min_trades!r}")
        self.min_trades = min_trades
        self.fallback_fraction = _check(
            "fallback_fraction", fallback_fraction, positive=False, at_most=1.0
        )
        self.wins = 0
        self.losses = 0
        self.win_sum = 0.0
        self.loss_sum = 0.0

    def record_trade(self, pnl: float) -> None:
        """One closed round trip's P&L (a zero P&L counts as neither win nor loss)."""
        if not math.isfinite(pnl):
            raise ValueError(f"pnl must be finite, got {pnl!r}")
        if pnl > 0:
            self.wins += 1
            self.win_sum += pnl
        elif pnl < 0:
            self.losses += 1
            self.loss_sum -= pnl

    def estimate(self) -> tuple[float, float] | None:
        """(win rate, payoff) from recorded trades once ``min_trades`` are known, else the
        configured ones, else None. With only wins (or only losses) recorded the payoff is
        unknown and taken as 1 (Kelly is then 1, or -1, whatever it is)."""
        n = self.wins + self.losses
        if n >= self.min_trades:
            payoff = 1.0
            if self.wins and self.losses:
                payoff = (self.win_sum / self.wins) / (self.loss_sum / self.losses)
            return self.wins / n, payoff
        if self.win_rate is not None and self.payoff is not None:
            return self.win_rate, self.payoff
        return None

    def fraction(self) -> tuple[float, str]:
        """The fraction of equity to commit and how it was found."""
        est = self.estimate()
        if est is None:
            return self.fallback_fraction, "kelly: no win rate/payoff yet, fallback fraction"
        w, r = est
        f = w - (1.0 - w) / r
        if f <= 0.0:
            return 0.0, f"kelly: no edge (f*={f:.4g} from win rate {w:.4g}, payoff {r:.4g})"
        return min(self.kelly_multiplier * f, self.max_fraction), f"kelly: f*={f:.4g}"

    def _raw(self, signal: Signal, portfolio: PortfolioState, price: float) -> float | SizingResult:
        eq = self._equity(portfolio)
        if isinstance(eq, SizingResult):
            return eq
        frac, why = self.fraction()
        if frac <= 0.0:
            return SizingResult(0.0, why)
        return eq * frac / price


class VolatilitySizer(PositionSizer):
    """Target risk per position in ATRs: a move of ``atr_multiple`` ATRs costs ``risk_fraction``
    of equity."""

    name = "volatility"

    def __init__(
        self,
        risk_fraction: float = 0.01,
        atr_period: int = 14,
        atr_multiple: float = 2.0,
        max_fraction: float | None = 1.0,
        **kw: Any,
    ) -> None:
        super().__init__(**kw)
        self.risk_fraction = _check("risk_fraction", risk_fraction, at_most=1.0)
        if isinstance(atr_period, bool) or not isinstance(atr_period, int) or atr_period < 1:
            raise ConfigurationError(f"sizer atr_period must be an int >= 1, got {atr_period!r}")
        self.atr_period = atr_period
        self.atr_multiple = _check("atr_multiple", atr_multiple)
        self.max_fraction = None if max_fraction is None else _check("max_fraction", max_fraction)
        self._atr: dict[str, ATR] = {}
        self._last_bar_ts: dict[str, int] = {}

    def observe(self, snapshot: MarketSnapshot) -> None:
        bar = snapshot.bar
        if bar is None:
            return
        last = self._last_bar_ts.get(bar.symbol)
        if last is not None and bar.ts_event <= last:
            return
        self._last_bar_ts[bar.symbol] = bar.ts_event
        atr = self._atr.get(bar.symbol)
        if atr is None:
            atr = self._atr[bar.symbol] = ATR(self.atr_period)
        atr.update(bar.high, bar.low, bar.close)

    def atr(self, symbol: str) -> float | None:
        ind = self._atr.get(symbol)
        return None if ind is None else ind.value

    def _raw(self, signal: Signal, portfolio: PortfolioState, price: float) -> float | SizingResult:
        eq = self._equity(portfolio)
        if isinstance(eq, SizingResult):
            return eq
        ind = self._atr.get(signal.symbol)
        if ind is None or ind.value is None:
            seen = 0 if ind is None else ind.count
            return SizingResult(0.0, f"volatility: ATR({self.atr_period}) warming up ({seen} bars)")
        if ind.value <= 0.0:
            return SizingResult(0.0, "volatility: ATR is 0 (no range to size from)")
        qty = eq * self.risk_fraction / (self.atr_multiple * ind.value)
        return _cap(qty, eq, price, self.max_fraction)


SIZERS: dict[str, type[PositionSizer]] = {
    "fixed": FixedSizer,
    "percent": PercentSizer,
    "risk": RiskBasedSizer,
    "kelly": KellySizer,
    "volatility": VolatilitySizer,
}


def sizer_from_config(config: PositionSizer | Mapping[str, Any] | None) -> PositionSizer:
    """``{"method": "percent", "fraction": 0.1, "increment": 1}`` -> a sizer; ``None`` gives
    ``PercentSizer(0.1)`` (10% of equity per position, whole units). Unknown methods or keys
    raise :class:`ConfigurationError` naming them."""
    if config is None:
        return PercentSizer(0.1)
    if isinstance(config, PositionSizer):
        return config
    kw = dict(config)
    method = kw.pop("method", None)
    cls = SIZERS.get(method) if isinstance(method, str) else None
    if cls is None:
        raise ConfigurationError(f"sizing method {method!r} unknown; known: {', '.join(SIZERS)}")
    try:
        return cls(**kw)
    except TypeError as exc:
        raise ConfigurationError(f"sizing method {method!r}: {exc}") from None
