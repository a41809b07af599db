"""StockDataStream and TradingStream against the sandbox: what arrives, with which types;
duplicated fills, dropped and silent connections, bad keys."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from alpaca.data.models import Bar, Quote, Trade
from alpaca.trading.client import TradingClient
from alpaca.trading.enums import OrderSide, TimeInForce
from alpaca.trading.models import TradeUpdate
from alpaca.trading.requests import LimitOrderRequest, MarketOrderRequest

from ferrotrade.sandbox import AlpacaSandbox, TapeStatus, parse_time_ns

WAIT = 10.0


def _buy(qty: float, cid: str) -> MarketOrderRequest:
    return MarketOrderRequest(
        symbol="AAPL", qty=qty, side=OrderSide.BUY, time_in_force=TimeInForce.DAY,
        client_order_id=cid,
    )  # fmt: skip


def _listen_for_trade_updates(sandbox: AlpacaSandbox, streams: Any, got: Any) -> None:
    """A real TradingStream subscribed to trade updates, started and confirmed listening."""
    stream = streams.trading()
    stream.subscribe_trade_updates(got.handler)
    streams.start(stream)
    assert sandbox.wait_for("trading_listening", 1, WAIT)


def test_market_data_arrives_typed_with_msgpack_timestamps(
    sandbox: AlpacaSandbox, streams: Any, collector: Callable[[], Any]
) -> None:
    got = collector()
    stream = streams.data()
    stream.subscribe_quotes(got.handler, "AAPL")
    stream.subscribe_trades(got.handler, "AAPL")
    stream.subscribe_bars(got.handler, "*")
    streams.start(stream)
    assert sandbox.wait_for("data_subscribed", 1, WAIT)
    sandbox.play_all()
    # AAPL: 1 opening quote + 30 bars + 1 trade + 2 quotes; MSFT quote is not subscribed.
    assert got.wait(34, WAIT)
    items = got.items
    assert [type(x).__name__ for x in items[:2]] == ["Quote", "Bar"]
    assert sum(isinstance(x, Bar) for x in items) == 30
    (trade,) = [x for x in items if isinstance(x, Trade)]
    assert (trade.symbol, trade.price, trade.size, trade.id) == ("AAPL", 184.0, 50, 7)
    assert trade.timestamp == datetime(2024, 1, 2, 15, 0, 0, 123456, tzinfo=UTC)
    quotes = [x for x in items if isinstance(x, Quote)]
    assert [q.ask_price for q in quotes] == [185.1, 184.0, 186.1]
    assert {x.symbol for x in items} == {"AAPL"}
    (sub,) = sandbox.requests("subscribe", channel="data_ws")
    assert sub.body["quotes"] == ["AAPL"]
    assert sub.body["bars"] == ["*"]
    (auth,) = sandbox.requests("auth", channel="data_ws")
    assert auth.body == {"action": "auth", "key": "sandbox-key", "secret": "<redacted>"}


def test_trading_status_halt_reaches_the_status_handler_and_stops_fills(
    sandbox: AlpacaSandbox, streams: Any, collector: Callable[[], Any], trading: TradingClient
) -> None:
    got = collector()
    stream = streams.data()
    stream.subscribe_trading_statuses(got.handler, "AAPL")
    streams.start(stream)
    assert sandbox.wait_for("data_subscribed", 1, WAIT)
    sandbox.advance(2)
    t = parse_time_ns("2024-01-02T14:30:05Z")
    sandbox.publish(TapeStatus(symbol="AAPL", ts=t, status_code="H", reason_code="T12"))
    assert got.wait(1, WAIT)
    assert (got.items[0].status_code, got.items[0].reason_code) == ("H", "T12")
    order = trading.submit_order(_buy(1, "halted-1"))
    assert trading.get_order_by_id(order.id).status.value == "new"  # no fill while halted


def test_trade_updates_new_then_fill_with_execution_ids(
    sandbox: AlpacaSandbox, streams: Any, collector: Callable[[], Any], trading: TradingClient
) -> None:
    got = collector()
    _listen_for_trade_updates(sandbox, streams, got)
    sandbox.advance(2)
    order = trading.submit_order(_buy(10, "tu-1"))
    assert got.wait(2, WAIT)
    new, fill = got.items
    assert isinstance(fill, TradeUpdate)
    assert (new.event, fill.event) == ("new", "fill")
    assert new.execution_id is None
    assert fill.order.id == order.id
    assert fill.order.client_order_id == "tu-1"
    assert (fill.price, fill.qty, fill.position_qty) == (185.1, 10.0, 10.0)
    assert fill.execution_id is not None
    assert fill.timestamp == datetime(2024, 1, 2, 14, 30, tzinfo=UTC)
    (auth,) = sandbox.requests("authenticate", channel="trading_ws")
    assert auth.body["data"] == {"key_id": "sandbox-key", "secret_key": "<redacted>"}


def test_duplicated_fill_deliveries_carry_the_same_execution_id(
    sandbox: AlpacaSandbox, streams: Any, collector: Callable[[], Any], trading: TradingClient
) -> None:
    got = collector()
    _listen_for_trade_updates(sandbox, streams, got)
    sandbox.advance(2)
    sandbox.duplicate_fills(3)
    trading.submit_order(_buy(1, "dup-fill"))
    assert got.wait(4, WAIT)
    fills = [u for u in got.items if u.event == "fill"]
    assert len(fills) == 3
    assert len({f.execution_id for f in fills}) == 1


def test_canceled_and_replaced_updates(
    sandbox: AlpacaSandbox, streams: Any, collector: Callable[[], Any], trading: TradingClient
) -> None:
    got = collector()
    _listen_for_trade_updates(sandbox, streams, got)
    order = trading.submit_order(
        LimitOrderRequest(
            symbol="AAPL", qty=1, side=OrderSide.BUY, time_in_force=TimeInForce.GTC,
            limit_price=100.0,
        )
    )  # fmt: skip
    from alpaca.trading.requests import ReplaceOrderRequest

    new = trading.replace_order_by_id(order.id, ReplaceOrderRequest(limit_price=101.0))
    trading.cancel_order_by_id(new.id)
    assert got.wait(4, WAIT)
    assert [(u.event, u.order.id) for u in got.items] == [
        ("new", order.id),
        ("replaced", order.id),
        ("new", new.id),
        ("canceled", new.id),
    ]


def test_dropped_stream_reconnects_and_resubscribes(
    sandbox: AlpacaSandbox, streams: Any, collector: Callable[[], Any]
) -> None:
    got = collector()
    stream = streams.data()
    stream.subscribe_quotes(got.handler, "AAPL")
    streams.start(stream)
    assert sandbox.wait_for("data_subscribed", 1, WAIT)
    sandbox.advance()
    assert got.wait(1, WAIT)
    assert sandbox.drop_streams("data") == 1
    # The SDK backs off (about a second), reconnects, re-authenticates and resubscribes.
    assert sandbox.wait_for("data_subscribed", 2, WAIT)
    assert sandbox.counter("data_connected") == 2
    sandbox.advance(33)  # MSFT quote, bars, the trade, then the 15:00:01 AAPL quote
    assert got.wait(2, WAIT)
    assert [q.ask_price for q in got.items] == [185.1, 184.0]


def test_silent_stream_stays_connected_but_sends_nothing(
    sandbox: AlpacaSandbox, streams: Any, collector: Callable[[], Any]
) -> None:
    got = collector()
    stream = streams.data()
    stream.subscribe_quotes(got.handler, "AAPL")
    streams.start(stream)
    assert sandbox.wait_for("data_subscribed", 1, WAIT)
    sandbox.mute_streams("data")
    sandbox.advance(34)  # two AAPL quotes played while muted
    sandbox.mute_streams("data", muted=False)
    sandbox.advance()
    assert got.wait(1, WAIT)
    assert [q.ask_price for q in got.items] == [186.1]  # only what came after the silence
    assert sandbox.counter("data_connected") == 1


def test_wrong_stream_keys_get_an_auth_error_and_no_data(
    sandbox: AlpacaSandbox, streams: Any, collector: Callable[[], Any]
) -> None:
    got = collector()
    stream = streams.data(api_key="wrong-key")
    stream.subscribe_quotes(got.handler, "AAPL")
    streams.start(stream)
    assert sandbox.wait_for("data_auth", 1, WAIT)
    (auth,) = sandbox.requests("auth", channel="data_ws")[:1]
    assert auth.body["key"] == "wrong-key"
    sandbox.advance(2)
    assert sandbox.counter("data_subscribed") == 0
    assert got.items == []


def test_second_data_connection_is_refused_with_406(
    sandbox: AlpacaSandbox, streams: Any, collector: Callable[[], Any]
) -> None:
    first, second = collector(), collector()
    s1 = streams.data()
    s1.subscribe_quotes(first.handler, "AAPL")
    streams.start(s1)
    assert sandbox.wait_for("data_subscribed", 1, WAIT)
    s2 = streams.data()
    s2.subscribe_quotes(second.handler, "AAPL")
    streams.start(s2)
    assert sandbox.wait_for("data_connected", 2, WAIT)
    sandbox.advance()
    assert first.wait(1, WAIT)
    assert second.items == []
    assert sandbox.counter("data_subscribed") == 1


def test_dropped_trading_stream_reconnects_and_listens_again(
    sandbox: AlpacaSandbox, streams: Any, collector: Callable[[], Any], trading: TradingClient
) -> None:
    got = collector()
    _listen_for_trade_updates(sandbox, streams, got)
    assert sandbox.drop_streams("trading") == 1
    assert sandbox.wait_for("trading_listening", 2, WAIT)
    assert sandbox.counter("trading_auth") == 2
    sandbox.advance(2)
    trading.submit_order(_buy(1, "after-drop"))
    assert got.wait(2, WAIT)
    assert [u.event for u in got.items] == ["new", "fill"]
