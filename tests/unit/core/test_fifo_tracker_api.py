"""FifoTracker through Python: round trips with the seed's fields, flips, fees, bad fills."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

from ferrotrade import FifoTracker, Side
from ferrotrade.errors import InvalidPriceError, InvalidQuantityError

DAY = 86_400 * 10**9


def test_long_round_trip_with_fees_and_seed_fields() -> None:
    tracker = FifoTracker(size_increment=1.0)
    tracker.add_fill("AAPL", "buy", 10, 100.0, fee=1.0, ts=0)
    tracker.add_fill("AAPL", Side.BUY, 10, 110.0, fee=1.0, ts=DAY)
    assert tracker.add_fill("AAPL", "sell", 15, 120.0, fee=1.5, ts=3 * DAY) == 2
    first, second = tracker.round_trips()
    assert first.to_dict() == {
        "symbol": "AAPL",
        "direction": "long",
        "entry_time": 0,
        "exit_time": 3 * DAY,
        "entry_price": 100.0,
        "exit_price": 120.0,
        "quantity": 10.0,
        "pnl": pytest.approx(200.0 - 1.0 - 1.0),
        "return": pytest.approx(198.0 / 1000.0),
        "holding_period": 3.0,
        "entry_fee": 1.0,
        "exit_fee": pytest.approx(1.0),
    }
    assert (second.quantity, second.entry_price) == (5.0, 110.0)
    assert second.pnl == pytest.approx(50.0 - 0.5 - 0.5)
    assert tracker.position("AAPL") == 5.0
    assert [(lot.quantity, lot.price) for lot in tracker.open_lots("AAPL")] == [(5.0, 110.0)]
    assert tracker.fees_paid == pytest.approx(3.5)


def test_sell_through_zero_flips_to_short_and_back() -> None:
    tracker = FifoTracker()
    tracker.add_fill("BTC", "buy", 0.5, 40_000.0)
    tracker.add_fill("BTC", "sell", 0.8, 41_000.0)
    assert tracker.position("BTC") == pytest.approx(-0.3)
    tracker.add_fill("BTC", "buy", 0.3, 39_000.0)
    long_trip, short_trip = tracker.take_round_trips()
    assert (long_trip.direction, long_trip.pnl) == ("long", pytest.approx(500.0))
    assert (short_trip.direction, short_trip.quantity) == ("short", pytest.approx(0.3))
    assert short_trip.pnl == pytest.approx(600.0)
    assert tracker.round_trips() == []
    assert tracker.realized_pnl() == pytest.approx(1100.0)
    assert tracker.realized_pnl("BTC") == pytest.approx(1100.0)
    assert tracker.realized_pnl("ETH") == 0.0


@pytest.mark.parametrize(
    ("size", "price", "fee", "error"),
    [
        (0, 10.0, 0.0, InvalidQuantityError),
        (-1, 10.0, 0.0, InvalidQuantityError),
        (math.nan, 10.0, 0.0, InvalidQuantityError),
        (1, math.inf, 0.0, InvalidPriceError),
        (1, -5.0, 0.0, InvalidPriceError),
        (1, 10.0, math.nan, ValueError),
        (1, 10.0, -1.0, ValueError),
    ],
)
def test_bad_fills_raise_and_leave_no_trace(
    size: float, price: float, fee: float, error: type[Exception]
) -> None:
    tracker = FifoTracker(size_increment=1.0)
    tracker.add_fill("A", "buy", 1, 10.0)
    with pytest.raises(error):
        tracker.add_fill("NEW", "sell", size, price, fee=fee)
    with pytest.raises(error):
        tracker.add_fill("A", "sell", size, price, fee=fee)
    assert tracker.symbols() == ["A"]
    assert tracker.position("A") == 1.0


def test_batch_is_all_or_nothing_and_equals_one_by_one() -> None:
    sides = np.array([1, 1, -1, -1, 1], dtype=np.int64)
    sizes = np.array([5, 5, 7, 6, 3], dtype=np.float64)
    prices = np.array([10, 11, 12, 9, 8], dtype=np.float64)
    fees = np.zeros(5)
    ts = np.arange(5, dtype=np.int64) * DAY
    batch = FifoTracker(1.0)
    batch.add_fills("X", sides, sizes, prices, fees, ts)
    single = FifoTracker(1.0)
    for s, q, p, f, t in zip(sides, sizes, prices, fees, ts, strict=True):
        single.add_fill("X", "buy" if s == 1 else "sell", float(q), float(p), float(f), int(t))
    assert [r.to_dict() for r in batch.round_trips()] == [r.to_dict() for r in single.round_trips()]
    bad = sizes.copy()
    bad[3] = -1
    fresh = FifoTracker(1.0)
    with pytest.raises(InvalidQuantityError, match=r"sizes\[3\]"):
        fresh.add_fills("X", sides, bad, prices, fees, ts)
    assert fresh.symbols() == []
    assert fresh.round_trips() == []


def test_copies_are_independent_of_the_original() -> None:
    """Supervision checkpoints copy a portfolio's trackers: a copy must share nothing."""
    t = FifoTracker(1e-8)
    t.add_fill("A", "buy", 2.0, 10.0, fee=0.5, ts=1)
    for c in (copy.copy(t), copy.deepcopy(t)):
        c.add_fill("A", "sell", 1.0, 12.0, ts=2)
        c.add_fill("B", "buy", 1.0, 5.0, ts=3)
        assert (c.position("A"), c.position("B"), len(c.round_trips())) == (1.0, 1.0, 1)
    assert (t.position("A"), t.symbols(), t.round_trips(), t.fees_paid) == (2.0, ["A"], [], 0.5)
    assert [lot.quantity for lot in copy.deepcopy(t).open_lots("A")] == [2.0]
