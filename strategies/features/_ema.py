"""Exponential moving average with smoothing `alpha = 2 / (period + 1)`.

Seeding (as `ta.trend.EMAIndicator`, i.e. pandas `ewm(span=period, adjust=False)`): the
average starts at the first value and every later value moves it by
`ema += alpha * (x - ema)`. The first `period - 1` values are computed but not reported, so
the first value appears on the `period`-th update (index `period - 1`). Note TA-Lib instead
seeds with the SMA of the first `period` values; the two converge geometrically.

The recursion is inherently sequential, so the batch form is a plain loop over Python floats
with the same arithmetic as `update`: bit-identical, O(n), roughly 0.1 µs per bar.
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

__all__ = ["EMA", "ema", "ema_alpha"]


def ema_alpha(period: int) -> float:
    """The smoothing factor `2 / (period + 1)`."""
    return 2.0 / (period + 1)


class EMA(Incremental[float]):
    """Incremental EMA; `update(x)` returns the average or None while warming up."""

    __slots__ = ("_alpha", "_count", "_ema", "_period", "_value")

    def __init__(self, period: int) -> None:
        self._period = check_period("period", period)
        self._alpha = ema_alpha(self._period)
        self.reset()

    def reset(self) -> None:
        """Forget every value seen, as if newly constructed."""
        self._count = 0
        self._ema = 0.0
        self._value: float | None = None

    @property
    def period(self) -> int:
        return self._period

    @property
    def warmup(self) -> int:
        """Number of updates before the first value."""
        return self._period

    def update(self, value: float) -> float | None:
        """Add one value; return the EMA once `period` values have been seen, else None."""
        x = check_value("value", value, self._count)
        if self._count == 0:
            self._ema = x
        else:
            self._ema += self._alpha * (x - self._ema)
        self._count += 1
        if self._count >= self._period:
            self._value = self._ema
        return self._value

    def __repr__(self) -> str:
        return f"EMA(period={self._period}, value={self._value!r})"


def ema_values(values: list[float], alpha: float) -> list[float]:
    """The raw recursion from the first value, every index (no warm-up masking)."""
    out = [0.0] * len(values)
    if not values:
        return out
    current = values[0]
    out[0] = current
    for t in range(1, len(values)):
        current += alpha * (values[t] - current)
        out[t] = current
    return out


def ema(values: ArrayLike, period: int) -> FloatArray:
    """EMA of a 1-D series; NaN for the first `period - 1` entries."""
    period = check_period("period", period)
    series = as_series("values", values)
    out = nan_array(series.shape[0])
    raw = ema_values(series.tolist(), ema_alpha(period))
    out[period - 1 :] = raw[period - 1 :]
    return out
