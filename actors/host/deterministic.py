"""The deterministic host: one thread, the fast path for backtests.

External messages (``feed``) wait in a heap ordered by ``(ts_event, feed sequence)``. The host
pops one, sets the simulated clock to its timestamp and runs its **step**: a FIFO cascade in
which each message is first handed to the taps (the logger; a tap's own outputs go back into
it, inline), then to its subscribers in routing order, and each subscriber's outputs are
appended to the queue in that order. The step ends when
the queue is empty -- every message caused by the event has been handled -- and only then is the
next external message popped. :mod:`actors.host.pykka_host` reproduces exactly this order.
"""

from __future__ import annotations

import heapq
import itertools
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from actors.clock import Clock, SimulatedClock
from actors.errors import ComponentStoppedError, ConfigurationError, EscalatedFailureError
from actors.host.base import FeedStamper
from actors.host.routing import RoutingTable
from actors.host.supervision import ComponentCell
from actors.messages import Message

__all__ = ["DeterministicHost"]

T = TypeVar("T")


class DeterministicHost:
    def __init__(
        self,
        cells: Sequence[ComponentCell],
        routes: RoutingTable,
        clock: Clock,
        start_order: Sequence[str] | None = None,
    ) -> None:
        self.cells = {c.name: c for c in cells}
        self.routes = routes
        self.clock = clock
        self.start_order = tuple(start_order or (c.name for c in cells))
        unknown = set(self.start_order) ^ set(self.cells)
        if unknown:
            raise ConfigurationError(f"start order and components differ: {sorted(unknown)}")
        self._heap: list[tuple[int, int, Message]] = []
        self._seq = itertools.count()
        self._stamp_feed = FeedStamper()
        self._taps = tuple(self.cells[t] for t in routes.taps)
        self._targets: dict[type, tuple[ComponentCell, ...]] = {}
        self.delivered = 0
        self.running = False

    def _cells_for(self, message_type: type) -> tuple[ComponentCell, ...]:
        try:
            return self._targets[message_type]
        except KeyError:
            cells = tuple(self.cells[n] for n in self.routes.targets(message_type))
            self._targets[message_type] = cells
            return cells

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        """Start every component in order, then deliver what starting them emitted (so no
        start-up message reaches a component that is not running yet)."""
        self.running = True
        out: list[Message] = []
        for name in self.start_order:
            out.extend(self.cells[name].start())
        self._cascade(out)

    def stop(self, drain: bool = True) -> None:
        """Finish pending external messages (or drop them: ``drain=False``), then stop
        components in reverse start order."""
        if not self.running:
            return
        if drain:
            self.run_until_idle()
        else:
            self._heap.clear()
        for name in reversed(self.start_order):
            self._cascade(self.cells[name].stop())
        self.running = False

    # -- driving -----------------------------------------------------------------------------
    def feed(self, message: Message) -> None:
        if not self.running:
            raise ComponentStoppedError("the host is not running: start() it first")
        message = self._stamp_feed(message)
        heapq.heappush(self._heap, (message.ts_event, next(self._seq), message))

    def feed_many(self, messages: Iterable[Message]) -> None:
        for m in messages:
            self.feed(m)

    def send(self, message: Message) -> None:
        """Deliver ``message`` now, as its own step, without moving the clock."""
        self._cascade((self._stamp_feed(message),))

    def run_until_idle(self) -> None:
        heap = self._heap
        clock = self.clock
        set_ns = clock.set_ns if isinstance(clock, SimulatedClock) else None
        while heap:
            ts, _, message = heapq.heappop(heap)
            if set_ns is not None and ts > clock.now_ns():
                set_ns(ts)
            self._cascade((message,))

    def _cascade(self, roots: Iterable[Message]) -> None:
        queue: deque[Message] = deque(roots)
        taps = self._taps
        pop = queue.popleft
        extend = queue.extend
        n = 0
        while queue:
            message = pop()
            for tap in taps:
                tap.absorb(message)
            for cell in self._cells_for(type(message)):
                n += 1
                try:
                    extend(cell.deliver(message))
                except EscalatedFailureError as exc:
                    for report in exc.reports:
                        for tap in taps:
                            tap.absorb(report)
                    raise
        self.delivered += n

    def query(self, name: str, fn: Callable[[Any], T]) -> T:
        """Run ``fn(component)`` (same thread: no locking needed)."""
        return fn(self.cells[name].component)
