"""Technical indicators, each in two forms with bit-identical values.

- Incremental (`SMA`, `EMA`, `MACD`, `RSI`, `BollingerBands`, `ATR`): one object per series,
  `update(...)` once per bar returns the value, or None while warming up; O(1) per update
  (amortized for the windowed SMA and Bollinger Bands). For live trading.
- Batch (`sma`, `ema`, `macd`, `rsi`, `bollinger_bands`, `atr`): a whole 1-D series in,
  float64 arrays of the same length out, NaN during warm-up. For backtests and research.

Every indicator reports its first value at index `warmup - 1` (after `warmup` updates); the
`warmup` property says how many. Seeding follows the `ta` package, the test reference (each
module's docstring states its convention and how it differs from TA-Lib). Non-finite input
raises ValueError naming the offending index; bad parameters raise TypeError (wrong type) or
ValueError (out of range). Importing this package has no side effects.
"""

from strategies.features._atr import ATR, atr, true_range
from strategies.features._bollinger import (
    BollingerBands,
    BollingerSeries,
    BollingerValue,
    bollinger_bands,
)
from strategies.features._ema import EMA, ema
from strategies.features._macd import MACD, MACDSeries, MACDValue, macd
from strategies.features._rsi import RSI, rsi
from strategies.features._sma import SMA, sma

__all__ = [
    "ATR",
    "EMA",
    "MACD",
    "RSI",
    "SMA",
    "BollingerBands",
    "BollingerSeries",
    "BollingerValue",
    "MACDSeries",
    "MACDValue",
    "atr",
    "bollinger_bands",
    "ema",
    "macd",
    "rsi",
    "sma",
    "true_range",
]
