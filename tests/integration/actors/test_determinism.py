"""Proof: the same scripted stream through both hosts, twice each, gives byte-identical logs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from actors.messages import TIMING_FIELDS, Bar
from actors.runtime import Runtime as _Runtime
from actors.testing import NS_PER_MIN, T0, scripted_bars

MakeRuntime = Callable[..., _Runtime]


def _strip_timing(raw: bytes) -> bytes:
    out = []
    for line in raw.splitlines():
        doc = orjson.loads(line)
        for key in TIMING_FIELDS:
            doc["data"].pop(key, None)
        out.append(orjson.dumps(doc))
    return b"\n".join(out)


def _run(make_runtime: MakeRuntime, host: str, run_dir: Path) -> tuple[bytes, tuple[object, ...]]:
    rt = make_runtime(host=host, lockstep=True, run_dir=str(run_dir))
    rt.start()
    rt.run(scripted_bars(120, ("AAA", "BBB", "CCC")))
    rt.stop()
    rt.reconcile()
    return (run_dir / "messages.jsonl").read_bytes(), rt.ledger()


@pytest.mark.parametrize("hosts", [("deterministic", "pykka")])
def test_both_hosts_twice_give_byte_identical_jsonl(
    make_runtime: MakeRuntime, tmp_path: Path, hosts: tuple[str, str]
) -> None:
    logs = {}
    ledgers = {}
    for host in hosts:
        for attempt in (1, 2):
            key = f"{host}-{attempt}"
            logs[key], ledgers[key] = _run(make_runtime, host, tmp_path / key)
    reference = _strip_timing(logs["deterministic-1"])
    assert reference.count(b"\n") > 2000
    assert b'"OrderFilled"' in reference
    for key, raw in logs.items():
        assert _strip_timing(raw) == reference, key
    assert len({len(v) for v in ledgers.values()}) == 1
    assert len(ledgers["pykka-2"]) > 50


bar_streams = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=30),  # minute (duplicates and disorder allowed)
        st.sampled_from(["AAA", "BBB"]),
        st.integers(min_value=50, max_value=150),  # open
        st.integers(min_value=0, max_value=5),  # range
    ),
    min_size=1,
    max_size=40,
)


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(stream=bar_streams)
def test_any_stream_gives_identical_logs_on_both_hosts(
    make_runtime: MakeRuntime, stream: list[tuple[int, str, int, int]]
) -> None:
    bars = [
        Bar(
            ts_event=T0 + minute * NS_PER_MIN,
            symbol=sym,
            open=float(o),
            high=float(o + r),
            low=float(o - r) if o > r else float(o),
            close=float(o + r // 2),
            volume=100.0,
        )
        for minute, sym, o, r in stream
    ]
    logs = []
    for host in ("deterministic", "pykka"):
        rt = make_runtime(host=host)
        rt.start()
        for b in bars:  # fed one by one, in arbitrary order: the heap orders them
            rt.feed(b)
        rt.run_until_idle()
        rt.stop()
        logs.append(rt.log_bytes())
    assert logs[0] == logs[1]
