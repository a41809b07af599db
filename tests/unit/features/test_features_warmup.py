"""Warm-up: the first value appears on update number `warmup`, at batch index `warmup - 1`."""

from __future__ import annotations

from collections.abc import Callable
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

CLOSES = np.linspace(100.0, 130.0, 60) + np.sin(np.arange(60.0))


@pytest.mark.parametrize(
    ("indicator", "warmup"),
    [
        (SMA(5), 5),
        (EMA(5), 5),
        (RSI(14), 14),
        (BollingerBands(20), 20),
        (MACD(12, 26, 9), 34),
        (MACD(1, 2, 1), 2),
    ],
)
def test_first_value_arrives_on_update_number_warmup(indicator: Any, warmup: int) -> None:
    assert indicator.warmup == warmup
    for number, close in enumerate(CLOSES.tolist(), start=1):
        result = indicator.update(close)
        assert (result is not None) == (number >= warmup)
        assert indicator.ready == (number >= warmup)
        assert indicator.value == result
        assert indicator.count == number


def test_atr_first_value_arrives_on_update_number_period() -> None:
    indicator = ATR(3)
    assert indicator.warmup == 3
    assert indicator.update(11.0, 9.0, 10.0) is None
    assert indicator.update(12.0, 10.0, 11.0) is None
    # true ranges 2, 2, max(3, |13 - 11|, |10 - 11|) = 3 -> mean 7/3
    assert indicator.update(13.0, 10.0, 12.0) == pytest.approx(7.0 / 3.0, abs=1e-15)
    # Wilder: (7/3 * 2 + max(1, |12.5 - 12|, |11.5 - 12|)) / 3
    assert indicator.update(12.5, 11.5, 12.0) == pytest.approx((14.0 / 3.0 + 1.0) / 3.0)


@pytest.mark.parametrize(
    ("batch", "first_valid"),
    [
        (lambda x: sma(x, 5), 4),
        (lambda x: ema(x, 5), 4),
        (lambda x: rsi(x, 14), 13),
        (lambda x: bollinger_bands(x, 20).upper, 19),
        (lambda x: macd(x, 12, 26, 9).line, 25),
        (lambda x: macd(x, 12, 26, 9).signal, 33),
        (lambda x: macd(x, 12, 26, 9).histogram, 33),
        (lambda x: atr(x + 1.0, x - 1.0, x, 14), 13),
    ],
)
def test_batch_is_nan_exactly_during_warmup(
    batch: Callable[[np.ndarray], np.ndarray], first_valid: int
) -> None:
    out = batch(CLOSES)
    assert out.shape == CLOSES.shape
    assert out.dtype == np.float64
    assert np.isnan(out[:first_valid]).all()
    assert np.isfinite(out[first_valid:]).all()


@pytest.mark.parametrize("length", [0, 1, 4])
def test_batch_on_series_shorter_than_warmup_is_all_nan(length: int) -> None:
    x = CLOSES[:length]
    for out in (
        sma(x, 5),
        ema(x, 5),
        rsi(x, 5),
        atr(x + 1.0, x - 1.0, x, 5),
        *bollinger_bands(x, 5),
        *macd(x, 3, 5, 2),
    ):
        assert out.shape == (length,)
        assert np.isnan(out).all()


def test_reset_forgets_history() -> None:
    indicator = MACD(3, 5, 2)
    first = [indicator.update(x) for x in CLOSES.tolist()]
    indicator.reset()
    assert indicator.value is None
    assert indicator.count == 0
    assert [indicator.update(x) for x in CLOSES.tolist()] == first
