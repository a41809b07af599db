"""BarMatchingEngine through Python: the fill rules users rely on, and bad bars and orders."""

from __future__ import annotations

import math

import pytest

from ferrotrade import BarMatchingEngine, EventKind
from ferrotrade.errors import (
    DuplicateOrderIdError,
    InvalidBarError,
    InvalidParameterError,
    InvalidQuantityError,
    MissingPriceError,
    UnknownOrderIdError,
)

DAY = 86_400 * 10**9


def fills(engine: BarMatchingEngine) -> list[tuple[int, float, float]]:
    return [
        (e.order_id, e.price, e.size)
        for e in engine.drain_events()
        if e.kind in (EventKind.FILLED, EventKind.PARTIALLY_FILLED)
    ]


def test_market_order_fills_at_next_bar_open_not_the_bar_it_saw() -> None:
    engine = BarMatchingEngine(fill_at="open", max_volume_pct=None)
    engine.process_bar(0, 10, 11, 9, 10.5, 1000)
    engine.submit(1, "buy", 100)
    assert fills(engine) == []
    engine.process_bar(DAY, 10.8, 11.2, 10.1, 11.0, 1000)
    assert fills(engine) == [(1, 10.8, 100.0)]


def test_limit_fills_at_limit_or_better_and_slippage_never_breaks_it() -> None:
    engine = BarMatchingEngine(fill_at="open", max_volume_pct=None, slippage_bps=10)
    engine.submit(1, "buy", 10, limit_price=9.5)
    engine.submit(2, "sell", 10, limit_price=12.0)
    engine.process_bar(0, 10, 11, 9, 10.5, 1000)  # reaches 9.5 but not 12
    assert fills(engine) == [(1, 9.5, 10.0)]
    engine.submit(3, "buy", 10)  # market: open 10.0 plus 10 bps
    engine.process_bar(DAY, 10, 12.5, 9.9, 12, 1000)
    # The sell limit's slipped price (11.988) is clamped back to its limit.
    assert fills(engine) == [(2, 12.0, 10.0), (3, pytest.approx(10.01, rel=1e-12), 10.0)]


def test_volume_cap_carries_gtc_and_cancels_ioc() -> None:
    engine = BarMatchingEngine(fill_at="close", max_volume_pct=0.1)
    engine.submit(1, "buy", 150)
    engine.submit(2, "buy", 50, time_in_force="ioc")
    engine.process_bar(0, 10, 11, 9, 10.5, 1000)  # cap 100 lots shared in order
    events = engine.drain_events()
    assert [(e.order_id, e.kind) for e in events if e.kind != EventKind.ACCEPTED] == [
        (1, EventKind.PARTIALLY_FILLED),
        (2, EventKind.CANCELED),
    ]
    assert engine.open_orders() == [(1, 50.0)]
    engine.process_bar(DAY, 10, 11, 9, 10.5, 1000)
    assert fills(engine) == [(1, 10.5, 50.0)]


def test_day_orders_expire_at_session_end() -> None:
    engine = BarMatchingEngine()
    engine.submit(1, "sell", 5, limit_price=100.0, time_in_force="day")
    engine.process_bar(0, 10, 11, 9, 10, 1000)
    assert engine.session_end(1) == 1
    assert [e.kind for e in engine.drain_events()][-1] == EventKind.EXPIRED
    assert not engine.is_open(1)


@pytest.mark.parametrize(
    ("bar", "message"),
    [
        ((DAY, 10, 9, 11, 10, 100), "high"),  # high below low
        ((DAY, math.nan, 11, 9, 10, 100), "open"),
        ((DAY, 10, 11, 9, 12, 100), "close"),
        ((DAY, 10, 11, 9, 10, -1), "volume"),
        ((0, 10, 11, 9, 10, 100), ""),  # not after the previous bar
    ],
)
def test_bad_bars_raise_and_leave_orders_untouched(bar: tuple[float, ...], message: str) -> None:
    engine = BarMatchingEngine()
    engine.process_bar(0, 10, 11, 9, 10, 100)
    engine.submit(1, "buy", 5)
    with pytest.raises(InvalidBarError):
        engine.process_bar(*bar)  # type: ignore[arg-type]
    assert engine.open_orders() == [(1, 5.0)]


def test_bad_orders_and_parameters_are_precise_errors() -> None:
    engine = BarMatchingEngine()
    engine.submit(1, "buy", 5)
    with pytest.raises(DuplicateOrderIdError):
        engine.submit(1, "buy", 5)
    with pytest.raises(InvalidQuantityError):
        engine.submit(2, "buy", 0)
    with pytest.raises(MissingPriceError):
        engine.submit(2, "buy", 1, order_type="stop")
    with pytest.raises(UnknownOrderIdError):
        engine.cancel(9)
    with pytest.raises(InvalidParameterError):
        BarMatchingEngine(max_volume_pct=1.5)
    with pytest.raises(ValueError, match="fill_at"):
        BarMatchingEngine(fill_at="midpoint")
    assert engine.open_orders() == [(1, 5.0)]
