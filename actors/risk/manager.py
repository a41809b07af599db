"""RiskManager: order limits, protective stops, daily stop, drawdown and the circuit breaker.

Plain logic (no messages sent, no clock read): the risk component feeds it portfolio states and
prices and asks it about orders. Time is the ``ts_event`` of what it is fed.

Circuit breaker. A set of halt reasons; trading is halted while it is not empty. While halted,
:meth:`RiskManager.check_order` refuses every new order with ``CIRCUIT_BREAKER``; protective stop
exits still go out (cutting risk is always allowed). Reasons and how each one clears:

====================  =========================================  ===============================
reason                trips when                                 resumes
====================  =========================================  ===============================
``drawdown``          ``1 - equity / peak >= max_drawdown``      ``resume("drawdown")`` (manual;
                                                                 the peak restarts at the
                                                                 current equity)
``daily_loss``        ``(day start - equity) / day start >=      automatically on the first
                      max_daily_loss``                           state of the next day
``component:<name>``  that component failed (see component)     when it restarts
anything else         ``halt(reason)`` (``HaltTrading``)         ``resume(reason)``
====================  =========================================  ===============================

Days are UTC days of ``ts_event - session_offset_ns``; the day's start equity is the last equity
seen before the day began (the first equity ever seen, on the first day).

Stops (checked on every price, for the positions of the last portfolio state):

- position stop ``stop_loss_pct``: long exits when ``price <= avg_cost * (1 - pct)``, short when
  ``price >= avg_cost * (1 + pct)``;
- trailing stop ``trailing_stop_pct``: long exits when ``price <= high-water mark * (1 - pct)``,
  short when ``price >= low-water mark * (1 + pct)``; the mark starts at the average cost when
  the position opens (or flips) and follows the prices seen after that.

A stop fires once per position: the symbol stays "exiting" until the position is flat or has
flipped, or until :meth:`RiskManager.exit_failed` (the exit order was rejected or canceled).
Prices are the snapshots' last prices (bar closes for bars): a stop is a market exit decided on
a close, filled by the venue's fill model, not an intrabar stop order.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from actors.errors import ConfigurationError
from actors.messages import PortfolioState, RejectReason, RiskAssessment

__all__ = ["NS_PER_DAY", "RiskCheck", "RiskLimits", "RiskManager", "StopExit"]

NS_PER_DAY = 86_400_000_000_000


@dataclass(frozen=True, slots=True)
class RiskLimits:
    """Limits; ``None`` disables a check. Fractions are of equity (``max_drawdown`` of peak
    equity, ``max_daily_loss`` of the day's start equity) or of price (the stops)."""

    max_order_quantity: float | None = None
    max_position: float | None = None
    max_notional: float | None = None
    max_drawdown: float | None = None
    halt_on_failure_of: tuple[str, ...] = ("data", "execution")
    max_daily_loss: float | None = None
    stop_loss_pct: float | None = None
    trailing_stop_pct: float | None = None
    session_offset_ns: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "halt_on_failure_of", tuple(self.halt_on_failure_of))
        for name in ("max_order_quantity", "max_position", "max_notional"):
            value = getattr(self, name)
            if value is not None and not (isinstance(value, int | float) and value >= 0):
                raise ConfigurationError(f"risk limit {name} must be a number >= 0: {value!r}")
        for name in ("max_drawdown", "max_daily_loss", "stop_loss_pct", "trailing_stop_pct"):
            value = getattr(self, name)
            if value is not None and not (isinstance(value, int | float) and 0 < value <= 1):
                raise ConfigurationError(f"risk limit {name} must be in (0, 1]: {value!r}")

    @classmethod
    def from_config(cls, config: RiskLimits | Mapping[str, Any] | None) -> RiskLimits:
        if config is None:
            return cls()
        if isinstance(config, RiskLimits):
            return config
        unknown = set(config) - {f.name for f in fields(cls)}
        if unknown:
            raise ConfigurationError(f"unknown risk limits: {sorted(unknown)}")
        return cls(**config)


@dataclass(frozen=True, slots=True)
class RiskCheck:
    """Verdict on one order: ``ok``, else a code and a message."""

    ok: bool
    code: RejectReason | None = None
    message: str = ""


@dataclass(frozen=True, slots=True)
class StopExit:
    """A stop fired: close ``quantity`` (signed: negative sells a long) of ``symbol``."""

    symbol: str
    quantity: float
    kind: str  # "stop_loss" | "trailing_stop"
    price: float
    level: float

    @property
    def reason(self) -> str:
        return f"{self.kind}: {self.symbol} at {self.price:g} crossed {self.level:g}"


_OK = RiskCheck(True)
#: Limits compare with this tolerance, so 100 -> 80 is a 20% drawdown despite float rounding.
_EPS = 1e-12


class RiskManager:
    """The dynamic side of risk: the breaker, stops and portfolio-level limits."""

    def __init__(self, limits: RiskLimits | Mapping[str, Any] | None = None) -> None:
        self.limits = RiskLimits.from_config(limits)
        self._halt_reasons: dict[str, None] = {}  # insertion-ordered set
        self.equity = 0.0
        self.peak = 0.0
        self.max_drawdown_seen = 0.0
        self.day: int | None = None
        self.day_start_equity = 0.0
        self.positions: dict[str, tuple[float, float]] = {}  # symbol -> (quantity, avg cost)
        self.prices: dict[str, float] = {}
        self._marks: dict[str, float] = {}  # high-water (long) / low-water (short) mark
        self._exiting: set[str] = set()

    # -- circuit breaker ---------------------------------------------------------------------
    @property
    def halted(self) -> bool:
        return bool(self._halt_reasons)

    @property
    def halt_reasons(self) -> tuple[str, ...]:
        return tuple(self._halt_reasons)

    def halt(self, reason: str) -> bool:
        """Add a halt reason; True when it was new."""
        if reason in self._halt_reasons:
            return False
        self._halt_reasons[reason] = None
        return True

    def resume(self, reason: str) -> bool:
        """Clear a halt reason; True when it was set. Resuming ``drawdown`` restarts the peak."""
        if reason not in self._halt_reasons:
            return False
        del self._halt_reasons[reason]
        if reason == "drawdown":
            self.peak = self.equity
        return True

    # -- pre-trade ---------------------------------------------------------------------------------
    def check_order(
        self, symbol: str, qty: float, price: float | None, positions: Mapping[str, float]
    ) -> RiskCheck:
        """``qty`` signed (> 0 buys); ``positions`` signed quantities before the order."""
        if self._halt_reasons:
            return RiskCheck(
                False, RejectReason.CIRCUIT_BREAKER, "halted: " + ",".join(self._halt_reasons)
            )
        if not math.isfinite(qty) or qty == 0.0:
            return RiskCheck(False, RejectReason.INVALID_QUANTITY, f"quantity {qty}")
        lim = self.limits
        size = abs(qty)
        if lim.max_order_quantity is not None and size > lim.max_order_quantity:
            return RiskCheck(
                False, RejectReason.MAX_ORDER_QUANTITY, f"{size} > {lim.max_order_quantity}"
            )
        after = positions.get(symbol, 0.0) + qty
        if lim.max_position is not None and abs(after) > lim.max_position:
            return RiskCheck(False, RejectReason.MAX_POSITION, f"|{after}| > {lim.max_position}")
        if lim.max_notional is not None:
            if price is None or not math.isfinite(price) or price <= 0:
                return RiskCheck(False, RejectReason.NO_PRICE, "no price to value the order")
            if size * price > lim.max_notional:
                return RiskCheck(
                    False, RejectReason.MAX_NOTIONAL, f"{size * price} > {lim.max_notional}"
                )
        return _OK

    def validate_order(
        self, symbol: str, qty: float, price: float | None, positions: Mapping[str, float]
    ) -> tuple[bool, str]:
        """Seed API: ``(is_valid, error)``; ``error`` is ``"<CODE>: <details>"`` or ``""``."""
        check = self.check_order(symbol, qty, price, positions)
        if check.ok:
            return True, ""
        assert check.code is not None
        return False, f"{check.code.value}: {check.message}"

    # -- post-trade ------------------------------------------------------------------------------
    def _day_of(self, ts: int) -> int:
        return (ts - self.limits.session_offset_ns) // NS_PER_DAY

    def assess_portfolio_risk(self, state: PortfolioState) -> RiskAssessment:
        """Take in a portfolio state: positions, equity, peak, day; trip the drawdown and daily
        stops. Returns the assessment (empty envelope; the component stamps it)."""
        self.take_state(state)
        return self.assessment()

    def take_state(self, state: PortfolioState) -> None:
        """:meth:`assess_portfolio_risk` without building the assessment (the component calls
        this on every portfolio state and publishes only when the halt reasons change)."""
        self._update_positions(state)
        equity = state.equity
        day = self._day_of(state.ts_event)
        if self.day is None:
            self.day_start_equity = equity
        elif day != self.day:
            self.day_start_equity = self.equity
            self._halt_reasons.pop("daily_loss", None)
        self.day = day
        self.equity = equity
        self.peak = max(self.peak, equity)
        dd = self.drawdown
        self.max_drawdown_seen = max(self.max_drawdown_seen, dd)
        lim = self.limits
        if lim.max_drawdown is not None and self.peak > 0 and dd >= lim.max_drawdown - _EPS:
            self.halt("drawdown")
        start = self.day_start_equity
        daily_loss = (start - equity) / start if start > 0 else 0.0
        if lim.max_daily_loss is not None and daily_loss >= lim.max_daily_loss - _EPS:
            self.halt("daily_loss")

    def _update_positions(self, state: PortfolioState) -> None:
        new: dict[str, tuple[float, float]] = {}
        for p in state.positions:
            if p.quantity == 0.0:
                continue
            new[p.symbol] = (p.quantity, p.avg_cost)
            self.prices.setdefault(p.symbol, p.last_price)
            old = self.positions.get(p.symbol)
            if old is None or old[0] * p.quantity < 0:  # opened or flipped: restart the mark
                self._marks[p.symbol] = p.avg_cost
                self._exiting.discard(p.symbol)
        for sym in list(self._marks):
            if sym not in new:
                del self._marks[sym]
                self._exiting.discard(sym)
        self.positions = new

    @property
    def drawdown(self) -> float:
        return 0.0 if self.peak <= 0 else max(0.0, 1.0 - self.equity / self.peak)

    # -- stops -------------------------------------------------------------------------------------
    def update_price(self, symbol: str, price: float) -> StopExit | None:
        """A new price: move the trailing mark, then fire a stop if one is crossed."""
        self.prices[symbol] = price
        held = self.positions.get(symbol)
        if held is None:
            return None
        qty, avg = held
        mark = self._marks.get(symbol, avg)
        mark = max(mark, price) if qty > 0 else min(mark, price)
        self._marks[symbol] = mark
        if symbol in self._exiting:
            return None
        lim = self.limits
        hit: tuple[str, float] | None = None
        if lim.stop_loss_pct is not None:
            level = avg * (1 - lim.stop_loss_pct) if qty > 0 else avg * (1 + lim.stop_loss_pct)
            if (qty > 0 and price <= level) or (qty < 0 and price >= level):
                hit = ("stop_loss", level)
        if hit is None and lim.trailing_stop_pct is not None:
            pct = lim.trailing_stop_pct
            level = mark * (1 - pct) if qty > 0 else mark * (1 + pct)
            if (qty > 0 and price <= level) or (qty < 0 and price >= level):
                hit = ("trailing_stop", level)
        if hit is None:
            return None
        self._exiting.add(symbol)
        return StopExit(symbol, -qty, hit[0], price, hit[1])

    def exit_failed(self, symbol: str) -> None:
        """The exit order for ``symbol`` did not go through: let the stop fire again."""
        self._exiting.discard(symbol)

    def mark(self, symbol: str) -> float | None:
        """The trailing stop's high-water (long) or low-water (short) mark."""
        return self._marks.get(symbol)

    # -- metrics -----------------------------------------------------------------------------------
    def exposures(self) -> tuple[float, float]:
        """(gross, net) value of the positions at the last known prices."""
        values = [q * self.prices.get(s, avg) for s, (q, avg) in sorted(self.positions.items())]
        return math.fsum(abs(v) for v in values), math.fsum(values)

    def assessment(self, signals_checked: int = 0, signals_rejected: int = 0) -> RiskAssessment:
        """Current risk metrics as a :class:`RiskAssessment` (empty envelope)."""
        gross, net = self.exposures()
        return RiskAssessment(
            equity=self.equity,
            peak_equity=self.peak,
            drawdown=self.drawdown,
            halted=self.halted,
            halt_reasons=self.halt_reasons,
            signals_checked=signals_checked,
            signals_rejected=signals_rejected,
            max_drawdown=self.max_drawdown_seen,
            daily_pnl=self.equity - self.day_start_equity,
            day_start_equity=self.day_start_equity,
            gross_exposure=gross,
            net_exposure=net,
            leverage=gross / self.equity if self.equity > 0 else 0.0,
            open_positions=len(self.positions),
        )

    def metrics(self) -> dict[str, Any]:
        """Current risk metrics as a JSON-able dict (for reports)."""
        a = self.assessment()
        return {
            "equity": a.equity,
            "peak_equity": a.peak_equity,
            "drawdown": a.drawdown,
            "max_drawdown": a.max_drawdown,
            "daily_pnl": a.daily_pnl,
            "day_start_equity": a.day_start_equity,
            "gross_exposure": a.gross_exposure,
            "net_exposure": a.net_exposure,
            "leverage": a.leverage,
            "open_positions": a.open_positions,
            "halted": a.halted,
            "halt_reasons": list(a.halt_reasons),
        }
