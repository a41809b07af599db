"""Invariants on random curves, and the monthly table against pandas' calendar resampling."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from actors.reporting.analytics import (
    compute_metrics,
    drawdown_series,
    longest_drawdown,
    max_drawdown,
    monthly_returns,
)

DAY = 86_400 * 1_000_000_000
START = 1_577_836_800 * 1_000_000_000  # 2020-01-01T00:00:00Z

curves = st.lists(st.floats(min_value=-0.2, max_value=0.2), min_size=1, max_size=80).map(
    lambda steps: 100.0 * np.cumprod(1.0 + np.array(steps))
)
gaps = st.lists(st.integers(min_value=1, max_value=20 * DAY), min_size=80, max_size=80)


def curve_times(equity: np.ndarray, gap_list: list[int]) -> np.ndarray:
    return START + np.cumsum(np.array(gap_list[: equity.shape[0]], dtype=np.int64))


def brute_force_max_drawdown(equity: np.ndarray) -> float:
    worst = 0.0
    for i in range(equity.shape[0]):
        for j in range(i, equity.shape[0]):
            worst = min(worst, equity[j] / equity[i] - 1.0)
    return worst


@settings(max_examples=150, deadline=None)
@given(equity=curves, gap_list=gaps)
def test_drawdown_invariants(equity: np.ndarray, gap_list: list[int]) -> None:
    times = curve_times(equity, gap_list)
    deepest = max_drawdown(times, equity)
    longest = longest_drawdown(times, equity)
    series = drawdown_series(equity)
    assert (series <= 0.0).all()
    assert deepest.depth == series.min()
    assert math.isclose(deepest.depth, brute_force_max_drawdown(equity), abs_tol=1e-12)
    assert longest.duration_ns >= deepest.duration_ns
    if deepest.depth < 0.0:
        assert deepest.peak_index < deepest.trough_index
        assert equity[deepest.peak_index] == np.maximum.accumulate(equity)[deepest.trough_index]
        if deepest.recovery_index is not None:
            assert equity[deepest.recovery_index] >= equity[deepest.peak_index]
            assert deepest.duration_periods == deepest.recovery_index - deepest.peak_index


@settings(max_examples=150, deadline=None)
@given(equity=curves, gap_list=gaps)
def test_monthly_returns_compound_to_the_total_return(
    equity: np.ndarray, gap_list: list[int]
) -> None:
    times = curve_times(equity, gap_list)
    metrics = compute_metrics(times, equity)
    compounded = math.prod(1.0 + m.value for m in metrics.monthly_returns) - 1.0
    assert math.isclose(compounded, metrics.total_return, rel_tol=1e-9, abs_tol=1e-12)


def test_monthly_returns_match_pandas_resampling() -> None:
    rng = np.random.default_rng(7)
    times = START + np.cumsum(rng.integers(DAY // 2, 3 * DAY, size=500))
    equity = 100.0 * np.cumprod(1.0 + rng.normal(0.0005, 0.01, size=500))
    series = pd.Series(equity, index=pd.to_datetime(times, unit="ns", utc=True))
    month_ends = series.resample("ME").last().dropna()
    expected = month_ends / month_ends.shift(1).fillna(equity[0]) - 1.0
    ours = monthly_returns(times, equity)
    assert [(m.year, m.month) for m in ours] == [(t.year, t.month) for t in month_ends.index]
    np.testing.assert_allclose([m.value for m in ours], expected.to_numpy(), rtol=0, atol=1e-12)
