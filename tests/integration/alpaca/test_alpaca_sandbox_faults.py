"""Injected REST faults surface through the real SDK as it surfaces Alpaca's own errors."""

from __future__ import annotations

import threading
import time

import pytest
import requests
from alpaca.common.exceptions import APIError
from alpaca.trading.client import TradingClient
from alpaca.trading.enums import OrderSide, TimeInForce
from alpaca.trading.requests import MarketOrderRequest

from ferrotrade.sandbox import AlpacaSandbox


def _order(cid: str) -> MarketOrderRequest:
    return MarketOrderRequest(
        symbol="AAPL", qty=1, side=OrderSide.BUY, time_in_force=TimeInForce.DAY,
        client_order_id=cid,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("status", "code"),
    [(401, 40110000), (403, 40310000), (404, 40410000), (422, 42210000), (500, 50010000),
     (502, 50210000), (503, 50310000)],
)  # fmt: skip
def test_injected_status_surfaces_as_api_error(
    sandbox: AlpacaSandbox, trading: TradingClient, status: int, code: int
) -> None:
    sandbox.inject_http_error(status, method="GET", path="/v2/account")
    with pytest.raises(APIError) as err:
        trading.get_account()
    assert err.value.status_code == status
    assert err.value.code == code
    assert trading.get_account().cash == "100000"  # times=1: the next call is served
    assert [r.status for r in sandbox.requests("GET", "/v2/account")] == [status, 200]


def test_fault_message_code_and_skip(sandbox: AlpacaSandbox, trading: TradingClient) -> None:
    sandbox.inject_http_error(
        403,
        method="POST",
        path="/v2/orders",
        skip=1,
        message="account is restricted",
        code=40310001,
    )
    trading.submit_order(_order("ok-1"))
    with pytest.raises(APIError) as err:
        trading.submit_order(_order("refused-2"))
    assert (err.value.status_code, err.value.code) == (403, 40310001)
    assert err.value.message == "account is restricted"
    assert [o["client_order_id"] for o in sandbox.orders()] == ["ok-1"]


def test_wrong_keys_are_401(sandbox: AlpacaSandbox) -> None:
    client = TradingClient("sandbox-key", "not-the-secret", url_override=sandbox.base_url)
    with pytest.raises(APIError) as err:
        client.get_account()
    assert err.value.status_code == 401
    assert err.value.code == 40110000


def test_html_502_has_a_status_but_no_json_code(
    sandbox: AlpacaSandbox, trading: TradingClient
) -> None:
    sandbox.inject_http_error(502, path="/v2/clock", html=True)
    with pytest.raises(APIError) as err:
        trading.get_clock()
    assert err.value.status_code == 502
    with pytest.raises(ValueError, match="Expecting value"):
        _ = err.value.code  # the SDK assumes a JSON body: branch on status_code first


def test_persistent_429_exhausts_the_sdk_retries_and_carries_rate_limit_headers(
    sandbox: AlpacaSandbox, fast_retry: TradingClient
) -> None:
    sandbox.inject_http_error(429, path="/v2/orders", times=None)
    with pytest.raises(APIError) as err:
        fast_retry.submit_order(_order("limited-1"))
    assert err.value.status_code == 429
    headers = err.value.response.headers
    assert headers["X-RateLimit-Limit"] == "200"
    assert headers["X-RateLimit-Remaining"] == "0"
    assert int(headers["X-RateLimit-Reset"]) == sandbox.now_ns // 1_000_000_000 + 60
    # The SDK's hidden retries: 1 + 3 attempts, each the same POST body.
    posts = sandbox.requests("POST", "/v2/orders")
    assert len(posts) == 4
    assert {p.body["client_order_id"] for p in posts} == {"limited-1"}
    assert sandbox.orders() == []


def test_sdk_retry_after_a_lost_504_meets_the_duplicate_client_order_id(
    sandbox: AlpacaSandbox, fast_retry: TradingClient
) -> None:
    # The first POST creates the order but its answer is lost (504); the SDK retries the same
    # body, and the broker refuses the reused client_order_id: "already there, fetch it".
    sandbox.inject_http_error(504, method="POST", path="/v2/orders", after_handling=True)
    with pytest.raises(APIError) as err:
        fast_retry.submit_order(_order("retry-1"))
    assert err.value.status_code == 422
    assert err.value.message == "client_order_id must be unique"
    assert [r.status for r in sandbox.requests("POST", "/v2/orders")] == [504, 422]
    assert fast_retry.get_order_by_client_id("retry-1").client_order_id == "retry-1"
    assert len(sandbox.orders()) == 1


def test_one_429_is_retried_by_the_sdk_after_its_3s_sleep(
    sandbox: AlpacaSandbox, trading: TradingClient
) -> None:
    # The only test that pays the SDK's default 3 s retry wait: it documents the behaviour.
    sandbox.inject_http_error(429, method="GET", path="/v2/account")
    t0 = time.monotonic()
    assert trading.get_account().status.value == "ACTIVE"
    assert time.monotonic() - t0 >= 2.9
    assert [r.status for r in sandbox.requests("GET", "/v2/account")] == [429, 200]


def test_slow_response_is_served_late(sandbox: AlpacaSandbox, trading: TradingClient) -> None:
    sandbox.inject_delay(0.3, path="/v2/positions")
    t0 = time.monotonic()
    assert trading.get_all_positions() == []
    assert time.monotonic() - t0 >= 0.3


def test_stop_releases_a_hung_request(sandbox: AlpacaSandbox, trading: TradingClient) -> None:
    sandbox.inject_delay(120.0, path="/v2/account")
    outcome: list[object] = []

    def call() -> None:
        try:
            outcome.append(trading.get_account())
        except Exception as exc:  # a closed connection or a late answer: either is fine
            outcome.append(exc)

    caller = threading.Thread(target=call)
    caller.start()
    (pending,) = sandbox.wait_for_request("GET", "/v2/account")
    assert pending.status is None  # recorded on arrival, still unanswered
    t0 = time.monotonic()
    sandbox.stop()
    caller.join(10)
    assert not caller.is_alive()
    assert time.monotonic() - t0 < 5
    assert len(outcome) == 1


def test_raw_http_edge_cases(sandbox: AlpacaSandbox) -> None:
    auth = {"APCA-API-KEY-ID": "sandbox-key", "APCA-API-SECRET-KEY": "sandbox-secret"}
    url = sandbox.base_url
    bad_json = requests.post(f"{url}/v2/orders", data=b"{not json", headers=auth, timeout=5)
    assert (bad_json.status_code, bad_json.json()["code"]) == (400, 40010000)
    unknown = requests.get(f"{url}/v2/nowhere", headers=auth, timeout=5)
    assert (unknown.status_code, unknown.json()["code"]) == (404, 40410000)
    no_keys = requests.get(f"{url}/v2/account", timeout=5)
    assert no_keys.status_code == 401
    recorded = sandbox.requests(path="/v2/*")
    assert [(r.method, r.path, r.status) for r in recorded] == [
        ("POST", "/v2/orders", 400),
        ("GET", "/v2/nowhere", 404),
        ("GET", "/v2/account", 401),
    ]
    assert recorded[0].body == "{not json"
