"""Resampling bars up to a coarser timeframe.

Each target bar aggregates the source bars whose start falls in its bucket (see
:mod:`actors.data.bars.timeframe` for the boundaries): open = first open, high = max high,
low = min low, close = last close, volume = sum of volumes. Only buckets holding at least one
source bar produce a bar (no filler bars for gaps). The volume sum is correctly rounded
(``math.fsum``: the exact sum, rounded once), so it depends neither on the order nor on the
algorithm of summation and never drifts with the number of bars; a plain or pairwise float sum
(numpy, pandas) can differ from it in the last bit.
"""

from __future__ import annotations

from math import fsum

import numpy as np
import numpy.typing as npt

from actors.data.bars.series import BarSeries
from actors.data.bars.timeframe import Timeframe
from ferrotrade.errors import InvalidParameterError

__all__ = ["resample"]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


def resample(series: BarSeries, timeframe: Timeframe | str, *, tz: str | None = None) -> BarSeries:
    """Aggregate ``series`` into bars of ``timeframe`` (equal or coarser).

    ``tz`` (an IANA zone such as ``"America/New_York"``) makes daily, weekly and monthly buckets
    of intraday bars follow the exchange-local date; without it the UTC date is used. Raises
    :class:`~ferrotrade.errors.InvalidParameterError` when ``timeframe`` is finer than the
    series' or cannot be built from it (weeks into months).
    """
    target = Timeframe.parse(timeframe)
    source = series.timeframe
    if not source.can_resample_to(target):
        raise InvalidParameterError(f"cannot resample {source.value} bars to {target.value}")
    if target is source or len(series) == 0:
        return BarSeries._trusted(
            series.symbol,
            target,
            series.ts,
            series.open,
            series.high,
            series.low,
            series.close,
            series.volume,
        )
    keys = target.bucket_starts(series.ts, source=source, tz=tz)
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    ends = np.r_[starts[1:], len(keys)]
    out = (
        keys[starts],
        series.open[starts],
        np.maximum.reduceat(series.high, starts),
        np.minimum.reduceat(series.low, starts),
        series.close[ends - 1],
        _exact_sums(series.volume, starts, ends),
    )
    for arr in out:
        arr.setflags(write=False)
    return BarSeries._trusted(series.symbol, target, *out)


def _exact_sums(values: F64, starts: I64, ends: I64) -> F64:
    """``math.fsum`` of ``values[starts[k]:ends[k]]`` for every k: each sum correctly rounded."""
    flat = values.tolist()
    return np.array(
        [fsum(flat[a:b]) for a, b in zip(starts.tolist(), ends.tolist(), strict=True)],
        dtype=np.float64,
    )
