"""``bench live``: tick-to-order latency of the live engine in paper mode, beside the bare SDK.

:func:`run_live_benchmark` starts a local :class:`~ferrotrade.sandbox.AlpacaSandbox` on
127.0.0.1 (in this process, on its own thread) and a :class:`LiveTradingEngine` in paper mode
against it (the real ``alpaca-py`` clients: ``StockDataStream``, ``TradingClient``, the trade
updates stream), running :class:`FlipFlopBench`, a strategy that flips between long and flat on
every bar, so every bar yields exactly one order. For each bar it measures

* ``tick_to_order_ms``: from the sandbox writing the bar to the market-data websocket
  (``AlpacaSandbox.on_market_send``) to the sandbox starting to handle the resulting
  ``POST /v2/orders`` (``RecordedRequest.received_ns``): SDK stream decode, engine queue, the
  actor pipeline (snapshot, strategy, risk, execution), the SDK's REST submit and the loopback
  hop. Both ends are ``time.perf_counter_ns()`` taken on the sandbox's thread.

After each bar it waits until the engine has booked the order's fill (so every bar meets a
settled book and bars never queue behind each other). Then, with the engine stopped, the same
market order goes through a bare ``alpaca.trading.TradingClient`` against the same sandbox:

* ``bare_submit_ms``: the whole ``TradingClient.submit_order()`` call (request, sandbox
  handling, response, parsing), measured by the caller;
* ``bare_submit_to_receive_ms``: from just before ``submit_order()`` to the sandbox starting to
  handle the ``POST`` (the bare SDK's share of the ``tick_to_order_ms`` path).

The first ``warmup`` samples of each series are discarded (connection setup, first-call costs).
Figures are printed, never asserted: they depend on the machine.
"""

from __future__ import annotations

import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from actors.live.config import (
    AlpacaConfig,
    LiveEngineConfig,
    RiskConfig,
    StopLossConfig,
    TradingConfig,
)
from actors.live.engine import LiveTradingEngine
from actors.messages import MarketSnapshot, Signal, SignalAction
from ferrotrade.sandbox import AlpacaSandbox, TapeBar, TapeEvent
from strategies.base import Strategy

__all__ = ["FlipFlopBench", "run_live_benchmark"]

_KEY = "PKBENCHKEY0000000001"
_SECRET = "benchSecret/not-a-real-one"
_SYMBOL = "AAPL"
_QTY = 10
_START_NS = 1_704_205_800 * 1_000_000_000  # 2024-01-02T14:30:00Z
_MINUTE_NS = 60 * 1_000_000_000
_STRATEGY = "actors.live.bench:FlipFlopBench"


class FlipFlopBench(Strategy):
    """Long on one bar, flat on the next, per symbol: every bar changes the target, so every
    bar yields one order (an unchanged signal would be dropped as a duplicate)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._long: dict[str, bool] = {}

    def generate_signals(self, snapshot: MarketSnapshot) -> Sequence[Signal]:
        if snapshot.bar is None:
            return ()
        long = not self._long.get(snapshot.symbol, False)
        self._long[snapshot.symbol] = long
        if long:
            return (Signal(symbol=snapshot.symbol, action=SignalAction.BUY, target_weight=1.0),)
        return (Signal(symbol=snapshot.symbol, action=SignalAction.SELL, target_weight=0.0),)


def _percentiles(samples_ns: Sequence[int]) -> dict[str, float]:
    ms = np.asarray(samples_ns, dtype=np.float64) / 1e6
    p50, p99, p999 = np.percentile(ms, [50.0, 99.0, 99.9])
    return {
        "p50": round(float(p50), 4),
        "p99": round(float(p99), 4),
        "p999": round(float(p999), 4),
        "mean": round(float(ms.mean()), 4),
        "min": round(float(ms.min()), 4),
        "max": round(float(ms.max()), 4),
    }


def _config(sb: AlpacaSandbox) -> LiveEngineConfig:
    return LiveEngineConfig(
        trading=TradingConfig(
            symbols=(_SYMBOL,),
            strategy=_STRATEGY,
            timeframe="1Min",
            dry_run=False,
            paper_mode=True,
            warmup_bars=0,
            heartbeat_s=1.0,
            cancel_open_orders_on_start=True,
        ),
        risk=RiskConfig(sizing="fixed", position_quantity=_QTY),
        stop_loss=StopLossConfig(),
        alpaca=AlpacaConfig(
            api_key=_KEY,
            api_secret=_SECRET,
            base_url=sb.base_url,
            data_url=sb.base_url,
            data_stream_url=sb.data_stream_url(),
            trading_stream_url=sb.trading_stream_url,
            timeout_s=10.0,
        ),
    )


def _bar(i: int) -> TapeBar:
    price = 100.0 + (i % 7) * 0.25
    return TapeBar(
        symbol=_SYMBOL,
        ts=_START_NS + i * _MINUTE_NS,
        open=price,
        high=price + 0.5,
        low=price - 0.5,
        close=price,
        volume=1000.0,
        trade_count=10,
        vwap=price,
    )


def _ticks_above(n: int) -> Callable[[LiveTradingEngine], bool]:
    return lambda e: e.stats.ticks > n


def _updates_booked(n: int) -> Callable[[LiveTradingEngine], bool]:
    return lambda e: e.stats.updates_processed >= n


def _engine_ticks(
    sb: AlpacaSandbox, n: int, out_dir: Path, timeout_s: float
) -> tuple[list[int], int]:
    """Run the engine against ``sb`` for ``n`` bars; return (tick-to-order ns per bar, ticks)."""
    sent: dict[int, int] = {}

    def on_send(ev: TapeEvent, ns: int) -> None:
        if isinstance(ev, TapeBar):
            sent.setdefault(ev.ts, ns)

    engine = LiveTradingEngine(_config(sb), out_dir=out_dir, strategy_id="bench", freeze_gc=True)
    result: dict[str, int] = {}
    thread = threading.Thread(
        target=lambda: result.setdefault("code", engine.run()), name="bench-live-driver"
    )
    thread.start()
    latencies: list[int] = []
    try:
        if not engine.wait_for(lambda e: e.status in ("running", "stopped", "failed"), timeout_s):
            raise RuntimeError("live engine did not start")
        if engine.status != "running":
            raise RuntimeError(f"live engine did not start: {engine._error}")
        for counter in ("data_subscribed", "trading_listening"):
            if not sb.wait_for(counter, 1, timeout_s):
                raise RuntimeError(f"sandbox never saw {counter}")
        sb.on_market_send = on_send
        posts0 = len(sb.requests("POST", "/v2/orders"))
        for i in range(n):
            bar = _bar(i)
            ticks = engine.stats.ticks
            sb.publish(bar)
            want = posts0 + i + 1
            posts = sb.wait_for_request("POST", "/v2/orders", count=want, timeout=timeout_s)
            if len(posts) < want:
                raise RuntimeError(f"bar {i}: no order reached the sandbox within {timeout_s}s")
            if len(posts) > want:
                raise RuntimeError(f"bar {i}: more than one order for one bar")
            if bar.ts not in sent:
                raise RuntimeError(f"bar {i}: the sandbox did not stream it")
            latencies.append(posts[-1].received_ns - sent[bar.ts])
            # settle: the bar fully handled and every trade update it caused booked
            if not engine.wait_for(_ticks_above(ticks), timeout_s):
                raise RuntimeError(f"bar {i}: not handled by the engine")
            if not engine.wait_for(_updates_booked(len(sb.trade_updates_sent)), timeout_s):
                raise RuntimeError(f"bar {i}: trade updates not booked")
    finally:
        sb.on_market_send = None
        engine.request_stop()
        thread.join(timeout_s)
    if thread.is_alive():
        raise RuntimeError("live engine did not stop")
    if result.get("code") != 0:
        raise RuntimeError(f"live engine failed: {engine._error}")
    return latencies, engine.stats.ticks


def _bare_submits(sb: AlpacaSandbox, n: int) -> tuple[list[int], list[int]]:
    """The same market order through a bare TradingClient: (call ns, call-to-receive ns)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from alpaca.trading.client import TradingClient
        from alpaca.trading.enums import OrderSide, TimeInForce
        from alpaca.trading.requests import MarketOrderRequest

    client = TradingClient(_KEY, _SECRET, paper=True, url_override=sb.base_url)
    calls: list[int] = []
    to_receive: list[int] = []
    posts0 = len(sb.requests("POST", "/v2/orders"))
    for i in range(n):
        req = MarketOrderRequest(
            symbol=_SYMBOL,
            qty=_QTY,
            side=OrderSide.BUY if i % 2 == 0 else OrderSide.SELL,
            time_in_force=TimeInForce.DAY,
            client_order_id=f"bare-{i}",
        )
        t0 = time.perf_counter_ns()
        client.submit_order(req)
        t1 = time.perf_counter_ns()
        calls.append(t1 - t0)
        posts = sb.requests("POST", "/v2/orders")
        if len(posts) != posts0 + i + 1:
            raise RuntimeError(f"bare submit {i}: expected one POST, saw {len(posts) - posts0}")
        to_receive.append(posts[-1].received_ns - t0)
    return calls, to_receive


def run_live_benchmark(
    orders: int = 1000,
    *,
    warmup: int = 10,
    out_dir: str | Path | None = None,
    timeout_s: float = 15.0,
) -> dict[str, Any]:
    """Measure tick-to-order latency of the paper engine and the bare SDK submit (module doc).

    ``orders``: measured orders per series (at least 1); ``warmup`` more are run first and
    discarded. ``out_dir``: the engine's run directory (default: a temporary one, removed).
    Raises ``RuntimeError`` when a bar does not yield exactly one order within ``timeout_s``.
    """
    if orders < 1:
        raise ValueError("orders must be >= 1")
    if warmup < 0:
        raise ValueError("warmup must be >= 0")
    total = orders + warmup
    sb = AlpacaSandbox(None, key_id=_KEY, secret_key=_SECRET, start_ns=_START_NS)
    sb.start()
    try:
        with tempfile.TemporaryDirectory(prefix="ferrotrade-bench-live-") as tmp:
            run_dir = Path(out_dir) if out_dir is not None else Path(tmp)
            t0 = time.perf_counter()
            tick_ns, ticks = _engine_ticks(sb, total, run_dir, timeout_s)
            engine_s = time.perf_counter() - t0
        bare_ns, bare_recv_ns = _bare_submits(sb, total)
    finally:
        sb.stop()
    tick_ns, bare_ns, bare_recv_ns = tick_ns[warmup:], bare_ns[warmup:], bare_recv_ns[warmup:]
    return {
        "benchmark": "live",
        "mode": "paper",
        "server": "AlpacaSandbox on 127.0.0.1 (in-process)",
        "orders": len(tick_ns),
        "warmup": warmup,
        "ticks": ticks,
        "engine_wall_s": round(engine_s, 3),
        "tick_to_order_ms": _percentiles(tick_ns),
        "bare_submit_ms": _percentiles(bare_ns),
        "bare_submit_to_receive_ms": _percentiles(bare_recv_ns),
    }
