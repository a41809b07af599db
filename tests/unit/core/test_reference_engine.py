"""Scenario tests of the pure-Python reference engine, with hand-written expectations.

Rows are ``[op, id, side, order_type, tif, price, stop, lots, ts]``; trades are
``(maker, taker, price, qty, aggressor, ts)``; events ``(kind, id, ts, price, qty, leaves,
reason)``. The differential tests prove the Rust engine agrees; these pin the rules themselves.
"""

from __future__ import annotations

import pytest

from ferrotrade.reference import ReferenceMatchingEngine

BUY, SELL = 0, 1
LIMIT, MARKET, STOP, STOP_LIMIT = 0, 1, 2, 3
GTC, IOC, FOK, DAY = 0, 1, 2, 3
ACCEPTED, REJECTED, PARTIAL, FILLED, CANCELED, EXPIRED, TRIGGERED, MODIFIED = range(8)
FOK_CANNOT_FILL, NO_LIQUIDITY = 1, 2
MAX_I64 = (1 << 63) - 1


def limit(oid: int, side: int, price: int, qty: int, tif: int = GTC, ts: int = 0) -> list[int]:
    return [0, oid, side, LIMIT, tif, price, 0, qty, ts]


def market(oid: int, side: int, qty: int, tif: int = IOC, ts: int = 0) -> list[int]:
    return [0, oid, side, MARKET, tif, 0, 0, qty, ts]


def stop(
    oid: int, side: int, trigger: int, qty: int, lim: int = 0, tif: int = GTC, ts: int = 0
) -> list[int]:
    return [0, oid, side, STOP_LIMIT if lim else STOP, tif, lim, trigger, qty, ts]


def cancel(oid: int, ts: int = 0) -> list[int]:
    return [1, oid, 0, 0, 0, 0, 0, 0, ts]


def modify(oid: int, qty: int, price: int = 0, ts: int = 0) -> list[int]:
    return [2, oid, 0, 0, 0, price, 0, qty, ts]


def session_end(ts: int = 0) -> list[int]:
    return [3, 0, 0, 0, 0, 0, 0, 0, ts]


def engine_with(*rows: list[int]) -> ReferenceMatchingEngine:
    """An engine after ``rows`` (all must succeed), with its output drained."""
    engine = ReferenceMatchingEngine()
    assert engine.apply_rows(rows) == []
    engine.drain()
    return engine


def kinds(engine: ReferenceMatchingEngine, oid: int) -> list[int]:
    return [e[0] for e in engine.events if e[1] == oid]


def snapshot(engine: ReferenceMatchingEngine) -> tuple[object, ...]:
    return (
        engine.depth(BUY, 100),
        engine.depth(SELL, 100),
        len(engine),
        engine.pending_stop_count,
        engine.last_trade_price,
        list(engine.trades),
        list(engine.events),
    )


def test_crossing_limit_trades_at_maker_price_and_rests_the_rest() -> None:
    engine = ReferenceMatchingEngine()
    assert engine.apply_row(limit(1, SELL, 101, 5, ts=1)) == 0
    assert engine.apply_row(limit(2, BUY, 102, 8, ts=2)) == 0
    assert engine.trades == [(1, 2, 101, 5, BUY, 2)]
    assert engine.events == [
        (ACCEPTED, 1, 1, 0, 0, 5, 0),
        (ACCEPTED, 2, 2, 0, 0, 8, 0),
        (FILLED, 1, 2, 101, 5, 0, 0),
        (PARTIAL, 2, 2, 101, 5, 3, 0),
    ]
    assert engine.best_bid() == (102, 3)
    assert engine.best_ask() is None
    assert engine.last_trade_price == 101
    assert len(engine) == 1


def test_sweep_is_best_price_first_and_fifo_within_a_level() -> None:
    engine = engine_with(limit(1, SELL, 101, 3), limit(2, SELL, 100, 2), limit(3, SELL, 100, 2))
    engine.apply_row(limit(4, BUY, 101, 6, ts=9))
    assert engine.trades == [
        (2, 4, 100, 2, BUY, 9),
        (3, 4, 100, 2, BUY, 9),
        (1, 4, 101, 2, BUY, 9),
    ]
    assert engine.events[-2:] == [(PARTIAL, 1, 9, 101, 2, 1, 0), (FILLED, 4, 9, 101, 2, 0, 0)]
    assert engine.depth(SELL, 10) == [(101, 1, 1)]


def test_ioc_cancels_the_rest_and_fok_rejects_when_short() -> None:
    engine = engine_with(limit(1, SELL, 100, 5))
    engine.apply_row(limit(2, BUY, 100, 8, tif=FOK))
    assert engine.events == [(REJECTED, 2, 0, 0, 8, 0, FOK_CANNOT_FILL)]
    assert engine.trades == []
    engine.apply_row(limit(3, BUY, 100, 8, tif=IOC))
    assert kinds(engine, 3) == [ACCEPTED, PARTIAL, CANCELED]
    assert engine.events[-1] == (CANCELED, 3, 0, 0, 3, 0, 0)
    assert len(engine) == 0


def test_fok_fills_completely_across_levels_and_ignores_worse_prices() -> None:
    engine = engine_with(limit(1, SELL, 100, 5), limit(2, SELL, 101, 5), limit(3, SELL, 102, 9))
    engine.apply_row(limit(4, BUY, 101, 11, tif=FOK))
    assert kinds(engine, 4) == [REJECTED]  # 10 lots at or below 101
    engine.apply_row(limit(5, BUY, 101, 8, tif=FOK))
    assert kinds(engine, 5) == [ACCEPTED, PARTIAL, FILLED]
    assert engine.best_ask() == (101, 2)


def test_passive_ioc_is_accepted_then_cancelled() -> None:
    engine = engine_with(limit(1, SELL, 105, 5))
    engine.apply_row(limit(2, BUY, 100, 3, tif=IOC))
    assert engine.events == [(ACCEPTED, 2, 0, 0, 0, 3, 0), (CANCELED, 2, 0, 0, 3, 0, 0)]
    assert engine.best_bid() is None


def test_market_order_rejects_on_empty_book_and_never_rests() -> None:
    engine = ReferenceMatchingEngine()
    engine.apply_row(market(1, BUY, 5))
    assert engine.events == [(REJECTED, 1, 0, 0, 5, 0, NO_LIQUIDITY)]
    # The FOK check comes first in the Rust engine, so a FOK market order reports that reason.
    engine.apply_row(market(2, SELL, 5, tif=FOK))
    assert engine.events[-1] == (REJECTED, 2, 0, 0, 5, 0, FOK_CANNOT_FILL)
    engine.apply_row(limit(3, SELL, 100, 2))
    engine.apply_row(market(4, BUY, 5, tif=GTC))
    assert kinds(engine, 4) == [ACCEPTED, PARTIAL, CANCELED]
    assert len(engine) == 0
    assert not engine.is_live(4)


def test_buy_stop_triggers_on_last_trade_and_cascades() -> None:
    engine = engine_with(
        limit(1, SELL, 100, 1),
        limit(2, SELL, 101, 1),
        limit(3, SELL, 102, 1),
        stop(10, BUY, 101, 1),
        stop(11, BUY, 102, 1),
    )
    assert engine.pending_stop_count == 2
    engine.apply_row(market(4, BUY, 1, ts=1))  # prints 100: nothing triggers
    assert engine.pending_stop_count == 2
    engine.apply_row(market(5, BUY, 1, ts=2))  # prints 101: 10 triggers, prints 102: 11 triggers
    assert engine.pending_stop_count == 0
    assert [(t[1], t[2]) for t in engine.trades] == [(4, 100), (5, 101), (10, 102)]
    assert [e for e in engine.events if e[1] == 11] == [
        (TRIGGERED, 11, 2, 0, 0, 1, 0),
        (CANCELED, 11, 2, 0, 1, 0, 0),  # a triggered market order on an empty side
    ]
    assert kinds(engine, 10) == [TRIGGERED, FILLED]


def test_stop_limit_rests_as_a_limit_order_after_trigger() -> None:
    engine = engine_with(limit(1, BUY, 99, 1), stop(2, SELL, 99, 4, lim=98, tif=DAY))
    engine.apply_row(market(3, SELL, 1))
    assert kinds(engine, 2) == [TRIGGERED]
    assert engine.best_ask() == (98, 4)
    engine.apply_row(session_end(5))
    assert engine.events[-1] == (EXPIRED, 2, 5, 0, 4, 0, 0)


def test_stop_already_reached_triggers_on_arrival() -> None:
    engine = engine_with(limit(1, SELL, 100, 1), limit(2, SELL, 105, 3), market(3, BUY, 1))
    engine.apply_row(stop(4, BUY, 90, 2, ts=3))
    assert engine.events == [
        (ACCEPTED, 4, 3, 0, 0, 2, 0),
        (TRIGGERED, 4, 3, 0, 0, 2, 0),
        (PARTIAL, 2, 3, 105, 2, 1, 0),
        (FILLED, 4, 3, 105, 2, 0, 0),
    ]


def test_stop_without_last_trade_waits_and_can_be_cancelled() -> None:
    engine = engine_with(limit(1, SELL, 100, 1))
    engine.apply_row(stop(2, BUY, 1, 3))
    assert engine.pending_stop_count == 1
    assert engine.is_live(2)
    assert engine.apply_row(stop(2, SELL, 5, 1)) == 2  # duplicate of a pending stop
    assert engine.apply_row(cancel(2, ts=4)) == 0
    assert engine.events[-1] == (CANCELED, 2, 4, 0, 3, 0, 0)
    assert engine.pending_stop_count == 0


def test_triggered_fok_stop_that_cannot_fill_is_cancelled_not_rejected() -> None:
    engine = engine_with(limit(1, SELL, 100, 1), limit(2, BUY, 100, 1))
    engine.apply_row(stop(3, BUY, 100, 5, tif=FOK, ts=1))
    assert engine.events == [
        (ACCEPTED, 3, 1, 0, 0, 5, 0),
        (TRIGGERED, 3, 1, 0, 0, 5, 0),
        (CANCELED, 3, 1, 0, 5, 0, 0),
    ]


def test_session_end_expires_day_orders_in_book_then_stop_order() -> None:
    engine = engine_with(
        limit(1, BUY, 98, 1, tif=DAY),
        limit(2, BUY, 99, 2, tif=DAY),
        limit(3, BUY, 99, 1),
        limit(4, SELL, 101, 3, tif=DAY),
        stop(5, SELL, 50, 1, tif=DAY),
        stop(6, BUY, 150, 1, tif=DAY),
        stop(7, BUY, 140, 1),
    )
    engine.apply_row(session_end(7))
    assert engine.events == [
        (EXPIRED, 2, 7, 0, 2, 0, 0),
        (EXPIRED, 1, 7, 0, 1, 0, 0),
        (EXPIRED, 4, 7, 0, 3, 0, 0),
        (EXPIRED, 5, 7, 0, 1, 0, 0),
        (EXPIRED, 6, 7, 0, 1, 0, 0),
    ]
    assert len(engine) == 1
    assert engine.pending_stop_count == 1


def test_modify_size_down_or_same_keeps_priority_size_up_loses_it() -> None:
    engine = engine_with(limit(1, BUY, 99, 5), limit(2, BUY, 99, 5))
    engine.apply_row(modify(1, 3, ts=1))
    assert engine.events == [(MODIFIED, 1, 1, 0, 0, 3, 0)]
    assert engine.level_orders(BUY, 99) == [(1, 3), (2, 5)]
    engine.apply_row(modify(1, 3, price=99))
    assert engine.level_orders(BUY, 99) == [(1, 3), (2, 5)]
    engine.apply_row(modify(1, 4))
    assert engine.level_orders(BUY, 99) == [(2, 5), (1, 4)]
    assert engine.depth(BUY, 5) == [(99, 9, 2)]


def test_modify_to_a_new_passive_price_moves_to_the_back_there() -> None:
    engine = engine_with(limit(1, SELL, 102, 5), limit(2, SELL, 101, 1), limit(3, SELL, 101, 1))
    engine.apply_row(modify(1, 5, price=101))
    assert engine.trades == []
    assert engine.level_orders(SELL, 101) == [(2, 1), (3, 1), (1, 5)]
    assert engine.depth(SELL, 5) == [(101, 7, 3)]


def test_crossing_modify_trades_as_an_accepted_limit_order() -> None:
    engine = engine_with(limit(1, BUY, 99, 5), limit(2, BUY, 99, 5), limit(3, SELL, 101, 4))
    engine.apply_row(modify(2, 5, price=101, ts=3))
    assert engine.trades == [(3, 2, 101, 4, BUY, 3)]
    assert engine.events == [
        (MODIFIED, 2, 3, 0, 0, 5, 0),
        (FILLED, 3, 3, 101, 4, 0, 0),
        (PARTIAL, 2, 3, 101, 4, 1, 0),
    ]
    assert engine.best_bid() == (101, 1)
    assert engine.depth(BUY, 5) == [(101, 1, 1), (99, 5, 1)]


def test_modify_of_a_pending_stop_changes_trigger_and_can_fire_it() -> None:
    engine = engine_with(
        limit(1, SELL, 100, 1), limit(2, BUY, 100, 1), limit(3, SELL, 103, 9), stop(4, BUY, 110, 2)
    )
    engine.apply_row(modify(4, 3, price=105, ts=1))
    assert engine.events == [(MODIFIED, 4, 1, 0, 0, 3, 0)]
    assert engine.pending_stop_count == 1
    engine.apply_row(modify(4, 2, price=100, ts=2))
    assert [e[0] for e in engine.events[1:]] == [MODIFIED, TRIGGERED, PARTIAL, FILLED]
    assert engine.trades == [(3, 4, 103, 2, BUY, 2)]
    assert engine.pending_stop_count == 0


@pytest.mark.parametrize(
    ("row", "code"),
    [
        pytest.param([0, -1, 0, 0, 0, 100, 0, 1, 0], 1, id="negative-id"),
        pytest.param([0, 9, 0, 0, 0, 100, 0, -1, 0], 1, id="negative-qty"),
        pytest.param([3, -1, 0, 0, 0, 0, 0, 0, 0], 1, id="session-end-negative-id"),
        pytest.param([7, 9, 0, 0, 0, 100, 0, 1, 0], 1, id="unknown-op"),
        pytest.param([0, 9, 2, 0, 0, 100, 0, 1, 0], 1, id="bad-side"),
        pytest.param([0, 9, 0, 4, 0, 100, 0, 1, 0], 1, id="bad-order-type"),
        pytest.param([0, 9, 0, 0, -1, 100, 0, 1, 0], 1, id="bad-tif"),
        pytest.param([0, 9, 0, 0], 1, id="short-row"),
        pytest.param(limit(1, SELL, 120, 1), 2, id="duplicate-resting"),
        pytest.param(stop(5, SELL, 1, 1), 2, id="duplicate-pending-stop"),
        pytest.param(cancel(9), 3, id="cancel-unknown"),
        pytest.param([1, 9, 5, 9, 9, 0, 0, 0, 0], 3, id="cancel-ignores-codes"),
        pytest.param(modify(9, 1), 3, id="modify-unknown"),
        pytest.param(limit(9, BUY, 100, 0), 4, id="zero-qty"),
        pytest.param(modify(9, 0), 4, id="modify-zero-qty-before-lookup"),
        pytest.param(modify(1, 1, price=-3), 5, id="modify-negative-price"),
        pytest.param(limit(9, BUY, -5, 1), 5, id="negative-limit"),
        pytest.param(stop(9, BUY, -5, 1), 5, id="negative-stop"),
        pytest.param(limit(9, BUY, 0, 1), 6, id="limit-without-price"),
        pytest.param([0, 9, 0, STOP, 0, 100, 0, 1, 0], 6, id="stop-without-trigger"),
        pytest.param([0, 9, 0, STOP_LIMIT, 0, 0, 100, 1, 0], 6, id="stop-limit-without-limit"),
        pytest.param(modify(2, MAX_I64, price=99), 7, id="modify-overflows-level"),
    ],
)
def test_error_rows_change_nothing(row: list[int], code: int) -> None:
    engine = engine_with(
        limit(1, BUY, 99, 5),
        limit(2, BUY, 98, 1),
        limit(3, BUY, 99, MAX_I64),
        limit(4, BUY, 99, MAX_I64 - 5),
        limit(6, SELL, 101, 2),
        stop(5, BUY, 200, 1),
    )
    before = snapshot(engine)
    assert engine.apply_row(row) == code
    assert snapshot(engine) == before


def test_overflowing_submit_is_accepted_then_cancelled() -> None:
    engine = engine_with(limit(1, BUY, 99, MAX_I64), limit(2, BUY, 99, MAX_I64))
    assert engine.apply_row(limit(3, BUY, 99, 2, ts=4)) == 0
    assert engine.events == [(ACCEPTED, 3, 4, 0, 0, 2, 0), (CANCELED, 3, 4, 0, 2, 0, 0)]
    assert engine.depth(BUY, 1) == [(99, 2 * MAX_I64, 2)]


def test_apply_rows_reports_indices_and_applies_the_rest() -> None:
    engine = ReferenceMatchingEngine()
    rows = [
        limit(7, SELL, 101, 3, ts=5),
        [9, 1, 0, 0, 0, 0, 0, 0, 0],
        cancel(8),
        limit(7, SELL, 101, 3),
    ]
    assert engine.apply_rows(rows) == [(1, 1), (2, 3), (3, 2)]
    assert len(engine) == 1
    trades, events = engine.drain()
    assert (trades, events) == ([], [(ACCEPTED, 7, 5, 0, 0, 3, 0)])
    assert engine.events == []


def test_cancelled_orders_leave_queue_and_ids_can_be_reused() -> None:
    engine = engine_with(*(limit(i, SELL, 100, 1) for i in range(1, 60)))
    for i in range(1, 59):
        assert engine.apply_row(cancel(i)) == 0
    assert engine.depth(SELL, 5) == [(100, 1, 1)]
    assert engine.level_orders(SELL, 100) == [(59, 1)]
    assert engine.apply_row(limit(1, SELL, 100, 2)) == 0
    engine.drain()
    engine.apply_row(market(70, BUY, 3))
    assert [(t[0], t[3]) for t in engine.trades] == [(59, 1), (1, 2)]
