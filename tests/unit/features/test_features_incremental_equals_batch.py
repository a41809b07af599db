"""The incremental and batch forms of every indicator give the same floats (==, not approx)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pytest
from features_testdata import Bars
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from strategies.features import (
    ATR,
    EMA,
    MACD,
    RSI,
    SMA,
    BollingerBands,
    atr,
    bollinger_bands,
    ema,
    macd,
    rsi,
    sma,
)


def assert_identical(incremental: Sequence[float | None], batch: NDArray[np.float64]) -> None:
    """None where batch is NaN, and exactly equal floats elsewhere."""
    assert len(incremental) == batch.shape[0]
    for index, (value, expected) in enumerate(zip(incremental, batch.tolist(), strict=True)):
        if value is None:
            assert math.isnan(expected), f"index {index}: incremental None, batch {expected!r}"
        else:
            assert value == expected, f"index {index}: {value!r} != {expected!r}"


def check_all(closes: NDArray[np.float64], period: int) -> None:
    """Run every single-series indicator both ways over `closes`."""
    sma_obj, ema_obj, rsi_obj = SMA(period), EMA(period), RSI(period)
    assert_identical([sma_obj.update(x) for x in closes], sma(closes, period))
    assert_identical([ema_obj.update(x) for x in closes], ema(closes, period))
    assert_identical([rsi_obj.update(x) for x in closes], rsi(closes, period))

    bands = BollingerBands(period, k=1.7)
    values = [bands.update(x) for x in closes]
    batch = bollinger_bands(closes, period, k=1.7)
    assert_identical([v.middle if v else None for v in values], batch.middle)
    assert_identical([v.upper if v else None for v in values], batch.upper)
    assert_identical([v.lower if v else None for v in values], batch.lower)

    fast, slow, signal = period, period + 3, max(1, period // 2)
    indicator = MACD(fast, slow, signal)
    macd_values = [indicator.update(x) for x in closes]
    macd_batch = macd(closes, fast, slow, signal)
    assert_identical([v.signal if v else None for v in macd_values], macd_batch.signal)
    assert_identical([v.histogram if v else None for v in macd_values], macd_batch.histogram)
    first = indicator.warmup - 1
    assert_identical([v.line if v else None for v in macd_values][first:], macd_batch.line[first:])


@pytest.mark.parametrize("period", [1, 2, 3, 14, 20, 26, 200])
def test_single_series_indicators_on_real_data(aapl: Bars, period: int) -> None:
    check_all(aapl.close, period)


@pytest.mark.parametrize("period", [1, 2, 14, 100])
def test_atr_on_real_data(aapl: Bars, period: int) -> None:
    indicator = ATR(period)
    values = [
        indicator.update(h, lo, c) for h, lo, c in zip(aapl.high, aapl.low, aapl.close, strict=True)
    ]
    assert_identical(values, atr(aapl.high, aapl.low, aapl.close, period))


prices = st.one_of(
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
    st.sampled_from([0.0, 1.0, 100.0, 100.5]),
)


@settings(max_examples=200, deadline=None)
@given(closes=st.lists(prices, max_size=60), period=st.integers(min_value=1, max_value=12))
def test_single_series_indicators_on_arbitrary_series(closes: list[float], period: int) -> None:
    """Includes flat runs, spikes and series shorter than the warm-up."""
    check_all(np.array(closes, dtype=np.float64), period)


@settings(max_examples=200, deadline=None)
@given(
    bars=st.lists(
        st.tuples(
            st.floats(min_value=0.0, max_value=1e4, allow_nan=False),
            st.floats(min_value=0.0, max_value=50.0, allow_nan=False),
            st.floats(min_value=0.0, max_value=1.0, allow_nan=False),
        ),
        max_size=40,
    ),
    period=st.integers(min_value=1, max_value=10),
)
def test_atr_on_arbitrary_bars(bars: list[tuple[float, float, float]], period: int) -> None:
    low = np.array([b[0] for b in bars], dtype=np.float64)
    high = low + np.array([b[1] for b in bars], dtype=np.float64)
    close = low + (high - low) * np.array([b[2] for b in bars], dtype=np.float64)
    indicator = ATR(period)
    values = [indicator.update(h, lo, c) for h, lo, c in zip(high, low, close, strict=True)]
    assert_identical(values, atr(high, low, close, period))
