"""OrderValidator: every failure code triggered and not triggered, on worked numbers."""

from __future__ import annotations

import pytest

from actors.errors import ConfigurationError
from actors.messages import RejectReason, Side
from actors.risk import OrderValidator, SlidingWindowCounter, ValidationLimits

S = 1_000_000_000  # one second in ns
BUY, SELL = Side.BUY, Side.SELL


def test_no_limits_accepts_anything() -> None:
    v = OrderValidator()
    assert v.validate("A", BUY, 1e9, None, 0).ok


def test_sliding_window_counter_uses_event_time() -> None:
    c = SlidingWindowCounter(10)
    for t in (1, 5, 9):
        c.add(t)
    assert c.count(9) == 3
    assert c.count(11) == 2  # window (1, 11]: t=1 has left
    assert c.count(19) == 0  # window (9, 19]: t=9 has left too


def test_rate_limit_global() -> None:
    v = OrderValidator({"max_orders_global": 2, "rate_window_s": 1.0})
    v.record("A", 0)
    assert v.validate("B", BUY, 1, 10.0, S // 2).ok  # 1 in window < 2
    v.record("B", S // 2)
    r = v.validate("C", BUY, 1, 10.0, S - 1)
    assert (r.ok, r.code) == (False, RejectReason.RATE_LIMIT_GLOBAL)
    assert "2 orders in the last 1000000000 ns >= 2" in r.message
    assert v.validate("C", BUY, 1, 10.0, S).ok  # the order at 0 left the window (0, 1s]


def test_rate_limit_per_symbol() -> None:
    v = OrderValidator(ValidationLimits(max_orders_per_symbol=1, rate_window_ns=100))
    v.record("A", 50)
    r = v.validate("A", BUY, 1, 10.0, 120)
    assert (r.ok, r.code) == (False, RejectReason.RATE_LIMIT_SYMBOL)
    assert v.validate("B", BUY, 1, 10.0, 120).ok  # another symbol is not limited
    assert v.validate("A", BUY, 1, 10.0, 150).ok  # window (50, 150]: the order left


def test_rate_limits_apply_to_exits_too() -> None:
    v = OrderValidator({"max_orders_global": 1})
    v.record("A", 0)
    r = v.validate("A", SELL, 5, 10.0, 1, positions={"A": 5})
    assert r.code is RejectReason.RATE_LIMIT_GLOBAL


def test_insufficient_capital() -> None:
    v = OrderValidator({"check_capital": True, "fee_rate": 0.001, "min_cash_reserve": 100.0})
    # 10 x 100 = 1000, fee 1 -> cost 1001; available = 1100 - 100 = 1000 -> refused
    r = v.validate("A", BUY, 10, 100.0, 0, cash=1100.0)
    assert (r.ok, r.code) == (False, RejectReason.INSUFFICIENT_CAPITAL)
    assert r.message == "cost 1001.00 > available cash 1000.00"
    assert v.validate("A", BUY, 10, 100.0, 0, cash=1101.0).ok
    assert v.validate("A", SELL, 10, 100.0, 0, cash=0.0).ok  # sells are not capital-checked


def test_position_size_limit() -> None:
    v = OrderValidator({"max_position_size": 100})
    assert v.validate("A", BUY, 40, None, 0, positions={"A": 60}).ok  # exactly 100
    r = v.validate("A", BUY, 41, None, 0, positions={"A": 60})
    assert (r.code, r.message) == (RejectReason.POSITION_SIZE_LIMIT, "|101| units > 100")
    r = v.validate("A", SELL, 201, None, 0, positions={"A": 60})  # flips to -141
    assert r.code is RejectReason.POSITION_SIZE_LIMIT


def test_position_value_limit_absolute_and_percent_of_equity() -> None:
    v = OrderValidator({"max_position_value": 5_000})
    assert v.validate("A", BUY, 50, 100.0, 0).ok
    r = v.validate("A", BUY, 51, 100.0, 0)
    assert (r.code, r.message) == (
        RejectReason.POSITION_VALUE_LIMIT,
        "position value 5100.00 > 5000.00",
    )
    pct = OrderValidator({"max_position_pct": 0.2})
    assert pct.validate("A", BUY, 20, 100.0, 0, equity=10_000).ok  # 2,000 = 20%
    r = pct.validate("A", BUY, 21, 100.0, 0, equity=10_000)
    assert r.code is RejectReason.POSITION_VALUE_LIMIT
    assert "0.2 x equity 10000.00" in r.message


def test_total_exposure_limit_absolute_and_leverage() -> None:
    positions = {"A": 10.0, "B": -20.0}
    prices = {"A": 100.0, "B": 50.0}  # gross 1,000 + 1,000 = 2,000
    v = OrderValidator({"max_total_exposure": 3_000})
    assert v.validate("C", BUY, 10, 100.0, 0, positions=positions, prices=prices).ok
    r = v.validate("C", BUY, 11, 100.0, 0, positions=positions, prices=prices)
    assert (r.code, r.message) == (
        RejectReason.TOTAL_EXPOSURE_LIMIT,
        "gross exposure 3100.00 > 3000.00",
    )
    # adding to A replaces A's value: 15 x 100 + 1,000 = 2,500
    assert v.validate("A", BUY, 5, 100.0, 0, positions=positions, prices=prices).ok
    lev = OrderValidator({"max_leverage": 1.0})
    r = lev.validate("C", BUY, 1, 100.0, 0, positions=positions, prices=prices, equity=2_050)
    assert r.code is RejectReason.TOTAL_EXPOSURE_LIMIT
    assert lev.validate("C", BUY, 1, 100.0, 0, positions=positions, prices=prices, equity=2_100).ok


def test_reducing_orders_skip_capital_and_size_limits() -> None:
    v = OrderValidator(
        {
            "check_capital": True,
            "max_position_size": 1,
            "max_position_value": 1,
            "max_total_exposure": 1,
        }
    )
    assert v.validate("A", SELL, 50, 100.0, 0, positions={"A": 100}).ok
    assert v.validate("A", BUY, 50, 100.0, 0, positions={"A": -100}, cash=0).ok  # cover
    assert not v.validate("A", SELL, 150, 100.0, 0, positions={"A": 100}).ok  # flips short


def test_checks_needing_a_price_fail_without_one() -> None:
    v = OrderValidator({"max_position_value": 1_000})
    r = v.validate("A", BUY, 1, None, 0)
    assert r.code is RejectReason.NO_PRICE


def test_first_failure_wins_in_the_documented_order() -> None:
    v = OrderValidator({"max_orders_global": 1, "check_capital": True, "max_position_size": 1})
    v.record("A", 0)
    assert v.validate("A", BUY, 5, 10.0, 1, cash=0).code is RejectReason.RATE_LIMIT_GLOBAL
    v2 = OrderValidator({"check_capital": True, "max_position_size": 1})
    assert v2.validate("A", BUY, 5, 10.0, 1, cash=0).code is RejectReason.INSUFFICIENT_CAPITAL


def test_limits_from_config_are_checked() -> None:
    with pytest.raises(ConfigurationError, match=r"unknown validation limits: \['max_ordres'\]"):
        ValidationLimits.from_config({"max_ordres": 1})
    with pytest.raises(ConfigurationError, match="max_orders_global must be an int >= 1"):
        ValidationLimits(max_orders_global=0)
    with pytest.raises(ConfigurationError, match="max_leverage must be finite and >= 0"):
        ValidationLimits(max_leverage=-1.0)
    assert ValidationLimits.from_config({"rate_window_s": 60}).rate_window_ns == 60 * S
