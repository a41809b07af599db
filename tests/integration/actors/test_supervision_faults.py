"""Supervision: crash each actor once mid-run; nothing accepted is lost."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from actors.config import DEFAULT_COMPONENTS, ComponentSpec
from actors.errors import EscalatedFailureError
from actors.host.supervision import RestartPolicy, SupervisionSpec
from actors.messages import Fill
from actors.runtime import Runtime as _Runtime
from actors.testing import FaultInjector, scripted_bars

MakeRuntime = Callable[..., _Runtime]

BARS = scripted_bars(60, ("AAA", "BBB"))
CRASHABLE = ("data", "strategy", "risk", "execution", "portfolio", "reporting", "logger")


def _key(fill: Fill) -> tuple[Any, ...]:
    return (fill.client_order_id, fill.side, fill.price, fill.quantity, fill.fee, fill.ts_event)


def _components(
    crash: str | None, at: int, policy: RestartPolicy, checkpoint_every: int | None = 10_000
) -> tuple[ComponentSpec, ...]:
    out = []
    for spec in DEFAULT_COMPONENTS:
        supervision = SupervisionSpec(policy, checkpoint_every=checkpoint_every)
        if spec.name == crash:
            spec = dataclasses.replace(
                spec, wrapper=lambda factory: FaultInjector(factory, at), supervision=supervision
            )
        else:
            spec = dataclasses.replace(
                spec,
                supervision=dataclasses.replace(
                    spec.supervision, checkpoint_every=checkpoint_every
                ),
            )
        out.append(spec)
    return tuple(out)


def _ledger(make_runtime: MakeRuntime, host: str, crash: str | None) -> tuple[Any, bytes]:
    rt = make_runtime(host=host, components=_components(crash, 60, RestartPolicy.RESTART))
    rt.start()
    rt.run(BARS)
    rt.reconcile()
    ledger = tuple(_key(f) for f in rt.ledger())
    statuses = rt.strategy_statuses()
    rt.stop()
    assert all(s.value == "RUNNING" for s in statuses.values())
    return ledger, rt.log_bytes()


@pytest.mark.parametrize("host", ["deterministic", "pykka"])
def test_crashing_each_actor_once_loses_nothing(make_runtime: MakeRuntime, host: str) -> None:
    reference, _ = _ledger(make_runtime, host, None)
    assert len(reference) > 20
    for crash in CRASHABLE:
        ledger, log = _ledger(make_runtime, host, crash)
        assert ledger == reference, crash
        if True:
            rows = [orjson.loads(line) for line in log.splitlines()]
            dead = [r for r in rows if r["type"] == "DeadLetter"]
            assert any("injected fault" in r["data"]["error"] for r in dead), crash
            failed = [r for r in rows if r["type"] == "ComponentFailed"]
            assert [r["data"]["component"] for r in failed] == [crash]
            restarted = [
                r for r in rows if r["type"] == "ComponentStarted" and r["data"]["restarted"]
            ]
            assert len(restarted) == 1


@pytest.mark.parametrize("host", ["deterministic", "pykka"])
def test_a_restart_from_a_checkpoint_equals_a_restart_from_the_whole_journal(
    make_runtime: MakeRuntime, host: str
) -> None:
    """Checkpoints every 7 journaled messages (so each crash lands well after several): for
    every actor, crashing it gives byte-for-byte the log of the same crash restarted by
    replaying the whole journal, and no journal ever holds 7 messages."""
    for crash in CRASHABLE:
        logs = []
        for every in (None, 7):
            rt = make_runtime(
                host=host, components=_components(crash, 60, RestartPolicy.RESTART, every)
            )
            rt.start()
            rt.run(BARS)
            cells = rt.host.cells
            if every is not None:
                assert all(len(c.journal) < every for c in cells.values()), crash
                if crash not in ("logger",):  # the logger journals nothing: nothing to checkpoint
                    assert cells[crash].checkpoints > 0, crash
                assert all(c.checkpoint_error == "" for c in cells.values()), crash
            else:
                assert cells["portfolio"].checkpoints == 0
            assert cells[crash].restarts == 1, crash
            rt.stop()
            logs.append(rt.log_bytes())
        assert logs[0] == logs[1], crash


def test_execution_failure_halts_risk_until_restart(make_runtime: MakeRuntime) -> None:
    rt = make_runtime(components=_components("execution", 40, RestartPolicy.RESTART))
    rt.start()
    rt.run(BARS)
    rt.stop()
    rows = [orjson.loads(line) for line in rt.log_bytes().splitlines()]
    halts = [r["data"]["halted"] for r in rows if r["type"] == "RiskAssessment"]
    assert halts == [True, False]
    assert not rt.risk_assessment().halted


def test_stop_policy_turns_later_messages_into_dead_letters(make_runtime: MakeRuntime) -> None:
    rt = make_runtime(host="pykka", components=_components("strategy", 10, RestartPolicy.STOP))
    rt.start()
    rt.run(BARS[:20])
    assert rt.component_status("strategy") == "STOPPED"
    rt.stop()
    rows = [orjson.loads(line) for line in rt.log_bytes().splitlines()]
    stopped = [
        r for r in rows if r["type"] == "DeadLetter" and r["data"]["reason"] == "component stopped"
    ]
    assert len(stopped) > 5


@pytest.mark.parametrize("host", ["deterministic", "pykka"])
def test_escalate_policy_reaches_the_driver(make_runtime: MakeRuntime, host: str) -> None:
    rt = make_runtime(host=host, components=_components("risk", 30, RestartPolicy.ESCALATE))
    rt.start()
    with pytest.raises(EscalatedFailureError, match="risk"):
        rt.run(BARS)
    rt.stop()
    rows = [orjson.loads(line) for line in rt.log_bytes().splitlines()]
    failed = [r["data"] for r in rows if r["type"] == "ComponentFailed"]
    assert [(f["component"], f["policy"]) for f in failed] == [("risk", "ESCALATE")]


def test_escalation_in_live_mode_reaches_the_driver_and_stop_still_flushes(
    make_runtime: MakeRuntime, tmp_path: Path
) -> None:
    rt = make_runtime(
        host="pykka",
        lockstep=False,
        live_clock=True,
        run_dir=str(tmp_path),
        components=_components("risk", 30, RestartPolicy.ESCALATE),
    )
    rt.start()
    with pytest.raises(EscalatedFailureError, match="risk"):
        rt.run(BARS)
    rt.stop()
    rows = [orjson.loads(line) for line in (tmp_path / "messages.jsonl").read_bytes().splitlines()]
    assert rows[-1]["type"] == "ComponentStopped"
    assert any(r["type"] == "ComponentFailed" for r in rows)
