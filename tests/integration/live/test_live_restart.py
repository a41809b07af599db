"""Restart safety: SIGKILL the engine mid-run, start it again against the same sandbox; open
orders left by a session are adopted by the next (or canceled, when configured).

The first session buys on the 4th bar and is killed as soon as its order reaches the sandbox
(the fill may or may not have been booked). The second session must reconcile (adopt the
broker's position under the strategy's id, report any drift), warm its strategy up on the bars
before the broker's clock, and carry on: its strategy signals "long" again on the next bar,
which risk absorbs (the strategy already holds the adopted position: no second buy), then sells
on the cross down and buys on the cross up. Three orders in all, none duplicated, and the
engine's final book (position and cash) equals the broker's.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from live_harness import (
    KEY,
    SECRET,
    WAIT,
    EngineThread,
    engine_config,
    play_and_settle,
    sandbox_env,
    wait_streams,
)
from live_testkit import RESTING_LIMIT

from actors.live.engine import LiveTradingEngine
from ferrotrade.sandbox import AlpacaSandbox, TapeQuote

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from alpaca.trading.client import TradingClient
    from alpaca.trading.enums import OrderSide, TimeInForce
    from alpaca.trading.requests import LimitOrderRequest

ROOT = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent
_SMA = ("--strategy", "sma_cross", "--param", "fast=2", "--param", "slow=4")
_RESTING = ("--strategy", "live_testkit:RestingLimitBuy")


def _env(sandbox: AlpacaSandbox) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ALPACA_", "TRADING_", "RISK_", "STOPLOSS_"))
    }
    env.update(sandbox_env(sandbox))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(HERE), env.get("PYTHONPATH"))))
    return env


class Engine:
    """``python -m actors.live --paper`` in a subprocess."""

    def __init__(self, sandbox: AlpacaSandbox, out: Path, strategy: Sequence[str] = _SMA) -> None:
        self.out = out
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "actors.live",
                "--paper",
                "--symbols",
                "AAPL",
                *strategy,
                "--out",
                str(out),
            ],
            cwd=ROOT,
            env=_env(sandbox),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def health(self) -> dict[str, Any]:
        try:
            return dict(json.loads((self.out / "health.json").read_text()))
        except (OSError, ValueError):
            return {}

    def wait_health(self, pred: Callable[[dict[str, Any]], bool], timeout: float = WAIT) -> bool:
        """Wait for the health file to satisfy ``pred`` (re-read every 20 ms, with a timeout)."""
        done = threading.Event()
        end = timeout
        while end > 0:
            if pred(self.health()):
                return True
            if self.proc.poll() is not None:
                return pred(self.health())
            done.wait(0.02)
            end -= 0.02
        return False

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.communicate(timeout=WAIT)


@pytest.fixture
def engines() -> Iterator[list[Engine]]:
    started: list[Engine] = []
    yield started
    for e in started:
        e.kill()


def test_sigkill_then_restart_loses_no_fill_and_duplicates_no_order(
    sandbox: AlpacaSandbox, tmp_path: Path, engines: list[Engine]
) -> None:
    out = tmp_path / "run"
    first = Engine(sandbox, out)
    engines.append(first)
    assert sandbox.wait_for("data_subscribed", 1, WAIT)
    assert sandbox.wait_for("trading_listening", 1, WAIT)
    assert first.wait_health(lambda h: h.get("status") == "running")
    for i in range(4):
        sandbox.advance(1)
        assert first.wait_health(lambda h, n=i + 1: h.get("ticks", 0) >= n), first.health()
    assert len(sandbox.wait_for_request("POST", "/v2/orders", count=1, timeout=WAIT)) == 1
    first.proc.send_signal(signal.SIGKILL)
    first.kill()
    assert first.proc.returncode == -signal.SIGKILL
    assert first.health().get("status") == "running"  # it never got to say goodbye

    second = Engine(sandbox, out)
    engines.append(second)
    assert sandbox.wait_for("data_subscribed", 2, WAIT)
    assert sandbox.wait_for("trading_listening", 2, WAIT)
    assert second.wait_health(lambda h: h.get("status") == "running" and h.get("session") == 2)
    rec = _reconciled(out)
    assert rec["session"] == 2
    assert rec["adopted"] == [{"symbol": "AAPL", "quantity": 10.0, "avg_entry_price": 103.0}]
    assert second.health()["positions"][0]["quantity"] == 10.0
    n = 0
    while sandbox.remaining_events:
        sandbox.advance(1)
        n += 1
        assert second.wait_health(lambda h, n=n: h.get("ticks", 0) >= n), second.health()
    assert len(sandbox.wait_for_request("POST", "/v2/orders", count=3, timeout=WAIT)) == 3
    broker = {p["symbol"]: float(p["qty"]) for p in sandbox.positions()}
    assert second.wait_health(
        lambda h: {p["symbol"]: p["quantity"] for p in h.get("positions", [])} == broker
    ), (second.health(), broker)
    second.proc.send_signal(signal.SIGTERM)
    _, stderr = second.proc.communicate(timeout=WAIT)
    assert second.proc.returncode == 0, stderr
    final = second.health()
    assert final["status"] == "stopped"
    events = (out / "events.jsonl").read_text()
    assert '"warmed up"' in events
    orders = sandbox.orders()
    cids = [o["client_order_id"] for o in orders]
    assert len(cids) == len(set(cids)) == 3  # no order duplicated across the restart
    assert sorted(cids) == ["ft-s1-sma_cross-1", "ft-s2-sma_cross-1", "ft-s2-sma_cross-2"]
    by_cid = {o["client_order_id"]: o["side"] for o in orders}
    assert by_cid == {
        "ft-s1-sma_cross-1": "buy",
        "ft-s2-sma_cross-1": "sell",
        "ft-s2-sma_cross-2": "buy",
    }
    assert all(o["status"] == "filled" for o in orders)
    assert broker == {"AAPL": 10.0}
    assert {p["symbol"]: p["quantity"] for p in final["positions"]} == broker
    assert final["cash"] == pytest.approx(float(sandbox.account()["cash"]))
    assert final["fills"] == 3  # the adopted position, the sell, the buy


def test_restart_reports_drift_cancels_stale_orders_and_adopts_the_broker(
    sandbox: AlpacaSandbox, tmp_path: Path
) -> None:
    """Session 1 trades and stops; its ledger then loses its fill rows (as if never written) and
    a stale order of the deployment rests at the broker. Session 2, configured to cancel open
    orders at start, reports both as drift, cancels the stale order and starts from the
    broker's position and cash."""
    out = tmp_path / "run"
    first = EngineThread(LiveTradingEngine(engine_config(sandbox), out_dir=out)).start()
    try:
        wait_streams(sandbox)
        play_and_settle(sandbox, first.engine, n=5)  # bought 10 on bar 4
    finally:
        assert first.stop() == 0
    audit = out / "audit.csv"
    with audit.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
        fieldnames = list(rows[0])
    with audit.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fieldnames)
        w.writeheader()
        w.writerows(r for r in rows if r["type"] != "OrderFilled")
    client = TradingClient(KEY, SECRET, url_override=sandbox.base_url)
    client.submit_order(
        LimitOrderRequest(symbol="AAPL", qty=1, side=OrderSide.BUY, limit_price=1.0,
                          time_in_force=TimeInForce.GTC, client_order_id="ft-s1-stale-1")
    )  # fmt: skip

    cfg = engine_config(sandbox, cancel_open_orders_on_start=True)
    second = EngineThread(LiveTradingEngine(cfg, out_dir=out)).start()
    try:
        rec = _reconciled(out)
        kinds = sorted(d["kind"] for d in rec["drift"])
        assert kinds == ["fills", "open_order", "position"]
        fills = next(d for d in rec["drift"] if d["kind"] == "fills")
        assert fills == {"kind": "fills", "client_order_id": "ft-s1-sma_cross-1",
                         "symbol": "AAPL", "broker_filled": 10.0, "ledger_filled": 0.0}  # fmt: skip
        assert rec["canceled"] == ["ft-s1-stale-1"]
        assert rec["adopted_orders"] == []
        assert second.engine.health()["open_orders"] == []
        stale = client.get_order_by_client_id("ft-s1-stale-1")
        assert stale.status.value == "canceled"
        health = second.engine.health()
        assert health["positions"][0]["quantity"] == 10.0
        assert health["cash"] == float(sandbox.account()["cash"])
        assert health["reconciliation_drift"] == 3
    finally:
        assert second.stop() == 0
    events = (out / "events.jsonl").read_text()
    assert "drift: fills" in events


def _limit_engine(sandbox: AlpacaSandbox, out: Path, **trading: Any) -> EngineThread:
    """A paper engine running ``RestingLimitBuy`` (strategy id ``rest``) against ``sandbox``."""
    cfg = engine_config(
        sandbox, strategy="live_testkit:RestingLimitBuy", strategy_params=(), **trading
    )
    return EngineThread(LiveTradingEngine(cfg, out_dir=out, strategy_id="rest")).start()


def _reconciled(out: Path) -> dict[str, Any]:
    """The start-up reconciliation record the last session wrote."""
    record: dict[str, Any] = json.loads((out / "reconcile.json").read_text())
    return record


def _audit(out: Path) -> list[dict[str, str]]:
    with (out / "audit.csv").open(newline="") as fh:
        return list(csv.DictReader(fh))


def _leave_a_resting_order(sandbox: AlpacaSandbox, out: Path) -> dict[str, Any]:
    """Session 1: its first bar sends a GTC limit buy of 10 at RESTING_LIMIT, which rests at
    the broker; the session stops with it working. Returns the broker's order."""
    first = _limit_engine(sandbox, out)
    try:
        wait_streams(sandbox)
        play_and_settle(sandbox, first.engine, n=1)
    finally:
        assert first.stop() == 0
    [order] = sandbox.orders()
    assert (order["client_order_id"], order["status"]) == ("ft-s1-rest-1", "new")
    return order


def test_restart_adopts_an_open_order_and_books_its_later_fill_once(
    sandbox: AlpacaSandbox, tmp_path: Path
) -> None:
    """The default: session 2 adopts the order session 1 left working. Its strategy asks for
    the same long target on every bar and risk counts the adopted order, so no second order is
    sent; when the market comes down to the limit, the fill is booked once, at the limit,
    under the strategy that sent the order; a third start finds the ledger in step."""
    out = tmp_path / "run"
    order = _leave_a_resting_order(sandbox, out)
    unseen = len(sandbox.trade_updates_sent)  # session 1's "new"

    second = _limit_engine(sandbox, out)
    try:
        wait_streams(sandbox, times=2)
        rec = _reconciled(out)
        assert rec["session"] == 2
        assert rec["canceled"] == []
        assert rec["drift"] == []  # the ledger knew the order as working
        assert rec["adopted_orders"] == [
            {"client_order_id": "ft-s1-rest-1", "order_id": order["id"], "strategy_id": "rest",
             "symbol": "AAPL", "side": "buy", "order_type": "limit", "time_in_force": "gtc",
             "quantity": 10.0, "filled_quantity": 0.0, "filled_avg_price": None,
             "replaced_filled_quantity": 0.0, "replaced_filled_notional": 0.0,
             "limit_price": RESTING_LIMIT, "stop_price": None, "status": "new"}
        ]  # fmt: skip
        assert second.engine.health()["open_orders"] == [
            {"client_order_id": "ft-s1-rest-1", "symbol": "AAPL", "side": "BUY",
             "quantity": 10.0, "remaining": 10.0, "status": "ACKED", "adopted": True}
        ]  # fmt: skip
        play_and_settle(sandbox, second.engine, unseen=unseen)  # bar 10 reaches the limit
        assert sandbox.orders()[0]["status"] == "filled"
        health = second.engine.health()
        assert health["fills"] == 1
        assert health["open_orders"] == []
        [pos] = health["positions"]
        assert (pos["symbol"], pos["quantity"], pos["avg_cost"]) == ("AAPL", 10.0, RESTING_LIMIT)
        assert health["cash"] == pytest.approx(float(sandbox.account()["cash"]))
    finally:
        assert second.stop() == 0
    # one order in all: the adopted one was never sent again, nor a new one beside it
    posts = sandbox.requests("POST", "/v2/orders")
    assert [p.body["client_order_id"] for p in posts] == ["ft-s1-rest-1"]
    fills = [r for r in _audit(out) if r["type"] in ("OrderFilled", "OrderPartiallyFilled")]
    assert [(r["client_order_id"], r["broker_client_order_id"], r["strategy_id"],
             float(r["fill_quantity"]), float(r["fill_price"])) for r in fills] == [
        ("ft-s1-rest-1", "ft-s1-rest-1", "rest", 10.0, RESTING_LIMIT)
    ]  # fmt: skip
    events = (out / "events.jsonl").read_text()
    assert '"adopted open orders"' in events

    third = _limit_engine(sandbox, out)  # the ledger now agrees with the broker
    try:
        rec = _reconciled(out)
        assert rec["session"] == 3
        assert rec["drift"] == []
        assert rec["adopted_orders"] == []
        assert rec["adopted"] == [
            {"symbol": "AAPL", "quantity": 10.0, "avg_entry_price": RESTING_LIMIT}
        ]
    finally:
        assert third.stop() == 0


def test_restart_adopts_a_partially_filled_order_and_books_only_the_rest(
    sandbox: AlpacaSandbox, tmp_path: Path
) -> None:
    """Session 1's order fills 4 of 10 (a quote of 4 at 97.00 meets the limit) before it
    stops. Session 2 adopts the position of 4 and the order with 6 remaining; the next quote
    fills the 6 at 97.10, booked as 6, not 10."""
    out = tmp_path / "run"
    sandbox.set_partial_fills(True)
    first = _limit_engine(sandbox, out)
    try:
        _rest_and_fill_four(sandbox, first.engine)
    finally:
        assert first.stop() == 0
    [order] = sandbox.orders()
    assert (order["status"], order["filled_qty"]) == ("partially_filled", "4")
    unseen = len(sandbox.trade_updates_sent)

    second = _limit_engine(sandbox, out)
    try:
        wait_streams(sandbox, times=2)
        rec = _reconciled(out)
        assert rec["drift"] == []
        assert rec["adopted"] == [{"symbol": "AAPL", "quantity": 4.0, "avg_entry_price": 97.0}]
        [adopted] = rec["adopted_orders"]
        assert (adopted["filled_quantity"], adopted["filled_avg_price"]) == (4.0, 97.0)
        assert second.engine.health()["open_orders"] == [
            {"client_order_id": "ft-s1-rest-1", "symbol": "AAPL", "side": "BUY",
             "quantity": 10.0, "remaining": 6.0, "status": "PARTIALLY_FILLED", "adopted": True}
        ]  # fmt: skip
        _quote(sandbox, second.engine, ask=97.1, size=50, unseen=unseen)
        _assert_settled(sandbox, second.engine, 10.0, (4 * 97.0 + 6 * 97.1) / 10)
    finally:
        assert second.stop() == 0
    fills = [r for r in _audit(out) if r["broker_client_order_id"] == "ft-s1-rest-1"
             and r["type"] in ("OrderFilled", "OrderPartiallyFilled")]  # fmt: skip
    # the rest comes on the stream, or from the order's REST view when the refresh at
    # session 2's first listen reads it after the fill (its price then from the notional)
    assert [(r["type"], float(r["fill_quantity"]), float(r["fill_price"])) for r in fills] == [
        ("OrderPartiallyFilled", 4.0, 97.0),  # session 1
        ("OrderFilled", 6.0, 97.1),  # session 2: the rest only (a REST-priced fill is exact)
    ]
    assert len(sandbox.requests("POST", "/v2/orders")) == 1
    third = _limit_engine(sandbox, out)
    try:
        assert _reconciled(out)["drift"] == []
    finally:
        assert third.stop() == 0


def _quote(
    sandbox: AlpacaSandbox, engine: LiveTradingEngine, ask: float, size: float, unseen: int = 0
) -> None:
    """Publish an AAPL quote (the sandbox fills resting buys against its ask) and wait until
    the engine booked the trade updates it caused."""
    t = sandbox.now_ns + 1_000_000_000
    sandbox.publish(TapeQuote(symbol="AAPL", ts=t, bid=ask - 0.1, bid_size=size, ask=ask,
                              ask_size=size))  # fmt: skip
    sent = len(sandbox.trade_updates_sent) - unseen
    assert engine.wait_for(lambda e: e.stats.updates_processed >= sent, WAIT)


def _rest_and_fill_four(sandbox: AlpacaSandbox, engine: LiveTradingEngine) -> None:
    """One bar: the strategy's limit buy of 10 rests; a quote of 4 at 97.00 fills 4 of it."""
    wait_streams(sandbox)
    play_and_settle(sandbox, engine, n=1)
    _quote(sandbox, engine, ask=97.0, size=4)


def _assert_settled(
    sandbox: AlpacaSandbox, engine: LiveTradingEngine, quantity: float, avg_cost: float
) -> None:
    """No order left working, the AAPL position booked at ``avg_cost``, and the engine's cash
    equal to the broker's."""
    health = engine.health()
    assert health["open_orders"] == []
    [pos] = health["positions"]
    assert pos["quantity"] == quantity
    assert pos["avg_cost"] == pytest.approx(avg_cost)
    assert health["cash"] == pytest.approx(float(sandbox.account()["cash"]))


def test_restart_cancels_open_orders_when_configured(
    sandbox: AlpacaSandbox, tmp_path: Path
) -> None:
    """``cancel_open_orders_on_start: true``: session 2 cancels the order instead; with nothing
    working, its strategy sends a fresh one on its first bar."""
    out = tmp_path / "run"
    _leave_a_resting_order(sandbox, out)
    unseen = len(sandbox.trade_updates_sent)
    second = _limit_engine(sandbox, out, cancel_open_orders_on_start=True)
    try:
        wait_streams(sandbox, times=2)
        rec = _reconciled(out)
        assert rec["canceled"] == ["ft-s1-rest-1"]
        assert rec["adopted_orders"] == []
        assert rec["drift"] == []
        assert sandbox.orders()[0]["status"] == "canceled"
        assert second.engine.health()["open_orders"] == []
        play_and_settle(sandbox, second.engine, n=1, unseen=unseen + 1)  # + the "canceled"
    finally:
        assert second.stop() == 0
    posts = sandbox.requests("POST", "/v2/orders")
    assert [p.body["client_order_id"] for p in posts] == ["ft-s1-rest-1", "ft-s2-rest-1"]


def test_sigkill_with_an_open_order_then_restart_adopts_it(
    sandbox: AlpacaSandbox, tmp_path: Path, engines: list[Engine]
) -> None:
    """Session 1 is killed as soon as its resting limit order reaches the broker (whether its
    acceptance was booked or not). Session 2 adopts the order; the fill comes after the
    restart and is booked once; no order is sent twice."""
    out = tmp_path / "run"
    first = Engine(sandbox, out, strategy=_RESTING)
    engines.append(first)
    assert sandbox.wait_for("data_subscribed", 1, WAIT)
    assert sandbox.wait_for("trading_listening", 1, WAIT)
    assert first.wait_health(lambda h: h.get("status") == "running")
    sandbox.advance(1)
    assert len(sandbox.wait_for_request("POST", "/v2/orders", count=1, timeout=WAIT)) == 1
    first.proc.send_signal(signal.SIGKILL)
    first.kill()
    assert first.proc.returncode == -signal.SIGKILL

    second = Engine(sandbox, out, strategy=_RESTING)
    engines.append(second)
    wait_streams(sandbox, times=2)
    assert second.wait_health(lambda h: h.get("status") == "running" and h.get("session") == 2)
    rec = _reconciled(out)
    assert [o["client_order_id"] for o in rec["adopted_orders"]] == ["ft-s1-RestingLimitBuy-1"]
    assert rec["canceled"] == []
    n = 0
    while sandbox.remaining_events:
        sandbox.advance(1)
        n += 1
        assert second.wait_health(lambda h, n=n: h.get("ticks", 0) >= n), second.health()
    assert sandbox.orders()[0]["status"] == "filled"
    assert second.wait_health(lambda h: h.get("fills") == 1 and not h.get("open_orders"))
    second.proc.send_signal(signal.SIGTERM)
    _, stderr = second.proc.communicate(timeout=WAIT)
    assert second.proc.returncode == 0, stderr
    final = second.health()
    assert final["status"] == "stopped"
    assert [p.body["client_order_id"] for p in sandbox.requests("POST", "/v2/orders")] == [
        "ft-s1-RestingLimitBuy-1"
    ]
    assert {p["symbol"]: p["quantity"] for p in final["positions"]} == {"AAPL": 10.0}
    assert final["positions"][0]["avg_cost"] == RESTING_LIMIT
    assert final["cash"] == pytest.approx(float(sandbox.account()["cash"]))
    fills = [r for r in _audit(out) if r["type"] in ("OrderFilled", "OrderPartiallyFilled")]
    assert [(r["client_order_id"], float(r["fill_quantity"])) for r in fills] == [
        ("ft-s1-RestingLimitBuy-1", 10.0)
    ]


def test_an_order_filling_while_the_restart_reconciles_is_booked_once(
    sandbox: AlpacaSandbox, tmp_path: Path
) -> None:
    """The resting order fills between session 2's read of the orders and its read of the
    positions (the sandbox holds the positions read while the tape reaches the limit). The
    positions then hold the fill and the first orders read does not: session 2 reads again
    until the two agree, so the fill is counted once -- in the adopted position -- and no
    order is adopted to be filled a second time."""
    out = tmp_path / "run"
    _leave_a_resting_order(sandbox, out)
    reads = len(sandbox.requests("GET", "/v2/positions"))  # session 1's
    sandbox.inject_delay(2.0, method="GET", path="/v2/positions", times=1)
    cfg = engine_config(sandbox, strategy="live_testkit:RestingLimitBuy", strategy_params=())
    second = EngineThread(LiveTradingEngine(cfg, out_dir=out, strategy_id="rest"))
    second.thread.start()
    try:
        held = sandbox.wait_for_request("GET", "/v2/positions", count=reads + 1, timeout=WAIT)
        assert len(held) == reads + 1
        sandbox.advance(9)  # bar 10 reaches the limit: filled while the read is held
        assert sandbox.orders()[0]["status"] == "filled"
        assert second.engine.wait_for(lambda e: e.status in ("running", "failed"), WAIT)
        assert second.engine.status == "running", second.engine._error
        rec = _reconciled(out)
        assert rec["adopted_orders"] == []
        assert rec["adopted"] == [
            {"symbol": "AAPL", "quantity": 10.0, "avg_entry_price": RESTING_LIMIT}
        ]
        assert len(sandbox.requests("GET", "/v2/orders")) >= 2  # read again after positions
        health = second.engine.health()
        assert [(p["symbol"], p["quantity"]) for p in health["positions"]] == [("AAPL", 10.0)]
        assert health["open_orders"] == []
        assert health["cash"] == pytest.approx(float(sandbox.account()["cash"]))
    finally:
        assert second.stop() == 0
    assert [p.body["client_order_id"] for p in sandbox.requests("POST", "/v2/orders")] == [
        "ft-s1-rest-1"
    ]


def test_restart_adopts_a_modified_order_under_its_replacement_id(
    sandbox: AlpacaSandbox, tmp_path: Path
) -> None:
    """Session 1's order fills 4 of 10, the operator modifies it to 12 at 97.30 (at Alpaca a
    replace: a new order ``ft-s1-rest-1.r1`` for the 8 left), and it fills 2 more. Session 2
    reads the chain as one order: no drift (the ledger booked 6, the chain filled 6), the
    replacement adopted with the chain's quantity and fills under the strategy that sent the
    original; the last 6 are booked once, and a third start finds everything in step."""
    out = tmp_path / "run"
    sandbox.set_partial_fills(True)
    first = _limit_engine(sandbox, out)
    try:
        _rest_and_fill_four(sandbox, first.engine)
        _quote(sandbox, first.engine, ask=98.0, size=100)  # the market moves away
        with pytest.raises(ValueError, match="quantity must be a finite number > 0"):
            first.engine.modify_order("rest-1", quantity=float("nan"))
        sent = len(sandbox.trade_updates_sent)
        first.engine.modify_order("rest-1", quantity=12, price=97.3)
        assert first.engine.wait_for(lambda e: e.stats.commands >= 1, WAIT)
        assert first.engine.wait_for(
            lambda e: e.stats.updates_processed >= len(sandbox.trade_updates_sent), WAIT
        )
        assert len(sandbox.trade_updates_sent) > sent  # "replaced" and the new order's "new"
        _quote(sandbox, first.engine, ask=97.2, size=2)
        first.engine.cancel_order("nope-9")  # unknown: a logged error, nothing changes
        assert first.engine.wait_for(lambda e: e.stats.commands_refused == 1, WAIT)
        assert first.engine.stats.commands == 1  # the modify only
    finally:
        assert first.stop() == 0
    (patch,) = sandbox.requests("PATCH")
    assert patch.body["client_order_id"] == "ft-s1-rest-1.r1"
    old, new = sorted(sandbox.orders(), key=lambda o: o["client_order_id"])
    assert (old["status"], old["filled_qty"]) == ("replaced", "4")
    assert (new["client_order_id"], new["status"], new["filled_qty"], new["qty"]) == (
        "ft-s1-rest-1.r1", "partially_filled", "2", "8"
    )  # fmt: skip
    events = (out / "events.jsonl").read_text()
    assert "operator order command refused: no working order with this id" in events
    unseen = len(sandbox.trade_updates_sent)

    second = _limit_engine(sandbox, out)
    try:
        wait_streams(sandbox, times=2)
        rec = _reconciled(out)
        assert rec["drift"] == []
        [adopted] = rec["adopted_orders"]
        assert adopted["client_order_id"] == "ft-s1-rest-1.r1"
        assert adopted["strategy_id"] == "rest"
        assert (adopted["quantity"], adopted["filled_quantity"]) == (12.0, 6.0)
        assert (adopted["replaced_filled_quantity"], adopted["replaced_filled_notional"]) == (
            4.0, 4 * 97.0
        )  # fmt: skip
        assert adopted["filled_avg_price"] == pytest.approx((4 * 97.0 + 2 * 97.2) / 6)
        assert second.engine.health()["open_orders"] == [
            {"client_order_id": "ft-s1-rest-1.r1", "symbol": "AAPL", "side": "BUY",
             "quantity": 12.0, "remaining": 6.0, "status": "PARTIALLY_FILLED", "adopted": True}
        ]  # fmt: skip
        _quote(sandbox, second.engine, ask=97.25, size=50, unseen=unseen)
        _assert_settled(sandbox, second.engine, 12.0, (4 * 97.0 + 2 * 97.2 + 6 * 97.25) / 12)
    finally:
        assert second.stop() == 0
    fills = [r for r in _audit(out) if r["type"] in ("OrderFilled", "OrderPartiallyFilled")
             and not r["client_order_id"].startswith("adopt-")]  # fmt: skip
    # session 1: 4 on the original, 2 on its replacement; session 2: the last 6, once
    assert [(r["broker_client_order_id"], float(r["fill_quantity"])) for r in fills] == [
        ("ft-s1-rest-1", 4.0), ("ft-s1-rest-1", 2.0), ("ft-s1-rest-1.r1", 6.0)
    ]  # fmt: skip
    assert len(sandbox.requests("POST", "/v2/orders")) == 1
    third = _limit_engine(sandbox, out)
    try:
        rec = _reconciled(out)
        assert rec["drift"] == []
        assert rec["adopted_orders"] == []
        assert rec["adopted"] == [
            {"symbol": "AAPL", "quantity": 12.0, "avg_entry_price": pytest.approx(
                (4 * 97.0 + 2 * 97.2 + 6 * 97.25) / 12)}
        ]  # fmt: skip
    finally:
        assert third.stop() == 0
