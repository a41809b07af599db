"""Deferred delivery on the live actor host (``Component.deferrable``): a deferrable message
queues up instead of waking its subscriber, and is handled before that subscriber's next other
message, before a query, or when the host goes idle. Nothing is lost, nothing is handled out of
order, outputs of deferred handling are routed, and the order flow equals the deterministic
host's."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, Literal

from actors.clock import Clock, LiveClock
from actors.component import Component
from actors.config import DEFAULT_COMPONENTS, RuntimeConfig, StrategySpec
from actors.execution import FillModel, SimulatedVenue, VenueConfig
from actors.host.pykka_host import PykkaHost
from actors.host.routing import RoutingTable
from actors.host.supervision import ComponentCell
from actors.ids import StrategyId
from actors.messages import (
    MarketSnapshot,
    Message,
    OrderFilled,
    Signal,
    SignalAction,
    SubmitOrder,
)
from actors.runtime import Runtime
from actors.testing import scripted_bars
from strategies.base import Strategy


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Tick(Message):
    n: int = 0


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Order(Message):
    n: int = 0


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Marked(Message):
    n: int = 0


class Book(Component):
    """Takes ticks deferred and orders at once; emits ``Marked`` for every tick."""

    subscriptions: ClassVar[tuple[type[Message], ...]] = (Tick, Order)
    deferrable: ClassVar[tuple[type[Message], ...]] = (Tick,)

    def __init__(self, name: str, clock: Clock) -> None:
        super().__init__(name, clock)
        self.seen: list[tuple[str, int]] = []

    def on_tick(self, m: Tick) -> Sequence[Message]:
        self.seen.append(("tick", m.n))
        return (Marked(**self.stamp(m), n=m.n),)

    def on_order(self, m: Order) -> None:
        self.seen.append(("order", m.n))


class Watcher(Component):
    subscriptions: ClassVar[tuple[type[Message], ...]] = (Marked,)

    def __init__(self, name: str, clock: Clock) -> None:
        super().__init__(name, clock)
        self.marked: list[int] = []

    def on_marked(self, m: Marked) -> None:
        self.marked.append(m.n)


def _host() -> PykkaHost:
    clock = LiveClock()
    cells = [
        ComponentCell("book", lambda: Book("book", clock)),
        ComponentCell("watcher", lambda: Watcher("watcher", clock)),
    ]
    routes = RoutingTable(
        [("book", Book.subscriptions), ("watcher", Watcher.subscriptions)],
        deferrable={"book": Book.deferrable},
    )
    return PykkaHost(cells, routes, clock, lockstep=False)


def test_deferred_messages_keep_their_order_and_their_outputs_are_routed() -> None:
    host = _host()
    host.start()
    try:
        host.feed(Tick(n=1))
        host.feed(Tick(n=2))
        host.feed(Order(n=1))  # handles the two ticks first
        host.feed(Tick(n=3))
        host.feed(Tick(n=4))
        # a query sees everything sent before it: the ticks are handled before it runs
        assert host.query("book", lambda c: list(c.seen)) == [
            ("tick", 1), ("tick", 2), ("order", 1), ("tick", 3), ("tick", 4)
        ]  # fmt: skip
        host.feed(Tick(n=5))
        host.run_until_idle()  # idle: the last tick is handled, its output delivered
        assert host.query("book", lambda c: c.seen[-1]) == ("tick", 5)
        assert host.query("watcher", lambda c: list(c.marked)) == [1, 2, 3, 4, 5]
    finally:
        host.stop()


def test_many_deferred_messages_are_drained_in_batches_without_loss() -> None:
    host = _host()
    host.start()
    try:
        for n in range(5000):  # past the batch size many times over
            host.feed(Tick(n=n))
        host.run_until_idle()
        assert host.query("watcher", lambda c: c.marked) == list(range(5000))
    finally:
        host.stop()


def test_the_routing_table_splits_deferred_subscribers() -> None:
    routes = RoutingTable(
        [("a", (Tick, Order)), ("b", (Tick,)), ("log", (Tick,))],
        taps=("log",),
        deferrable={"a": (Tick,), "log": (Tick,)},
    )
    assert routes.targets(Tick) == ("a", "b")  # the deterministic hosts' view is unchanged
    assert routes.split(Tick) == (("b",), ("a",))
    assert routes.split(Order) == (("a",), ())
    assert "log" not in routes.deferrable  # a tap is buffered anyway


class PriceSizedFlip(Strategy):
    """Alternates fully long / flat on every snapshot: risk sizes each order from the last
    price it has seen, and the immediate venue fills at it, so a snapshot handled late would
    change quantities and prices."""

    def __init__(self, strategy_id: StrategyId, params: Mapping[str, Any] | None = None) -> None:
        super().__init__(strategy_id, params)
        self._long = False

    def generate_signals(self, snapshot: MarketSnapshot) -> Sequence[Signal]:
        self._long = not self._long
        action = SignalAction.BUY if self._long else SignalAction.SELL
        return (
            Signal(symbol=snapshot.symbol, action=action, target_weight=1.0 if self._long else 0.0),
        )


def _order_flow(host: Literal["deterministic", "pykka"], lockstep: bool) -> list[tuple[Any, ...]]:
    venue = VenueConfig(fill_model=FillModel.IMMEDIATE)
    components = tuple(
        dataclasses.replace(spec, params={"venue_factory": lambda: SimulatedVenue(venue)})
        if spec.kind == "execution"
        else spec
        for spec in DEFAULT_COMPONENTS
    )
    flow: list[tuple[Any, ...]] = []

    def record(factory: Callable[[str, Clock], Component]) -> Callable[[str, Clock], Component]:
        def build(name: str, clock: Clock) -> Component:
            comp = factory(name, clock)
            inner = comp.handle

            def handle(message: object) -> Sequence[Message]:
                out = inner(message)
                for m in out:
                    if isinstance(m, SubmitOrder):
                        flow.append(("submit", m.client_order_id, m.side, m.quantity))
                    elif isinstance(m, OrderFilled):
                        flow.append(("fill", m.client_order_id, m.quantity, m.price))
                return out

            comp.handle = handle  # type: ignore[method-assign]
            return comp

        return build

    components = tuple(
        dataclasses.replace(s, wrapper=record) if s.name in ("risk", "execution") else s
        for s in components
    )
    rt = Runtime(
        RuntimeConfig(
            host=host,
            lockstep=lockstep,
            live_clock=not lockstep,
            components=components,
            strategy_registry={"flip": PriceSizedFlip},
            strategies=(StrategySpec("flip", strategy_id="p"),),
            initial_cash=100_000.0,
        )
    )
    rt.start()
    try:
        for bar in scripted_bars(300):
            rt.feed(bar)
            rt.run_until_idle()  # one tick at a time, like the live engine
    finally:
        rt.stop()
    return flow


def test_live_actor_host_with_deferred_snapshots_makes_the_deterministic_order_flow() -> None:
    expected = _order_flow("deterministic", True)
    assert len(expected) > 200  # a real flow: orders and fills on most ticks
    sizes = {q for kind, _, *rest in expected if kind == "submit" for q in rest[1:]}
    assert len(sizes) > 5  # quantities follow the prices: a stale price would show
    assert _order_flow("pykka", False) == expected
