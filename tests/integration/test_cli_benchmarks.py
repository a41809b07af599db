"""The benchmark commands run end to end and print every documented key (figures are never
asserted: speed lives in benchmarks, not tests)."""

from __future__ import annotations

import orjson
import pytest

from ferrotrade.cli import main


def test_bench_matching_json_has_every_key(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "matching", "--ops", "5000", "--repeats", "1", "--json"]) == 0
    result = orjson.loads(capsys.readouterr().out)
    for key in [
        "ops",
        "native_ops_per_s",
        "batch_ops_per_s",
        "per_call_ops_per_s",
        "baseline_ops_per_s",
        "speedup_vs_baseline",
        "latency_ns",
        "machine",
    ]:
        assert key in result
    assert result["ops"] == 5000
    assert set(result["latency_ns"]) == {"p50", "p99", "p999"}
    assert (
        result["latency_ns"]["p50"] <= result["latency_ns"]["p99"] <= result["latency_ns"]["p999"]
    )
    assert result["machine"]["cores"] >= 1


def test_bench_matching_text_names_the_baseline(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "matching", "--ops", "2000", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert "baseline (pure Python)" in out
    assert "x baseline" in out


def test_bench_actors_json_has_every_key(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["bench", "actors", "--messages", "300", "--latency-samples", "20", "--json"]
    assert main(args) == 0
    result = orjson.loads(capsys.readouterr().out)
    for key in [
        "deterministic_msgs_per_s",
        "actor_msgs_per_s",
        "bare_pykka_msgs_per_s",
        "function_calls_per_s",
    ]:
        assert result[key] > 0
    for key in ["tick_to_order_us", "bare_pykka_tick_to_order_us"]:
        assert set(result[key]) >= {"p50", "p99", "p999"}


def test_bench_actors_text_prints_each_figure_beside_its_baseline(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["bench", "actors", "--messages", "300", "--latency-samples", "20"]) == 0
    out = capsys.readouterr().out
    rows = {line.split("  ")[1].strip(): line for line in out.splitlines()[1:] if "  " in line}
    assert "x bare Pykka" in rows["forwarding job: actor host"]
    assert "x bare Pykka" in rows["forwarding job: determ. host"]
    assert "p50" in rows["tick-to-order, actor host"]
    assert "x bare Pykka" in rows["tick-to-order, actor host"]
    assert "deterministic / actor host:" in out


def test_bench_rejects_a_too_small_run() -> None:
    with pytest.raises(SystemExit):
        main(["bench", "matching", "--ops", "10"])
