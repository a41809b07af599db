"""The actor host: live mode, bad input, strategy lifecycle through the runtime, shutdown."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from actors.config import DEFAULT_COMPONENTS, ComponentSpec, StrategySpec
from actors.errors import ComponentStoppedError, IllegalTransitionError, UnknownStrategyError
from actors.execution import FillModel, SimulatedVenue, VenueConfig
from actors.host.pykka_host import PykkaHost
from actors.lifecycle import StrategyStatus
from actors.messages import HaltTrading, LogEntry, ResumeTrading
from actors.runtime import Runtime as _Runtime
from actors.testing import scripted_bars, scripted_quotes

MakeRuntime = Callable[..., _Runtime]

REPO = Path(__file__).resolve().parents[3]


def _immediate_components() -> tuple[ComponentSpec, ...]:
    out = []
    for spec in DEFAULT_COMPONENTS:
        if spec.kind == "execution":
            venue = VenueConfig(fill_model=FillModel.IMMEDIATE)
            spec = ComponentSpec(
                spec.name,
                "execution",
                {"venue_factory": lambda venue=venue: SimulatedVenue(venue)},
                spec.depends_on,
            )
        out.append(spec)
    return tuple(out)


def _actor_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("ComponentActor")]


def test_live_mode_runs_the_pipeline_and_drains(make_runtime: MakeRuntime) -> None:
    rt = make_runtime(
        host="pykka",
        lockstep=False,
        live_clock=True,
        components=_immediate_components(),
        strategies=(StrategySpec("flip", {"period": 2}, strategy_id="f"),),
    )
    rt.start()
    assert len(_actor_threads()) == 7
    for q in scripted_quotes(200):
        rt.feed(q)
    rt.run_until_idle()
    ledger = rt.ledger()
    assert len(ledger) == 100
    assert {f.client_order_id for f in ledger} == {f"f-{i}" for i in range(1, 101)}
    rt.reconcile()
    assert rt.portfolio_state().fill_count == 100
    rt.stop()
    assert _actor_threads() == []
    rows = [orjson.loads(line) for line in rt.log_bytes().splitlines()]
    assert sum(r["type"] == "OrderFilled" for r in rows) == 100
    assert rows[-1]["type"] == "ComponentStopped"


def test_live_log_tap_drains_at_idle_on_its_interval_and_before_any_query(
    make_runtime: MakeRuntime,
) -> None:
    """The logger is not woken per tick: an idle host drains its buffer once the interval has
    passed (or a batch waits); a query to the logger first takes in everything sent before it;
    stop leaves nothing behind."""
    rt = make_runtime(
        host="pykka", lockstep=False, live_clock=True, components=_immediate_components()
    )
    rt.start()
    host = rt.host
    assert isinstance(host, PykkaHost)
    buf = host._buffers["logger"]
    buf.interval_ns = 10**15  # never due by time: only a batch or a query drains
    quotes = scripted_quotes(6)
    for q in quotes[:3]:
        rt.feed(q)
        rt.run_until_idle()
    waiting = len(buf.items)
    assert 0 < waiting < buf.batch  # idle, and still buffered: the logger was not woken
    logged = host.query("logger", lambda c: c.count)
    assert logged >= waiting  # the query's answer includes what was waiting
    assert not buf.items
    buf.interval_ns = 0  # due at every idle
    for q in quotes[3:]:
        rt.feed(q)
        rt.run_until_idle()
        assert not buf.items
    before_stop = host.query("logger", lambda c: c.count)
    rt.stop()
    rows = rt.log_bytes().splitlines()
    assert len(rows) > before_stop  # the stop events too
    assert sum(orjson.loads(r)["type"] == "QuoteTick" for r in rows) == 6


@pytest.mark.parametrize("host", ["deterministic", "pykka"])
def test_bad_input_is_dead_lettered_and_the_actor_keeps_running(
    make_runtime: MakeRuntime, host: str
) -> None:
    rt = make_runtime(host=host)
    rt.start()
    bars = scripted_bars(30)
    rt.run(bars[:10])
    rt.send(HaltTrading(reason="manual"))
    assert rt.risk_assessment().halted
    rt.send(ResumeTrading(reason="manual"))
    rt.run(bars[10:])
    rt.stop()
    assert len(rt.ledger()) > 3
    rows = [orjson.loads(line) for line in rt.log_bytes().splitlines()]
    assert [r["data"]["halted"] for r in rows if r["type"] == "RiskAssessment"] == [True, False]


def test_unknown_message_type_reaches_the_log_as_dead_letter(make_runtime: MakeRuntime) -> None:
    rt = make_runtime(host="pykka")
    rt.start()
    data_actor = rt.host.refs["data"]  # type: ignore[union-attr]
    rt.host.inflight.add(1)  # type: ignore[union-attr]
    data_actor.tell(LogEntry(message_id="x-1", level="INFO", message="wrong address"))
    rt.host.inflight.add(1)  # type: ignore[union-attr]
    data_actor.tell({"not": "a message"})
    rt.run(scripted_bars(10))
    rt.stop()
    rows = [orjson.loads(line) for line in rt.log_bytes().splitlines()]
    dead = [r["data"] for r in rows if r["type"] == "DeadLetter"]
    assert {d["original_type"] for d in dead} == {"LogEntry", "dict"}
    assert all(d["target"] == "data" for d in dead)
    assert rt.portfolio_state().fill_count > 0


@pytest.mark.parametrize("host", ["deterministic", "pykka"])
def test_strategy_lifecycle_through_the_runtime(make_runtime: MakeRuntime, host: str) -> None:
    rt = make_runtime(host=host, strategies=())
    rt.start()
    a = rt.load_strategy("flip", {"period": 2})
    b = rt.load_strategy("target", strategy_id="tgt")
    assert (a, b) == ("flip-1", "tgt")
    assert rt.strategy_statuses() == {a: StrategyStatus.STOPPED, b: StrategyStatus.STOPPED}
    assert rt.start_strategy(a) is StrategyStatus.RUNNING
    bars = scripted_bars(40)
    rt.run(bars[:20])
    n_running = len(rt.ledger())
    assert n_running > 0
    assert rt.pause_strategy(a) is StrategyStatus.PAUSED
    rt.run(bars[20:30])
    assert len(rt.ledger()) <= n_running + 1  # at most the order already working
    with pytest.raises(IllegalTransitionError):
        rt.pause_strategy(a)
    with pytest.raises(IllegalTransitionError):
        rt.resume_strategy(b)
    with pytest.raises(UnknownStrategyError):
        rt.start_strategy("nope")
    with pytest.raises(UnknownStrategyError):
        rt.load_strategy("not-registered")
    assert rt.resume_strategy(a) is StrategyStatus.RUNNING
    assert rt.stop_strategy(a) is StrategyStatus.STOPPED
    report = rt.report()
    orjson.dumps(report)
    assert report["metrics"]["fills"] == len(rt.ledger())
    rt.stop()


def test_interpreter_exits_after_runtime_stop(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        from actors.config import RuntimeConfig, StrategySpec
        from actors.runtime import Runtime
        from actors.testing import sample_registry, scripted_bars

        for lockstep in (True, False):
            rt = Runtime(RuntimeConfig(host="pykka", lockstep=lockstep, live_clock=not lockstep,
                                       strategy_registry=sample_registry(),
                                       strategies=(StrategySpec("flip"),)))
            rt.start()
            rt.run(scripted_bars(50))
            rt.stop()
        print("done")
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "done"


@pytest.mark.parametrize("host", ["deterministic", "pykka"])
def test_feeding_a_stopped_runtime_raises(make_runtime: MakeRuntime, host: str) -> None:
    rt = make_runtime(host=host)
    bars = scripted_bars(3)
    with pytest.raises(ComponentStoppedError):
        rt.feed(bars[0])
    rt.start()
    rt.run(bars)
    rt.stop()
    with pytest.raises(ComponentStoppedError):
        rt.feed(bars[0])
    assert rt.portfolio_state().fill_count == len(rt.ledger())  # reads work after stop


@pytest.mark.parametrize("host", ["deterministic", "pykka"])
def test_initialize_from_plain_config_and_log_event(
    make_runtime: MakeRuntime, host: str, tmp_path: Path
) -> None:
    rt = make_runtime(
        mapping={
            "host": host,
            "run_dir": str(tmp_path),
            "strategies": [{"name": "actors.testing:FlipStrategy", "params": {"period": 2}}],
            "components": [
                {"name": "data", "kind": "data", "depends_on": ["strategy", "risk"]},
                {"name": "strategy", "kind": "strategy", "depends_on": ["risk"]},
                {"name": "risk", "kind": "risk", "params": {"limits": {"max_position": 10}}},
                {"name": "execution", "kind": "execution"},
                {"name": "portfolio", "kind": "portfolio"},
                {"name": "reporting", "kind": "reporting"},
                {"name": "logger", "kind": "logger"},
            ],
        }
    )
    rt.start()
    assert rt.strategy_statuses() == {"FlipStrategy-1": StrategyStatus.RUNNING}
    rt.run(scripted_bars(20))
    rt.log_event("INFO", "checkpoint", {"bars": 20})
    rt.stop()
    rows = [orjson.loads(line) for line in (tmp_path / "messages.jsonl").read_bytes().splitlines()]
    entry = next(r["data"] for r in rows if r["type"] == "LogEntry")
    assert (entry["message"], entry["details"]) == ("checkpoint", [["bars", 20]])
    assert len(rt.trade_history()) == len(rt.ledger()) > 0


@pytest.mark.parametrize("host", ["deterministic", "pykka"])
def test_leaving_the_context_on_an_error_stops_without_replaying_the_backlog(
    make_runtime: MakeRuntime, host: str
) -> None:
    rt = make_runtime(host=host)

    def user_code() -> None:
        with rt:
            for b in scripted_bars(50):
                rt.feed(b)
            raise KeyError("user code failed")

    with pytest.raises(KeyError):
        user_code()
    assert not rt.host.running
    assert rt.ledger() == ()
    assert _actor_threads() == []
