"""BarVenue: the VenuePort over the Rust bar matching engine, driven by MatchBar commands."""

from __future__ import annotations

import pytest

from actors.clock import SimulatedClock
from actors.execution.bar_venue import (
    BarExecutionComponent,
    BarVenueConfig,
    Liquidate,
    MatchBar,
)
from actors.execution.orders import OrderStatus
from actors.ids import ClientOrderId
from actors.messages import (
    Bar,
    CancelOrder,
    ModifyOrder,
    OrderAccepted,
    OrderCanceled,
    OrderExpired,
    OrderFilled,
    OrderModified,
    OrderPartiallyFilled,
    OrderRejected,
    OrderType,
    RejectReason,
    Side,
    SubmitOrder,
    TimeInForce,
)


def _exe(**cfg: object) -> BarExecutionComponent:
    return BarExecutionComponent("execution", SimulatedClock(0), config=BarVenueConfig(**cfg))  # type: ignore[arg-type]


def _bar(ts: int, o: float, h: float, lo: float, c: float, v: float = 1_000.0) -> Bar:
    return Bar(ts_event=ts, ts_init=ts, symbol="A", open=o, high=h, low=lo, close=c, volume=v)


def _order(n: int, side: Side, qty: float, **kw: object) -> SubmitOrder:
    return SubmitOrder(
        ts_event=1,
        client_order_id=ClientOrderId(f"s-{n}"),
        strategy_id="s",  # type: ignore[arg-type]
        symbol="A",
        side=side,
        quantity=qty,
        **kw,  # type: ignore[arg-type]
    )


def test_market_order_fills_at_the_open_of_the_next_matched_bar() -> None:
    exe = _exe()
    (acc,) = exe.handle(_order(1, Side.BUY, 10))
    assert isinstance(acc, OrderAccepted)
    (fill,) = exe.handle(MatchBar(ts_event=2, bar=_bar(2, 100.0, 105.0, 99.0, 104.0)))
    assert isinstance(fill, OrderFilled)
    assert (fill.price, fill.quantity, fill.ts_event) == (100.0, 10.0, 2)
    assert exe.bar_venue.statuses[ClientOrderId("s-1")] is OrderStatus.FILLED
    assert not exe.bar_venue.has_working()


def test_close_mode_fills_at_the_close_of_the_matched_bar_with_slippage_and_fees() -> None:
    exe = _exe(fill_at="close", slippage_bps=10.0, fee_bps=5.0, fee_per_order=1.0)
    exe.handle(_order(1, Side.SELL, 10))
    (fill,) = exe.handle(MatchBar(ts_event=2, bar=_bar(2, 100.0, 105.0, 99.0, 104.0)))
    assert isinstance(fill, OrderFilled)
    assert fill.price == pytest.approx(104.0 * (1 - 0.001))
    assert fill.fee == pytest.approx(fill.price * 10 * 5e-4 + 1.0)


def test_limit_order_waits_for_the_range_and_volume_cap_partially_fills() -> None:
    exe = _exe(max_volume_pct=0.01)
    exe.handle(_order(1, Side.BUY, 15, order_type=OrderType.LIMIT, price=95.0))
    assert not exe.handle(MatchBar(ts_event=2, bar=_bar(2, 100.0, 101.0, 99.0, 100.0)))
    (part,) = exe.handle(MatchBar(ts_event=3, bar=_bar(3, 96.0, 97.0, 94.0, 95.0)))
    assert isinstance(part, OrderPartiallyFilled)
    assert (part.price, part.quantity, part.remaining) == (95.0, 10.0, 5.0)
    (rest,) = exe.handle(MatchBar(ts_event=4, bar=_bar(4, 94.0, 96.0, 93.0, 95.0)))
    assert isinstance(rest, OrderFilled)
    assert (rest.price, rest.quantity) == (94.0, 5.0)


def test_ioc_cancels_the_rest_and_cancel_is_answered() -> None:
    exe = _exe()
    exe.handle(
        _order(
            1, Side.BUY, 5, order_type=OrderType.LIMIT, price=50.0, time_in_force=TimeInForce.IOC
        )
    )
    (canceled,) = exe.handle(MatchBar(ts_event=2, bar=_bar(2, 100.0, 101.0, 99.0, 100.0)))
    assert isinstance(canceled, OrderCanceled)
    exe.handle(_order(2, Side.BUY, 5, order_type=OrderType.LIMIT, price=50.0))
    cmd = {"client_order_id": ClientOrderId("s-2"), "strategy_id": "s", "symbol": "A"}
    (cxl,) = exe.handle(CancelOrder(**cmd))  # type: ignore[arg-type]
    assert isinstance(cxl, OrderCanceled)
    (unknown,) = exe.handle(CancelOrder(**cmd))  # type: ignore[arg-type]
    assert isinstance(unknown, OrderRejected)
    (dup,) = exe.handle(_order(2, Side.BUY, 5))
    assert isinstance(dup, OrderRejected)


def test_liquidate_cancels_working_orders_and_closes_positions_at_the_given_price() -> None:
    exe = _exe(slippage_bps=50.0)
    exe.handle(_order(1, Side.BUY, 5, order_type=OrderType.LIMIT, price=50.0))
    out = exe.handle(Liquidate(ts_event=9, positions=(("s", "A", -7.0),), prices=(("A", 101.5),)))
    kinds = [type(m) for m in out]
    assert kinds == [OrderCanceled, OrderAccepted, OrderFilled]
    fill = out[-1]
    assert isinstance(fill, OrderFilled)
    assert (fill.side, fill.price, fill.quantity, fill.ts_event) == (Side.BUY, 101.5, 7.0, 9)


# -- modify ----------------------------------------------------------------------------------


def _modify(**kw: object) -> ModifyOrder:
    base: dict[str, object] = {"client_order_id": ClientOrderId("s-1"), "strategy_id": "s"}
    return ModifyOrder(**{"symbol": "A", **base, **kw})  # type: ignore[arg-type]


def test_modify_keeps_the_filled_part_and_works_the_new_terms() -> None:
    exe = _exe(max_volume_pct=0.01, fee_per_order=1.0)
    exe.handle(_order(1, Side.BUY, 15, order_type=OrderType.LIMIT, price=95.0))
    (part,) = exe.handle(MatchBar(ts_event=2, bar=_bar(2, 96.0, 97.0, 94.0, 95.0)))
    assert isinstance(part, OrderPartiallyFilled)
    assert (part.quantity, part.remaining, part.fee) == (10.0, 5.0, 1.0)
    (mod,) = exe.handle(_modify(quantity=30.0, price=93.0))
    assert isinstance(mod, OrderModified)
    assert (mod.quantity, mod.price, mod.trigger_price) == (30.0, 93.0, None)
    assert exe.bar_venue.statuses[ClientOrderId("s-1")] is OrderStatus.PARTIALLY_FILLED
    (working,) = exe.bar_venue.working_orders()
    assert (working.client_order_id, working.quantity, working.price) == ("s-1", 30.0, 93.0)
    # the old limit (95) would fill on this bar; the new one (93) is not reached
    assert not exe.handle(MatchBar(ts_event=3, bar=_bar(3, 95.0, 96.0, 94.0, 95.0)))
    out = exe.handle(MatchBar(ts_event=4, bar=_bar(4, 94.0, 95.0, 92.0, 93.0, v=5_000.0)))
    (rest,) = out
    assert isinstance(rest, OrderFilled)
    # 20 left of the new total of 30; one order, so no second per-order fee
    assert (rest.client_order_id, rest.price, rest.quantity, rest.fee) == ("s-1", 93.0, 20.0, 0.0)
    assert not exe.bar_venue.has_working()


def test_a_triggered_stop_limit_stays_triggered_when_its_limit_is_modified() -> None:
    exe = _exe()
    exe.handle(
        _order(1, Side.BUY, 5, order_type=OrderType.STOP_LIMIT, trigger_price=105.0, price=100.0)
    )
    # the stop triggers (high >= 105) but the limit (100) is not reached (low 101)
    assert not exe.handle(MatchBar(ts_event=2, bar=_bar(2, 101.0, 106.0, 101.0, 104.0)))
    (mod,) = exe.handle(_modify(price=102.0))
    assert isinstance(mod, OrderModified)
    assert (mod.price, mod.trigger_price) == (102.0, 105.0)
    (late,) = exe.handle(_modify(trigger_price=110.0))
    assert isinstance(late, OrderRejected)
    assert late.reason == "the stop has triggered: its trigger price can no longer change"
    # as a plain limit it fills below the stop (high 104 would not trigger it again)
    (fill,) = exe.handle(MatchBar(ts_event=3, bar=_bar(3, 103.0, 104.0, 101.5, 103.0)))
    assert isinstance(fill, OrderFilled)
    assert (fill.price, fill.quantity) == (102.0, 5.0)


def test_a_stop_not_yet_triggered_takes_a_new_trigger_price() -> None:
    exe = _exe()
    exe.handle(_order(1, Side.SELL, 5, order_type=OrderType.STOP, trigger_price=90.0))
    (mod,) = exe.handle(_modify(trigger_price=98.0))
    assert isinstance(mod, OrderModified)
    (fill,) = exe.handle(MatchBar(ts_event=2, bar=_bar(2, 100.0, 101.0, 97.0, 99.0)))
    assert isinstance(fill, OrderFilled)
    assert fill.price == 98.0  # min(open 100, stop 98): never better than the stop


@pytest.mark.parametrize(
    ("setup", "kw", "code", "reason"),
    [
        ("none", {"quantity": 5.0}, RejectReason.UNKNOWN_ORDER, "no working order with this id"),
        (
            "filled",
            {"quantity": 20.0},
            RejectReason.UNKNOWN_ORDER,
            "order s-1 is FILLED: only a working order can be modified",
        ),
        (
            "partial",
            {"quantity": 10.0},
            RejectReason.INVALID_QUANTITY,
            "new quantity 10.0 must exceed the 10.0 already filled",
        ),
        (
            "partial",
            {"price": 1.0, "symbol": "B"},
            RejectReason.VENUE_REJECTED,
            "symbol 'B' is not the order's ('A')",
        ),
        (
            "partial",
            {"price": 1.0, "strategy_id": "t"},
            RejectReason.VENUE_REJECTED,
            "strategy 't' is not the order's ('s')",
        ),
        (
            "partial",
            {},
            RejectReason.VENUE_REJECTED,
            "nothing to modify: give a quantity, price or trigger_price",
        ),
        (
            "partial",
            {"trigger_price": 90.0},
            RejectReason.VENUE_REJECTED,
            "a LIMIT order has no trigger price to modify",
        ),
        (
            "market",
            {"price": 90.0},
            RejectReason.VENUE_REJECTED,
            "a MARKET order has no limit price to modify",
        ),
        (
            "partial",
            {"quantity": 12.5},
            RejectReason.VENUE_REJECTED,
            "size 2.5 is not a positive multiple of the size increment 1",
        ),
    ],
)
def test_a_refused_modify_names_the_problem_and_changes_nothing(
    setup: str, kw: dict[str, object], code: RejectReason, reason: str
) -> None:
    exe = _exe(max_volume_pct=0.01)
    if setup == "market":
        exe.handle(_order(1, Side.BUY, 15))
    elif setup != "none":
        exe.handle(
            _order(
                1, Side.BUY, 15 if setup == "partial" else 5, order_type=OrderType.LIMIT, price=95.0
            )
        )
        exe.handle(MatchBar(ts_event=2, bar=_bar(2, 96.0, 97.0, 94.0, 95.0)))
    before = (exe.bar_venue.working_orders(), dict(exe.bar_venue.statuses))
    (rej,) = exe.handle(_modify(**kw))
    assert isinstance(rej, OrderRejected)
    assert (rej.reason_code, rej.reason) == (code, reason)
    assert (exe.bar_venue.working_orders(), dict(exe.bar_venue.statuses)) == before
    if setup == "partial":  # the old terms still work: the remaining 5 fill at the limit
        (fill,) = exe.handle(MatchBar(ts_event=3, bar=_bar(3, 94.0, 96.0, 93.0, 95.0)))
        assert isinstance(fill, OrderFilled)
        assert (fill.quantity, fill.price) == (5.0, 94.0)


def test_a_modified_day_order_keeps_its_session() -> None:
    exe = _exe()
    day = 86_400 * 10**9
    t1 = 1_577_977_200 * 10**9  # 2020-01-02T15:00Z, 10:00 in New York
    exe.handle(_order(1, Side.BUY, 5, order_type=OrderType.LIMIT, price=90.0,
                      time_in_force=TimeInForce.DAY))  # fmt: skip
    assert not exe.handle(MatchBar(ts_event=t1, bar=_bar(t1, 96.0, 97.0, 94.0, 95.0)))
    (mod,) = exe.handle(_modify(price=91.0))
    assert isinstance(mod, OrderModified)
    (expired,) = exe.handle(MatchBar(ts_event=t1 + day, bar=_bar(t1 + day, 96.0, 97.0, 90.0, 95.0)))
    assert isinstance(expired, OrderExpired)
    assert exe.bar_venue.statuses[ClientOrderId("s-1")] is OrderStatus.EXPIRED
