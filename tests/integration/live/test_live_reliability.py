"""Reliability of the paper path: repeated fills, broker rejections, the circuit breaker,
signal dedup and stream gaps backfilled by REST (all against the sandbox)."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from live_harness import (
    WAIT,
    EngineThread,
    engine_config,
    make_tape,
    play_and_settle,
    tape_series,
    wait_streams,
)

from actors.live.engine import LiveTradingEngine
from ferrotrade.sandbox import AlpacaSandbox, TapeQuote

Runner = Callable[[LiveTradingEngine], EngineThread]


def _audit(run_dir: Path) -> list[dict[str, str]]:
    with (run_dir / "audit.csv").open(newline="") as fh:
        return list(csv.DictReader(fh))


def _events(run_dir: Path) -> list[dict[str, object]]:
    return [json.loads(x) for x in (run_dir / "events.jsonl").read_text().splitlines()]


def test_repeated_fills_are_booked_once(
    sandbox: AlpacaSandbox, run_engine: Runner, tmp_path: Path
) -> None:
    sandbox.duplicate_fills(3)
    engine = LiveTradingEngine(engine_config(sandbox), out_dir=tmp_path)
    et = run_engine(engine)
    wait_streams(sandbox)
    play_and_settle(sandbox, engine)
    sent = [u for u in sandbox.trade_updates_sent if u["event"] == "fill"]
    assert len(sent) == 9  # three fills, each delivered three times
    health = engine.health()
    assert health["fills"] == 3
    assert health["positions"][0]["quantity"] == 10.0
    assert float(sandbox.account()["cash"]) == health["cash"]
    assert et.stop() == 0
    assert sum(r["type"] == "OrderFilled" for r in _audit(tmp_path)) == 3


def test_broker_rejection_is_audited_and_the_engine_keeps_trading(
    sandbox: AlpacaSandbox, run_engine: Runner, tmp_path: Path
) -> None:
    sandbox.inject_http_error(
        403, method="POST", path="/v2/orders", code=40310000,
        message="insufficient buying power", times=1,
    )  # fmt: skip
    engine = LiveTradingEngine(engine_config(sandbox), out_dir=tmp_path)
    et = run_engine(engine)
    wait_streams(sandbox)
    play_and_settle(sandbox, engine)
    assert engine.status == "running"
    rows = _audit(tmp_path)
    rejected = [r for r in rows if r["type"] == "OrderRejected"]
    assert len(rejected) == 1
    assert rejected[0]["client_order_id"] == "sma_cross-1"
    assert "insufficient buying power" in rejected[0]["reason"]
    assert rejected[0]["reason_code"] == "VENUE_REJECTED"
    # the next long signal (after the cross down and up) trades normally
    filled = [r for r in rows if r["type"] == "OrderFilled"]
    assert [r["client_order_id"] for r in filled] == ["sma_cross-2"]
    assert et.stop() == 0


def test_signals_are_skipped_while_the_circuit_breaker_is_active(
    sandbox: AlpacaSandbox, run_engine: Runner, tmp_path: Path
) -> None:
    engine = LiveTradingEngine(engine_config(sandbox), out_dir=tmp_path)
    et = run_engine(engine)
    wait_streams(sandbox)
    engine.halt_trading("operator")
    assert engine.wait_for(lambda e: e.stats.commands >= 1, WAIT)
    play_and_settle(sandbox, engine, n=10)
    assert sandbox.requests("POST", "/v2/orders") == []
    health = engine.health()
    assert health["circuit_breaker"] == {"halted": True, "reasons": ["operator"]}
    assert health["signals"]["skipped_halted"] == 2  # the buy and the sell
    engine.resume_trading("operator")
    assert engine.wait_for(lambda e: e.stats.commands >= 2, WAIT)
    play_and_settle(sandbox, engine)  # the cross up at the end trades again
    assert len(sandbox.requests("POST", "/v2/orders")) == 1
    assert et.stop() == 0
    assert any(
        "circuit breaker" in json.dumps(e) for e in _events(tmp_path) if e["type"] == "LogEntry"
    )


def test_unchanged_signals_are_dropped(tmp_path: Path) -> None:
    cfg = engine_config(None, strategy="live_testkit:EveryBarLong", strategy_params=())
    engine = LiveTradingEngine(
        cfg, out_dir=tmp_path, replay_bars={"AAPL": tape_series(make_tape())}, strategy_id="long"
    )
    assert engine.run() == 0
    submits = [r for r in _audit(tmp_path) if r["type"] == "SubmitOrder"]
    assert [r["client_order_id"] for r in submits] == ["long-1"]
    health = json.loads((tmp_path / "health.json").read_text())
    assert health["signals"]["dropped_duplicates"] == 15
    assert health["positions"][0]["quantity"] == 10.0


def test_stream_gap_is_backfilled_by_rest_and_logged(
    sandbox: AlpacaSandbox, run_engine: Runner, tmp_path: Path
) -> None:
    gap_free = tmp_path / "dry"
    dry = LiveTradingEngine(
        engine_config(None), out_dir=gap_free, replay_bars={"AAPL": tape_series(make_tape())}
    )
    assert dry.run() == 0
    out = tmp_path / "paper"
    engine = LiveTradingEngine(engine_config(sandbox), out_dir=out)
    et = run_engine(engine)
    wait_streams(sandbox)
    play_and_settle(sandbox, engine, n=2)
    sandbox.mute_streams("data")  # connected but silent: two bars never arrive
    sandbox.advance(2)
    sandbox.mute_streams("data", muted=False)
    sandbox.clear_requests()
    play_and_settle(sandbox, engine)
    assert engine.stats.ticks == 16  # 14 streamed + 2 backfilled
    assert engine.stats.backfilled_bars == 2
    bars_get = sandbox.requests("GET", "/v2/stocks/bars")
    assert len(bars_get) == 1
    assert bars_get[0].params["start"] == "2024-01-02T14:32:00+00:00"
    assert et.stop() == 0
    assert any("data gap backfilled" in json.dumps(e) for e in _events(out))

    def orders(d: Path) -> list[tuple[str, str, str]]:
        return [(r["client_order_id"], r["side"], r["quantity"])
                for r in _audit(d) if r["type"] == "SubmitOrder"]  # fmt: skip

    assert orders(out) == orders(gap_free)


def test_fills_missed_by_a_silent_trade_stream_are_found_by_rest(
    sandbox: AlpacaSandbox, run_engine: Runner, tmp_path: Path
) -> None:
    engine = LiveTradingEngine(engine_config(sandbox), out_dir=tmp_path)
    et = run_engine(engine)
    wait_streams(sandbox)
    sandbox.mute_streams("trading")  # connected, but no trade update ever arrives
    for i in range(4):
        sandbox.advance(1)
        assert engine.wait_for(lambda e, n=i + 1: e.stats.ticks >= n, WAIT)
    assert len(sandbox.requests("POST", "/v2/orders")) == 1
    assert engine.gateway is not None
    assert engine.gateway.ingested == 0
    # the heartbeat asks the broker about the working order and books its fill
    assert engine.wait_for(lambda e: e.health()["fills"] == 1, WAIT)
    assert sandbox.requests("GET", "/v2/orders/*")
    health = engine.health()
    assert health["open_orders"] == []
    assert health["positions"][0]["quantity"] == 10.0
    assert et.stop() == 0


def test_fills_made_while_the_trade_stream_was_down_are_booked_when_it_reconnects(
    sandbox: AlpacaSandbox, run_engine: Runner, tmp_path: Path
) -> None:
    """The trade stream drops and stays down (the sandbox turns reconnects away) while the
    engine's buy fills; when the stream listens again the engine asks the broker about its
    working orders at once and books the fill. The heartbeat (whose refresh would also find
    it) is an hour away, so only the reconnect can have done it."""
    engine = LiveTradingEngine(engine_config(sandbox, heartbeat_s=3600.0), out_dir=tmp_path)
    et = run_engine(engine)
    wait_streams(sandbox)
    gw = engine.gateway
    assert gw is not None
    listens = gw.listens
    sandbox.refuse_streams("trading")
    assert sandbox.drop_streams("trading") == 1
    for i in range(4):  # the 4th bar buys; the order fills at once, its updates go nowhere
        sandbox.advance(1)
        assert engine.wait_for(lambda e, n=i + 1: e.stats.ticks >= n, WAIT)
    assert len(sandbox.requests("POST", "/v2/orders")) == 1
    unseen = len(sandbox.trade_updates_sent)
    assert [u["event"] for u in sandbox.trade_updates_sent] == ["new", "fill"]
    assert engine.health()["fills"] == 0  # nothing has told the engine yet
    assert sandbox.requests("GET", "/v2/orders/*") == []

    sandbox.refuse_streams("trading", refused=False)
    assert gw.wait_listening(listens + 1, WAIT)  # the SDK's own reconnect, with its backoff
    assert engine.wait_for(lambda e: e.stats.trade_stream_gaps == 1, WAIT)
    health = engine.health()
    assert health["fills"] == 1
    assert health["open_orders"] == []
    assert health["positions"][0]["quantity"] == 10.0
    assert gw.ingested == 0  # not a single update came over the stream
    # the order was read after the stream listened again, not before
    [listen] = sandbox.requests("listen", "/stream", channel="trading_ws")[listens:]
    reads = sandbox.requests("GET", "/v2/orders/*")
    assert reads
    assert all(r.seq > listen.seq for r in reads)

    play_and_settle(sandbox, engine, unseen=unseen)  # the sell and the buy, over the stream
    health = engine.health()
    assert health["fills"] == 3
    assert health["positions"][0]["quantity"] == 10.0
    assert health["cash"] == float(sandbox.account()["cash"])
    assert et.stop() == 0
    fills = [r for r in _audit(tmp_path) if r["type"] == "OrderFilled"]
    assert [r["client_order_id"] for r in fills] == ["sma_cross-1", "sma_cross-2", "sma_cross-3"]
    assert fills[0]["trade_id"].startswith("rest-")  # booked from the order's REST view
    assert fills[0]["fill_price"] == "103.0"
    gaps = [e for e in _events(tmp_path) if "trade-updates stream gap" in json.dumps(e)]
    assert len(gaps) == 1
    data: Any = gaps[0]["data"]
    details = dict(data["details"])
    assert details["gap_s"] >= 0
    assert details["reconnected_utc"] >= details["disconnected_utc"]


def test_silent_market_data_stream_is_reconnected_and_the_gap_backfilled(
    sandbox: AlpacaSandbox, run_engine: Runner, tmp_path: Path
) -> None:
    engine = LiveTradingEngine(engine_config(sandbox, data_silence_s=0.5), out_dir=tmp_path)
    et = run_engine(engine)
    wait_streams(sandbox)
    play_and_settle(sandbox, engine, n=2)
    sandbox.mute_streams("data")  # connected but silent
    sandbox.advance(2)
    # the SDK gives up on the silent socket after data_silence_s, reconnects and resubscribes
    assert sandbox.wait_for("data_connected", 2, WAIT)
    sandbox.mute_streams("data", muted=False)
    assert sandbox.wait_for("data_subscribed", 2, WAIT)
    play_and_settle(sandbox, engine)
    assert engine.stats.ticks == 16
    assert engine.stats.backfilled_bars == 2
    assert len(sandbox.requests("POST", "/v2/orders")) == 3
    assert et.stop() == 0
    assert any("data gap backfilled" in json.dumps(e) for e in _events(tmp_path))


def test_partial_fills_against_streamed_quotes(
    sandbox: AlpacaSandbox, run_engine: Runner, tmp_path: Path
) -> None:
    sandbox.set_partial_fills(True)
    engine = LiveTradingEngine(engine_config(sandbox, stream_quotes=True), out_dir=tmp_path)
    et = run_engine(engine)
    wait_streams(sandbox)
    t = sandbox.now_ns

    def quote(dt_s: int, ask_size: float) -> None:
        before = engine.stats.ticks
        q = TapeQuote(symbol="AAPL", ts=t + dt_s * 10**9, bid=100.0, bid_size=5, ask=100.5,
                      ask_size=ask_size)  # fmt: skip
        sandbox.publish(q)
        assert engine.wait_for(lambda e: e.stats.ticks > before, WAIT)
        sent = len(sandbox.trade_updates_sent)
        assert engine.wait_for(lambda e: e.stats.updates_processed >= sent, WAIT)

    quote(1, 4)
    play_and_settle(sandbox, engine, n=4)  # the buy of 10 meets 4 at the ask
    health = engine.health()
    assert health["positions"][0]["quantity"] == 4.0
    assert health["open_orders"] == [
        {"client_order_id": "sma_cross-1", "symbol": "AAPL", "side": "BUY", "quantity": 10.0,
         "remaining": 6.0, "status": "PARTIALLY_FILLED"}
    ]  # fmt: skip
    quote(300, 50)
    health = engine.health()
    assert health["positions"][0]["quantity"] == 10.0
    assert health["open_orders"] == []
    assert health["positions"][0]["last_price"] == 100.25  # marked at the quote's mid
    assert et.stop() == 0
    kinds = [r["type"] for r in _audit(tmp_path)]
    assert kinds == ["SubmitOrder", "OrderAccepted", "OrderPartiallyFilled", "OrderFilled"]
