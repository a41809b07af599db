"""Simple moving average: the mean of the last `period` values.

Invariant: the window sum is a running sum (add the new value, drop the oldest), re-summed
exactly with `math.fsum` every time the ring buffer wraps (every `period` bars). Rounding error
therefore cannot accumulate over a long live session (a 1e12 spike leaves no residue once it
leaves the window), and the first value is the correctly rounded mean of the first window.
Cost is amortized O(1) per update (O(period) once per `period` updates).

The batch form replays the same operations, vectorized across windows: between two re-sums
the running sum is `period - 1` sequential additions, done for all windows at once, so the
floats are bit-identical to the incremental form.

Warm-up: the first value appears on the `period`-th update (index `period - 1`), as in
`ta.trend.SMAIndicator` and pandas `rolling(period).mean()`.
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

__all__ = ["SMA", "sma"]


class SMA(Incremental[float]):
    """Incremental simple moving average; `update(x)` returns the mean or None while warming up."""

    __slots__ = ("_buffer", "_count", "_index", "_period", "_sum", "_value")

    def __init__(self, period: int) -> None:
        self._period = check_period("period", period)
        self._buffer = [0.0] * self._period
        self.reset()

    def reset(self) -> None:
        """Forget every value seen, as if newly constructed."""
        self._buffer = [0.0] * self._period
        self._index = 0
        self._count = 0
        self._sum = 0.0
        self._value: float | None = None

    @property
    def period(self) -> int:
        return self._period

    @property
    def warmup(self) -> int:
        """Number of updates before the first value."""
        return self._period

    def update(self, value: float) -> float | None:
        """Add one value; return the mean of the last `period` values, or None before then."""
        x = check_value("value", value, self._count)
        buffer = self._buffer
        index = self._index
        if self._count >= self._period:
            self._sum += x - buffer[index]
        else:
            self._sum += x
        buffer[index] = x
        self._count += 1
        index += 1
        if index == self._period:
            index = 0
            self._sum = math.fsum(buffer)
        self._index = index
        if self._count >= self._period:
            self._value = self._sum / self._period
        return self._value

    def __repr__(self) -> str:
        return f"SMA(period={self._period}, value={self._value!r})"


def rolling_sums(values: FloatArray, period: int) -> FloatArray:
    """Window sums for indices `period - 1 ..`, bit-identical to `SMA`'s running sum.

    Row `j` of the work matrix holds, for every window block `b`, the sum at index
    `b * period + period - 1 + j`: row 0 is the exact `fsum` of block `b`, and each later row
    adds `x[t] - x[t - period]` to the row before, exactly as `SMA.update` does.
    """
    length = values.shape[0]
    blocks = length // period
    # one flat list sliced per block: a list of lists (reshape().tolist()) costs twice as much
    flat = values[: blocks * period].tolist()
    fsum = math.fsum
    block_sums = [fsum(flat[i : i + period]) for i in range(0, blocks * period, period)]
    diffs = np.zeros(blocks * period, dtype=np.float64)
    diffs[: length - period] = values[period:] - values[: length - period]
    steps = np.ascontiguousarray(diffs.reshape(blocks, period).T)
    sums = np.empty((period, blocks), dtype=np.float64)
    sums[0] = block_sums
    for j in range(1, period):
        np.add(sums[j - 1], steps[j - 1], out=sums[j])
    return np.ascontiguousarray(sums.T).reshape(-1)[: length - period + 1]


def sma(values: ArrayLike, period: int) -> FloatArray:
    """Simple moving average of a 1-D series; NaN for the first `period - 1` entries."""
    period = check_period("period", period)
    series = as_series("values", values)
    out = nan_array(series.shape[0])
    if series.shape[0] >= period:
        out[period - 1 :] = rolling_sums(series, period) / period
    return out
