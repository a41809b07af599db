"""Numerical behaviour beyond the reference check: exactness, drift, flat and one-sided series."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from features_testdata import Bars

from strategies.features import RSI, SMA, BollingerBands, bollinger_bands, rsi, sma


def exact_bands(window: list[float], k: float) -> tuple[float, float, float]:
    """Bands in rational arithmetic, rounded once at the end (sqrt of the rounded variance)."""
    values = [Fraction(v) for v in window]
    mean = sum(values, Fraction(0)) / len(values)
    variance = sum(((v - mean) ** 2 for v in values), Fraction(0)) / len(values)
    std = float(variance) ** 0.5
    return float(mean), float(mean) + k * std, float(mean) - k * std


def test_bollinger_is_within_a_few_ulps_of_exact_on_real_data(aapl: Bars) -> None:
    period = 20
    bands = bollinger_bands(aapl.close, period, 2.0)
    for end in range(period, aapl.close.shape[0] + 1, 97):
        middle, upper, lower = exact_bands(aapl.close[end - period : end].tolist(), 2.0)
        assert abs(bands.middle[end - 1] - middle) <= 1e-12 * abs(middle)
        assert abs(bands.upper[end - 1] - upper) <= 1e-12 * abs(upper)
        assert abs(bands.lower[end - 1] - lower) <= 1e-12 * abs(lower)


def test_sma_spike_leaves_no_residue() -> None:
    """A running sum alone would keep ~1e-4 of error from a 1e12 spike forever."""
    values = [0.1] * 7 + [1e12] + [0.3] * 20
    indicator = SMA(4)
    results = [indicator.update(v) for v in values]
    assert results[-1] == 0.3
    assert sma(np.array(values), 4)[-1] == 0.3


def test_bollinger_flat_window_after_a_move_collapses_onto_the_middle() -> None:
    values = [1.0, 1000.0, 3.0, 5.0] + [100.5] * 3
    indicator = BollingerBands(3, 2.0)
    last = [indicator.update(v) for v in values][-1]
    assert last is not None
    assert last.middle == last.upper == last.lower == 100.5
    batch = bollinger_bands(np.array(values), 3, 2.0)
    assert batch.upper[-1] == batch.lower[-1] == 100.5


def test_bollinger_population_std() -> None:
    """Window [2, 4, 4, 4, 5, 5, 7, 9]: mean 5, population std 2 (sample std would be 2.14)."""
    result = bollinger_bands(np.array([2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]), 8, 1.5)
    assert (result.middle[-1], result.upper[-1], result.lower[-1]) == (5.0, 8.0, 2.0)


def test_rsi_flat_series_is_neutral() -> None:
    assert rsi(np.full(30, 42.0), 14)[13:].tolist() == [50.0] * 17


def test_rsi_rising_series_is_100_and_falling_series_is_0() -> None:
    assert rsi(np.arange(30.0), 14)[13:].tolist() == [100.0] * 17
    assert rsi(np.arange(30.0)[::-1].copy(), 14)[13:].tolist() == [0.0] * 17


def test_rsi_hand_worked_example() -> None:
    """Period 3, closes 10, 11, 10, 12: gains 0,1,0,2 and losses 0,0,1,0 (first bar counts 0).

    avg_gain: 0 -> 1/3 -> 2/9 -> (4/9 + 2)/3 = 22/27; avg_loss: 0 -> 0 -> 1/3 -> 2/9.
    RSI at index 2: 100 - 100 / (1 + (2/9)/(1/3)) = 40; at index 3: rs = 11/3 -> 78.571...
    """
    indicator = RSI(3)
    values = [indicator.update(x) for x in (10.0, 11.0, 10.0, 12.0)]
    assert values[:2] == [None, None]
    assert values[2] is not None
    assert abs(values[2] - 40.0) < 1e-12
    assert values[3] is not None
    assert abs(values[3] - (100.0 - 100.0 / (1.0 + 11.0 / 3.0))) < 1e-12
