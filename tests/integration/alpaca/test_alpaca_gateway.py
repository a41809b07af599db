"""AlpacaTradingGateway (the execution VenuePort over alpaca-py) against the sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from actors.clock import SimulatedClock
from actors.execution import ExecutionComponent
from actors.execution.alpaca import AlpacaAuthError, AlpacaGatewayConfig, AlpacaTradingGateway
from actors.ids import ClientOrderId, StrategyId
from actors.messages import (
    CancelOrder,
    MarketSnapshot,
    Message,
    ModifyOrder,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderModified,
    OrderPartiallyFilled,
    OrderRejected,
    OrderType,
    QuoteTick,
    RejectReason,
    Side,
    SubmitOrder,
    TimeInForce,
)
from ferrotrade.sandbox import AlpacaSandbox, TapeQuote, parse_time_ns

T0 = parse_time_ns("2024-01-02T14:30:00Z")
STRAT = StrategyId("s")


class Harness:
    """The gateway inside a real ExecutionComponent; ``sleeps`` records backoff waits."""

    def __init__(self, sandbox: AlpacaSandbox, **overrides: Any) -> None:
        self.sandbox = sandbox
        self.sleeps: list[float] = []
        cfg: dict[str, Any] = {
            "api_key": "sandbox-key",
            "secret_key": "sandbox-secret",
            "base_url": sandbox.base_url,
            "stream_url": sandbox.trading_stream_url,
            "client_order_prefix": "run1-",
            "timeout_s": 2.0,
            **overrides,
        }
        self.gateway = AlpacaTradingGateway(
            AlpacaGatewayConfig(**cfg), sleep=self.sleeps.append, wall_clock=lambda: T0 / 1e9
        )
        self.execution = ExecutionComponent(
            "execution", SimulatedClock(T0), venue_factory=lambda: self.gateway
        )
        self.n = 0

    def order(self, qty: float = 10, **kw: Any) -> SubmitOrder:
        self.n += 1
        return SubmitOrder(
            message_id=f"risk-{self.n}",
            ts_event=T0,
            client_order_id=ClientOrderId(f"s-{self.n}"),
            strategy_id=STRAT,
            symbol="AAPL",
            side=Side.BUY,
            quantity=qty,
            **kw,
        )

    def send(self, msg: Message) -> list[Message]:
        return list(self.execution.handle(msg))

    def drain(self) -> list[Message]:
        return self.gateway.drain(self.execution)


@pytest.fixture
def harness(sandbox: AlpacaSandbox) -> Iterator[Harness]:
    h = Harness(sandbox)
    try:
        yield h
    finally:
        h.gateway.close()


def _quote(ask: float = 185.1, ask_size: float = 1000, dt: int = 0) -> TapeQuote:
    return TapeQuote(
        symbol="AAPL", ts=T0 + dt, bid=ask - 0.1, bid_size=1000, ask=ask, ask_size=ask_size
    )


def _cancel(order: SubmitOrder) -> CancelOrder:
    """Risk's cancel of ``order``."""
    return CancelOrder(
        message_id="risk-c", ts_event=T0, client_order_id=order.client_order_id,
        strategy_id=STRAT, symbol="AAPL",
    )  # fmt: skip


def test_submit_sends_the_deterministic_client_order_id_and_is_accepted(
    sandbox: AlpacaSandbox, harness: Harness
) -> None:
    out = harness.send(harness.order(order_type=OrderType.LIMIT, price=150.0))
    (acc,) = out
    assert isinstance(acc, OrderAccepted)
    assert acc.client_order_id == "s-1"
    (post,) = sandbox.requests("POST", "/v2/orders")
    assert post.body["client_order_id"] == "run1-s-1"
    assert post.body["limit_price"] == 150.0
    assert acc.venue_order_id == sandbox.orders()[0]["id"]
    assert acc.causation_id == "risk-1"


def test_fills_from_the_stream_are_ingested_once_per_execution_id(
    sandbox: AlpacaSandbox, harness: Harness
) -> None:
    harness.gateway.start_trade_updates()
    assert sandbox.wait_for("trading_listening", 1, 10)
    sandbox.duplicate_fills(2)
    sandbox.publish(_quote())
    harness.send(harness.order(10))
    # The sandbox sent: new, fill, fill (same execution id). The execution component drains
    # them on its next market snapshot.
    assert harness.gateway.wait_for_updates(3, 10)
    snapshot = MarketSnapshot(
        message_id="data-1", ts_event=T0, symbol="AAPL", last_price=185.0,
        quote=QuoteTick(message_id="feed-1", ts_event=T0, symbol="AAPL", bid=185.0, ask=185.1),
    )  # fmt: skip
    got = harness.send(snapshot)
    fills = [m for m in got if isinstance(m, OrderFilled)]
    assert len(fills) == 1
    assert (fills[0].price, fills[0].quantity) == (185.1, 10)
    assert fills[0].trade_id == sandbox.trade_updates_sent[1]["execution_id"]
    assert fills[0].ts_event == T0
    assert harness.gateway.stats["duplicate_fills"] == 1


def test_partial_fills_then_complete(sandbox: AlpacaSandbox, harness: Harness) -> None:
    sandbox.set_partial_fills(True)
    sandbox.publish(_quote(ask_size=4))
    harness.send(harness.order(10))
    for update in sandbox.trade_updates_sent:
        harness.gateway.ingest({"stream": "trade_updates", "data": update})
    sandbox.publish(_quote(ask=185.2, ask_size=100, dt=1))
    for update in sandbox.trade_updates_sent[2:]:
        harness.gateway.ingest(update)
    out = harness.drain()
    assert [type(m).__name__ for m in out] == ["OrderPartiallyFilled", "OrderFilled"]
    part, full = out
    assert isinstance(part, OrderPartiallyFilled)
    assert isinstance(full, OrderFilled)
    assert (part.quantity, part.remaining, full.quantity, full.price) == (4, 6, 6, 185.2)


def test_lost_reply_then_retry_adopts_the_existing_order(
    sandbox: AlpacaSandbox, harness: Harness
) -> None:
    sandbox.publish(_quote())
    sandbox.inject_http_error(504, method="POST", path="/v2/orders", after_handling=True)
    out = harness.send(harness.order(5))
    # 504 (order created, reply lost) -> gateway retry -> 422 duplicate -> fetch by client id.
    assert [type(m).__name__ for m in out] == ["OrderAccepted", "OrderFilled"]
    assert [r.status for r in sandbox.requests("POST", "/v2/orders")] == [504, 422]
    (lookup,) = sandbox.requests("GET", "/v2/orders:by_client_order_id")
    assert lookup.params == {"client_order_id": "run1-s-1"}
    assert len(sandbox.orders()) == 1
    assert harness.sleeps == [0.25]
    assert harness.gateway.stats["duplicate_submits"] == 1
    # The stream's copy of that fill is recognised as already booked.
    for update in sandbox.trade_updates_sent:
        harness.gateway.ingest(update)
    assert harness.drain() == []


def test_429_backs_off_until_the_rate_limit_reset(sandbox: AlpacaSandbox, harness: Harness) -> None:
    sandbox.inject_http_error(
        429, method="POST", path="/v2/orders", headers={"X-RateLimit-Reset": str(T0 // 10**9 + 3)}
    )
    (acc,) = harness.send(harness.order(1, order_type=OrderType.LIMIT, price=1.0))
    assert isinstance(acc, OrderAccepted)
    assert harness.sleeps == [3.0]
    assert len(sandbox.requests("POST", "/v2/orders")) == 2


def test_403_and_422_become_rejections_with_the_brokers_reason(
    sandbox: AlpacaSandbox, harness: Harness
) -> None:
    sandbox.publish(_quote())
    (rej,) = harness.send(harness.order(10_000))
    assert isinstance(rej, OrderRejected)
    assert rej.reason_code is RejectReason.VENUE_REJECTED
    assert rej.reason == "HTTP 403 code 40310000: insufficient buying power"
    sandbox.inject_http_error(422, method="POST", message="qty must be integer")
    (rej2,) = harness.send(harness.order(1))
    assert isinstance(rej2, OrderRejected)
    assert "qty must be integer" in rej2.reason
    assert harness.sleeps == []  # neither is retried


def test_persistent_5xx_is_a_rejection_after_bounded_retries(
    sandbox: AlpacaSandbox, harness: Harness
) -> None:
    sandbox.inject_http_error(503, path="/v2/orders*", times=None)
    (rej,) = harness.send(harness.order(1))
    assert isinstance(rej, OrderRejected)
    assert rej.reason.startswith("venue unavailable, order not placed: HTTP 503")
    assert len(sandbox.requests("POST", "/v2/orders")) == 3
    assert len(sandbox.requests("GET", "/v2/orders:by_client_order_id")) == 3  # last look
    assert harness.sleeps == [0.25, 0.5, 0.25, 0.5]


def test_hung_server_times_out_instead_of_blocking(sandbox: AlpacaSandbox) -> None:
    h = Harness(sandbox, timeout_s=0.2, max_attempts=2)
    sandbox.inject_delay(30.0, method="POST", path="/v2/orders", times=None)
    sandbox.inject_delay(30.0, method="GET", path="/v2/orders:by_client_order_id", times=None)
    (rej,) = h.send(h.order(1))
    assert isinstance(rej, OrderRejected)
    assert "timed out" in rej.reason
    assert len(sandbox.requests("POST", "/v2/orders")) == 2


def test_401_is_fatal_with_a_clear_message_and_no_secret(sandbox: AlpacaSandbox) -> None:
    h = Harness(sandbox, secret_key="wrong-secret")
    with pytest.raises(AlpacaAuthError, match="HTTP 401") as err:
        h.gateway.submit(h.order(1), h.execution)
    assert "wrong-secret" not in str(err.value)
    assert "wrong-secret" not in repr(h.gateway.config)


def test_cancel_and_modify(sandbox: AlpacaSandbox, harness: Harness) -> None:
    order = harness.order(5, order_type=OrderType.LIMIT, price=100.0, time_in_force=TimeInForce.GTC)
    harness.send(order)
    mod = ModifyOrder(
        message_id="risk-m", ts_event=T0, client_order_id=order.client_order_id,
        strategy_id=STRAT, symbol="AAPL", quantity=7, price=101.0,
    )  # fmt: skip
    (modified,) = harness.send(mod)
    assert isinstance(modified, OrderModified)
    assert (modified.quantity, modified.price) == (7, 101.0)
    (patch,) = sandbox.requests("PATCH")
    # the replacement carries a deterministic client order id: the original's, ".r1"
    assert patch.body == {"qty": 7, "limit_price": 101.0, "client_order_id": "run1-s-1.r1"}
    cancel = _cancel(order)
    (canceled,) = harness.send(cancel)
    assert isinstance(canceled, OrderCanceled)
    (delete,) = sandbox.requests("DELETE")
    assert delete.path == f"/v2/orders/{sandbox.orders()[0]['id']}"  # the replacement
    (again,) = harness.send(cancel)
    assert isinstance(again, OrderRejected)
    assert again.reason_code is RejectReason.UNKNOWN_ORDER


def test_cancel_of_a_filled_order_reconciles_instead(
    sandbox: AlpacaSandbox, harness: Harness
) -> None:
    order = harness.order(3, order_type=OrderType.LIMIT, price=190.0)
    harness.send(order)  # no quote yet: rests
    sandbox.publish(_quote())  # fills at the broker; the stream update is never ingested
    cancel = _cancel(order)
    out = harness.send(cancel)
    assert [type(m).__name__ for m in out] == ["OrderFilled", "OrderRejected"]
    fill, rej = out
    assert isinstance(fill, OrderFilled)
    assert (fill.quantity, fill.price) == (3, 185.1)
    assert isinstance(rej, OrderRejected)
    assert "filled" in rej.reason


def test_modify_after_an_unseen_partial_fill_sizes_the_replacement_by_what_is_left(
    sandbox: AlpacaSandbox, harness: Harness
) -> None:
    sandbox.set_partial_fills(True)
    sandbox.publish(_quote(ask_size=4))
    order = harness.order(10, order_type=OrderType.LIMIT, price=186.0)
    harness.send(order)  # 4 fill at once at the broker; the stream is not connected
    mod = ModifyOrder(
        message_id="risk-m", ts_event=T0, client_order_id=order.client_order_id,
        strategy_id=STRAT, symbol="AAPL", quantity=12, price=185.0,
    )  # fmt: skip
    out = harness.send(mod)
    assert [type(m).__name__ for m in out] == ["OrderPartiallyFilled", "OrderModified"]
    part = out[0]
    assert isinstance(part, OrderPartiallyFilled)
    assert (part.quantity, part.remaining, part.price) == (4, 6, 185.1)
    (patch,) = sandbox.requests("PATCH")
    # 12 in total, 4 already filled
    assert patch.body == {"qty": 8, "limit_price": 185.0, "client_order_id": "run1-s-1.r1"}
    # The replacement fills on a later quote; its stream fill books against the new base.
    sandbox.publish(_quote(ask=184.9, ask_size=100, dt=1))
    for update in sandbox.trade_updates_sent:
        harness.gateway.ingest(update)
    (fill,) = harness.drain()
    assert isinstance(fill, OrderFilled)
    assert (fill.quantity, fill.price) == (8, 184.9)


def test_a_long_session_forgets_old_finished_orders_but_never_a_working_one(
    sandbox: AlpacaSandbox,
) -> None:
    h = Harness(sandbox, done_order_retention=2)
    try:
        sandbox.publish(_quote())
        resting = h.order(5, order_type=OrderType.LIMIT, price=100.0)
        h.send(resting)
        for _ in range(6):
            h.send(h.order(1))  # market: filled by the sandbox against the quote
        updates = list(sandbox.trade_updates_sent)
        for update in updates:
            h.gateway.ingest(update)
        fills = [m for m in h.drain() if isinstance(m, OrderFilled)]
        assert [f.client_order_id for f in fills] == [f"s-{n}" for n in range(2, 8)]
        # 7 tracked > 2 x 2: the oldest finished ones go, down to 2; the working order stays
        assert h.gateway.tracked_orders == 2
        assert h.gateway.working_orders == 1
        # a late repeat of a forgotten order's fill is ignored, not booked again
        first_fill = next(u for u in updates if u["event"] == "fill")
        h.gateway.ingest(first_fill)
        assert h.drain() == []
        cancel = _cancel(resting)
        (canceled,) = h.send(cancel)
        assert isinstance(canceled, OrderCanceled)
    finally:
        h.gateway.close()


def test_a_replace_whose_reply_is_lost_is_found_by_its_client_order_id(
    sandbox: AlpacaSandbox, harness: Harness
) -> None:
    """504 after the broker replaced the order: the retry is refused (the old order is
    "replaced" now), and the replacement's deterministic client order id finds it. A second
    modify replaces the replacement as ``.r2``."""
    order = harness.order(5, order_type=OrderType.LIMIT, price=100.0)
    harness.send(order)
    sandbox.inject_http_error(504, method="PATCH", after_handling=True)

    def modify(qty: float, price: float) -> list[Message]:
        cmd = ModifyOrder(
            message_id=f"risk-m{qty}", ts_event=T0, client_order_id=order.client_order_id,
            strategy_id=STRAT, symbol="AAPL", quantity=qty, price=price,
        )  # fmt: skip
        return harness.send(cmd)

    (modified,) = modify(7, 101.0)
    assert isinstance(modified, OrderModified)
    assert [r.status for r in sandbox.requests("PATCH")] == [504, 422]
    (lookup,) = sandbox.requests("GET", "/v2/orders:by_client_order_id")
    assert lookup.params == {"client_order_id": "run1-s-1.r1"}
    by_cid = {o["client_order_id"]: o for o in sandbox.orders()}
    assert set(by_cid) == {"run1-s-1", "run1-s-1.r1"}  # one replacement, not two
    assert by_cid["run1-s-1"]["status"] == "replaced"
    (again,) = modify(9, 102.0)
    assert isinstance(again, OrderModified)
    assert sandbox.requests("PATCH")[-1].body["client_order_id"] == "run1-s-1.r2"
    # the replacement's fill is booked under our id, once
    sandbox.publish(_quote(ask=101.5))
    for update in sandbox.trade_updates_sent:
        harness.gateway.ingest(update)
    fills = [m for m in harness.drain() if isinstance(m, OrderFilled)]
    assert [(f.client_order_id, f.quantity) for f in fills] == [("s-1", 9)]


def test_a_refused_replace_is_a_rejection_and_the_order_keeps_working(
    sandbox: AlpacaSandbox, harness: Harness
) -> None:
    order = harness.order(5, order_type=OrderType.LIMIT, price=100.0)
    harness.send(order)
    sandbox.inject_http_error(422, method="PATCH", message="qty must be integer")
    cmd = ModifyOrder(
        message_id="risk-m", ts_event=T0, client_order_id=order.client_order_id,
        strategy_id=STRAT, symbol="AAPL", quantity=7, price=101.0,
    )  # fmt: skip
    (rej,) = harness.send(cmd)
    assert isinstance(rej, OrderRejected)
    assert "qty must be integer" in rej.reason
    # looked for a replacement that might exist, found none: the original still works
    (lookup,) = sandbox.requests("GET", "/v2/orders:by_client_order_id")
    assert lookup.params == {"client_order_id": "run1-s-1.r1"}
    assert [o["status"] for o in sandbox.orders()] == ["new"]
    assert harness.gateway.working_orders == 1


def test_a_fill_found_by_rest_is_priced_without_float_noise(
    sandbox: AlpacaSandbox, harness: Harness
) -> None:
    """4 fill at 97.00 (seen on the stream), 6 more at 97.10 (missed): the REST view has only
    the average (97.06 over 10), so the missed part is priced from the notionals -- 97.1, not
    97.10000000000001."""
    sandbox.set_partial_fills(True)
    sandbox.publish(_quote(ask=97.0, ask_size=4))
    harness.send(harness.order(10, order_type=OrderType.LIMIT, price=97.25))
    sandbox.publish(_quote(ask=97.1, ask_size=50, dt=1))
    first_fill = next(u for u in sandbox.trade_updates_sent if u["event"] == "partial_fill")
    harness.gateway.ingest(first_fill)
    (part,) = [m for m in harness.drain() if isinstance(m, OrderPartiallyFilled)]
    assert (part.quantity, part.price) == (4, 97.0)
    (order,) = sandbox.orders()
    assert (order["filled_qty"], float(order["filled_avg_price"])) == ("10", pytest.approx(97.06))
    harness.gateway.request_refresh()
    (rest,) = [m for m in harness.drain() if isinstance(m, OrderFilled)]
    assert (rest.quantity, rest.price) == (6, 97.1)
