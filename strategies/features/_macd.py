"""MACD: line = EMA(fast) - EMA(slow), signal = EMA(line, signal), histogram = line - signal.

Conventions (as `ta.trend.MACD`): both EMAs are seeded with the first close (see `_ema`), the
line exists from index `slow - 1`, the signal EMA is seeded with that first line value, and
signal and histogram exist from index `slow + signal - 2`. `fast < slow` is required: a MACD
with the "fast" average slower than the "slow" one is a configuration mistake.

The incremental form returns a `MACDValue` only once all three parts exist (None before);
the batch form reports the line from its own first index. Values are bit-identical: the
batch form is a sequential loop with the same arithmetic.
"""

from __future__ import annotations

from typing import NamedTuple

from numpy.typing import ArrayLike

from strategies.features._base import Incremental
from strategies.features._ema import ema_alpha
from strategies.features._validation import (
    FloatArray,
    as_series,
    check_period,
    check_value,
    nan_array,
)

__all__ = ["MACD", "MACDSeries", "MACDValue", "macd"]


class MACDValue(NamedTuple):
    """One bar's MACD."""

    line: float
    signal: float
    histogram: float


class MACDSeries(NamedTuple):
    """Batch MACD: three arrays as long as the input, NaN during warm-up."""

    line: FloatArray
    signal: FloatArray
    histogram: FloatArray


def _check_params(fast: int, slow: int, signal: int) -> tuple[int, int, int]:
    fast = check_period("fast", fast)
    slow = check_period("slow", slow)
    signal = check_period("signal", signal)
    if fast >= slow:
        raise ValueError(f"fast must be < slow, got fast={fast}, slow={slow}")
    return fast, slow, signal


class MACD(Incremental[MACDValue]):
    """Incremental MACD; `update(close)` returns a `MACDValue` or None while warming up."""

    __slots__ = (
        "_alpha_fast",
        "_alpha_signal",
        "_alpha_slow",
        "_count",
        "_fast",
        "_fast_ema",
        "_signal",
        "_signal_ema",
        "_slow",
        "_slow_ema",
        "_value",
    )

    def __init__(self, fast: int = 12, slow: int = 26, signal: int = 9) -> None:
        self._fast, self._slow, self._signal = _check_params(fast, slow, signal)
        self._alpha_fast = ema_alpha(self._fast)
        self._alpha_slow = ema_alpha(self._slow)
        self._alpha_signal = ema_alpha(self._signal)
        self.reset()

    def reset(self) -> None:
        """Forget every value seen, as if newly constructed."""
        self._count = 0
        self._fast_ema = 0.0
        self._slow_ema = 0.0
        self._signal_ema = 0.0
        self._value: MACDValue | None = None

    @property
    def fast(self) -> int:
        return self._fast

    @property
    def slow(self) -> int:
        return self._slow

    @property
    def signal(self) -> int:
        return self._signal

    @property
    def warmup(self) -> int:
        """Number of updates before the first value."""
        return self._slow + self._signal - 1

    def update(self, close: float) -> MACDValue | None:
        """Add one close; return line, signal and histogram once all exist, else None."""
        x = check_value("close", close, self._count)
        if self._count == 0:
            self._fast_ema = x
            self._slow_ema = x
        else:
            self._fast_ema += self._alpha_fast * (x - self._fast_ema)
            self._slow_ema += self._alpha_slow * (x - self._slow_ema)
        self._count += 1
        if self._count < self._slow:
            return None
        line = self._fast_ema - self._slow_ema
        if self._count == self._slow:
            self._signal_ema = line
        else:
            self._signal_ema += self._alpha_signal * (line - self._signal_ema)
        if self._count >= self.warmup:
            signal = self._signal_ema
            self._value = MACDValue(line, signal, line - signal)
        return self._value

    def __repr__(self) -> str:
        return (
            f"MACD(fast={self._fast}, slow={self._slow}, signal={self._signal}, "
            f"value={self._value!r})"
        )


def macd(values: ArrayLike, fast: int = 12, slow: int = 26, signal: int = 9) -> MACDSeries:
    """Batch MACD of a 1-D close series.

    `line` is NaN for the first `slow - 1` entries; `signal` and `histogram` for the first
    `slow + signal - 2`.
    """
    fast, slow, signal = _check_params(fast, slow, signal)
    series = as_series("values", values)
    length = series.shape[0]
    line_out = nan_array(length)
    signal_out = nan_array(length)
    hist_out = nan_array(length)
    if length < slow:
        return MACDSeries(line_out, signal_out, hist_out)
    closes = series.tolist()
    alpha_fast = ema_alpha(fast)
    alpha_slow = ema_alpha(slow)
    alpha_signal = ema_alpha(signal)
    fast_ema = slow_ema = signal_ema = closes[0]
    first = slow + signal - 2
    lines: list[float] = []
    signals: list[float] = []
    hists: list[float] = []
    for t in range(1, slow - 1):
        x = closes[t]
        fast_ema += alpha_fast * (x - fast_ema)
        slow_ema += alpha_slow * (x - slow_ema)
    for t in range(slow - 1, length):
        x = closes[t]
        fast_ema += alpha_fast * (x - fast_ema)
        slow_ema += alpha_slow * (x - slow_ema)
        line = fast_ema - slow_ema
        if t == slow - 1:
            signal_ema = line
        else:
            signal_ema += alpha_signal * (line - signal_ema)
        lines.append(line)
        if t >= first:
            signals.append(signal_ema)
            hists.append(line - signal_ema)
    line_out[slow - 1 :] = lines
    signal_out[first:] = signals
    hist_out[first:] = hists
    return MACDSeries(line_out, signal_out, hist_out)
