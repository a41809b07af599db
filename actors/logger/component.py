"""LoggingComponent (the seed's TradeLogger): an append-only JSONL audit of every message.

Hosts send it a copy of every message (it is the routing table's tap). Messages are buffered
as (immutable) objects and encoded with orjson only when the buffer is written: when it holds
``flush_every`` messages, when the clock has moved ``flush_interval_ns`` since the last write,
and at :meth:`on_stop` -- so the hot path pays one append, encoding happens in batches off the
critical path, and a clean stop loses nothing. File: ``<run_dir>/messages.jsonl``.
Without a ``run_dir`` lines stay in memory (:attr:`lines`), for tests and short runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

import orjson

from actors.clock import Clock
from actors.component import Component
from actors.messages import (
    Fill,
    LogEntry,
    LogLevel,
    Message,
    OrderFilled,
    OrderPartiallyFilled,
    Signal,
    encode_line,
    to_dict,
)

__all__ = ["LoggingComponent"]

_EMPTY: tuple[Message, ...] = ()
Details = dict[str, str | int | float | bool | None]


class LoggingComponent(Component):
    """Subscribed to everything by the host; never emits messages."""

    journal_types = ()

    def __init__(
        self,
        name: str,
        clock: Clock,
        run_dir: str | Path | None = None,
        flush_every: int = 1024,
        flush_interval_ns: int = 1_000_000_000,
    ) -> None:
        super().__init__(name, clock)
        self.run_dir = Path(run_dir) if run_dir is not None else None
        self.flush_every = flush_every
        self.flush_interval_ns = flush_interval_ns
        self.lines: list[bytes] = []
        self._buffer: list[Message] = []
        self._last_flush_ns = clock.now_ns()
        self._trades: list[Fill] = []
        self._file: IO[bytes] | None = None
        self.count = 0

    @property
    def path(self) -> Path | None:
        return None if self.run_dir is None else self.run_dir / "messages.jsonl"

    def handle(self, message: object) -> Sequence[Message]:
        if isinstance(message, Message):
            self._record(message)
        else:
            self._record(self.dead_letter(message, "not a message"))
        return _EMPTY

    def _record(self, message: Message) -> None:
        self.count += 1
        self._buffer.append(message)
        if type(message) in (OrderFilled, OrderPartiallyFilled):
            self._trades.append(message)  # type: ignore[arg-type]
        if (
            len(self._buffer) >= self.flush_every
            or self.clock.now_ns() - self._last_flush_ns >= self.flush_interval_ns
        ):
            self.flush()

    def inherit(self, previous: Component) -> None:
        """Keep every line and trade accepted before the failure (nothing is lost)."""
        if isinstance(previous, LoggingComponent):
            self.lines = previous.lines
            self._buffer = previous._buffer
            self._trades = previous._trades
            self._file = previous._file
            self.count = previous.count

    # -- seed API ------------------------------------------------------------------------------
    def log_event(
        self, level: LogLevel | str, message: str, details: Details | None = None
    ) -> LogEntry:
        entry = LogEntry(
            **self.stamp(None),
            level=LogLevel(level),
            message=message,
            details=tuple(sorted((details or {}).items())),
        )
        self._record(entry)
        return entry

    def log_trade(self, fill: Fill) -> None:
        self._record(fill)

    def log_signal(self, signal: Signal) -> None:
        self._record(signal)

    def get_trade_history(
        self, start_ns: int | None = None, end_ns: int | None = None
    ) -> tuple[dict[str, Any], ...]:
        """Fills with ``start_ns <= ts_event < end_ns`` (open bounds when ``None``), as dicts."""
        return tuple(
            to_dict(f)
            for f in self._trades
            if (start_ns is None or f.ts_event >= start_ns)
            and (end_ns is None or f.ts_event < end_ns)
        )

    # -- buffering -------------------------------------------------------------------------------
    def flush(self) -> None:
        """Write buffered lines to the sink."""
        self._last_flush_ns = self.clock.now_ns()
        if not self._buffer:
            return
        if self.run_dir is None:
            self.lines.extend([encode_line(m) for m in self._buffer])
        else:
            if self._file is None:
                self.run_dir.mkdir(parents=True, exist_ok=True)
                self._file = open(self.run_dir / "messages.jsonl", "ab", buffering=1 << 16)  # noqa: SIM115
            write = self._file.write
            for m in self._buffer:  # line by line into the file buffer: no big join
                write(encode_line(m))
            self._file.flush()
        self._buffer.clear()

    def on_stop(self) -> Sequence[Message]:
        self.flush()
        if self._file is not None:
            self._file.close()
            self._file = None
        return _EMPTY

    @staticmethod
    def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
        """Decode a ``messages.jsonl`` file (for reports and tests)."""
        with open(path, "rb") as fh:
            return [orjson.loads(line) for line in fh if line.strip()]
