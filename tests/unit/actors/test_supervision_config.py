"""ComponentCell supervision and the runtime configuration."""

from __future__ import annotations

import sys
import threading
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import pytest

from actors.clock import SimulatedClock
from actors.component import Component
from actors.config import ComponentSpec, RuntimeConfig, start_order
from actors.errors import ConfigurationError, EscalatedFailureError, IllegalTransitionError
from actors.host.routing import RoutingTable
from actors.host.supervision import ComponentCell, RestartPolicy, SupervisionSpec
from actors.ids import StrategyId
from actors.lifecycle import ComponentStatus
from actors.messages import (
    Bar,
    ComponentFailed,
    ComponentStarted,
    ComponentStopped,
    DeadLetter,
    LoadStrategy,
    LogEntry,
    LogLevel,
    MarketSnapshot,
    Message,
    Signal,
    StartStrategy,
)
from actors.runtime import Runtime
from actors.strategy import StrategyComponent, StrategyRegistry
from actors.testing import FaultInjector, FlipStrategy


class Counter(Component):
    """Counts bars; raises on a bar whose close is 13 (a poison message) when armed."""

    subscriptions = (Bar,)
    armed: ClassVar[list[bool]] = [True]

    def __init__(self, name: str, clock: SimulatedClock) -> None:
        super().__init__(name, clock)
        self.total = 0.0

    def on_bar(self, b: Bar) -> Sequence[Message]:
        if b.close == 13 and Counter.armed[0]:
            raise RuntimeError("unlucky")
        self.total += b.close
        return (self.log(LogLevel.INFO, f"total={self.total}", b),)


def bar(i: int, close: float) -> Bar:
    return Bar(
        message_id=f"b{i}", ts_event=i, symbol="A", open=close, high=close, low=close, close=close
    )


def make_cell(policy: RestartPolicy, max_restarts: int = 3) -> ComponentCell:
    clock = SimulatedClock()
    cell = ComponentCell(
        "counter", lambda: Counter("counter", clock), SupervisionSpec(policy, max_restarts)
    )
    cell.start()
    return cell


def test_restart_rebuilds_state_from_journal_and_retries_once() -> None:
    Counter.armed[0] = False
    clock = SimulatedClock()
    injector = FaultInjector(lambda name, c: Counter(name, c), at=3)
    cell = ComponentCell("counter", lambda: injector("counter", clock))
    cell.start()
    cell.deliver(bar(1, 1.0))
    cell.deliver(bar(2, 2.0))
    before = cell.component
    out = cell.deliver(bar(3, 13.0))
    kinds = [type(m) for m in out]
    assert kinds == [DeadLetter, ComponentFailed, ComponentStarted, LogEntry]
    dead = out[0]
    assert isinstance(dead, DeadLetter)
    assert dead.error == "RuntimeError: injected fault in counter at message 3"
    assert dead.original_id == "b3"
    assert cell.component is not before
    assert isinstance(cell.component, Counter)
    assert cell.component.total == 16.0
    assert cell.status is ComponentStatus.RUNNING
    assert cell.restarts == 1
    entry = out[3]
    assert isinstance(entry, LogEntry)
    assert entry.message_id == "counter-3"  # ids continue as if nothing failed


class Hooked(Counter):
    """A counter with a back-reference to itself and, optionally, an uncopyable attribute."""

    def __init__(self, name: str, clock: SimulatedClock, lock: bool = False) -> None:
        super().__init__(name, clock)
        self.callbacks = [self.on_bar]
        self.seen: list[float] = []
        if lock:
            self.guard = threading.Lock()

    def on_bar(self, b: Bar) -> Sequence[Message]:
        self.seen.append(b.close)
        return super().on_bar(b)


def test_checkpoints_bound_the_journal_and_a_restart_restores_the_last_one() -> None:
    Counter.armed[0] = False
    clock = SimulatedClock()
    injector = FaultInjector(lambda name, c: Hooked(name, c), at=9)
    cell = ComponentCell(
        "counter", lambda: injector("counter", clock), SupervisionSpec(checkpoint_every=3)
    )
    cell.start()
    for i in range(1, 9):
        cell.deliver(bar(i, float(i)))
        assert len(cell.journal) < 3
    assert cell.checkpoints == 2  # after bars 3 and 6; bars 7 and 8 wait in the journal
    before = cell.component
    assert isinstance(before, Hooked)
    out = cell.deliver(bar(9, 9.0))  # the injected fault: restart from the checkpoint
    assert [type(m) for m in out] == [DeadLetter, ComponentFailed, ComponentStarted, LogEntry]
    fresh = cell.component
    assert isinstance(fresh, Hooked)
    assert fresh is not before
    assert fresh.total == 45.0  # 1 + ... + 9: checkpoint (1..6), journal (7, 8), retry (9)
    assert fresh.seen == [float(i) for i in range(1, 10)]
    assert fresh.seen is not before.seen  # the checkpoint is a copy, not the old list
    assert fresh.callbacks[0].__self__ is fresh  # a back-reference follows the new instance
    assert fresh.clock is clock
    entry = out[3]
    assert isinstance(entry, LogEntry)
    assert entry.message_id == "counter-9"  # ids continue as if nothing failed


def test_uncopyable_state_keeps_the_whole_journal_and_says_so_once() -> None:
    Counter.armed[0] = False
    clock = SimulatedClock()
    cell = ComponentCell(
        "counter", lambda: Hooked("counter", clock, lock=True), SupervisionSpec(checkpoint_every=2)
    )
    cell.start()
    outs = [cell.deliver(bar(i, float(i))) for i in range(1, 6)]
    warnings = [m for out in outs for m in out if isinstance(m, LogEntry) and m.level == "WARNING"]
    assert len(warnings) == 1
    assert "checkpoint failed" in warnings[0].message
    assert "lock" in cell.checkpoint_error
    assert cell.checkpoints == 0
    assert len(cell.journal) == 5  # everything kept: a restart replays it all
    Counter.armed[0] = True
    cell.deliver(bar(6, 13.0))  # restart: poison retried and dead-lettered, state rebuilt
    component = cell.component
    assert isinstance(component, Hooked)
    assert component.total == 15.0


def test_checkpoint_every_is_validated_and_read_from_config() -> None:
    for bad in (0, -1, 2.5, True, "10"):
        with pytest.raises(ConfigurationError, match="checkpoint_every"):
            SupervisionSpec(checkpoint_every=bad)  # type: ignore[arg-type]
    cfg = RuntimeConfig.from_dict(
        {"components": [{"name": "risk", "kind": "risk", "supervision": {"checkpoint_every": 50}}]}
    )
    assert cfg.components[0].supervision.checkpoint_every == 50
    cfg = RuntimeConfig.from_dict(
        {
            "components": [
                {"name": "risk", "kind": "risk", "supervision": {"checkpoint_every": None}}
            ]
        }
    )
    assert cfg.components[0].supervision.checkpoint_every is None


def test_auto_checkpoints_only_components_with_small_bounded_state() -> None:
    """'auto' (the default): data, risk and strategy checkpoint every 10,000 journaled
    messages; the components whose state grows with the run (every order, an equity history)
    keep the journal, so a checkpoint never copies an ever larger state."""
    rt = Runtime(RuntimeConfig())
    every = {name: cell._checkpoint_every for name, cell in rt.host.cells.items()}
    assert every["data"] == every["risk"] == every["strategy"] == 10_000
    for name in ("execution", "portfolio", "reporting", "logger"):
        assert every[name] == sys.maxsize, name


class Hoarder(FlipStrategy):
    """Keeps every snapshot it sees: a growing history (``bounded_state`` False)."""

    bounded_state = False

    def __init__(self, strategy_id: StrategyId, params: Mapping[str, Any] | None = None) -> None:
        super().__init__(strategy_id, params)
        self.history: list[MarketSnapshot] = []

    def generate_signals(self, snapshot: MarketSnapshot) -> Sequence[Signal]:
        self.history.append(snapshot)
        return super().generate_signals(snapshot)


@pytest.mark.parametrize(("hoarder", "expected"), [(False, 3), (True, 0)])
def test_the_strategy_component_checkpoints_only_while_every_strategy_is_bounded(
    hoarder: bool, expected: int
) -> None:
    clock = SimulatedClock()
    registry = StrategyRegistry({"flip": FlipStrategy, "hoard": Hoarder})

    def build() -> StrategyComponent:
        component = StrategyComponent("strategy", clock, registry)
        component.handle(LoadStrategy(name="flip", strategy_id=StrategyId("a")))
        component.handle(StartStrategy(strategy_id=StrategyId("a")))
        if hoarder:
            component.handle(LoadStrategy(name="hoard", strategy_id=StrategyId("b")))
        return component

    cell = ComponentCell("strategy", build, SupervisionSpec(checkpoint_every=10))
    cell.start()
    for i in range(1, 35):
        cell.deliver(MarketSnapshot(message_id=f"s{i}", ts_event=i, symbol="A", last_price=1.0))
    assert cell.checkpoints == expected
    assert len(cell.journal) == (4 if expected else 34)
    assert cell.checkpoint_error == ""  # not ready is not a failure: no warning


def test_poison_message_is_dead_lettered_after_retry_and_component_keeps_running() -> None:
    Counter.armed[0] = True
    cell = make_cell(RestartPolicy.RESTART)
    out = cell.deliver(bar(1, 13.0))
    assert [type(m) for m in out] == [DeadLetter, ComponentFailed, ComponentStarted, DeadLetter]
    (ok,) = cell.deliver(bar(2, 1.0))
    assert isinstance(ok, LogEntry)


def test_stop_policy_dead_letters_later_messages() -> None:
    Counter.armed[0] = True
    cell = make_cell(RestartPolicy.STOP)
    out = cell.deliver(bar(1, 13.0))
    assert [type(m) for m in out] == [DeadLetter, ComponentFailed, ComponentStopped]
    (dl,) = cell.deliver(bar(2, 1.0))
    assert isinstance(dl, DeadLetter)
    assert dl.reason == "component stopped"


def test_escalate_policy_and_exhausted_restarts_raise() -> None:
    Counter.armed[0] = True
    with pytest.raises(EscalatedFailureError, match="unlucky"):
        make_cell(RestartPolicy.ESCALATE).deliver(bar(1, 13.0))
    cell = make_cell(RestartPolicy.RESTART, max_restarts=1)
    cell.deliver(bar(1, 13.0))
    with pytest.raises(EscalatedFailureError):
        cell.deliver(bar(2, 13.0))


def test_component_lifecycle_is_a_table() -> None:
    cell = make_cell(RestartPolicy.RESTART)
    with pytest.raises(IllegalTransitionError):
        cell.start()
    assert [type(m) for m in cell.stop()] == [ComponentStopped]
    assert cell.stop() == []


def test_routing_table_orders_subscribers_and_excludes_taps() -> None:
    routes = RoutingTable([("log", (Bar,)), ("a", (Bar, LogEntry)), ("b", (Bar,))], taps=("log",))
    assert routes.targets(Bar) == ("a", "b")
    assert routes.targets(LogEntry) == ("a",)
    assert routes.targets(int) == ()


def test_start_order_is_topological_with_taps_first() -> None:
    cfg = RuntimeConfig()
    order = start_order(cfg.components, cfg.taps)
    assert order[0] == "logger"
    assert order.index("execution") < order.index("risk") < order.index("strategy")
    assert order[-1] == "data"
    with pytest.raises(ConfigurationError, match="cycle"):
        start_order(
            (ComponentSpec("a", depends_on=("b",)), ComponentSpec("b", depends_on=("a",))), ()
        )
    with pytest.raises(ConfigurationError, match="unknown"):
        start_order((ComponentSpec("a", depends_on=("zz",)),), ())


def test_config_from_dict() -> None:
    cfg = RuntimeConfig.from_dict(
        {
            "host": "pykka",
            "components": [
                {"name": "logger", "kind": "logger"},
                {
                    "name": "risk",
                    "kind": "risk",
                    "params": {"limits": {"max_position": 5}},
                    "supervision": {"policy": "STOP", "max_restarts": 1},
                },
            ],
            "strategies": [{"name": "flip", "params": {"period": 2}}],
        }
    )
    assert cfg.components[1].supervision.policy is RestartPolicy.STOP
    assert cfg.strategies[0].params == {"period": 2}
    with pytest.raises(ConfigurationError, match="unknown runtime config keys"):
        RuntimeConfig.from_dict({"hots": "pykka"})
