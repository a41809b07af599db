"""The actor host: each component inside its own ``pykka.ThreadingActor``.

Threading model: every component runs only on its actor's thread; the driver (the thread that
calls ``feed``/``run_until_idle``/``query``/``stop``) never touches a component directly. Actors
only ``tell``; the driver may ``ask`` (it is not an actor), which is how ``query`` works.

Two modes, one component code:

* ``lockstep=False`` (live): an actor hands each output straight to its subscribers' inboxes,
  and appends it to each tap's :class:`TapBuffer` (the logger drains in batches, so it is not
  woken once per message). An in-flight counter (+n before n tells, -1 after a message is
  handled) lets ``run_until_idle`` wait until every message caused so far has been handled;
  then the taps are drained.
* ``lockstep=True`` (backtests, bit-identical to :class:`DeterministicHost`): the same steps as
  the deterministic host, wave by wave. A wave is the list of messages the previous wave
  produced; each subscriber handles its messages of the wave in wave order, and the next wave is
  their outputs concatenated in (message index, routing order) -- exactly the order of the
  deterministic host's FIFO queue, so each component sees the same inputs in the same order on
  both hosts. The waves are run by a :class:`_Baton` passed from actor to actor with ``tell``:
  the holder handles its turn and tells the baton to the next subscriber, or plans the next wave
  (or the next step, moving the simulated clock) itself. The driver hands over a whole batch of
  steps and is woken once at the end, so each turn costs one thread hand-off instead of a round
  trip through the driver. Taps (the logger) get the wave messages in order, 4096 per ``tell``.

Placement (:mod:`actors.host.affinity`): by default every actor thread, and the driver (the
thread that starts the host) while the host runs, is pinned to one core and put in
``SCHED_BATCH``. Under the GIL the threads never run in parallel anyway; on one core a ``tell``
is a same-core context switch instead of a cross-core wake-up, and without wake-up preemption
the woken actor does not preempt the teller only to wait for the GIL it still holds. Measured
here (2 vCPU, CPython 3.11): a thread round trip 56-68 us -> 8 us. ``pin_cpu=None,
sched_batch=False`` turns it off.

Latency: inboxes are ``queue.SimpleQueue`` (C implementation, cheaper put/get than
``queue.Queue``); an actor retires its message and accounts for its outputs *before* its tells,
so the tells are the last thing it does before blocking again (the woken subscriber finds the
GIL free); subscribers are told before the taps, in pipeline order. ``switch_interval_s``
optionally sets the interpreter's thread switch interval while the host runs (restored at
``stop``); in a chain the holder releases the GIL by blocking on its inbox long before any
interval expires, so the default leaves the interpreter setting alone.

Supervision is :class:`ComponentCell`'s; an ESCALATE failure is re-raised in the driver by the
next ``run_until_idle``/``feed``/``stop``. ``stop`` drains, then stops components in reverse
start order (each stop's messages are drained before the next), then stops the actor threads; no
thread is left behind (actor threads are non-daemon, so this matters for interpreter exit).
"""

from __future__ import annotations

import heapq
import itertools
import queue
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar, cast

import pykka

from actors.clock import Clock, SimulatedClock
from actors.errors import (
    ActorRuntimeError,
    ComponentStoppedError,
    ConfigurationError,
    EscalatedFailureError,
)
from actors.host.affinity import (
    CpuPin,
    batch_scheduling,
    pin_thread,
    resolve_cpu,
    restore_scheduling,
    thread_affinity,
)
from actors.host.base import FeedStamper
from actors.host.routing import RoutingTable
from actors.host.supervision import ComponentCell
from actors.messages import Message

__all__ = ["ComponentActor", "InFlight", "PykkaHost"]

T = TypeVar("T")
_REPLY_TIMEOUT_S = 120.0


class InFlight:
    """Counts messages told but not yet handled; ``wait_idle`` blocks until the count is 0.

    Every handled message updates the count, so the updates take the raw lock (C-level
    ``with``, no Python frames) and notify only on reaching 0 -- the Condition's own
    ``__enter__``/``__exit__`` are Python methods and cost more than the count itself.
    """

    def __init__(self) -> None:
        self._n = 0
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self.error: BaseException | None = None

    def add(self, n: int) -> None:
        with self._lock:
            self._n += n

    def add_and_done(self, n: int) -> None:
        """``add(n)`` then ``done()`` under one lock acquisition."""
        with self._lock:
            self._n += n - 1
            if self._n == 0:
                self._cond.notify_all()

    def done(self) -> None:
        with self._lock:
            self._n -= 1
            if self._n == 0:
                self._cond.notify_all()

    def fail(self, exc: BaseException) -> None:
        with self._lock:
            if self.error is None:
                self.error = exc
            self._cond.notify_all()

    def take_error(self) -> BaseException | None:
        with self._lock:
            err, self.error = self.error, None
            return err

    def wait_idle(self, timeout: float | None = None) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self._n == 0 or self.error is not None, timeout)


class _Baton:
    """Lockstep: the token that runs one batch of steps through the actors, one turn at a time.

    A step is one root message (with the time to move the clock to, or ``None``); its cascade
    is split into waves exactly as the deterministic host's FIFO queue orders them. A wave's
    *plan* lists each subscriber once, with its messages of the wave in order. The actor whose
    turn it is handles its items, stores its outputs, and ``tell``s the baton to the next
    subscriber -- or, after the wave's last subscriber, builds the next wave (or starts the next
    step) itself. The driver is woken once per batch (``done``), not once per wave, and each turn
    is a single hand-off between two actor threads. Only the holder touches the baton; the
    inbox hand-off orders its memory.
    """

    __slots__ = (
        "clock",
        "done",
        "error",
        "host",
        "plan",
        "pos",
        "results",
        "steps",
        "tap_items",
        "wave",
    )

    def __init__(
        self,
        host: PykkaHost,
        steps: Iterable[tuple[int | None, tuple[Message, ...]]],
        done: queue.SimpleQueue[Any],
    ) -> None:
        self.host = host
        clock = host.clock
        assert isinstance(clock, SimulatedClock)
        self.clock = clock
        self.steps = deque(steps)
        self.done = done
        self.error: BaseException | None = None
        self.wave: list[Message] = []
        self.plan: list[tuple[str, tuple[tuple[int, Message], ...]]] = []
        self.pos = 0
        self.results: dict[str, dict[int, tuple[Message, ...]]] = {}
        self.tap_items: list[Message] = []

    def advance(self, holder: str | None = None) -> str | None:
        """Plan the next wave (the current one's outputs, else the next step's root); return
        the name of the component whose turn it is, or ``None`` when every step is done.

        Turn order within a wave is free (each subscriber sees only its own messages, in wave
        order, and outputs are assembled in routing order), so it is chosen to save hand-offs:
        the ``holder`` of the baton goes first when it has a turn, and the others go in
        :meth:`PykkaHost._turn_order` (broad subscribers last: the likeliest to hold a turn in
        the next wave too)."""
        targets_of = self.host._targets_of
        turn_order = self.host._turn_order
        wave = self.wave
        if wave:
            results = self.results
            nxt: list[Message] = []
            for i, m in enumerate(wave):
                for name in targets_of(type(m)):
                    nxt.extend(results[name][i])
            wave = nxt
        taps = self.host.has_taps
        while True:
            while not wave:
                if not self.steps:
                    self.wave = []
                    return None
                ts, roots = self.steps.popleft()
                if ts is not None and ts > self.clock.now_ns():
                    self.clock.set_ns(ts)
                wave = list(roots)
            if taps:
                self.tap_items.extend(wave)
                if len(self.tap_items) >= _TAP_BATCH:
                    self.host._flush_taps(self.tap_items)
                    self.tap_items = []
            if len(wave) == 1:  # the common case: one message, its subscribers in order
                only = wave[0]
                names = turn_order(type(only))
                if names:
                    self.wave = wave
                    item = ((0, only),)
                    self.plan = [(name, item) for name in names]
                    if holder is not None and names[0] != holder and holder in names:
                        self.plan.remove((holder, item))
                        self.plan.insert(0, (holder, item))
                    self.pos = 0
                    self.results = {}
                    return self.plan[0][0]
                wave = []
                continue
            batches: dict[str, list[tuple[int, Message]]] = {}
            for i, m in enumerate(wave):
                for name in targets_of(type(m)):
                    items = batches.get(name)
                    if items is None:
                        batches[name] = [(i, m)]
                    else:
                        items.append((i, m))
            if batches:
                self.wave = wave
                rank = self.host._rank
                order = sorted(batches, key=lambda n: (n != holder, rank[n]))
                self.plan = [(name, tuple(batches[name])) for name in order]
                self.pos = 0
                self.results = {}
                return self.plan[0][0]
            wave = []  # nobody subscribes: the step is over

    def finish(self, error: BaseException | None = None) -> None:
        self.error = error
        self.done.put(self)


_TAP_BATCH = 4096


class _Call:
    """Driver request: run ``fn(cell)`` on the actor thread and return its result (ask)."""

    __slots__ = ("fn",)

    def __init__(self, fn: Callable[[ComponentCell], Any]) -> None:
        self.fn = fn


class _TapItems:
    """Lockstep: messages for a tap to absorb, in wave order (one tell per batch)."""

    __slots__ = ("items",)

    def __init__(self, items: list[Message]) -> None:
        self.items = items


class _Drain:
    """Live mode: a tap actor empties its :class:`TapBuffer`."""

    __slots__ = ()


_DRAIN = _Drain()


class TapBuffer:
    """Live mode: messages for one tap (the logger), without a ``tell`` per message.

    Every actor appends its outputs to the deque (``deque.extend`` is atomic); the tap is told
    to drain mid-cascade only when ``batch`` messages wait. Otherwise it drains when the host
    goes idle -- at once in lockstep mode, and in live mode once ``interval_ns`` has passed since
    the last drain (:meth:`due`) -- before any driver call to the tap (a query sees everything
    sent before it), and at stop. So the tap thread wakes once per batch or interval instead of
    once per message, and never on a tick's critical path for the interval: on one core every
    wake-up and every drain competes with the critical path (and evicts its caches).
    Order in the log is the order of appends (a total order across threads).
    """

    __slots__ = ("batch", "interval_ns", "items", "last_ns", "pending", "ref")

    def __init__(self, ref: pykka.ActorRef[Any], batch: int = 256, interval_ns: int = 2_000_000):
        self.ref = ref
        self.items: deque[Message] = deque()
        self.batch = batch
        self.interval_ns = interval_ns
        self.pending = False
        self.last_ns = time.monotonic_ns()

    def extend(self, messages: Sequence[Message], inflight: InFlight) -> None:
        items = self.items
        items.extend(messages)
        if not self.pending and len(items) >= self.batch:
            self.pending = True
            inflight.add(1)
            try:
                self.ref.tell(_DRAIN)
            except pykka.ActorDeadError:
                inflight.done()

    def due(self) -> bool:
        """Whether an idle host should drain this buffer now (live mode)."""
        items = self.items
        return bool(items) and (
            len(items) >= self.batch or time.monotonic_ns() - self.last_ns >= self.interval_ns
        )

    def drain_into(self, cell: ComponentCell) -> None:
        """Runs on the tap's thread."""
        self.pending = False
        self.last_ns = time.monotonic_ns()
        items = self.items
        while items:
            cell.absorb(items.popleft())


class _Wire:
    __slots__ = ("buffers", "is_tap", "own_buffer", "routes")

    def __init__(
        self,
        routes: dict[type, tuple[pykka.ActorRef[Any], ...]],
        buffers: tuple[TapBuffer, ...],
        own_buffer: TapBuffer | None,
    ) -> None:
        self.routes = routes
        self.buffers = buffers
        self.own_buffer = own_buffer
        self.is_tap = own_buffer is not None


#: the host's own message types (everything else is a component message)
_CONTROL: frozenset[type] = frozenset((_Baton, _TapItems, _Call, _Drain, _Wire))


class ComponentActor(pykka.ThreadingActor):
    """Thin shell: delivers messages to its cell and forwards outputs (live mode)."""

    use_daemon_thread = False

    @staticmethod
    def _create_actor_inbox() -> Any:
        return queue.SimpleQueue()

    def __init__(
        self,
        cell: ComponentCell,
        inflight: InFlight,
        threads: list[threading.Thread],
        cpu: int | None = None,
        sched_batch: bool = False,
    ) -> None:
        super().__init__()
        self.cpu = cpu
        self.sched_batch = sched_batch
        self.cell = cell
        self.inflight = inflight
        self._threads = threads
        self.routes: dict[type, tuple[pykka.ActorRef[Any], ...]] = {}
        self.buffers: tuple[TapBuffer, ...] = ()
        self.own_buffer: TapBuffer | None = None
        self.is_tap = False

    def on_start(self) -> None:
        # runs in the actor's thread: record it so the host can join it at stop
        self._threads.append(threading.current_thread())
        pin_thread(self.cpu)
        if self.sched_batch:
            batch_scheduling()

    def on_receive(self, message: Any) -> Any:
        kind = type(message)
        if kind in _CONTROL:
            return self._control(message, kind)
        out: Sequence[Message]
        try:
            if self.is_tap:
                self.cell.absorb(message)
                out = ()
            else:
                out = self.cell.deliver(message)
        except Exception as exc:  # escalation, or a bug in the shell: stop the driver cleanly
            self.inflight.fail(exc)
            reports = exc.reports if isinstance(exc, EscalatedFailureError) else ()
            out = [r for r in reports if isinstance(r, Message)]
        if not out:
            self.inflight.done()
            return None
        # account for the outputs *before* retiring this message (the count never touches 0
        # early), then make the tells the very last thing this thread does before it blocks on
        # its inbox again, so the woken subscriber finds the GIL free sooner.
        routes = self.routes
        if len(out) == 1:  # the common case: no list of (ref, message) pairs to build
            m = out[0]
            refs = routes.get(type(m), ())
            for buf in self.buffers:
                buf.extend(out, self.inflight)
            self.inflight.add_and_done(len(refs))
            for ref in refs:
                self._tell(ref, m)
            return None
        tells = [(ref, m) for m in out for ref in routes.get(type(m), ())]
        for buf in self.buffers:
            buf.extend(out, self.inflight)
        self.inflight.add_and_done(len(tells))
        for ref, m in tells:
            self._tell(ref, m)
        return None

    def _tell(self, ref: pykka.ActorRef[Any], message: Message) -> None:
        try:
            ref.tell(message)
        except pykka.ActorDeadError:  # stopped: the message will never be handled
            self.inflight.done()

    def _control(self, message: Any, kind: type) -> Any:
        """The host's own messages: lockstep turns, tap batches, driver calls, wiring."""
        if kind is _Baton:
            self._turn(message)
            return None
        if kind is _Call:
            return message.fn(self.cell)
        if kind is _Wire:
            self.routes, self.buffers = message.routes, message.buffers
            self.own_buffer, self.is_tap = message.own_buffer, message.is_tap
            return None
        try:
            if kind is _TapItems:
                for m in message.items:
                    self.cell.absorb(m)
            elif self.own_buffer is not None:  # _Drain
                self.own_buffer.drain_into(self.cell)
        except Exception as exc:
            self.inflight.fail(exc)
        self.inflight.done()
        return None

    def _turn(self, baton: _Baton) -> None:
        """Lockstep: handle every planned turn that is this actor's, then pass the baton on."""
        name = self.cell.name
        deliver = self.cell.deliver
        try:
            while True:
                target, items = baton.plan[baton.pos]
                if target != name:
                    baton.host.refs[target].tell(baton)
                    return
                baton.results[name] = {i: tuple(deliver(m)) for i, m in items}
                baton.pos += 1
                if baton.pos == len(baton.plan) and baton.advance(name) is None:
                    baton.finish()
                    return
        except BaseException as exc:
            baton.finish(exc)


class PykkaHost:
    def __init__(
        self,
        cells: Sequence[ComponentCell],
        routes: RoutingTable,
        clock: Clock,
        start_order: Sequence[str] | None = None,
        lockstep: bool = True,
        switch_interval_s: float | None = None,
        pin_cpu: CpuPin = "auto",
        sched_batch: bool = True,
    ) -> None:
        self.cells = {c.name: c for c in cells}
        self.pin_cpu = pin_cpu
        self.sched_batch = sched_batch
        self._driver_policy: int | None = None
        self.cpu: int | None = None
        self._driver_affinity: frozenset[int] | None = None
        self.routes = routes
        self.clock = clock
        self.lockstep = lockstep
        self.switch_interval_s = switch_interval_s
        self.start_order = tuple(start_order or (c.name for c in cells))
        if set(self.start_order) != set(self.cells):
            raise ConfigurationError("start order and components differ")
        if lockstep and not isinstance(clock, SimulatedClock):
            raise ConfigurationError("lockstep mode needs a SimulatedClock")
        self.inflight = InFlight()
        self.refs: dict[str, pykka.ActorRef[Any]] = {}
        self._heap: list[tuple[int, int, Message]] = []
        self._seq = itertools.count()
        self._stamp_feed = FeedStamper()
        self._reply: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._old_switch: float | None = None
        self._targets: dict[type, tuple[str, ...]] = {}
        self._turns: dict[type, tuple[str, ...]] = {}
        # lockstep turn rank: (number of subscribed types, routing position) -- narrow first
        subscribed: dict[str, int] = dict.fromkeys(routes.components, 0)
        for names in routes.as_mapping().values():
            for n in names:
                subscribed[n] += 1
        position = {n: i for i, n in enumerate(routes.components)}
        ranked = sorted(subscribed, key=lambda n: (subscribed[n], position[n]))
        self._rank: dict[str, int] = {n: i for i, n in enumerate(ranked)}
        self._threads: list[threading.Thread] = []
        self._buffers: dict[str, TapBuffer] = {}
        self.running = False

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        if self.running:
            return
        if self.switch_interval_s is not None:
            self._old_switch = sys.getswitchinterval()
            sys.setswitchinterval(self.switch_interval_s)
        try:
            self.cpu = resolve_cpu(self.pin_cpu)
            if self.cpu is not None:
                # the driver hands every batch (lockstep) or tick (live) to the actors: on their
                # core the hand-off is a same-core switch and the core does not go idle (and
                # cold) between ticks -- live tick-to-order p50 69-81 -> 52 us measured here
                self._driver_affinity = thread_affinity()
                pin_thread(self.cpu)
            if self.sched_batch:
                self._driver_policy = batch_scheduling()
            for name in self.start_order:
                self.refs[name] = ComponentActor.start(
                    self.cells[name], self.inflight, self._threads, self.cpu, self.sched_batch
                )
            self._buffers = {t: TapBuffer(self.refs[t]) for t in self.routes.taps}
            # lockstep: the driver tells taps every wave message itself; buffers then only carry
            # what an actor emits outside a wave (a message told to it directly)
            live_buffers = tuple(self._buffers.values())
            for name, ref in self.refs.items():
                routes: dict[type, tuple[pykka.ActorRef[Any], ...]] = {}
                if not self.lockstep:
                    for t, names in self.routes.as_mapping().items():
                        routes[t] = tuple(self.refs[n] for n in names)
                own = self._buffers.get(name)
                if own is not None:
                    ref.ask(_Wire({}, (), own))
                else:
                    ref.ask(_Wire(routes, live_buffers, None))
            self.running = True
            started: list[Message] = []
            for name in self.start_order:
                started.extend(self._call(name, lambda cell: cell.start()))
            self._dispatch(started)
        except BaseException:
            self._stop_actors()
            raise

    def stop(self, drain: bool = True) -> None:
        """Drain, stop components in reverse start order, then stop every actor thread.

        ``drain=False`` (after an error) drops external messages not yet fed to an actor; what
        is already in an inbox is still handled, so the stop stays orderly.
        """
        if not self.running:
            return
        try:
            if not drain:
                self._heap.clear()
            self.run_until_idle()
            for name in reversed(self.start_order):
                self._dispatch(self._call(name, lambda cell: cell.stop()))
                self._wait_idle()
        finally:
            self.running = False
            self._stop_actors()

    def _stop_actors(self) -> None:
        for name in reversed(self.start_order):
            ref = self.refs.pop(name, None)
            if ref is not None:
                ref.stop(block=True)
        for thread in self._threads:  # stop() returns before the thread has exited: join it
            thread.join(_REPLY_TIMEOUT_S)
        self._threads.clear()
        if self._old_switch is not None:
            sys.setswitchinterval(self._old_switch)
            self._old_switch = None
        if self._driver_affinity is not None:
            pin_thread(self._driver_affinity)
            self._driver_affinity = None
        restore_scheduling(self._driver_policy)
        self._driver_policy = None

    # -- driving -----------------------------------------------------------------------------
    def _call(self, name: str, fn: Callable[[ComponentCell], T]) -> T:
        buf = self._buffers.get(name)
        if buf is not None and fn != buf.drain_into:
            call = fn

            def fn(cell: ComponentCell) -> T:  # a tap answers after what was sent before
                buf.drain_into(cell)
                return call(cell)

        result: Any = self.refs[name].ask(_Call(fn))
        return cast(T, result)

    def query(self, name: str, fn: Callable[[Any], T]) -> T:
        """Run ``fn(component)`` on the component's own thread and return the result."""
        return self._call(name, lambda cell: fn(cell.component))

    def feed(self, message: Message) -> None:
        if not self.running:
            raise ComponentStoppedError("the host is not running: start() it first")
        self._raise_failure()
        message = self._stamp_feed(message)
        if self.lockstep:
            heapq.heappush(self._heap, (message.ts_event, next(self._seq), message))
        else:
            self._dispatch((message,))

    def feed_many(self, messages: Iterable[Message]) -> None:
        for m in messages:
            self.feed(m)

    def send(self, message: Message) -> None:
        """Deliver ``message`` now as its own step (commands), without moving the clock."""
        self._dispatch((self._stamp_feed(message),))
        self._wait_idle()

    def run_until_idle(self) -> None:
        if self.lockstep and self._heap:
            heap = self._heap
            steps = [heapq.heappop(heap) for _ in range(len(heap))]
            self._run_steps([(ts, (m,)) for ts, _, m in steps])
        self._wait_idle()

    def _wait_idle(self) -> None:
        """Wait until no message is in flight, then drain the taps' buffers: every one in
        lockstep mode (their messages precede the next wave's), in live mode those
        :meth:`TapBuffer.due` (a query or stop drains the rest)."""
        if not self.inflight.wait_idle(_REPLY_TIMEOUT_S):
            raise ActorRuntimeError(f"actors not idle after {_REPLY_TIMEOUT_S}s")
        for name, buf in self._buffers.items():
            if name in self.refs and (bool(buf.items) if self.lockstep else buf.due()):
                self._call(name, buf.drain_into)
        self._raise_failure()

    def _raise_failure(self) -> None:
        """Re-raise an actor's escalated failure in the driver, once (``stop`` still works)."""
        err = self.inflight.take_error()
        if err is not None:
            raise err

    def _dispatch(self, messages: Sequence[Message]) -> None:
        if not messages:
            return
        if self.lockstep:
            self._cascade_lockstep(messages)
            return
        tells = [(self.refs[n], m) for m in messages for n in self.routes.targets(type(m))]
        for buf in self._buffers.values():
            buf.extend(messages, self.inflight)
        self.inflight.add(len(tells))
        for ref, m in tells:
            ref.tell(m)

    def _turn_order(self, message_type: type) -> tuple[str, ...]:
        """Lockstep turn order of ``message_type``'s subscribers: by :attr:`_rank`."""
        try:
            return self._turns[message_type]
        except KeyError:
            rank = self._rank
            names = tuple(sorted(self.routes.targets(message_type), key=rank.__getitem__))
            self._turns[message_type] = names
            return names

    def _targets_of(self, message_type: type) -> tuple[str, ...]:
        try:
            return self._targets[message_type]
        except KeyError:
            names = self.routes.targets(message_type)
            self._targets[message_type] = names
            return names

    @property
    def has_taps(self) -> bool:
        return bool(self.routes.taps)

    def _flush_taps(self, items: list[Message]) -> None:
        """Lockstep: hand a batch of wave messages to every tap (counted in flight)."""
        for tap in self.routes.taps:
            ref = self.refs.get(tap)
            if ref is not None:
                self.inflight.add(1)
                ref.tell(_TapItems(items))

    def _run_steps(self, steps: Sequence[tuple[int | None, tuple[Message, ...]]]) -> None:
        """Lockstep: run ``steps`` (clock time or ``None``, root message) in order, each to the
        end of its cascade, by passing a :class:`_Baton` among the actors; wait for it once."""
        baton = _Baton(self, steps, self._reply)
        try:
            first = baton.advance()
        except BaseException as exc:
            baton.error = exc
            first = None
        if first is not None:
            self.refs[first].tell(baton)
            try:
                baton = self._reply.get(timeout=_REPLY_TIMEOUT_S)
            except queue.Empty:
                raise ActorRuntimeError("the lockstep baton did not come back") from None
        error = baton.error
        tail = list(baton.tap_items)
        if isinstance(error, EscalatedFailureError):
            tail.extend(r for r in error.reports if isinstance(r, Message))
        if tail:
            self._flush_taps(tail)
        if error is not None:
            raise error

    def _cascade_lockstep(self, roots: Sequence[Message]) -> None:
        """One step whose first wave is ``roots`` (commands, start/stop: the clock stays)."""
        self._run_steps([(None, tuple(roots))])
