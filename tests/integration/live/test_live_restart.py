"""Restart safety: SIGKILL the engine mid-run, start it again against the same sandbox.

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
from collections.abc import Callable, Iterator
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

from actors.live.engine import LiveTradingEngine
from ferrotrade.sandbox import AlpacaSandbox

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from alpaca.trading.client import TradingClient
    from alpaca.trading.enums import OrderSide, TimeInForce
    from alpaca.trading.requests import LimitOrderRequest

ROOT = Path(__file__).resolve().parents[3]


def _env(sandbox: AlpacaSandbox) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ALPACA_", "TRADING_", "RISK_", "STOPLOSS_"))
    }
    env.update(sandbox_env(sandbox))
    return env


class Engine:
    """``python -m actors.live --paper`` in a subprocess."""

    def __init__(self, sandbox: AlpacaSandbox, out: Path) -> None:
        self.out = out
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "actors.live",
                "--paper",
                "--symbols",
                "AAPL",
                "--strategy",
                "sma_cross",
                "--param",
                "fast=2",
                "--param",
                "slow=4",
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
    rec = json.loads((out / "reconcile.json").read_text())
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
    a stale order of the deployment rests at the broker. Session 2 reports both as drift,
    cancels the stale order and starts from the broker's position and cash."""
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

    second = EngineThread(LiveTradingEngine(engine_config(sandbox), out_dir=out)).start()
    try:
        rec = json.loads((out / "reconcile.json").read_text())
        kinds = sorted(d["kind"] for d in rec["drift"])
        assert kinds == ["fills", "open_order", "position"]
        fills = next(d for d in rec["drift"] if d["kind"] == "fills")
        assert fills == {"kind": "fills", "client_order_id": "ft-s1-sma_cross-1",
                         "symbol": "AAPL", "broker_filled": 10.0, "ledger_filled": 0.0}  # fmt: skip
        assert rec["canceled"] == ["ft-s1-stale-1"]
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
