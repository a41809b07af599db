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
    OrderFilled,
    OrderPartiallyFilled,
    OrderRejected,
    OrderType,
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


def test_ioc_cancels_the_rest_and_cancel_and_modify_are_answered() -> None:
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
    (mod,) = exe.handle(ModifyOrder(**cmd, price=51.0))  # type: ignore[arg-type]
    assert isinstance(mod, OrderRejected)
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
