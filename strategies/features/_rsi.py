"""Relative Strength Index with Wilder smoothing (`alpha = 1 / period`).

Conventions (as `ta.momentum.RSIIndicator`, so the cross-check is exact):
- the first bar has no previous close and counts as a change of 0 (no gain, no loss); the
  Wilder averages of gains and losses start from it at 0 and move as
  `avg = (avg * (period - 1) + x) / period`;
- the first value appears on the `period`-th update (index `period - 1`, i.e. after
  `period - 1` real changes). TA-Lib and StockCharts instead seed with the simple mean of the
  first `period` changes and report from index `period`; the difference decays by a factor
  `(1 - 1/period)` per bar (below 1e-9 after about 300 bars for period 14).
- RSI = 100 - 100 / (1 + avg_gain / avg_loss); 100 when avg_loss is 0 and avg_gain > 0.
  When both are 0 (a flat series) RSI is 50, neutral: `ta` reports 100 there, which would
  read a halted market as overbought.

The batch form is a sequential loop with the same arithmetic: bit-identical.
"""

from __future__ import annotations

from numpy.typing import ArrayLike

from strategies.features._base import Incremental
from strategies.features._validation import (
    FloatArray,
    as_series,
    check_period,
    check_value,
    nan_array,
)

__all__ = ["RSI", "rsi"]


def rsi_from_averages(avg_gain: float, avg_loss: float) -> float:
    """RSI from Wilder averages, with the flat and no-loss cases defined above."""
    if avg_loss == 0.0:
        return 50.0 if avg_gain == 0.0 else 100.0
    return 100.0 - 100.0 / (1.0 + avg_gain / avg_loss)


class RSI(Incremental[float]):
    """Incremental Wilder RSI; `update(close)` returns RSI in [0, 100] or None while warming up."""

    __slots__ = ("_avg_gain", "_avg_loss", "_count", "_period", "_previous", "_value")

    def __init__(self, period: int = 14) -> None:
        self._period = check_period("period", period)
        self.reset()

    def reset(self) -> None:
        """Forget every value seen, as if newly constructed."""
        self._count = 0
        self._previous = 0.0
        self._avg_gain = 0.0
        self._avg_loss = 0.0
        self._value: float | None = None

    @property
    def period(self) -> int:
        return self._period

    @property
    def warmup(self) -> int:
        """Number of updates before the first value."""
        return self._period

    def update(self, close: float) -> float | None:
        """Add one close; return the RSI once `period` closes have been seen, else None."""
        x = check_value("close", close, self._count)
        if self._count > 0:
            change = x - self._previous
            gain = change if change > 0.0 else 0.0
            loss = -change if change < 0.0 else 0.0
            keep = self._period - 1
            self._avg_gain = (self._avg_gain * keep + gain) / self._period
            self._avg_loss = (self._avg_loss * keep + loss) / self._period
        self._previous = x
        self._count += 1
        if self._count >= self._period:
            self._value = rsi_from_averages(self._avg_gain, self._avg_loss)
        return self._value

    def __repr__(self) -> str:
        return f"RSI(period={self._period}, value={self._value!r})"


def rsi(values: ArrayLike, period: int = 14) -> FloatArray:
    """Wilder RSI of a 1-D close series; NaN for the first `period - 1` entries."""
    period = check_period("period", period)
    series = as_series("values", values)
    out = nan_array(series.shape[0])
    closes = series.tolist()
    keep = period - 1
    avg_gain = 0.0
    avg_loss = 0.0
    results: list[float] = []
    if keep == 0 and closes:
        results.append(rsi_from_averages(avg_gain, avg_loss))
    for t in range(1, len(closes)):
        change = closes[t] - closes[t - 1]
        gain = change if change > 0.0 else 0.0
        loss = -change if change < 0.0 else 0.0
        avg_gain = (avg_gain * keep + gain) / period
        avg_loss = (avg_loss * keep + loss) / period
        if t >= keep:
            results.append(rsi_from_averages(avg_gain, avg_loss))
    out[keep : keep + len(results)] = results
    return out
