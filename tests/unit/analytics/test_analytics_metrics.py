"""Hand-worked examples for the performance analytics; expected numbers are written out."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np
import pytest

from actors.reporting.analytics import (
    NS_PER_YEAR,
    MonthlyReturn,
    annualized_return,
    compute_metrics,
    drawdown_series,
    exposure,
    fees_paid,
    infer_periods_per_year,
    longest_drawdown,
    max_drawdown,
    monthly_returns,
    period_returns,
    sharpe_ratio,
    sortino_ratio,
    total_return,
    trade_stats,
    traded_notional,
    turnover,
    volatility,
)

DAY = 86_400 * 1_000_000_000
JAN_15_2024 = 1_705_276_800 * 1_000_000_000  # 2024-01-15T00:00:00Z


def days(*offsets: int) -> np.ndarray:
    return np.array([JAN_15_2024 + d * DAY for d in offsets], dtype=np.int64)


@dataclass(frozen=True)
class Trip:
    pnl: float


@dataclass(frozen=True)
class Fill:
    price: float
    quantity: float
    fee: float


# Curve A: 100 -> 110 -> 99 -> 121 on Jan 15, Jan 31, Feb 10, Mar 1 2024.
TIMES_A = days(0, 16, 26, 46)
EQUITY_A = np.array([100.0, 110.0, 99.0, 121.0])
# Returns +10%, -10%, 121/99 - 1 = 2/9. Mean 2/27; deviations 0.7/27, -4.7/27, 4/27;
# sample variance (0.49 + 22.09 + 16) / 729 / 2 = 38.58 / 1458.
MEAN_A = 2.0 / 27.0
STD_A = math.sqrt(38.58 / 1458.0)


def test_period_and_total_returns() -> None:
    np.testing.assert_allclose(period_returns(EQUITY_A), [0.1, -0.1, 2.0 / 9.0], rtol=1e-15)
    assert total_return(EQUITY_A) == pytest.approx(0.21, abs=1e-15)


def test_volatility_is_annualized_sample_std() -> None:
    returns = period_returns(EQUITY_A)
    assert volatility(returns, 252) == pytest.approx(STD_A * math.sqrt(252), rel=1e-12)


def test_sharpe_and_sortino() -> None:
    returns = period_returns(EQUITY_A)
    assert sharpe_ratio(returns, 252) == pytest.approx(MEAN_A / STD_A * math.sqrt(252), rel=1e-12)
    # Downside deviation: sqrt(mean(0, 0.1**2, 0)) = sqrt(0.01 / 3).
    expected_sortino = MEAN_A / math.sqrt(0.01 / 3.0) * math.sqrt(252)
    assert sortino_ratio(returns, 252) == pytest.approx(expected_sortino, rel=1e-12)


def test_sharpe_subtracts_the_per_period_risk_free_rate() -> None:
    """Monthly returns 1%, 2%, 3% against 1% a month (12.68% a year): excess 0, 1%, 2%."""
    rf = 1.01**12 - 1.0
    assert sharpe_ratio([0.01, 0.02, 0.03], 12, rf) == pytest.approx(math.sqrt(12), rel=1e-9)
    # Downside: no excess below 0 except float noise at 0 -> unbounded.
    assert sortino_ratio([0.02, 0.03], 12, rf) == math.inf


def test_drawdown_series_and_max_drawdown() -> None:
    np.testing.assert_allclose(drawdown_series(EQUITY_A), [0.0, 0.0, -0.1, 0.0], atol=1e-15)
    deepest = max_drawdown(TIMES_A, EQUITY_A)
    assert deepest.depth == pytest.approx(-0.1, abs=1e-15)
    assert (deepest.peak_index, deepest.trough_index, deepest.recovery_index) == (1, 2, 3)
    assert deepest.duration_periods == 2
    assert deepest.duration_ns == 30 * DAY  # Jan 31 -> Mar 1


def test_unrecovered_drawdown_runs_to_the_end() -> None:
    times = days(0, 1, 2, 3)
    deepest = max_drawdown(times, [100.0, 120.0, 90.0, 100.0])
    assert deepest.depth == pytest.approx(-0.25, abs=1e-15)
    assert deepest.recovery_index is None
    assert (deepest.duration_periods, deepest.duration_ns) == (2, 2 * DAY)


def test_deepest_and_longest_drawdowns_differ() -> None:
    """-10% for 2 periods, then -4% for 5 periods."""
    times = days(0, 1, 2, 3, 4, 5, 6, 7)
    equity = [100.0, 90.0, 100.0, 99.0, 98.0, 97.0, 96.0, 100.0]
    deepest = max_drawdown(times, equity)
    longest = longest_drawdown(times, equity)
    assert (deepest.depth, deepest.duration_periods) == (pytest.approx(-0.1), 2)
    assert (longest.depth, longest.duration_periods) == (pytest.approx(-0.04), 5)
    assert longest.duration_ns == 5 * DAY


def test_cagr_over_exactly_two_years() -> None:
    times = np.array([0, int(2 * NS_PER_YEAR)], dtype=np.int64)
    assert annualized_return(times, [100.0, 121.0]) == pytest.approx(0.1, rel=1e-12)


def test_periods_per_year_is_the_observed_density() -> None:
    monthly = np.arange(25, dtype=np.int64) * int(NS_PER_YEAR / 12)
    assert infer_periods_per_year(monthly) == pytest.approx(12.0, rel=1e-12)
    assert math.isnan(infer_periods_per_year([JAN_15_2024]))


def test_monthly_returns_chain_month_ends() -> None:
    table = monthly_returns(TIMES_A, EQUITY_A)
    assert [(m.year, m.month) for m in table] == [(2024, 1), (2024, 2), (2024, 3)]
    np.testing.assert_allclose(
        [m.value for m in table], [0.1, 99.0 / 110.0 - 1.0, 121.0 / 99.0 - 1.0], rtol=1e-15
    )


def test_monthly_returns_cross_a_year_boundary() -> None:
    dec_31_2023 = JAN_15_2024 - 15 * DAY
    times = np.array([dec_31_2023 - DAY, dec_31_2023, JAN_15_2024], dtype=np.int64)
    table = monthly_returns(times, [100.0, 105.0, 84.0])
    assert table == (
        MonthlyReturn(2023, 12, pytest.approx(0.05)),
        MonthlyReturn(2024, 1, pytest.approx(-0.2)),
    )


def test_trade_stats() -> None:
    """Wins 50, 30; losses -20, -10; one break-even trade."""
    stats = trade_stats([Trip(50.0), Trip(-20.0), Trip(30.0), Trip(0.0), Trip(-10.0)])
    assert stats.trade_count == 5
    assert stats.win_rate == 0.4
    assert stats.profit_factor == pytest.approx(80.0 / 30.0)
    assert (stats.average_win, stats.average_loss) == (40.0, -15.0)


def test_trade_stats_accepts_result_dictionaries() -> None:
    assert trade_stats([{"pnl": 5.0}, {"pnl": -5.0}]).profit_factor == 1.0


def test_fills_notional_fees_and_turnover() -> None:
    fills = [Fill(10.0, 100.0, 1.0), {"price": 11.0, "quantity": -100.0, "fee": 1.5}]
    assert traded_notional(fills) == 2100.0
    assert fees_paid(fills) == 2.5
    assert turnover(fills, [1000.0, 1100.0, 1000.0, 1100.0]) == 2100.0 / 1050.0


def test_exposure_counts_points_holding_a_position() -> None:
    assert exposure([0.0, 1000.0, -500.0, 0.0]) == 0.5


def test_compute_metrics_on_curve_a() -> None:
    metrics = compute_metrics(
        TIMES_A,
        EQUITY_A,
        round_trips=[Trip(15.0), Trip(-4.0)],
        fills=[Fill(50.0, 2.0, 0.5), Fill(55.0, 2.0, 0.5)],
        gross_exposure=[0.0, 100.0, 100.0, 0.0],
        periods_per_year=252,
    )
    assert (metrics.start_ns, metrics.end_ns, metrics.points) == (TIMES_A[0], TIMES_A[-1], 4)
    assert metrics.total_return == pytest.approx(0.21)
    assert metrics.annualized_return == pytest.approx(1.21 ** (365.25 / 46) - 1.0, rel=1e-12)
    assert metrics.volatility == pytest.approx(STD_A * math.sqrt(252), rel=1e-12)
    assert metrics.sharpe == pytest.approx(MEAN_A / STD_A * math.sqrt(252), rel=1e-12)
    assert metrics.max_drawdown == pytest.approx(-0.1)
    assert metrics.max_drawdown_peak_ns == TIMES_A[1]
    assert metrics.max_drawdown_trough_ns == TIMES_A[2]
    assert metrics.max_drawdown_recovered
    assert (metrics.max_drawdown_duration_periods, metrics.max_drawdown_duration_ns) == (
        2,
        30 * DAY,
    )
    assert metrics.longest_drawdown_duration_periods == 2
    assert (metrics.trade_count, metrics.win_rate, metrics.profit_factor) == (2, 0.5, 15.0 / 4.0)
    assert (metrics.average_win, metrics.average_loss) == (15.0, -4.0)
    assert metrics.exposure == 0.5
    assert metrics.traded_notional == 210.0
    assert metrics.turnover == pytest.approx(210.0 / 107.5)
    assert metrics.fees_paid == 1.0
    assert len(metrics.monthly_returns) == 3


def test_to_dict_is_strict_json() -> None:
    metrics = compute_metrics(TIMES_A, EQUITY_A, round_trips=[Trip(1.0)])
    data = metrics.to_dict()
    assert data["profit_factor"] is None  # +inf: wins and no losses
    assert data["average_loss"] is None  # NaN: no losses
    assert data["exposure"] is None  # NaN: exposure not given
    assert data["monthly_returns"][0] == {"year": 2024, "month": 1, "return": pytest.approx(0.1)}
    assert json.loads(json.dumps(data, allow_nan=False)) == data
    assert metrics.profit_factor == math.inf
