"""Bollinger Bands: middle = SMA(period), upper/lower = middle ± k * std.

std is the population standard deviation (ddof = 0) of the last `period` closes, as
`ta.volatility.BollingerBands`. The middle band is exactly `SMA(period)`'s value.

Invariant: the window keeps a running sum (see `_sma`) and a running sum of squared
deviations M2, updated on each slide by Welford's replace step
`M2 += (x - old) * ((x - mean_new) + (old - mean_old))`, which never subtracts two large
sums of squares. Every `period` updates the window is re-summed exactly (`fsum` of the values
and of the squared deviations), so error cannot accumulate; M2 is clamped at 0 before the
square root. Amortized O(1) per update.

The square root amplifies absolute error near zero variance (an error of 1e-16 in M2 is 1e-8
in std), so when one slide shrinks M2 by more than `RECOMPUTE_RATIO` (the window turned flat
or nearly so) M2 is recomputed exactly from the window; a window of equal values then gives
bands exactly on the middle. This is rare on real data (O(period) when it happens).

The batch form vectorizes the same steps across windows (as `_sma`): bit-identical floats.
Warm-up: the first value appears on the `period`-th update (index `period - 1`).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from strategies.features._base import Incremental
from strategies.features._validation import (
    FloatArray,
    as_series,
    check_multiplier,
    check_period,
    check_value,
    nan_array,
)

__all__ = [
    "RECOMPUTE_RATIO",
    "BollingerBands",
    "BollingerSeries",
    "BollingerValue",
    "bollinger_bands",
]


class BollingerValue(NamedTuple):
    """One bar's bands."""

    middle: float
    upper: float
    lower: float


class BollingerSeries(NamedTuple):
    """Batch bands: three arrays as long as the input, NaN during warm-up."""

    middle: FloatArray
    upper: FloatArray
    lower: FloatArray


RECOMPUTE_RATIO = 2.0**-20
"""Recompute M2 exactly when a slide leaves less than this fraction of the previous M2."""


def _window_m2(window: list[float], mean: float) -> float:
    """Exact (correctly rounded) sum of squared deviations from `mean`."""
    return math.fsum([(v - mean) * (v - mean) for v in window])


class BollingerBands(Incremental[BollingerValue]):
    """Incremental Bollinger Bands; `update(close)` returns a `BollingerValue` or None."""

    __slots__ = ("_buffer", "_count", "_index", "_k", "_m2", "_period", "_sum", "_value")

    def __init__(self, period: int = 20, k: float = 2.0) -> None:
        self._period = check_period("period", period)
        self._k = check_multiplier("k", k)
        self._buffer = [0.0] * self._period
        self.reset()

    def reset(self) -> None:
        """Forget every value seen, as if newly constructed."""
        self._buffer = [0.0] * self._period
        self._index = 0
        self._count = 0
        self._sum = 0.0
        self._m2 = 0.0
        self._value: BollingerValue | None = None

    @property
    def period(self) -> int:
        return self._period

    @property
    def k(self) -> float:
        return self._k

    @property
    def warmup(self) -> int:
        """Number of updates before the first value."""
        return self._period

    def update(self, close: float) -> BollingerValue | None:
        """Add one close; return the bands once `period` closes have been seen, else None."""
        x = check_value("close", close, self._count)
        period = self._period
        buffer = self._buffer
        index = self._index
        if self._count >= period:
            old = buffer[index]
            buffer[index] = x
            mean_old = self._sum / period
            self._sum += x - old
            mean_new = self._sum / period
            m2_old = self._m2
            self._m2 = m2_old + (x - old) * ((x - mean_new) + (old - mean_old))
            if self._m2 < RECOMPUTE_RATIO * m2_old:
                self._m2 = _window_m2(buffer, mean_new)
        else:
            self._sum += x
            buffer[index] = x
        self._count += 1
        index += 1
        if index == period:
            index = 0
            self._sum = math.fsum(buffer)
            self._m2 = _window_m2(buffer, self._sum / period)
        self._index = index
        if self._count >= period:
            middle = self._sum / period
            width = self._k * math.sqrt(max(self._m2, 0.0) / period)
            self._value = BollingerValue(middle, middle + width, middle - width)
        return self._value

    def __repr__(self) -> str:
        return f"BollingerBands(period={self._period}, k={self._k}, value={self._value!r})"


def bollinger_bands(values: ArrayLike, period: int = 20, k: float = 2.0) -> BollingerSeries:
    """Batch Bollinger Bands of a 1-D close series; NaN for the first `period - 1` entries.

    Rows of the work matrices are offsets inside a window block, columns are blocks; row 0 is
    the exact re-sum and each later row applies one slide, exactly as `update` does.
    """
    period = check_period("period", period)
    k = check_multiplier("k", k)
    series = as_series("values", values)
    length = series.shape[0]
    middle_out = nan_array(length)
    upper_out = nan_array(length)
    lower_out = nan_array(length)
    if length < period:
        return BollingerSeries(middle_out, upper_out, lower_out)
    blocks = length // period
    rows = series[: blocks * period].reshape(blocks, period).tolist()
    sums = np.empty((period, blocks), dtype=np.float64)
    m2s = np.empty((period, blocks), dtype=np.float64)
    for b, row in enumerate(rows):
        total = math.fsum(row)
        sums[0, b] = total
        m2s[0, b] = _window_m2(row, total / period)
    padded_new = np.zeros(blocks * period, dtype=np.float64)
    padded_old = np.zeros(blocks * period, dtype=np.float64)
    padded_new[: length - period] = series[period:]
    padded_old[: length - period] = series[: length - period]
    new = np.ascontiguousarray(padded_new.reshape(blocks, period).T)
    old = np.ascontiguousarray(padded_old.reshape(blocks, period).T)
    for j in range(1, period):
        x = new[j - 1]
        o = old[j - 1]
        mean_old = sums[j - 1] / period
        sums[j] = sums[j - 1] + (x - o)
        mean_new = sums[j] / period
        m2s[j] = m2s[j - 1] + (x - o) * ((x - mean_new) + (o - mean_old))
        for b in np.flatnonzero(m2s[j] < RECOMPUTE_RATIO * m2s[j - 1]).tolist():
            end = b * period + period + j
            if end <= length:
                window = series[end - period : end].tolist()
                m2s[j, b] = _window_m2(window, float(mean_new[b]))
    count = length - period + 1
    flat_sums = np.ascontiguousarray(sums.T).reshape(-1)[:count]
    flat_m2s = np.ascontiguousarray(m2s.T).reshape(-1)[:count]
    middle = flat_sums / period
    width = k * np.sqrt(np.maximum(flat_m2s, 0.0) / period)
    middle_out[period - 1 :] = middle
    upper_out[period - 1 :] = middle + width
    lower_out[period - 1 :] = middle - width
    return BollingerSeries(middle_out, upper_out, lower_out)
