"""Clocks, transition tables and the StrategyRunner."""

from __future__ import annotations

import pytest

from actors.clock import Clock, LiveClock, SimulatedClock
from actors.errors import ConfigurationError, IllegalTransitionError, UnknownStrategyError
from actors.ids import StrategyId
from actors.lifecycle import STRATEGY_TRANSITIONS, StrategyStatus
from actors.strategy import StrategyRegistry, StrategyRunner
from actors.testing import FlipStrategy, sample_registry


def test_simulated_clock_is_set_by_host_and_never_goes_back() -> None:
    clock = SimulatedClock(10)
    assert isinstance(clock, Clock)
    clock.set_ns(20)
    assert clock.now_ns() == 20
    with pytest.raises(ValueError, match="cannot go back"):
        clock.set_ns(19)


def test_live_clock_returns_int_nanoseconds() -> None:
    assert isinstance(LiveClock().now_ns(), int)
    assert LiveClock().now_ns() > 1_600_000_000 * 10**9


def test_strategy_table_lists_allowed_triggers_and_rejects_others() -> None:
    assert STRATEGY_TRANSITIONS.allowed(StrategyStatus.STOPPED) == ("start",)
    assert STRATEGY_TRANSITIONS.next(StrategyStatus.PAUSED, "resume") is StrategyStatus.RUNNING
    with pytest.raises(IllegalTransitionError) as info:
        STRATEGY_TRANSITIONS.next(StrategyStatus.STOPPED, "pause")
    assert info.value.state == "STOPPED"
    assert info.value.trigger == "pause"


def test_runner_drives_several_strategies_independently() -> None:
    runner = StrategyRunner(StrategyRegistry(sample_registry()))
    a = runner.load_strategy("flip", {"period": 2})
    b = runner.load_strategy("target")
    assert a != b
    assert runner.status(a) is StrategyStatus.STOPPED
    runner.start_strategy(a)
    runner.start_strategy(b)
    runner.pause_strategy(a)
    assert runner.statuses() == {a: StrategyStatus.PAUSED, b: StrategyStatus.RUNNING}
    assert [s.strategy_id for s in runner.running()] == [b]
    runner.resume_strategy(a)
    assert [s.strategy_id for s in runner.running()] == [a, b]  # load order, not resume order
    runner.fail_strategy(b, "boom")
    assert [s.strategy_id for s in runner.running()] == [a]
    assert runner.slot(b).error == "boom"
    runner.stop_strategy(b)
    with pytest.raises(IllegalTransitionError):
        runner.resume_strategy(b)
    with pytest.raises(IllegalTransitionError):
        runner.start_strategy(a)


def test_runner_errors_are_precise() -> None:
    runner = StrategyRunner(StrategyRegistry(sample_registry()))
    with pytest.raises(UnknownStrategyError):
        runner.load_strategy("nope")
    with pytest.raises(UnknownStrategyError):
        runner.status(StrategyId("missing"))
    runner.load_strategy("flip", strategy_id=StrategyId("x"))
    with pytest.raises(ConfigurationError):
        runner.load_strategy("flip", strategy_id=StrategyId("x"))
    with pytest.raises(ConfigurationError):
        runner.registry.register("flip", FlipStrategy)


def test_registry_imports_dotted_paths() -> None:
    runner = StrategyRunner()
    sid = runner.load_strategy("actors.testing:FlipStrategy", {"period": 4})
    assert isinstance(runner.slot(sid).strategy, FlipStrategy)
    with pytest.raises(UnknownStrategyError, match="not a Strategy"):
        runner.load_strategy("actors.testing:scripted_bars")
    with pytest.raises(UnknownStrategyError, match="cannot import"):
        runner.load_strategy("no.such.module:X")
