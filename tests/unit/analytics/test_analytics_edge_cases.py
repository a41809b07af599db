"""Degenerate runs: flat curve, no trades, one bar, all losses; and rejected input."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from actors.reporting.analytics import (
    compute_metrics,
    max_drawdown,
    sharpe_ratio,
    trade_stats,
)

DAY = 86_400 * 1_000_000_000
TIMES = np.arange(5, dtype=np.int64) * DAY + 1_700_000_000 * 1_000_000_000


def test_flat_curve() -> None:
    metrics = compute_metrics(TIMES, [100.0] * 5, gross_exposure=[0.0] * 5)
    assert (metrics.total_return, metrics.annualized_return, metrics.volatility) == (0.0, 0.0, 0.0)
    assert math.isnan(metrics.sharpe)  # 0 / 0
    assert math.isnan(metrics.sortino)
    assert metrics.max_drawdown == 0.0
    assert metrics.max_drawdown_duration_periods == 0
    assert metrics.max_drawdown_duration_ns == 0
    assert metrics.exposure == 0.0
    assert metrics.to_dict()["sharpe"] is None


def test_flat_curve_against_a_positive_risk_free_rate_is_unboundedly_bad() -> None:
    assert sharpe_ratio([0.0, 0.0, 0.0], 252, 0.05) == -math.inf


def test_no_trades() -> None:
    metrics = compute_metrics(TIMES, [100.0, 101.0, 102.0, 101.0, 103.0])
    assert metrics.trade_count == 0
    for name in ("win_rate", "profit_factor", "average_win", "average_loss"):
        assert math.isnan(getattr(metrics, name)), name
        assert metrics.to_dict()[name] is None
    assert (metrics.traded_notional, metrics.turnover, metrics.fees_paid) == (0.0, 0.0, 0.0)


def test_one_bar() -> None:
    metrics = compute_metrics(TIMES[:1], [100.0], gross_exposure=[50.0])
    assert metrics.total_return == 0.0
    for name in ("annualized_return", "periods_per_year", "volatility", "sharpe", "sortino"):
        assert math.isnan(getattr(metrics, name)), name
    assert metrics.max_drawdown == 0.0
    assert metrics.exposure == 1.0
    assert len(metrics.monthly_returns) == 1
    assert metrics.monthly_returns[0].value == 0.0
    json.dumps(metrics.to_dict(), allow_nan=False)


def test_one_bar_with_explicit_periods_per_year() -> None:
    metrics = compute_metrics(TIMES[:1], [100.0], periods_per_year=252)
    assert metrics.periods_per_year == 252.0
    assert math.isnan(metrics.volatility)


def test_all_losses() -> None:
    stats = trade_stats([{"pnl": -5.0}, {"pnl": -10.0}])
    assert stats.win_rate == 0.0
    assert stats.profit_factor == 0.0
    assert math.isnan(stats.average_win)
    assert stats.average_loss == -7.5


def test_monotonic_decline_never_recovers() -> None:
    drawdown = max_drawdown(TIMES, [100.0, 90.0, 80.0, 70.0, 60.0])
    assert drawdown.depth == pytest.approx(-0.4)
    assert (drawdown.peak_index, drawdown.trough_index, drawdown.recovery_index) == (0, 4, None)
    assert drawdown.duration_ns == 4 * DAY


@pytest.mark.parametrize(
    ("times", "equity", "error", "message"),
    [
        (TIMES[[0, 2, 1, 3, 4]], [1.0] * 5, ValueError, r"strictly increasing: index 2"),
        (TIMES[[0, 0, 1, 2, 3]], [1.0] * 5, ValueError, r"strictly increasing: index 1"),
        (TIMES.astype(np.float64), [1.0] * 5, TypeError, r"integer nanoseconds"),
        (TIMES, [1.0, 2.0, math.nan, 1.0, 1.0], ValueError, r"equity at index 2 is not finite"),
        (TIMES, [1.0, 2.0, 3.0, 0.0, 1.0], ValueError, r"equity at index 3 is 0.0"),
        (TIMES, [1.0] * 4, ValueError, r"same length, got 5 and 4"),
        (TIMES[:0], [], ValueError, r"equity curve is empty"),
    ],
)
def test_bad_curves_are_rejected(
    times: np.ndarray, equity: list[float], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        compute_metrics(times, equity)


def test_bad_parameters_are_rejected() -> None:
    equity = [1.0] * 5
    with pytest.raises(ValueError, match="periods_per_year must be finite and > 0"):
        compute_metrics(TIMES, equity, periods_per_year=0)
    with pytest.raises(ValueError, match="risk_free_rate must be finite and > -1"):
        compute_metrics(TIMES, equity, risk_free_rate=-1.0)
    with pytest.raises(ValueError, match="one value per equity point, got 3 for 5"):
        compute_metrics(TIMES, equity, gross_exposure=[0.0] * 3)
    with pytest.raises(ValueError, match="pnl is not finite"):
        compute_metrics(TIMES, equity, round_trips=[{"pnl": math.nan}])


def test_cagr_of_a_gain_over_one_minute_is_unbounded_not_an_overflow() -> None:
    minute = 60 * 1_000_000_000
    metrics = compute_metrics([0, minute], [100.0, 110.0])
    assert metrics.annualized_return == math.inf
    assert metrics.to_dict()["annualized_return"] is None
