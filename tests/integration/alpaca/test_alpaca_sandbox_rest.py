"""The real alpaca-py TradingClient against the sandbox: account, orders, positions, clock."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID

import pytest
from alpaca.common.exceptions import APIError
from alpaca.trading.client import TradingClient
from alpaca.trading.enums import (
    OrderSide,
    OrderStatus,
    OrderType,
    PositionSide,
    QueryOrderStatus,
    TimeInForce,
)
from alpaca.trading.requests import (
    GetCalendarRequest,
    GetOrdersRequest,
    LimitOrderRequest,
    MarketOrderRequest,
    ReplaceOrderRequest,
    StopOrderRequest,
)

from ferrotrade.sandbox import AlpacaSandbox, Tape, TapeQuote, parse_time_ns


def _buy(symbol: str, qty: float, cid: str | None = None) -> MarketOrderRequest:
    return MarketOrderRequest(
        symbol=symbol, qty=qty, side=OrderSide.BUY, time_in_force=TimeInForce.DAY,
        client_order_id=cid,
    )  # fmt: skip


def test_account_fields_parse(trading: TradingClient) -> None:
    acct = trading.get_account()
    assert isinstance(acct.id, UUID)
    assert acct.account_number == "PA0SANDBOX01"
    assert acct.status.value == "ACTIVE"
    assert acct.cash == "100000"
    assert acct.buying_power == "100000"
    assert acct.equity == "100000"


def test_market_buy_fills_at_the_ask_and_moves_cash_and_position(
    sandbox: AlpacaSandbox, trading: TradingClient
) -> None:
    sandbox.advance(2)  # opening quotes
    order = trading.submit_order(_buy("AAPL", 10, "strat-1"))
    assert order.client_order_id == "strat-1"
    assert order.status is OrderStatus.NEW  # the response shows the accepted order
    filled = trading.get_order_by_id(order.id)
    assert filled.status is OrderStatus.FILLED
    assert float(filled.filled_qty or 0) == 10
    assert float(filled.filled_avg_price or 0) == pytest.approx(185.1)
    assert filled.created_at == datetime(2024, 1, 2, 14, 30, tzinfo=UTC)  # tape time
    same = trading.get_order_by_client_id("strat-1")
    assert same.id == order.id
    positions = trading.get_all_positions()
    assert [(p.symbol, p.qty, p.side) for p in positions] == [("AAPL", "10", PositionSide.LONG)]
    pos = trading.get_open_position("AAPL")
    assert float(pos.avg_entry_price) == pytest.approx(185.1)
    assert float(pos.cost_basis) == pytest.approx(1851.0)
    acct = trading.get_account()
    assert float(acct.cash or 0) == pytest.approx(100_000 - 1851.0)


def test_submit_sends_what_the_sdk_builds(sandbox: AlpacaSandbox, trading: TradingClient) -> None:
    trading.submit_order(
        LimitOrderRequest(
            symbol="MSFT", qty=3, side=OrderSide.SELL, time_in_force=TimeInForce.GTC,
            limit_price=400.5, client_order_id="s-7",
        )
    )  # fmt: skip
    (req,) = sandbox.requests("POST", "/v2/orders")
    assert req.body == {
        "symbol": "MSFT",
        "qty": 3,
        "side": "sell",
        "type": "limit",
        "time_in_force": "gtc",
        "limit_price": 400.5,
        "client_order_id": "s-7",
    }
    assert req.header("APCA-API-KEY-ID") == "sandbox-key"
    assert req.header("APCA-API-SECRET-KEY") == "<redacted>"
    assert all("sandbox-secret" not in v for _, v in req.headers)
    assert req.status == 200


def test_limit_rests_until_touched_then_fills_at_the_quote(
    sandbox: AlpacaSandbox, trading: TradingClient
) -> None:
    sandbox.advance(2)
    order = trading.submit_order(
        LimitOrderRequest(
            symbol="AAPL", qty=5, side=OrderSide.BUY, time_in_force=TimeInForce.GTC,
            limit_price=184.0,
        )
    )  # fmt: skip
    assert trading.get_order_by_id(order.id).status is OrderStatus.NEW
    sandbox.advance(30)  # bars: not a fill source while the symbol has quotes
    assert trading.get_order_by_id(order.id).status is OrderStatus.NEW
    sandbox.advance()  # a print at 184.0 touches the limit
    done = trading.get_order_by_id(order.id)
    assert done.status is OrderStatus.FILLED
    assert float(done.filled_avg_price or 0) == 184.0


def test_stop_triggers_on_the_quote(sandbox: AlpacaSandbox, trading: TradingClient) -> None:
    sandbox.advance(2)
    order = trading.submit_order(
        StopOrderRequest(
            symbol="AAPL", qty=1, side=OrderSide.BUY, time_in_force=TimeInForce.GTC,
            stop_price=186.0,
        )
    )  # fmt: skip
    sandbox.advance(32)  # bars reach 186+ but are no source while quotes exist; ask 184.0
    assert trading.get_order_by_id(order.id).status is OrderStatus.NEW
    sandbox.advance()  # ask 186.1 >= stop
    done = trading.get_order_by_id(order.id)
    assert done.status is OrderStatus.FILLED
    assert float(done.filled_avg_price or 0) == pytest.approx(186.1)


def test_replace_creates_a_new_order_that_replaces_the_old(
    sandbox: AlpacaSandbox, trading: TradingClient
) -> None:
    sandbox.advance(2)
    old = trading.submit_order(
        LimitOrderRequest(
            symbol="AAPL", qty=5, side=OrderSide.BUY, time_in_force=TimeInForce.DAY,
            limit_price=150.0, client_order_id="s-1",
        )
    )  # fmt: skip
    new = trading.replace_order_by_id(
        old.id, ReplaceOrderRequest(qty=7, limit_price=151.0, client_order_id="s-1r")
    )
    assert new.replaces == old.id
    assert new.client_order_id == "s-1r"
    assert (new.qty, new.limit_price, new.status) == ("7", "151", OrderStatus.NEW)
    again = trading.get_order_by_id(old.id)
    assert again.status is OrderStatus.REPLACED
    assert again.replaced_by == new.id
    (patch,) = sandbox.requests("PATCH")
    assert patch.path == f"/v2/orders/{old.id}"
    assert patch.body == {"qty": 7, "limit_price": 151.0, "client_order_id": "s-1r"}


def test_cancel_then_cancel_again_is_422_and_unknown_is_404(
    sandbox: AlpacaSandbox, trading: TradingClient
) -> None:
    order = trading.submit_order(
        LimitOrderRequest(
            symbol="AAPL", qty=1, side=OrderSide.BUY, time_in_force=TimeInForce.GTC,
            limit_price=100.0,
        )
    )  # fmt: skip
    assert trading.cancel_order_by_id(order.id) is None  # 204
    assert trading.get_order_by_id(order.id).status is OrderStatus.CANCELED
    with pytest.raises(APIError) as again:
        trading.cancel_order_by_id(order.id)
    assert again.value.status_code == 422
    assert again.value.code == 42210000
    with pytest.raises(APIError) as unknown:
        trading.get_order_by_id("00000000-0000-0000-0000-000000000000")
    assert unknown.value.status_code == 404
    assert unknown.value.code == 40410000


def test_list_orders_filters_and_orders(sandbox: AlpacaSandbox, trading: TradingClient) -> None:
    sandbox.advance(2)
    filled = trading.submit_order(_buy("AAPL", 1, "a"))
    resting = [
        trading.submit_order(
            LimitOrderRequest(
                symbol=sym, qty=1, side=OrderSide.BUY, time_in_force=TimeInForce.GTC,
                limit_price=10.0, client_order_id=cid,
            )
        )
        for sym, cid in (("AAPL", "b"), ("MSFT", "c"))
    ]  # fmt: skip
    open_ = trading.get_orders()  # default: open, newest first
    assert [o.client_order_id for o in open_] == ["c", "b"]
    closed = trading.get_orders(GetOrdersRequest(status=QueryOrderStatus.CLOSED))
    assert [o.id for o in closed] == [filled.id]
    every = trading.get_orders(GetOrdersRequest(status=QueryOrderStatus.ALL, direction="asc"))
    assert [o.client_order_id for o in every] == ["a", "b", "c"]
    msft = trading.get_orders(GetOrdersRequest(status=QueryOrderStatus.ALL, symbols=["MSFT"]))
    assert [o.id for o in msft] == [resting[1].id]
    limited = trading.get_orders(GetOrdersRequest(status=QueryOrderStatus.ALL, limit=2))
    assert len(limited) == 2
    assert sandbox.requests("GET", "/v2/orders")[-1].params["limit"] == "2"


def test_duplicate_client_order_id_is_422_and_creates_nothing(
    sandbox: AlpacaSandbox, trading: TradingClient
) -> None:
    trading.submit_order(_buy("AAPL", 1, "dup-1"))
    with pytest.raises(APIError) as err:
        trading.submit_order(_buy("AAPL", 1, "dup-1"))
    assert err.value.status_code == 422
    assert err.value.message == "client_order_id must be unique"
    assert len(sandbox.orders()) == 1


def test_insufficient_buying_power_is_403(sandbox: AlpacaSandbox, trading: TradingClient) -> None:
    sandbox.advance(2)
    with pytest.raises(APIError) as err:
        trading.submit_order(_buy("MSFT", 1000, "big"))
    assert err.value.status_code == 403
    assert err.value.code == 40310000
    assert "insufficient buying power" in err.value.message
    assert sandbox.orders() == []


def test_invalid_order_is_422(trading: TradingClient) -> None:
    with pytest.raises(APIError) as err:
        trading.submit_order(
            StopOrderRequest(
                symbol="AAPL", qty=1, side=OrderSide.BUY, time_in_force=TimeInForce.GTC,
                stop_price=-1.0,
            )
        )  # fmt: skip
    assert err.value.status_code == 422


def test_sell_flips_position_short_and_missing_position_is_404(
    sandbox: AlpacaSandbox, trading: TradingClient
) -> None:
    sandbox.advance(2)
    trading.submit_order(_buy("AAPL", 2))
    trading.submit_order(
        MarketOrderRequest(symbol="AAPL", qty=5, side=OrderSide.SELL, time_in_force=TimeInForce.DAY)
    )
    pos = trading.get_open_position("AAPL")
    assert (pos.qty, pos.side, float(pos.avg_entry_price)) == ("-3", PositionSide.SHORT, 185.0)
    with pytest.raises(APIError) as err:
        trading.get_open_position("MSFT")
    assert err.value.status_code == 404
    assert err.value.code == 40410000


def test_close_position_sends_an_opposite_market_order(
    sandbox: AlpacaSandbox, trading: TradingClient
) -> None:
    sandbox.advance(2)
    trading.submit_order(_buy("AAPL", 4))
    order = trading.close_position("AAPL")
    assert (order.side, order.qty, order.order_type) == (OrderSide.SELL, "4", OrderType.MARKET)
    assert trading.get_all_positions() == []


def test_day_order_expires_at_the_close(sandbox: AlpacaSandbox, trading: TradingClient) -> None:
    order = trading.submit_order(
        LimitOrderRequest(
            symbol="AAPL", qty=1, side=OrderSide.BUY, time_in_force=TimeInForce.DAY,
            limit_price=1.0,
        )
    )  # fmt: skip
    sandbox.set_time(parse_time_ns("2024-01-02T21:00:00Z"))  # 16:00 New York
    assert trading.get_order_by_id(order.id).status is OrderStatus.EXPIRED


def test_partial_fills_by_quote_size(trading: TradingClient, sandbox: AlpacaSandbox) -> None:
    sandbox.set_partial_fills(True)
    t0 = parse_time_ns("2024-01-02T14:30:00Z")
    sandbox.publish(TapeQuote(symbol="IBM", ts=t0, bid=160.0, bid_size=100, ask=160.1, ask_size=30))
    order = trading.submit_order(_buy("IBM", 50))
    mid = trading.get_order_by_id(order.id)
    assert (mid.status, mid.filled_qty) == (OrderStatus.PARTIALLY_FILLED, "30")
    sandbox.publish(
        TapeQuote(symbol="IBM", ts=t0 + 1, bid=160.0, bid_size=100, ask=160.2, ask_size=30)
    )
    done = trading.get_order_by_id(order.id)
    assert (done.status, done.filled_qty) == (OrderStatus.FILLED, "50")
    assert float(done.filled_avg_price or 0) == pytest.approx((30 * 160.1 + 20 * 160.2) / 50)


def test_clock_and_calendar_follow_the_tape(sandbox: AlpacaSandbox, trading: TradingClient) -> None:
    sandbox.advance(2)
    clock = trading.get_clock()
    assert clock.timestamp == datetime(2024, 1, 2, 14, 30, tzinfo=UTC)
    assert clock.is_open is True
    assert clock.next_close == datetime(2024, 1, 2, 21, 0, tzinfo=UTC)
    assert clock.next_open == datetime(2024, 1, 3, 14, 30, tzinfo=UTC)
    days = trading.get_calendar(GetCalendarRequest(start=date(2024, 1, 5), end=date(2024, 1, 9)))
    assert [d.date for d in days] == [date(2024, 1, 5), date(2024, 1, 8), date(2024, 1, 9)]
    assert days[0].open == datetime(2024, 1, 5, 9, 30)  # naive Eastern time, as the SDK parses
    assert days[0].close == datetime(2024, 1, 5, 16, 0)


def test_ids_are_deterministic_across_runs() -> None:
    tape = Tape.from_dicts(
        [{"type": "quote", "symbol": "AAPL", "t": "2024-01-02T14:30:00Z", "bp": 1.0, "ap": 1.01}]
    )

    def session() -> list[str]:
        with AlpacaSandbox(tape) as sb:
            client = TradingClient("sandbox-key", "sandbox-secret", url_override=sb.base_url)
            sb.advance()
            ids = [str(client.submit_order(_buy("AAPL", 1)).id) for _ in range(3)]
            fills = [u for u in sb.trade_updates_sent if u["event"] == "fill"]
            return ids + [u["execution_id"] for u in fills]

    first = session()
    assert len(first) == 6
    assert first == session()
    assert len(set(first)) == len(first)


def test_account_equity_matches_cash_plus_positions_and_the_fills(
    sandbox: AlpacaSandbox, trading: TradingClient
) -> None:
    sandbox.advance(2)
    trading.submit_order(_buy("AAPL", 10))
    trading.submit_order(_buy("MSFT", 2))
    trading.submit_order(
        MarketOrderRequest(symbol="AAPL", qty=4, side=OrderSide.SELL, time_in_force=TimeInForce.DAY)
    )
    sandbox.advance(33)  # prices move
    acct = trading.get_account()
    positions = {p.symbol: p for p in trading.get_all_positions()}
    market_value = sum(float(p.market_value or 0) for p in positions.values())
    assert float(acct.equity or 0) == pytest.approx(float(acct.cash or 0) + market_value)
    assert float(acct.long_market_value or 0) == pytest.approx(market_value)
    # The ledger of fills sent on the stream rebuilds cash and positions exactly.
    cash, qty = 100_000.0, {"AAPL": 0.0, "MSFT": 0.0}
    for u in sandbox.trade_updates_sent:
        if u["event"] in ("fill", "partial_fill"):
            sign = 1 if u["order"]["side"] == "buy" else -1
            qty[u["order"]["symbol"]] += sign * float(u["qty"])
            cash -= sign * float(u["qty"]) * float(u["price"])
    assert float(acct.cash or 0) == pytest.approx(round(cash, 2))
    assert {s: float(p.qty) for s, p in positions.items()} == qty


def test_ioc_keeps_what_filled_and_fok_fills_all_or_nothing(
    sandbox: AlpacaSandbox, trading: TradingClient
) -> None:
    sandbox.set_partial_fills(True)
    t0 = parse_time_ns("2024-01-02T14:30:00Z")
    sandbox.publish(TapeQuote(symbol="IBM", ts=t0, bid=160.0, bid_size=100, ask=160.1, ask_size=4))

    def limit(tif: TimeInForce) -> LimitOrderRequest:
        return LimitOrderRequest(
            symbol="IBM", qty=10, side=OrderSide.BUY, time_in_force=tif, limit_price=161.0
        )

    ioc = trading.get_order_by_id(trading.submit_order(limit(TimeInForce.IOC)).id)
    assert (ioc.status, ioc.filled_qty) == (OrderStatus.CANCELED, "4")
    fok = trading.get_order_by_id(trading.submit_order(limit(TimeInForce.FOK)).id)
    assert (fok.status, fok.filled_qty) == (OrderStatus.CANCELED, "0")
    assert trading.get_open_position("IBM").qty == "4"
