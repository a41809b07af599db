"""Clocks: the only source of "now" for components.

Components never read the wall clock; a host injects a :class:`Clock`. :class:`LiveClock` is the
one place in ``actors`` that calls ``time.time_ns()``.
"""

from __future__ import annotations

import time
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "LiveClock", "SimulatedClock"]


@runtime_checkable
class Clock(Protocol):
    """Integer nanoseconds since the Unix epoch, UTC."""

    def now_ns(self) -> int: ...


class SimulatedClock:
    """Set by the host (the driver thread, between steps); never moves backwards."""

    __slots__ = ("_now",)

    def __init__(self, start_ns: int = 0) -> None:
        self._now = start_ns

    def now_ns(self) -> int:
        return self._now

    def set_ns(self, ts_ns: int) -> None:
        """Advance to ``ts_ns``; raises ``ValueError`` if that would move time backwards."""
        if ts_ns < self._now:
            raise ValueError(f"SimulatedClock cannot go back from {self._now} to {ts_ns}")
        self._now = ts_ns


class LiveClock:
    """Wall-clock time for live and paper trading."""

    __slots__ = ()

    def now_ns(self) -> int:
        return time.time_ns()
