"""Helpers of the live-engine tests: the tape, engine configs, a threaded runner, waits.

Every wait returns as soon as its event happens (conditions, the sandbox's counters), with a
timeout; every fixture stops what it started (sandbox, engine, its streams and actors).
"""

from __future__ import annotations

import threading
import warnings
from pathlib import Path
from typing import Any

import numpy as np

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import alpaca.trading.client  # noqa: F401  (imported once, warning-free)

from actors.data.bars import BarSeries
from actors.live.config import (
    AlpacaConfig,
    LiveEngineConfig,
    RiskConfig,
    StopLossConfig,
    TradingConfig,
)
from actors.live.engine import LiveTradingEngine
from ferrotrade.sandbox import AlpacaSandbox, Tape, TapeBar

KEY = "PKLIVETESTKEY7Q2X9"
SECRET = "liveTestSecret/8f3kZp0Q"
WAIT = 15.0

#: AAPL closes: up (buy), then down (sell), then up again (buy): fast=2/slow=4 SMA crosses.
CLOSES = [100, 101, 102, 103, 104, 105, 104, 102, 100, 98, 97, 99, 102, 105, 108, 110]


def tape_dicts(closes: list[float] = CLOSES, symbol: str = "AAPL") -> list[dict[str, Any]]:
    out = []
    for i, c in enumerate(closes):
        out.append(
            {
                "type": "bar",
                "symbol": symbol,
                "t": f"2024-01-02T14:{30 + i:02d}:00Z",
                "o": c - 0.5,
                "h": c + 1.0,
                "l": c - 1.0,
                "c": float(c),
                "v": 1000 + i,
                "n": 10,
                "vw": float(c),
            }
        )
    return out


def make_tape(closes: list[float] = CLOSES) -> Tape:
    return Tape.from_dicts(tape_dicts(closes))


def tape_series(tape: Tape, symbol: str = "AAPL") -> BarSeries:
    bars: list[TapeBar] = [b for b in tape.bars if b.symbol == symbol]
    return BarSeries(
        symbol,
        "1Min",
        np.array([b.ts for b in bars], dtype=np.int64),
        [b.open for b in bars],
        [b.high for b in bars],
        [b.low for b in bars],
        [b.close for b in bars],
        [b.volume for b in bars],
    )


def engine_config(sandbox: AlpacaSandbox | None = None, **trading: Any) -> LiveEngineConfig:
    t: dict[str, Any] = {
        "symbols": ("AAPL",),
        "strategy": "sma_cross",
        "strategy_params": (("fast", 2), ("slow", 4)),
        "timeframe": "1Min",
        "replay_days": 30,
        "heartbeat_s": 0.2,
        "dry_run": sandbox is None,
    }
    t.update(trading)
    alpaca = (
        AlpacaConfig(
            api_key=KEY,
            api_secret=SECRET,
            base_url=sandbox.base_url,
            data_url=sandbox.base_url,
            data_stream_url=sandbox.data_stream_url(),
            trading_stream_url=sandbox.trading_stream_url,
            timeout_s=5.0,
        )
        if sandbox is not None
        else AlpacaConfig()
    )
    return LiveEngineConfig(
        trading=TradingConfig(**t),
        risk=RiskConfig(sizing="fixed", position_quantity=10),
        stop_loss=StopLossConfig(),
        alpaca=alpaca,
    )


def sandbox_env(sandbox: AlpacaSandbox) -> dict[str, str]:
    """The environment a subprocess engine needs to trade paper against ``sandbox``."""
    return {
        "ALPACA_API_KEY": KEY,
        "ALPACA_API_SECRET": SECRET,
        "ALPACA_BASE_URL": sandbox.base_url,
        "ALPACA_DATA_URL": sandbox.base_url,
        "ALPACA_DATA_STREAM_URL": sandbox.data_stream_url(),
        "ALPACA_TRADING_STREAM_URL": sandbox.trading_stream_url,
        "ALPACA_TIMEOUT_S": "5",
        "TRADING_HEARTBEAT_S": "0.2",
        "RISK_SIZING": "fixed",
        "RISK_POSITION_QUANTITY": "10",
    }


class EngineThread:
    """Runs ``engine.run()`` in a thread (the engine's driver); ``stop()`` always joins it."""

    def __init__(self, engine: LiveTradingEngine) -> None:
        self.engine = engine
        self.code: int | None = None
        self.thread = threading.Thread(target=self._run, name="live-engine-driver")

    def _run(self) -> None:
        self.code = self.engine.run()

    def start(self) -> EngineThread:
        self.thread.start()
        assert self.engine.wait_for(lambda e: e.status in ("running", "stopped", "failed"), WAIT)
        assert self.engine.status == "running", self.engine._error
        return self

    def stop(self) -> int | None:
        self.engine.request_stop()
        self.thread.join(WAIT)
        assert not self.thread.is_alive(), "engine driver did not stop"
        return self.code


def play_and_settle(
    sandbox: AlpacaSandbox, engine: LiveTradingEngine, n: int | None = None, *, unseen: int = 0
) -> None:
    """Play tape events one at a time; after each, wait until the engine handled the bar and
    every trade update the sandbox sent (so the next bar meets a settled book). ``unseen``:
    updates sent that this engine never receives (sent to an earlier session, or while its
    stream was down)."""
    count = sandbox.remaining_events if n is None else n
    for _ in range(count):
        before = engine.stats.ticks
        sandbox.advance(1)
        assert engine.wait_for(lambda e, b=before: e.stats.ticks > b, WAIT), "bar not handled"
        sent = len(sandbox.trade_updates_sent) - unseen
        assert engine.wait_for(lambda e, s=sent: e.stats.updates_processed >= s, WAIT), (
            "trade updates not booked"
        )


def wait_streams(sandbox: AlpacaSandbox, times: int = 1) -> None:
    """Wait until both streams have subscribed ``times`` times in all (one per session)."""
    assert sandbox.wait_for("data_subscribed", times, WAIT), "market data never subscribed"
    assert sandbox.wait_for("trading_listening", times, WAIT), "trade updates never listened"


def read_text_files(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
