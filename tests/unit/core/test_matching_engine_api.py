"""MatchingEngine through Python: order types, time in force, events, batch API, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ferrotrade import EventKind, MatchingEngine, OrderType, Side, TimeInForce
from ferrotrade._ferrotrade_core import generate_stream
from ferrotrade.errors import (
    DuplicateOrderIdError,
    InvalidPriceError,
    InvalidQuantityError,
    MissingPriceError,
    OffTickError,
    UnknownOrderIdError,
)


def kinds(events: list, order_id: int) -> list[EventKind]:  # type: ignore[type-arg]
    return [e.kind for e in events if e.order_id == order_id]


def test_limit_cross_trades_at_maker_price_with_partial_fill() -> None:
    engine = MatchingEngine(price_increment=0.01)
    engine.submit(1, Side.SELL, 5, 100.01, ts=10)
    engine.submit(2, Side.BUY, 8, 100.05, ts=11)
    trades = engine.drain_trades()
    assert [(t.maker_id, t.taker_id, t.price, t.size, t.aggressor, t.ts) for t in trades] == [
        (1, 2, 100.01, 5.0, Side.BUY, 11)
    ]
    events = engine.drain_events()
    assert kinds(events, 1) == [EventKind.ACCEPTED, EventKind.FILLED]
    assert kinds(events, 2) == [EventKind.ACCEPTED, EventKind.PARTIALLY_FILLED]
    assert engine.best_bid() == (100.05, 3.0)
    assert engine.last_trade_price == 100.01


def test_ioc_fok_and_market_time_in_force() -> None:
    engine = MatchingEngine()
    engine.submit(1, "sell", 5, 10.00)
    engine.submit(2, "buy", 6, 10.00, time_in_force=TimeInForce.FOK)
    engine.submit(3, "buy", 6, 10.00, time_in_force="ioc")
    engine.submit(4, "buy", 1, order_type=OrderType.MARKET)
    events = engine.drain_events()
    assert kinds(events, 2) == [EventKind.REJECTED]
    assert next(e for e in events if e.order_id == 2).reason == "fok_cannot_fill"
    assert kinds(events, 3) == [EventKind.ACCEPTED, EventKind.PARTIALLY_FILLED, EventKind.CANCELED]
    assert kinds(events, 4) == [EventKind.REJECTED]
    assert next(e for e in events if e.order_id == 4).reason == "no_liquidity"
    assert len(engine) == 0


def test_stop_triggers_on_last_trade_and_day_orders_expire() -> None:
    engine = MatchingEngine()
    engine.submit(1, "sell", 1, 10.00)
    engine.submit(2, "sell", 5, 10.05)
    engine.submit(3, "buy", 2, order_type="stop", stop_price=10.00)
    engine.submit(4, "buy", 1, 9.00, time_in_force=TimeInForce.DAY)
    assert engine.pending_stop_count == 1
    engine.submit(5, "buy", 1, order_type="market")
    assert engine.pending_stop_count == 0
    engine.session_end(99)
    events = engine.drain_events()
    assert kinds(events, 3) == [
        EventKind.ACCEPTED,
        EventKind.TRIGGERED,
        EventKind.FILLED,
    ]
    assert kinds(events, 4) == [EventKind.ACCEPTED, EventKind.EXPIRED]
    assert engine.best_bid() is None


def test_modify_keeps_or_loses_priority() -> None:
    engine = MatchingEngine()
    engine.submit(1, "buy", 5, 10.00)
    engine.submit(2, "buy", 5, 10.00)
    engine.modify(1, 3)
    engine.submit(3, "sell", 3, 10.00)
    assert [t.maker_id for t in engine.drain_trades()] == [1]
    engine.modify(2, 9)
    engine.submit(4, "buy", 1, 10.00)
    engine.submit(5, "sell", 1, 10.00)
    assert [t.maker_id for t in engine.drain_trades()] == [2]


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"order_id": 1, "side": "buy", "size": 1, "price": 10.0}, DuplicateOrderIdError),
        ({"order_id": 9, "side": "buy", "size": 0, "price": 10.0}, InvalidQuantityError),
        ({"order_id": 9, "side": "buy", "size": math.inf, "price": 10.0}, InvalidQuantityError),
        ({"order_id": 9, "side": "buy", "size": 1, "price": math.nan}, InvalidPriceError),
        ({"order_id": 9, "side": "buy", "size": 1, "price": 10.001}, OffTickError),
        ({"order_id": 9, "side": "buy", "size": 1, "order_type": "limit"}, MissingPriceError),
        ({"order_id": 9, "side": "buy", "size": 1, "order_type": "stop"}, MissingPriceError),
        ({"order_id": 9, "side": "buy", "size": 1, "order_type": "iceberg"}, ValueError),
        ({"order_id": 9, "side": "buy", "size": 1, "time_in_force": "gtd"}, ValueError),
    ],
)
def test_bad_orders_raise_and_change_nothing(kwargs: dict, error: type[Exception]) -> None:  # type: ignore[type-arg]
    engine = MatchingEngine()
    engine.submit(1, "buy", 1, 10.0)
    engine.submit(2, "sell", 1, 11.0)
    engine.drain_events()
    before = (engine.depth("buy"), engine.depth("sell"), len(engine))
    with pytest.raises(error):
        engine.submit(**kwargs)
    assert (engine.depth("buy"), engine.depth("sell"), len(engine)) == before
    assert engine.drain_events() == []
    with pytest.raises(UnknownOrderIdError):
        engine.cancel(77)


def test_batch_api_matches_per_call_api_on_a_seeded_stream() -> None:
    ops = generate_stream(20_000, seed=3)
    batch = MatchingEngine()
    trades, events, errors = batch.apply_batch(ops)
    assert errors.shape == (0, 2)
    assert trades.shape[1] == 6
    assert len(trades) > 100
    per_call = MatchingEngine()
    codes = [per_call.apply(*row) for row in ops.tolist()]
    assert set(codes) == {0}
    assert per_call.depth_ticks("buy", 100) == batch.depth_ticks("buy", 100)
    assert per_call.depth_ticks("sell", 100) == batch.depth_ticks("sell", 100)
    assert len(per_call.drain_trades()) == len(trades)
    assert len(per_call.drain_events()) == len(events)
    batch.check_integrity()


def test_batch_reports_bad_rows_and_applies_the_rest() -> None:
    engine = MatchingEngine()
    ops = np.array(
        [
            [0, 1, 0, 0, 0, 1000, 0, 5, 1],  # buy 5 @ 1000 ticks
            [0, 1, 0, 0, 0, 1000, 0, 5, 2],  # duplicate id
            [1, 42, 0, 0, 0, 0, 0, 0, 3],  # unknown id
            [9, 1, 0, 0, 0, 0, 0, 0, 4],  # malformed op
            [0, 2, 1, 0, 0, 1000, 0, 2, 5],  # sell 2 @ 1000 ticks: trades
        ],
        dtype=np.int64,
    )
    trades, _events, errors = engine.apply_batch(ops)
    assert errors.tolist() == [[1, 2], [2, 3], [3, 1]]
    assert trades.tolist() == [[1, 2, 1000, 2, 1, 5]]
    assert engine.depth_ticks("buy") == [(1000, 3, 1)]
    with pytest.raises(ValueError, match="shape"):
        engine.apply_batch(np.zeros((2, 4), dtype=np.int64))
