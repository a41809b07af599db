"""Pre-trade order validation: rate limits, capital, position size/value, total exposure.

Invariant: :meth:`OrderValidator.validate` is a pure function of its arguments and the orders
:meth:`OrderValidator.record`-ed before it; time is the event timestamp passed in (integer ns),
never the wall clock, so a backtest replays the same verdicts on any host.

Checks, in order; the first failure is returned with its code (:class:`RejectReason`):

1. ``RATE_LIMIT_GLOBAL``: ``max_orders_global`` orders already recorded in the sliding window
   ``(ts - rate_window_ns, ts]`` across all symbols;
2. ``RATE_LIMIT_SYMBOL``: ``max_orders_per_symbol`` recorded for this symbol in that window;
3. ``INSUFFICIENT_CAPITAL`` (when ``check_capital``): a BUY costs
   ``quantity * price * (1 + fee_rate)``, which must not exceed ``cash - min_cash_reserve``
   (``cash`` is what the caller says is free: risk passes cash minus what its working buy
   orders will spend). Sells are not capital-checked: short exposure is bounded by 4-6;
4. ``POSITION_SIZE_LIMIT``: ``|position after| > max_position_size`` (units);
5. ``POSITION_VALUE_LIMIT``: ``|position after| * price`` above ``max_position_value`` or above
   ``max_position_pct * equity``;
6. ``TOTAL_EXPOSURE_LIMIT``: gross exposure after the order (sum of ``|quantity| * price`` over
   all positions, this one replaced by its after-value) above ``max_total_exposure`` or above
   ``max_leverage * equity``.

Orders that only reduce a position (``|after| <= |before|`` without crossing zero) skip 3-6:
a limit must never stop risk from being cut. Rate limits apply to every order. Every limit is
``None`` (off) by default. A check that needs a price when none is known fails with
``NO_PRICE``.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from actors.errors import ConfigurationError
from actors.messages import RejectReason, Side

__all__ = ["OrderValidator", "SlidingWindowCounter", "ValidationLimits", "ValidationResult"]

NS_PER_SECOND = 1_000_000_000


@dataclass(frozen=True, slots=True)
class ValidationLimits:
    """Pre-trade limits; ``None`` disables a check (all off by default)."""

    max_orders_global: int | None = None
    max_orders_per_symbol: int | None = None
    rate_window_ns: int = NS_PER_SECOND
    check_capital: bool = False
    min_cash_reserve: float = 0.0
    fee_rate: float = 0.0
    max_position_size: float | None = None
    max_position_value: float | None = None
    max_position_pct: float | None = None
    max_total_exposure: float | None = None
    max_leverage: float | None = None

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None or isinstance(value, bool):
                if f.name == "check_capital" and not isinstance(value, bool):
                    raise ConfigurationError(f"validation check_capital must be bool: {value!r}")
                continue
            if f.name in ("max_orders_global", "max_orders_per_symbol", "rate_window_ns"):
                if not isinstance(value, int) or value < 1:
                    raise ConfigurationError(f"validation {f.name} must be an int >= 1: {value!r}")
            elif not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
                raise ConfigurationError(f"validation {f.name} must be finite and >= 0: {value!r}")

    @classmethod
    def from_config(cls, config: ValidationLimits | Mapping[str, Any] | None) -> ValidationLimits:
        """From a mapping (YAML); ``rate_window_s`` (seconds) is accepted for the window."""
        if config is None:
            return cls()
        if isinstance(config, ValidationLimits):
            return config
        kw = dict(config)
        if "rate_window_s" in kw:
            kw["rate_window_ns"] = round(float(kw.pop("rate_window_s")) * NS_PER_SECOND)
        unknown = set(kw) - {f.name for f in fields(cls)}
        if unknown:
            raise ConfigurationError(f"unknown validation limits: {sorted(unknown)}")
        return cls(**kw)


@dataclass(frozen=True, slots=True)
class ValidationResult:
    """``ok``, else the failure ``code`` and a message with the numbers."""

    ok: bool
    code: RejectReason | None = None
    message: str = ""


PASSED = ValidationResult(True)


class SlidingWindowCounter:
    """Timestamps of recorded events; ``count(ts)`` is how many fall in ``(ts - window, ts]``."""

    __slots__ = ("_times", "window_ns")

    def __init__(self, window_ns: int) -> None:
        self.window_ns = window_ns
        self._times: deque[int] = deque()

    def _evict(self, ts: int) -> None:
        times = self._times
        cutoff = ts - self.window_ns
        while times and times[0] <= cutoff:
            times.popleft()

    def count(self, ts: int) -> int:
        self._evict(ts)
        return sum(1 for t in self._times if t <= ts)

    def add(self, ts: int) -> None:
        self._evict(ts)
        self._times.append(ts)


def _reducing(before: float, after: float) -> bool:
    return abs(after) <= abs(before) and before * after >= 0.0


class OrderValidator:
    """Stateful only through :meth:`record` (the rate windows)."""

    def __init__(self, limits: ValidationLimits | Mapping[str, Any] | None = None) -> None:
        self.limits = lim = ValidationLimits.from_config(limits)
        self._global = SlidingWindowCounter(lim.rate_window_ns)
        self._per_symbol: dict[str, SlidingWindowCounter] = {}
        self._rate_limited = (
            lim.max_orders_global is not None or lim.max_orders_per_symbol is not None
        )
        #: whether :meth:`validate` reads positions in other symbols and their prices (gross
        #: exposure); when False the caller may pass just the order's own symbol
        self.values_other_positions = (
            lim.max_total_exposure is not None or lim.max_leverage is not None
        )

    def record(self, symbol: str, ts_ns: int) -> None:
        """Count one accepted order at ``ts_ns`` in the rate windows (kept only when a rate
        limit is set: nothing else reads them)."""
        if not self._rate_limited:
            return
        self._global.add(ts_ns)
        counter = self._per_symbol.get(symbol)
        if counter is None:
            counter = self._per_symbol[symbol] = SlidingWindowCounter(self.limits.rate_window_ns)
        counter.add(ts_ns)

    def validate(
        self,
        symbol: str,
        side: Side,
        quantity: float,
        price: float | None,
        ts_ns: int,
        *,
        positions: Mapping[str, float] | None = None,
        prices: Mapping[str, float] | None = None,
        cash: float = 0.0,
        equity: float = 0.0,
    ) -> ValidationResult:
        """Check one order; ``positions`` are signed quantities before it, ``prices`` value the
        other positions (missing: valued at 0), ``cash`` is free cash, ``equity`` total."""
        lim = self.limits
        if lim.max_orders_global is not None:
            n = self._global.count(ts_ns)
            if n >= lim.max_orders_global:
                return ValidationResult(
                    False,
                    RejectReason.RATE_LIMIT_GLOBAL,
                    f"{n} orders in the last {lim.rate_window_ns} ns >= {lim.max_orders_global}",
                )
        if lim.max_orders_per_symbol is not None:
            counter = self._per_symbol.get(symbol)
            n = 0 if counter is None else counter.count(ts_ns)
            if n >= lim.max_orders_per_symbol:
                return ValidationResult(
                    False,
                    RejectReason.RATE_LIMIT_SYMBOL,
                    f"{n} {symbol} orders in the last {lim.rate_window_ns} ns "
                    f">= {lim.max_orders_per_symbol}",
                )
        positions = positions or {}
        before = positions.get(symbol, 0.0)
        after = before + quantity if side is Side.BUY else before - quantity
        if _reducing(before, after):
            return PASSED
        needs_price = (
            lim.check_capital
            or lim.max_position_value is not None
            or lim.max_position_pct is not None
            or lim.max_total_exposure is not None
            or lim.max_leverage is not None
        )
        if needs_price and price is None:
            return ValidationResult(False, RejectReason.NO_PRICE, "no price to value the order")
        px = price if price is not None else 0.0
        if lim.check_capital and side is Side.BUY:
            cost = quantity * px * (1.0 + lim.fee_rate)
            available = cash - lim.min_cash_reserve
            if cost > available:
                return ValidationResult(
                    False,
                    RejectReason.INSUFFICIENT_CAPITAL,
                    f"cost {cost:.2f} > available cash {available:.2f}",
                )
        if lim.max_position_size is not None and abs(after) > lim.max_position_size:
            return ValidationResult(
                False,
                RejectReason.POSITION_SIZE_LIMIT,
                f"|{after:g}| units > {lim.max_position_size:g}",
            )
        value = abs(after) * px
        if lim.max_position_value is not None and value > lim.max_position_value:
            return ValidationResult(
                False,
                RejectReason.POSITION_VALUE_LIMIT,
                f"position value {value:.2f} > {lim.max_position_value:.2f}",
            )
        if lim.max_position_pct is not None and value > lim.max_position_pct * max(equity, 0.0):
            return ValidationResult(
                False,
                RejectReason.POSITION_VALUE_LIMIT,
                f"position value {value:.2f} > {lim.max_position_pct:g} x equity {equity:.2f}",
            )
        if lim.max_total_exposure is not None or lim.max_leverage is not None:
            prices = prices or {}
            gross = value + math.fsum(
                abs(q) * prices.get(s, 0.0) for s, q in sorted(positions.items()) if s != symbol
            )
            if lim.max_total_exposure is not None and gross > lim.max_total_exposure:
                return ValidationResult(
                    False,
                    RejectReason.TOTAL_EXPOSURE_LIMIT,
                    f"gross exposure {gross:.2f} > {lim.max_total_exposure:.2f}",
                )
            if lim.max_leverage is not None and gross > lim.max_leverage * max(equity, 0.0):
                return ValidationResult(
                    False,
                    RejectReason.TOTAL_EXPOSURE_LIMIT,
                    f"gross exposure {gross:.2f} > {lim.max_leverage:g} x equity {equity:.2f}",
                )
        return PASSED
