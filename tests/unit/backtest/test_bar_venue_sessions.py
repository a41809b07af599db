"""BarVenue sessions: DAY orders expire at the end of the trading day (America/New_York) in
which they met their first bar; GTC orders carry over."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from actors.clock import SimulatedClock
from actors.execution.bar_venue import BarExecutionComponent, BarVenueConfig, MatchBar, SessionClock
from actors.execution.orders import OrderStatus
from actors.ids import ClientOrderId
from actors.messages import (
    Bar,
    Message,
    OrderExpired,
    OrderFilled,
    OrderPartiallyFilled,
    OrderType,
    Side,
    SubmitOrder,
    TimeInForce,
)

NY = ZoneInfo("America/New_York")
DAY_NS = 86_400 * 10**9


def _ny(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> int:
    return int(datetime(y, mo, d, h, mi, tzinfo=NY).timestamp()) * 10**9


def _utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> int:
    return int(datetime(y, mo, d, h, mi, tzinfo=ZoneInfo("UTC")).timestamp()) * 10**9


def _exe(times: list[int] | None = None, **cfg: object) -> BarExecutionComponent:
    bar_times = None if times is None else {"A": np.asarray(times, dtype=np.int64)}
    config = BarVenueConfig(**cfg)  # type: ignore[arg-type]
    return BarExecutionComponent("execution", SimulatedClock(0), config=config, bar_times=bar_times)


def _match(exe: BarExecutionComponent, ts: int, low: float = 99.0, v: float = 1e6) -> list[Message]:
    bar = Bar(ts_event=ts, symbol="A", open=100.0, high=101.0, low=low, close=100.0, volume=v)
    return list(exe.handle(MatchBar(ts_event=ts, bar=bar)))


def _limit(
    n: int, price: float, tif: TimeInForce = TimeInForce.DAY, qty: float = 10
) -> SubmitOrder:
    return SubmitOrder(
        client_order_id=ClientOrderId(f"s-{n}"),
        strategy_id="s",  # type: ignore[arg-type]
        symbol="A",
        side=Side.BUY,
        quantity=qty,
        order_type=OrderType.LIMIT,
        price=price,
        time_in_force=tif,
    )


def _status(exe: BarExecutionComponent, n: int) -> OrderStatus:
    return exe.bar_venue.statuses[ClientOrderId(f"s-{n}")]


def _kinds(out: list[Message]) -> list[tuple[str, str]]:
    return [(type(m).__name__, str(m.client_order_id)) for m in out]  # type: ignore[attr-defined]


def test_daily_bars_a_day_limit_not_reached_on_the_next_bar_expires_and_gtc_stays() -> None:
    exe = _exe(daily=True)
    d1, d2 = _utc(2020, 1, 6), _utc(2020, 1, 7)
    # decided on the bar before d1 (fill_at=open): both work on d1
    exe.handle(_limit(1, 95.0))
    exe.handle(_limit(2, 95.0, TimeInForce.GTC))
    out = _match(exe, d1, low=96.0)  # the limit is not reached
    assert _kinds(out) == [("OrderExpired", "s-1")]
    assert out[0].ts_event == d1
    assert _status(exe, 1) is OrderStatus.EXPIRED
    assert [o.client_order_id for o in exe.bar_venue.working_orders()] == ["s-2"]
    (fill,) = _match(exe, d2, low=94.0)
    assert isinstance(fill, OrderFilled)
    assert fill.client_order_id == "s-2"
    assert not exe.bar_venue.has_working()


def test_daily_bars_a_day_order_filled_on_its_bar_does_not_expire_a_partial_rest_does() -> None:
    exe = _exe(daily=True, max_volume_pct=0.5)
    exe.handle(_limit(1, 100.0, qty=10))
    exe.handle(_limit(2, 100.0, qty=10))
    out = _match(exe, _utc(2020, 1, 6), v=20.0)  # 10 lots of volume: s-1 fills, s-2 gets 0
    assert _kinds(out) == [("OrderFilled", "s-1"), ("OrderExpired", "s-2")]
    exe.handle(_limit(3, 100.0, qty=10))
    out = _match(exe, _utc(2020, 1, 7), v=8.0)  # 4 lots: a partial fill, the rest expires
    assert _kinds(out) == [("OrderPartiallyFilled", "s-3"), ("OrderExpired", "s-3")]
    assert isinstance(out[0], OrderPartiallyFilled)
    assert out[0].quantity == 4.0
    assert _status(exe, 3) is OrderStatus.EXPIRED


def test_the_last_bar_of_the_data_does_not_end_an_intraday_session() -> None:
    # nothing says the session is over (the data may stop mid-day): the backtest's end cancels
    exe = _exe([_ny(2020, 1, 2, 10)])
    exe.handle(_limit(1, 95.0))
    assert _match(exe, _ny(2020, 1, 2, 10), low=96.0) == []
    assert exe.bar_venue.has_working("A")


def test_intraday_a_day_order_expires_after_the_last_bar_of_its_new_york_date() -> None:
    # 18:00 and 20:00 New York on Jan 2 are on different UTC dates but in one session
    t1, t2, t3 = _ny(2020, 1, 2, 18), _ny(2020, 1, 2, 20), _ny(2020, 1, 3, 9, 30)
    assert t1 // DAY_NS != t2 // DAY_NS
    exe = _exe([t1, t2, t3])
    exe.handle(_limit(1, 95.0))
    exe.handle(_limit(2, 95.0, TimeInForce.GTC))
    assert _match(exe, t1, low=96.0) == []  # t2 is still Jan 2 in New York
    assert _kinds(_match(exe, t2, low=96.0)) == [("OrderExpired", "s-1")]
    (fill,) = _match(exe, t3, low=94.0)
    assert fill.client_order_id == "s-2"  # type: ignore[attr-defined]


def test_intraday_sessions_follow_daylight_saving_time() -> None:
    # 2020-03-08 is the spring-forward day: New York midnight moves from 05:00 to 04:00 UTC.
    # 03:30 and 04:30 UTC on Mar 9 are 23:30 Mar 8 and 00:30 Mar 9 (EDT): two sessions, which a
    # fixed UTC-5 offset would merge.
    t1, t2 = _utc(2020, 3, 9, 3, 30), _utc(2020, 3, 9, 4, 30)
    exe = _exe([t1, t2])
    exe.handle(_limit(1, 95.0))
    assert _kinds(_match(exe, t1, low=96.0)) == [("OrderExpired", "s-1")]
    clock = SessionClock("America/New_York")
    assert clock.day(t2) - clock.day(t1) == 1
    assert clock.end(t1) == t1 + 30 * 60 * 10**9
    # and in the fall (2020-11-01, 25 hours long) a whole day stays one session
    a, b = _ny(2020, 11, 1, 0, 0), _ny(2020, 11, 1, 23, 59)
    assert (b - a) // 10**9 == 25 * 3600 - 60
    assert clock.day(a) == clock.day(b) == clock.day(_ny(2020, 11, 1, 12))


def test_an_order_accepted_after_the_last_bar_of_a_date_works_in_the_next_session() -> None:
    # fill_at=open: the strategy sees the date's last bar after it was matched and submits
    t1, t2, t3 = _ny(2020, 1, 2, 15, 59), _ny(2020, 1, 3, 9, 30), _ny(2020, 1, 3, 9, 31)
    exe = _exe([t1, t2, t3])
    assert _match(exe, t1) == []
    exe.handle(_limit(1, 95.0))
    assert _match(exe, t2, low=96.0) == []  # not expired: Jan 3 is its session
    (fill,) = _match(exe, t3, low=94.0)
    assert isinstance(fill, OrderFilled)


def test_close_mode_a_day_order_decided_on_the_last_bar_works_on_its_close_only() -> None:
    t1, t2 = _ny(2020, 1, 2, 15, 59), _ny(2020, 1, 3, 9, 30)
    exe = _exe([t1, t2], fill_at="close")
    exe.handle(_limit(1, 98.0))  # decided on t1, before MatchBar(t1): the low is 99
    assert _kinds(_match(exe, t1)) == [("OrderExpired", "s-1")]


def test_without_bar_times_a_stale_day_order_expires_before_the_next_dates_first_bar() -> None:
    t1, t2 = _ny(2020, 1, 2, 10), _ny(2020, 1, 3, 10)
    exe = _exe(None)
    exe.handle(_limit(1, 95.0))
    assert _match(exe, t1, low=96.0) == []  # the venue cannot tell t1 ends the session
    exe.handle(_limit(2, 95.0))  # accepted after t1: it has not met a bar yet
    out = _match(exe, t2, low=94.0)  # s-1 would fill here, but its session is over
    assert _kinds(out) == [("OrderExpired", "s-1"), ("OrderFilled", "s-2")]
    assert isinstance(out[0], OrderExpired)
    assert out[0].ts_event == t2


@pytest.mark.parametrize("tif", [TimeInForce.GTC, TimeInForce.DAY])
def test_session_bookkeeping_survives_cancels(tif: TimeInForce) -> None:
    from actors.messages import CancelOrder

    t1, t2 = _ny(2020, 1, 2, 10), _ny(2020, 1, 2, 11)
    exe = _exe([t1, t2, _ny(2020, 1, 3, 10)])
    exe.handle(_limit(1, 95.0, tif))
    exe.handle(CancelOrder(client_order_id=ClientOrderId("s-1"), strategy_id="s", symbol="A"))  # type: ignore[arg-type]
    assert not exe.bar_venue.has_working("A")
    exe.handle(_limit(2, 95.0))
    assert _match(exe, t1, low=96.0) == []
    assert _kinds(_match(exe, t2, low=96.0)) == [("OrderExpired", "s-2")]
