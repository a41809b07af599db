"""Actor-runtime benchmark: throughput on both hosts and tick-to-order latency, with baselines.

Every figure comes from one call, so the baselines (bare Pykka actors forwarding the same frozen
messages, and plain function calls) are measured on the same machine in the same run.

* The logger writes JSONL to a temporary run directory (removed afterwards), as in a real run.
* Throughput: quote ticks through data -> strategy -> risk -> execution -> portfolio (plus the
  logger tap and reporting), a strategy that trades every tick, and an immediate-fill venue.
  ``*_msgs_per_s`` = messages handled by components (every delivery, taps included) per second.
  Baselines deliver each tick through 5 actors / 5 functions (5 deliveries per tick).
* Latency: ticks sent one at a time (the next only after the previous has fully drained) through
  the actor host in live mode; from the data actor starting to handle the tick to the execution
  actor having produced the order acceptance (3 hops). Baseline: 4 bare Pykka actors, from the
  first actor's receive to the fourth actor's. Percentiles p50/p99/p99.9 in microseconds.
* ``actor_host_forwarding_msgs_per_s``: the actor host running the bare-Pykka chain's job
  (5 components that only forward), i.e. the host's own overhead against the bare baseline;
  ``deterministic_forwarding_msgs_per_s``: the same job on the deterministic host.
"""

from __future__ import annotations

import dataclasses
import gc
import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pykka

from actors.clock import Clock, LiveClock, SimulatedClock
from actors.component import Component
from actors.config import (
    DEFAULT_COMPONENTS,
    ComponentFactory,
    ComponentSpec,
    RuntimeConfig,
    StrategySpec,
)
from actors.execution import FillModel, SimulatedVenue, VenueConfig
from actors.host.deterministic import DeterministicHost
from actors.host.pykka_host import PykkaHost
from actors.host.routing import RoutingTable
from actors.host.supervision import ComponentCell
from actors.ids import StrategyId
from actors.messages import (
    MarketSnapshot,
    Message,
    OrderAccepted,
    QuoteTick,
    Signal,
    SignalAction,
)
from actors.runtime import Runtime
from actors.testing import scripted_quotes
from strategies.base import Strategy

__all__ = ["EveryTickStrategy", "measure_throughput", "run_actor_benchmark"]


_SELL, _BUY = SignalAction.SELL, SignalAction.BUY


class EveryTickStrategy(Strategy):
    """Trades on every snapshot, alternating BUY and SELL of one unit (a worst-case load)."""

    def __init__(self, strategy_id: StrategyId, params: Mapping[str, Any] | None = None) -> None:
        super().__init__(strategy_id, params)
        self._buy = True

    def generate_signals(self, snapshot: MarketSnapshot) -> Sequence[Signal]:
        self._buy = not self._buy
        action = _SELL if self._buy else _BUY
        return (Signal(symbol=snapshot.symbol, action=action, quantity=1.0),)


def _components(
    wrappers: Mapping[str, Callable[[ComponentFactory], ComponentFactory]] | None = None,
) -> tuple[ComponentSpec, ...]:
    venue = VenueConfig(fill_model=FillModel.IMMEDIATE)
    out = []
    for spec in DEFAULT_COMPONENTS:
        if spec.kind == "execution":
            spec = dataclasses.replace(
                spec, params={"venue_factory": lambda: SimulatedVenue(venue)}
            )
        if wrappers and spec.name in wrappers:
            spec = dataclasses.replace(spec, wrapper=wrappers[spec.name])
        out.append(spec)
    return tuple(out)


def _runtime(host: str, lockstep: bool, **kw: Any) -> Runtime:
    kw.setdefault("run_dir", tempfile.mkdtemp(prefix="ferrotrade-bench-"))
    return Runtime(
        RuntimeConfig(
            host=host,  # type: ignore[arg-type]
            lockstep=lockstep,
            live_clock=not lockstep,
            strategy_registry={"every_tick": EveryTickStrategy},
            strategies=(StrategySpec("every_tick", strategy_id="bench"),),
            **kw,
        )
    )


def _handled(rt: Runtime) -> int:
    return sum(c.handled for c in rt.host.cells.values())


def measure_throughput(host: str, lockstep: bool, ticks: Sequence[QuoteTick]) -> float:
    """Component deliveries per second for ``ticks`` through a fresh runtime on ``host``."""
    rt = _runtime(host, lockstep, components=_components())
    rt.start()
    try:
        before = _handled(rt)
        t0 = time.perf_counter()
        for q in ticks:
            rt.feed(q)
        rt.run_until_idle()
        elapsed = time.perf_counter() - t0
        return (_handled(rt) - before) / elapsed
    finally:
        _close(rt)


def _close(rt: Runtime) -> None:
    rt.stop()
    if rt.config.run_dir is not None:
        shutil.rmtree(rt.config.run_dir, ignore_errors=True)


# -- baselines ------------------------------------------------------------------------------------
class _Forward(pykka.ThreadingActor):
    """Bare Pykka stage: forward to the next stage, or count and signal at the end."""

    threads: list[threading.Thread] = []  # noqa: RUF012 - appended from actor threads

    def __init__(self, nxt: pykka.ActorRef[Any] | None, done: Callable[[Any], None]) -> None:
        super().__init__()
        self.nxt = nxt
        self.done = done

    def on_start(self) -> None:
        _Forward.threads.append(threading.current_thread())

    def on_receive(self, message: Any) -> None:
        if self.nxt is not None:
            self.nxt.tell(message)
        else:
            self.done(message)


def _bare_chain(n: int, done: Callable[[Any], None]) -> list[pykka.ActorRef[Any]]:
    refs: list[pykka.ActorRef[Any]] = []
    nxt: pykka.ActorRef[Any] | None = None
    for i in range(n):
        ref = _Forward.start(nxt, done if i == 0 else (lambda m: None))
        refs.append(ref)
        nxt = ref
    refs.reverse()
    return refs


def _stop_chain(refs: list[pykka.ActorRef[Any]]) -> None:
    for ref in refs:
        ref.stop()
    for thread in _Forward.threads:
        thread.join(60)
    _Forward.threads.clear()


def _bare_pykka_throughput(ticks: Sequence[QuoteTick]) -> float:
    finished = threading.Event()
    count = [0]
    total = len(ticks)

    def done(_: Any) -> None:
        count[0] += 1
        if count[0] == total:
            finished.set()

    refs = _bare_chain(5, done)
    try:
        t0 = time.perf_counter()
        head = refs[0]
        for q in ticks:
            head.tell(q)
        finished.wait(300)
        elapsed = time.perf_counter() - t0
        return 5 * total / elapsed
    finally:
        _stop_chain(refs)


def _function_calls(ticks: Sequence[QuoteTick]) -> float:
    sink: list[Message] = []

    def stage(m: Message) -> Message:
        return m

    stages = [stage, stage, stage, stage, sink.append]
    t0 = time.perf_counter()
    for q in ticks:
        m: Any = q
        for fn in stages:
            m = fn(m)
    elapsed = time.perf_counter() - t0
    return 5 * len(ticks) / elapsed


def _percentiles(samples_ns: Sequence[int]) -> dict[str, float]:
    s = sorted(samples_ns)
    if not s:
        return {"p50": 0.0, "p99": 0.0, "p999": 0.0}

    def pct(q: float) -> float:
        return s[min(len(s) - 1, int(q * len(s)))] / 1_000.0

    return {"p50": statistics.median(s) / 1_000.0, "p99": pct(0.99), "p999": pct(0.999)}


class _Probe:
    """Timestamps taken inside the actors: data handle start, execution acceptance emitted."""

    def __init__(self) -> None:
        self.t0 = 0
        self.samples: list[int] = []
        self.event = threading.Event()

    def data(self, factory: ComponentFactory) -> ComponentFactory:
        probe = self

        def build(name: str, clock: Clock) -> Component:
            comp = factory(name, clock)
            inner = comp.handle

            def handle(message: object) -> Sequence[Message]:
                if type(message) is QuoteTick:
                    probe.t0 = time.perf_counter_ns()
                return inner(message)

            comp.handle = handle  # type: ignore[method-assign]
            return comp

        return build

    def execution(self, factory: ComponentFactory) -> ComponentFactory:
        probe = self

        def build(name: str, clock: Clock) -> Component:
            comp = factory(name, clock)
            inner = comp.handle

            def handle(message: object) -> Sequence[Message]:
                out = inner(message)
                if out and type(out[0]) is OrderAccepted:
                    probe.samples.append(time.perf_counter_ns() - probe.t0)
                    probe.event.set()
                return out

            comp.handle = handle  # type: ignore[method-assign]
            return comp

        return build


def _actor_latency(ticks: Sequence[QuoteTick]) -> dict[str, float]:
    probe = _Probe()
    rt = _runtime(
        "pykka", False, components=_components({"data": probe.data, "execution": probe.execution})
    )
    rt.start()
    try:
        for q in ticks:
            probe.event.clear()
            rt.feed(q)
            probe.event.wait(10)
            rt.run_until_idle()
        return _percentiles(probe.samples[len(probe.samples) // 20 :])  # drop warm-up
    finally:
        _close(rt)


def _bare_latency(ticks: Sequence[QuoteTick]) -> dict[str, float]:
    samples: list[int] = []
    arrived = threading.Event()
    t0 = [0]

    def done(_: Any) -> None:
        samples.append(time.perf_counter_ns() - t0[0])
        arrived.set()

    refs = _bare_chain(4, done)
    try:
        head = refs[0]
        for q in ticks:
            arrived.clear()
            t0[0] = time.perf_counter_ns()
            head.tell(q)
            arrived.wait(10)
        return _percentiles(samples[len(samples) // 20 :])
    finally:
        _stop_chain(refs)


# -- the host alone: forwarding components on the actor host (isolates host overhead) -----------
@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class _Hop1(Message):
    n: int = 0


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class _Hop2(Message):
    n: int = 0


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class _Hop3(Message):
    n: int = 0


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class _Hop4(Message):
    n: int = 0


class _Forwarder(Component):
    """One stage of a 5-stage chain: re-emits one pre-built message for the next stage (no
    envelope work), so only the host's own cost is measured."""

    def __init__(self, name: str, clock: Clock, out: type[Message] | None, sink: _Sink) -> None:
        super().__init__(name, clock)
        self._out = out() if out is not None else None
        self._sink = sink

    def handle(self, message: object) -> Sequence[Message]:
        if self._out is None:
            self._sink.arrived()
            return ()
        return (self._out,)


class _Sink:
    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.count = 0
        self.t0 = 0
        self.samples: list[int] = []
        self.event = threading.Event()

    def arrived(self) -> None:
        self.count += 1
        self.samples.append(time.perf_counter_ns() - self.t0)
        if self.count >= self.expected:
            self.event.set()


def _forwarding_parts(
    sink: _Sink, stages: int, clock: Clock
) -> tuple[list[ComponentCell], RoutingTable]:
    """The bare-Pykka chain's job as components: ``stages`` forwarders, the last one counting."""
    chain: list[tuple[str, type[Message], type[Message] | None]] = [
        ("s1", QuoteTick, _Hop1),
        ("s2", _Hop1, _Hop2),
        ("s3", _Hop2, _Hop3),
        ("s4", _Hop3, _Hop4),
        ("s5", _Hop4, None),
    ]

    def factory(name: str, out: type[Message] | None) -> Callable[[], Component]:
        return lambda: _Forwarder(name, clock, out, sink)

    chain = [*chain[: stages - 1], (chain[stages - 1][0], chain[stages - 1][1], None)]
    cells = [ComponentCell(name, factory(name, out)) for name, _, out in chain]
    routes = RoutingTable([(name, (sub,)) for name, sub, _ in chain])
    return cells, routes


def _forwarding_host(sink: _Sink, stages: int = 5) -> PykkaHost:
    clock = LiveClock()
    cells, routes = _forwarding_parts(sink, stages, clock)
    return PykkaHost(cells, routes, clock, lockstep=False)


def _deterministic_forwarding_throughput(ticks: Sequence[QuoteTick]) -> float:
    """The same forwarding job on the deterministic host (its own overhead per delivery)."""
    sink = _Sink(len(ticks))
    clock = SimulatedClock(0)
    cells, routes = _forwarding_parts(sink, 5, clock)
    host = DeterministicHost(cells, routes, clock)
    host.start()
    try:
        t0 = time.perf_counter()
        for q in ticks:
            host.feed(q)
        host.run_until_idle()
        return 5 * sink.count / (time.perf_counter() - t0)
    finally:
        host.stop()


def _forwarding_throughput(ticks: Sequence[QuoteTick]) -> float:
    sink = _Sink(len(ticks))
    host = _forwarding_host(sink)
    host.start()
    try:
        t0 = time.perf_counter()
        for q in ticks:
            host.feed(q)
        sink.event.wait(300)
        return 5 * len(ticks) / (time.perf_counter() - t0)
    finally:
        host.stop()


def _forwarding_latency(ticks: Sequence[QuoteTick]) -> dict[str, float]:
    """The bare-Pykka latency job on the actor host: 4 forwarding stages, from ``feed`` to the
    fourth stage's receipt, one tick at a time (the host's own hop cost, no component work)."""
    sink = _Sink(1)
    host = _forwarding_host(sink, stages=4)
    host.start()
    try:
        for q in ticks:
            sink.event.clear()
            sink.count = 0
            sink.t0 = time.perf_counter_ns()
            host.feed(q)
            sink.event.wait(10)
            host.run_until_idle()
        return _percentiles(sink.samples[len(sink.samples) // 20 :])
    finally:
        host.stop()


def run_actor_benchmark(messages: int = 20_000, latency_samples: int = 2_000) -> dict[str, Any]:
    """Run every measurement once; ``messages`` ticks for throughput (the deterministic host
    gets 5x as many), ``latency_samples`` ticks for latency. Returns a JSON-able dict."""
    gc_was_enabled = gc.isenabled()
    gc.collect()
    ticks = scripted_quotes(messages)
    lat_ticks = scripted_quotes(latency_samples, seed=5)
    try:
        result: dict[str, Any] = {
            "deterministic_msgs_per_s": measure_throughput(
                "deterministic", True, scripted_quotes(messages * 5)
            ),
            "actor_msgs_per_s": measure_throughput("pykka", False, ticks),
            "actor_lockstep_msgs_per_s": measure_throughput("pykka", True, ticks),
            "bare_pykka_msgs_per_s": _bare_pykka_throughput(ticks),
            "actor_host_forwarding_msgs_per_s": _forwarding_throughput(ticks),
            "deterministic_forwarding_msgs_per_s": _deterministic_forwarding_throughput(
                scripted_quotes(messages * 5)
            ),
            "function_calls_per_s": _function_calls(ticks),
            "tick_to_order_us": _actor_latency(lat_ticks),
            "bare_pykka_tick_to_order_us": _bare_latency(lat_ticks),
            "actor_host_forwarding_latency_us": _forwarding_latency(lat_ticks),
        }
    finally:
        if gc_was_enabled:
            gc.enable()
    bare = result["bare_pykka_msgs_per_s"]
    bare_p50 = result["bare_pykka_tick_to_order_us"]["p50"]
    # the like-for-like ratios (the same forwarding job on both): the host's own overhead
    result["ratios"] = {
        "bare_over_actor_forwarding_throughput": bare / result["actor_host_forwarding_msgs_per_s"],
        "actor_forwarding_over_bare_p50": result["actor_host_forwarding_latency_us"]["p50"]
        / bare_p50,
        "deterministic_over_actor_throughput": result["deterministic_msgs_per_s"]
        / result["actor_msgs_per_s"],
        "deterministic_over_actor_forwarding_throughput": result[
            "deterministic_forwarding_msgs_per_s"
        ]
        / result["actor_host_forwarding_msgs_per_s"],
    }
    result["params"] = {"messages": messages, "latency_samples": latency_samples}
    return result
