"""ComponentCell supervision and the runtime configuration."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import pytest

from actors.clock import SimulatedClock
from actors.component import Component
from actors.config import ComponentSpec, RuntimeConfig, start_order
from actors.errors import ConfigurationError, EscalatedFailureError, IllegalTransitionError
from actors.host.routing import RoutingTable
from actors.host.supervision import ComponentCell, RestartPolicy, SupervisionSpec
from actors.lifecycle import ComponentStatus
from actors.messages import (
    Bar,
    ComponentFailed,
    ComponentStarted,
    ComponentStopped,
    DeadLetter,
    LogEntry,
    LogLevel,
    Message,
)
from actors.testing import FaultInjector


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
