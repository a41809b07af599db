"""Dry-run end to end on the shipped demo data, through the CLI entry points."""

from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from actors.data.bars import load_demo_bars
from actors.live.cli import add_live_arguments, run_live_command
from actors.messages import to_dict  # noqa: F401  (the JSONL codec the log uses)

ROOT = Path(__file__).resolve().parents[3]


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_live_arguments(parser)
    return parser.parse_args(list(argv))


def _clean_env() -> dict[str, str]:
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ALPACA_", "TRADING_", "RISK_", "STOPLOSS_"))
    }


def _dry_run_args(out: Path) -> argparse.Namespace:
    """The 60-day, two-symbol SMA(3/8) dry-run replay both runs of the determinism test use."""
    return _args(
        "--symbols",
        "AAPL,MSFT",
        "--dry-run",
        "--replay-days",
        "60",
        "--strategy",
        "sma_cross",
        "--param",
        "fast=3",
        "--param",
        "slow=8",
        "--config",
        str(ROOT / "config" / "live_trading.yaml"),
        "--out",
        str(out),
    )


def test_dry_run_on_demo_data_writes_audit_events_and_health(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for k in list(os.environ):
        if k.startswith(("ALPACA_", "TRADING_", "RISK_", "STOPLOSS_")):
            monkeypatch.delenv(k)
    out = tmp_path / "run"
    code = run_live_command(_dry_run_args(out))
    assert code == 0, capsys.readouterr().err
    health = json.loads((out / "health.json").read_text())
    assert health["status"] == "stopped"
    assert health["mode"] == "dry-run"
    demo = load_demo_bars(["AAPL", "MSFT"])
    day = 86_400 * 10**9
    expected_ticks = 0
    for s in demo.values():
        expected_ticks += int((s.ts > int(max(x.ts[-1] for x in demo.values())) - 60 * day).sum())
    assert health["ticks"] == expected_ticks
    with (out / "audit.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    submits = [r for r in rows if r["type"] == "SubmitOrder"]
    fills = [r for r in rows if r["type"] == "OrderFilled"]
    assert submits
    assert len(fills) == len(submits)
    assert [r["client_order_id"] for r in submits] == [
        f"sma_cross-{i}" for i in range(1, len(submits) + 1)
    ]
    events = [json.loads(line) for line in (out / "events.jsonl").read_text().splitlines()]
    assert len(events) > len(rows)
    assert all(set(e) == {"type", "data"} and e["type"] for e in events)  # typed messages
    assert {"SubmitOrder", "OrderFilled", "MarketSnapshot"} <= {e["type"] for e in events}
    assert any("live engine starting" in json.dumps(e) for e in events)
    assert any("live engine stopping" in json.dumps(e) for e in events)
    assert health["fills"] == len(fills)
    # the same replay again gives the same orders (deterministic dry-run)
    out2 = tmp_path / "run2"
    assert run_live_command(_dry_run_args(out2)) == 0
    with (out2 / "audit.csv").open(newline="") as fh:
        rows2 = list(csv.DictReader(fh))
    strip = ("ts_init",)
    assert [{k: v for k, v in r.items() if k not in strip} for r in rows2] == [
        {k: v for k, v in r.items() if k not in strip} for r in rows
    ]


def _wait_ticks(path: Path, proc: subprocess.Popen[str], timeout: float = 30.0) -> bool:
    """Until the health file reports a tick (re-read every 10 ms; False on timeout or exit)."""
    pause = threading.Event()
    for _ in range(int(timeout / 0.01)):
        try:
            if json.loads(path.read_text()).get("ticks", 0) > 0:
                return True
        except (OSError, ValueError):
            pass
        if proc.poll() is not None:
            return False
        pause.wait(0.01)
    return False


def test_sigterm_stops_cleanly_with_health_marked_stopped(tmp_path: Path) -> None:
    """A long dry-run in a subprocess, stopped by SIGTERM once its health file says running."""
    out = tmp_path / "run"
    env = _clean_env()
    env["TRADING_HEARTBEAT_S"] = "0.1"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "actors.live",
            "--dry-run",
            "--symbols",
            "AAPL,MSFT,IBM,GOOG",
            "--replay-days",
            "100000",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()  # printed once the engine is built, before the loop
        assert "dry-run mode" in first
        assert _wait_ticks(out / "health.json", proc), "the replay never started"
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert proc.returncode == 0, stderr
    health = json.loads((out / "health.json").read_text())
    assert health["status"] == "stopped"
    assert "stopped (stopped)" in stdout
    total = sum(len(s) for s in load_demo_bars(["AAPL", "MSFT", "IBM", "GOOG"]).values())
    assert 0 < health["ticks"] < total - 400  # interrupted mid-replay (100 warm-up bars each)
    audit = (out / "audit.csv").read_text() if (out / "audit.csv").exists() else ""
    events = (out / "events.jsonl").read_text()
    assert "live engine stopping" in events
    # every order request in the audit has its response (nothing half-written)
    submits = audit.count(",SubmitOrder,")
    assert audit.count(",OrderAccepted,") + audit.count(",OrderRejected,") == submits
