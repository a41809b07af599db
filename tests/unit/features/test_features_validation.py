"""Bad parameters and non-finite input fail loudly, naming what is wrong."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

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

SINGLE_PERIOD = [SMA, EMA, RSI, BollingerBands, ATR]
SINGLE_BATCH = [sma, ema, rsi, bollinger_bands]


@pytest.mark.parametrize("cls", SINGLE_PERIOD)
@pytest.mark.parametrize("period", [0, -1])
def test_period_below_one_is_a_value_error(cls: Any, period: int) -> None:
    with pytest.raises(ValueError, match=rf"period must be >= 1, got {period}"):
        cls(period)


@pytest.mark.parametrize("cls", SINGLE_PERIOD)
@pytest.mark.parametrize("period", [14.0, True, "14", None])
def test_non_int_period_is_a_type_error(cls: Any, period: Any) -> None:
    with pytest.raises(TypeError, match="period must be an int"):
        cls(period)


def test_numpy_integer_period_is_accepted() -> None:
    assert SMA(np.int64(3)).period == 3
    assert isinstance(SMA(np.int64(3)).period, int)


@pytest.mark.parametrize("function", SINGLE_BATCH)
def test_batch_validates_period(function: Any) -> None:
    with pytest.raises(ValueError, match="period must be >= 1"):
        function(np.ones(5), 0)
    with pytest.raises(TypeError, match="period must be an int"):
        function(np.ones(5), 2.5)


@pytest.mark.parametrize(("fast", "slow"), [(26, 12), (12, 12)])
def test_macd_fast_must_be_below_slow(fast: int, slow: int) -> None:
    message = rf"fast must be < slow, got fast={fast}, slow={slow}"
    with pytest.raises(ValueError, match=message):
        MACD(fast, slow, 9)
    with pytest.raises(ValueError, match=message):
        macd(np.ones(50), fast, slow, 9)


@pytest.mark.parametrize("name", ["fast", "slow", "signal"])
def test_macd_validates_each_period(name: str) -> None:
    params = {"fast": 12, "slow": 26, "signal": 9, name: 0}
    with pytest.raises(ValueError, match=f"{name} must be >= 1"):
        MACD(**params)


@pytest.mark.parametrize("k", [0.0, -2.0, math.nan, math.inf])
def test_bollinger_k_must_be_finite_and_positive(k: float) -> None:
    with pytest.raises(ValueError, match="k must be finite and > 0"):
        BollingerBands(20, k)
    with pytest.raises(ValueError, match="k must be finite and > 0"):
        bollinger_bands(np.ones(30), 20, k)


@pytest.mark.parametrize("k", ["2", None, True])
def test_bollinger_k_must_be_a_number(k: Any) -> None:
    with pytest.raises(TypeError, match="k must be a real number"):
        BollingerBands(20, k)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("function", SINGLE_BATCH)
def test_batch_names_the_first_non_finite_index(function: Any, bad: float) -> None:
    values = np.arange(10.0)
    values[6] = bad
    values[8] = math.nan
    with pytest.raises(ValueError, match=r"values at index 6 is not finite"):
        function(values, 3)


def test_macd_batch_names_the_non_finite_index() -> None:
    values = np.arange(40.0)
    values[31] = math.nan
    with pytest.raises(ValueError, match=r"values at index 31 is not finite: nan"):
        macd(values)


@pytest.mark.parametrize("column", ["high", "low", "close"])
def test_atr_batch_names_the_column_and_index(column: str) -> None:
    series = {"high": np.full(10, 2.0), "low": np.full(10, 1.0), "close": np.full(10, 1.5)}
    series[column][4] = math.inf
    with pytest.raises(ValueError, match=rf"{column} at index 4 is not finite: inf"):
        atr(series["high"], series["low"], series["close"], 3)


def test_atr_rejects_high_below_low() -> None:
    high = np.array([2.0, 2.0, 1.0, 2.0])
    low = np.array([1.0, 1.0, 1.5, 1.0])
    with pytest.raises(ValueError, match=r"high < low at index 2"):
        atr(high, low, low, 2)
    indicator = ATR(2)
    indicator.update(2.0, 1.0, 1.5)
    with pytest.raises(ValueError, match=r"high < low at index 1"):
        indicator.update(1.0, 1.5, 1.2)


def test_atr_rejects_mismatched_lengths() -> None:
    with pytest.raises(ValueError, match="same length, got 3, 2, 3"):
        atr(np.ones(3), np.ones(2), np.ones(3), 2)


def test_batch_rejects_two_dimensional_input() -> None:
    with pytest.raises(ValueError, match=r"must be 1-dimensional, got shape \(2, 3\)"):
        sma(np.ones((2, 3)), 2)


@pytest.mark.parametrize("cls", [SMA, EMA, RSI, BollingerBands, MACD])
@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_incremental_rejects_non_finite_and_keeps_its_state(cls: Any, bad: float) -> None:
    closes = [10.0, 11.0, 10.5, 12.0, 11.5, 13.0]
    indicator = cls(2) if cls is not MACD else MACD(2, 3, 2)
    reference = cls(2) if cls is not MACD else MACD(2, 3, 2)
    for x in closes[:3]:
        indicator.update(x)
        reference.update(x)
    with pytest.raises(ValueError, match=r"at index 3 is not finite"):
        indicator.update(bad)
    assert indicator.count == 3
    for x in closes[3:]:
        assert indicator.update(x) == reference.update(x)


def test_incremental_atr_names_the_bad_field() -> None:
    indicator = ATR(2)
    indicator.update(2.0, 1.0, 1.5)
    with pytest.raises(ValueError, match=r"low at index 1 is not finite: nan"):
        indicator.update(2.0, math.nan, 1.5)
    assert indicator.count == 1
