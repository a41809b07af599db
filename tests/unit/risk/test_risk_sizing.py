"""Position sizers with worked numbers; increments; zero with a reason, never NaN/negative."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors.errors import ConfigurationError
from actors.messages import Bar, MarketSnapshot, PortfolioState, Signal, SignalAction
from actors.risk import (
    FixedSizer,
    KellySizer,
    PercentSizer,
    PositionSizer,
    RiskBasedSizer,
    VolatilitySizer,
    sizer_from_config,
)

SIG = Signal(symbol="AAA", action=SignalAction.BUY, target_weight=1.0)


def pf(equity: float = 100_000.0) -> PortfolioState:
    return PortfolioState(
        cash=equity, equity=equity, realized_pnl=0.0, unrealized_pnl=0.0, fees=0.0
    )


def test_fixed_units_and_increments() -> None:
    assert FixedSizer(10).calculate_qty(SIG, pf(), 123.0) == 10
    assert FixedSizer(7.5).calculate_qty(SIG, pf(), 1.0) == 7  # whole units by default
    assert FixedSizer(7.5, increment=0).calculate_qty(SIG, pf(), 1.0) == 7.5
    assert FixedSizer(0.37, increment=0.1).calculate_qty(SIG, pf(), 1.0) == 0.3
    per_symbol = FixedSizer(0.37, increments={"AAA": 0.01})
    assert per_symbol.calculate_qty(SIG, pf(), 1.0) == 0.37
    r = FixedSizer(0.5).size(SIG, pf(), 1.0)
    assert r.quantity == 0.0
    assert "below one increment (1)" in r.reason


def test_percent_of_equity() -> None:
    # 10% of 100,000 = 10,000 at 150 -> 66.67 units -> 66 whole, 66.66 in cents of a unit
    assert PercentSizer(0.1).calculate_qty(SIG, pf(), 150.0) == 66
    assert PercentSizer(0.1, increment=0.01).calculate_qty(SIG, pf(), 150.0) == 66.66
    r = PercentSizer(0.1).size(SIG, pf(0.0), 150.0)
    assert (r.quantity, r.reason) == (0.0, "no equity to size from (equity=0.0)")
    assert PercentSizer(0.1).calculate_qty(SIG, pf(-5.0), 150.0) == 0.0


def test_risk_based_from_stop_distance() -> None:
    # risk 1% of 100,000 = 1,000; stop 2% of 50 = 1.00 -> 1,000 units (value 50,000)
    assert RiskBasedSizer(0.01, stop_pct=0.02).calculate_qty(SIG, pf(), 50.0) == 1000
    # absolute stop distance 2.50 -> 400 units
    assert (
        RiskBasedSizer(0.01, stop_pct=None, stop_distance=2.5).calculate_qty(SIG, pf(), 50.0) == 400
    )
    # capped at 25% of equity in value: 25,000 / 50 = 500 units
    capped = RiskBasedSizer(0.01, stop_pct=0.02, max_fraction=0.25)
    assert capped.calculate_qty(SIG, pf(), 50.0) == 500
    with pytest.raises(ConfigurationError, match="stop_pct or stop_distance"):
        RiskBasedSizer(0.01, stop_pct=None)


def test_kelly_from_configured_edge_capped() -> None:
    # f* = 0.6 - 0.4 / 2 = 0.4; half Kelly 0.2 of 100,000 = 20,000 at 100 -> 200 units
    k = KellySizer(win_rate=0.6, payoff=2.0)
    assert k.fraction()[0] == pytest.approx(0.2)
    assert k.calculate_qty(SIG, pf(), 100.0) == 200
    # cap at 10% of equity -> 100 units
    assert (
        KellySizer(win_rate=0.6, payoff=2.0, max_fraction=0.1).calculate_qty(SIG, pf(), 100.0)
        == 100
    )


def test_kelly_fallback_and_no_edge() -> None:
    k = KellySizer()  # nothing known yet: the fallback, 1% of equity -> 10 units at 100
    assert k.fraction() == (0.01, "kelly: no win rate/payoff yet, fallback fraction")
    assert k.calculate_qty(SIG, pf(), 100.0) == 10
    assert KellySizer(fallback_fraction=0.0).size(SIG, pf(), 100.0).quantity == 0.0
    losing = KellySizer(win_rate=0.3, payoff=1.0)  # f* = 0.3 - 0.7 = -0.4
    r = losing.size(SIG, pf(), 100.0)
    assert r.quantity == 0.0
    assert r.reason.startswith("kelly: no edge (f*=-0.4")


def test_kelly_learns_from_recorded_trades() -> None:
    k = KellySizer(win_rate=0.1, payoff=1.0, min_trades=4)  # configured: no edge
    for pnl in (100.0, 100.0, -100.0):
        k.record_trade(pnl)
    assert k.calculate_qty(SIG, pf(), 100.0) == 0.0  # 3 < min_trades: still the configured W/R
    k.record_trade(100.0)  # W = 0.75, R = 1 -> f* = 0.5, half = 0.25 (= the cap)
    assert k.estimate() == (0.75, 1.0)
    assert k.calculate_qty(SIG, pf(), 100.0) == 250
    only_losses = KellySizer(min_trades=2)
    only_losses.record_trade(-1.0)
    only_losses.record_trade(-2.0)
    assert only_losses.calculate_qty(SIG, pf(), 100.0) == 0.0
    with pytest.raises(ValueError, match="finite"):
        k.record_trade(math.nan)


def _bar(i: int, high: float, low: float, close: float) -> MarketSnapshot:
    b = Bar(ts_event=i + 1, symbol="AAA", open=close, high=high, low=low, close=close)
    return MarketSnapshot(ts_event=i + 1, symbol="AAA", last_price=close, bar=b)


def test_volatility_targets_risk_in_atrs() -> None:
    v = VolatilitySizer(risk_fraction=0.01, atr_period=3, atr_multiple=2.0)
    r = v.size(SIG, pf(), 100.0)
    assert (r.quantity, r.reason) == (0.0, "volatility: ATR(3) warming up (0 bars)")
    for i in range(2):
        v.observe(_bar(i, 101.0, 99.0, 100.0))
    v.observe(_bar(1, 150.0, 50.0, 100.0))  # a repeated bar is not counted twice
    assert "warming up (2 bars)" in v.size(SIG, pf(), 100.0).reason
    v.observe(_bar(2, 101.0, 99.0, 100.0))
    # true ranges 2, 2, 2 -> ATR 2; 1,000 of risk per 2 ATRs (4.00) -> 250 units
    assert v.atr("AAA") == 2.0
    assert v.calculate_qty(SIG, pf(), 100.0) == 250
    # capped in value at 10% of equity: 10,000 / 100 = 100 units
    capped = VolatilitySizer(risk_fraction=0.01, atr_period=3, max_fraction=0.1)
    for i in range(3):
        capped.observe(_bar(i, 101.0, 99.0, 100.0))
    assert capped.calculate_qty(SIG, pf(), 100.0) == 100


@pytest.mark.parametrize("price", [0.0, -1.0, math.nan, math.inf, None, True])
def test_bad_prices_size_zero_with_reason(price: object) -> None:
    r = PercentSizer(0.1).size(SIG, pf(), price)  # type: ignore[arg-type]
    assert r.quantity == 0.0
    assert r.reason.startswith("no valid price")


SIZERS: list[PositionSizer] = [
    FixedSizer(3.3),
    PercentSizer(0.2, increment=0.001),
    RiskBasedSizer(0.02, stop_pct=0.05),
    KellySizer(win_rate=0.55, payoff=1.5, increment=0),
]


@given(
    equity=st.floats(-1e9, 1e12),
    price=st.floats(-10.0, 1e7) | st.sampled_from([math.nan, math.inf, 1e-300]),
    which=st.integers(0, len(SIZERS) - 1),
)
def test_never_negative_nor_nan(equity: float, price: float, which: int) -> None:
    state = PortfolioState(
        cash=0.0,
        equity=equity,
        realized_pnl=0.0,
        unrealized_pnl=0.0,
        fees=0.0,
    )
    q = SIZERS[which].calculate_qty(SIG, state, price)
    assert math.isfinite(q)
    assert q >= 0.0


def test_a_stop_distance_that_underflows_sizes_nothing_with_a_reason() -> None:
    """Found by the property above: 5e-324 * stop_pct is 0.0, which divided by zero."""
    state = PortfolioState(cash=0.0, equity=1.0, realized_pnl=0.0, unrealized_pnl=0.0, fees=0.0)
    sized = RiskBasedSizer(0.02, stop_pct=0.05).size(SIG, state, 5e-324)
    assert sized.quantity == 0.0
    assert "stop distance" in sized.reason


def test_round_quantity_rounds_towards_zero() -> None:
    s = FixedSizer(1, increment=0.5)
    assert s.round_quantity("AAA", 2.74) == 2.5
    assert s.round_quantity("AAA", -2.74) == -2.5
    assert s.round_quantity("AAA", 0.3 * 3) == 0.5  # 0.8999999 -> 0.5, no float residue
    assert FixedSizer(1, increment=0.1).round_quantity("AAA", 0.3) == 0.3
    assert s.round_quantity("AAA", math.nan) == 0.0


def test_sizer_from_config() -> None:
    assert isinstance(sizer_from_config(None), PercentSizer)
    s = sizer_from_config({"method": "risk", "risk_fraction": 0.02, "stop_pct": 0.05})
    assert isinstance(s, RiskBasedSizer)
    assert s.risk_fraction == 0.02
    fixed = FixedSizer(2)
    assert sizer_from_config(fixed) is fixed
    with pytest.raises(ConfigurationError, match="'martingale' unknown; known: fixed, percent"):
        sizer_from_config({"method": "martingale"})
    with pytest.raises(ConfigurationError, match=r"'percent'.*'fractoin'"):
        sizer_from_config({"method": "percent", "fractoin": 0.1})
    with pytest.raises(ConfigurationError, match="fraction must be finite and > 0"):
        sizer_from_config({"method": "percent", "fraction": -0.1})
    with pytest.raises(ConfigurationError, match="risk_fraction must be <= 1"):
        RiskBasedSizer(1.5)
