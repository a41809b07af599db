"""``ferrotrade sandbox --port N --tape FILE``: serve the sandbox until Ctrl-C / SIGTERM.

The tape is played one event every ``pace_s`` seconds of wall time once a stream client has
subscribed (or at once with ``wait_for_client=False``); the wall clock only paces playback,
every timestamp still comes from the tape. Exit status: 0 after a clean stop, 2 on a bad tape
or an unusable port (the message names the problem).
"""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import TextIO

from ferrotrade.sandbox.server import AlpacaSandbox, SandboxError
from ferrotrade.sandbox.tape import Tape, TapeError

__all__ = ["run_sandbox"]


def run_sandbox(
    port: int,
    tape: Path | None,
    *,
    pace_s: float = 1.0,
    key_id: str = "sandbox-key",
    secret_key: str = "sandbox-secret",
    wait_for_client: bool = True,
    stop_event: threading.Event | None = None,
    out: TextIO | None = None,
) -> int:
    """Run the sandbox in the foreground; return the process exit status."""
    stream = out or sys.stdout
    if not 0 <= port <= 65535:
        print(f"ferrotrade sandbox: --port must be in 0..65535, got {port}", file=sys.stderr)
        return 2
    try:
        loaded = Tape.load(tape) if tape is not None else Tape()
    except (OSError, TapeError) as exc:
        print(f"ferrotrade sandbox: cannot read tape: {exc}", file=sys.stderr)
        return 2
    stop = stop_event or threading.Event()
    previous: dict[int, object] = {}
    if threading.current_thread() is threading.main_thread():

        def on_signal(signum: int, frame: FrameType | None) -> None:
            stop.set()

        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[int(sig)] = signal.signal(sig, on_signal)
    sandbox = AlpacaSandbox(loaded, port=port, key_id=key_id, secret_key=secret_key)
    try:
        sandbox.start()
    except SandboxError as exc:
        print(f"ferrotrade sandbox: {exc}", file=sys.stderr)
        return 2
    try:
        print(
            f"Alpaca sandbox on 127.0.0.1:{sandbox.port} ({len(loaded)} tape events)", file=stream
        )
        print(f"  REST (TradingClient, StockHistoricalDataClient)  {sandbox.base_url}", file=stream)
        print(f"  market data stream (StockDataStream)  {sandbox.data_stream_url()}", file=stream)
        print(f"  trading stream (TradingStream)        {sandbox.trading_stream_url}", file=stream)
        print(f"  keys: API key {key_id!r}, secret {secret_key!r}; Ctrl-C stops", file=stream)
        stream.flush()
        if wait_for_client:
            while not stop.is_set() and not (
                sandbox.wait_for("data_subscribed", 1, timeout=0.2)
                or sandbox.counter("trading_listening") > 0
            ):
                pass
        while not stop.is_set() and sandbox.remaining_events > 0:
            sandbox.advance()
            stop.wait(pace_s)
        if not stop.is_set():
            print("tape finished; still serving", file=stream)
            stream.flush()
        stop.wait()
    finally:
        sandbox.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]
    print("sandbox stopped", file=stream)
    return 0
