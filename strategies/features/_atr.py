"""Average True Range with Wilder smoothing.

Conventions (as `ta.volatility.AverageTrueRange` and StockCharts):
- true range TR = max(high - low, |high - prev_close|, |low - prev_close|); the first bar has
  no previous close, so its TR is high - low;
- the first ATR, on the `period`-th update (index `period - 1`), is the mean of the first
  `period` true ranges (an exact `fsum`); after that `atr = (atr * (period - 1) + tr) / period`.
  (TA-Lib skips the first bar's TR and reports from index `period`.)
- high < low is rejected with ValueError naming the index.

The batch form is a sequential loop with the same arithmetic: bit-identical.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from strategies.features._base import Incremental
from strategies.features._validation import (
    FloatArray,
    as_series,
    check_period,
    check_value,
    nan_array,
)

__all__ = ["ATR", "atr", "true_range"]


def true_range(high: float, low: float, previous_close: float | None) -> float:
    """One bar's true range; `previous_close=None` for the first bar."""
    if previous_close is None:
        return high - low
    return max(high - low, abs(high - previous_close), abs(low - previous_close))


class ATR(Incremental[float]):
    """Incremental Wilder ATR; `update(high, low, close)` returns the ATR or None."""

    __slots__ = ("_atr", "_count", "_period", "_previous_close", "_seed", "_value")

    def __init__(self, period: int = 14) -> None:
        self._period = check_period("period", period)
        self.reset()

    def reset(self) -> None:
        """Forget every bar seen, as if newly constructed."""
        self._count = 0
        self._previous_close: float | None = None
        self._seed: list[float] = []
        self._atr = 0.0
        self._value: float | None = None

    @property
    def period(self) -> int:
        return self._period

    @property
    def warmup(self) -> int:
        """Number of updates before the first value."""
        return self._period

    def update(self, high: float, low: float, close: float) -> float | None:
        """Add one bar; return the ATR once `period` bars have been seen, else None."""
        h = check_value("high", high, self._count)
        lo = check_value("low", low, self._count)
        c = check_value("close", close, self._count)
        if h < lo:
            raise ValueError(f"high < low at index {self._count}: high={h!r}, low={lo!r}")
        tr = true_range(h, lo, self._previous_close)
        self._previous_close = c
        self._count += 1
        if self._count < self._period:
            self._seed.append(tr)
            return None
        if self._count == self._period:
            self._seed.append(tr)
            self._atr = math.fsum(self._seed) / self._period
            self._seed = []
        else:
            self._atr = (self._atr * (self._period - 1) + tr) / self._period
        self._value = self._atr
        return self._value

    def __repr__(self) -> str:
        return f"ATR(period={self._period}, value={self._value!r})"


def atr(high: ArrayLike, low: ArrayLike, close: ArrayLike, period: int = 14) -> FloatArray:
    """Batch Wilder ATR; NaN for the first `period - 1` entries."""
    period = check_period("period", period)
    highs = as_series("high", high)
    lows = as_series("low", low)
    closes = as_series("close", close)
    length = highs.shape[0]
    if lows.shape[0] != length or closes.shape[0] != length:
        raise ValueError(
            f"high, low and close must have the same length, got "
            f"{length}, {lows.shape[0]}, {closes.shape[0]}"
        )
    inverted = np.flatnonzero(highs < lows)
    if inverted.size:
        i = int(inverted[0])
        raise ValueError(
            f"high < low at index {i}: high={float(highs[i])!r}, low={float(lows[i])!r}"
        )
    out = nan_array(length)
    if length < period:
        return out
    # Vectorized true range: subtraction, abs and max are exact selections of the same IEEE
    # results `true_range` computes (no -0.0 can arise), so the floats are identical.
    previous = closes[:-1]
    tr = highs - lows
    tr[1:] = np.maximum(tr[1:], np.abs(highs[1:] - previous))
    tr[1:] = np.maximum(tr[1:], np.abs(lows[1:] - previous))
    ranges = tr.tolist()
    keep = period - 1
    current = math.fsum(ranges[:period]) / period
    results = [current]
    for tr in ranges[period:]:
        current = (current * keep + tr) / period
        results.append(current)
    out[keep:] = results
    return out
