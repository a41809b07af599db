"""The actor host's thread placement (one core, SCHED_BATCH) and the lockstep baton.

Placement changes only *where* and *how* threads are scheduled, never what they compute: the
logs stay byte-identical to the deterministic host, and the driver thread gets its own
affinity and policy back at stop.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from actors.errors import ConfigurationError
from actors.host.affinity import current_cpu, resolve_cpu
from actors.runtime import Runtime
from actors.testing import scripted_bars

MakeRuntime = Callable[..., Runtime]

linux_only = pytest.mark.skipif(
    not hasattr(os, "sched_setaffinity") or not hasattr(os, "SCHED_BATCH"),
    reason="thread placement needs Linux scheduling calls",
)


def _placement(rt: Runtime, name: str) -> tuple[frozenset[int], int]:
    """The affinity and scheduling policy of component ``name``'s own thread."""
    return rt.host.query(
        name, lambda _c: (frozenset(os.sched_getaffinity(0)), os.sched_getscheduler(0))
    )


@linux_only
def test_actor_threads_share_one_core_without_wakeup_preemption(make_runtime: MakeRuntime) -> None:
    allowed = sorted(os.sched_getaffinity(0))
    cpu = allowed[-1]
    driver_before = (frozenset(os.sched_getaffinity(0)), os.sched_getscheduler(0))
    rt = make_runtime(host="pykka", lockstep=True, pin_cpu=cpu, sched_batch=True)
    rt.start()
    for name in rt.order:
        assert _placement(rt, name) == (frozenset({cpu}), os.SCHED_BATCH), name
    assert frozenset(os.sched_getaffinity(0)) == frozenset({cpu})  # the lockstep driver too
    rt.run(scripted_bars(5, ("AAA",)))
    rt.stop()
    assert (frozenset(os.sched_getaffinity(0)), os.sched_getscheduler(0)) == driver_before


@linux_only
def test_live_mode_pins_the_driver_while_running(make_runtime: MakeRuntime) -> None:
    """The driver feeds every tick: it joins the actors' core (and policy) until stop."""
    allowed = frozenset(os.sched_getaffinity(0))
    before = (allowed, os.sched_getscheduler(0))
    cpu = min(allowed)
    rt = make_runtime(host="pykka", lockstep=False, live_clock=True, pin_cpu=cpu)
    rt.start()
    assert _placement(rt, "strategy") == (frozenset({cpu}), os.SCHED_BATCH)
    assert (frozenset(os.sched_getaffinity(0)), os.sched_getscheduler(0)) == (
        frozenset({cpu}),
        os.SCHED_BATCH,
    )
    rt.stop()
    assert (frozenset(os.sched_getaffinity(0)), os.sched_getscheduler(0)) == before


@linux_only
def test_placement_off_inherits_the_drivers(make_runtime: MakeRuntime) -> None:
    before = (frozenset(os.sched_getaffinity(0)), os.sched_getscheduler(0))
    rt = make_runtime(host="pykka", lockstep=True, pin_cpu=None, sched_batch=False)
    rt.start()
    for name in rt.order:
        assert _placement(rt, name) == before, name
    rt.stop()


@linux_only
def test_a_cpu_outside_the_allowed_set_is_a_configuration_error(
    make_runtime: MakeRuntime,
) -> None:
    missing = max(os.sched_getaffinity(0)) + 1000
    rt = make_runtime(host="pykka", pin_cpu=missing)
    with pytest.raises(ConfigurationError, match=f"pin_cpu={missing}"):
        rt.start()
    with pytest.raises(ConfigurationError, match="pin_cpu must be"):
        resolve_cpu("fastest")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="pin_cpu must be"):
        resolve_cpu(True)


@linux_only
def test_auto_picks_an_allowed_cpu() -> None:
    allowed = os.sched_getaffinity(0)
    assert current_cpu() in allowed
    chosen = resolve_cpu("auto")
    assert chosen is None if len(allowed) < 2 else chosen in allowed
    assert resolve_cpu(None) is None


@pytest.mark.parametrize(("pin", "batch"), [("auto", True), (None, False)])
def test_long_lockstep_run_logs_identically_to_the_deterministic_host(
    make_runtime: MakeRuntime, tmp_path: Path, pin: str | None, batch: bool
) -> None:
    """Long enough that the baton hands the logger several batches within one run."""
    bars = scripted_bars(700, ("AAA", "BBB", "CCC"))
    logs = []
    for host in ("deterministic", "pykka"):
        rt = make_runtime(
            host=host, lockstep=True, run_dir=str(tmp_path / host), pin_cpu=pin, sched_batch=batch
        )
        rt.start()
        rt.run(bars)
        rt.stop()
        logs.append(rt.log_bytes())
    assert logs[0].count(b"\n") > 3 * 4096
    assert logs[0] == logs[1]
