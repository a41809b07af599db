"""The benchmark entry point the CLI calls returns every documented key (speed is not checked)."""

from __future__ import annotations

import math
import threading

import orjson

from actors.bench import run_actor_benchmark


def test_run_actor_benchmark_returns_the_documented_keys() -> None:
    result = run_actor_benchmark(messages=200, latency_samples=40)
    orjson.dumps(result)
    for key in (
        "deterministic_msgs_per_s",
        "actor_msgs_per_s",
        "bare_pykka_msgs_per_s",
        "function_calls_per_s",
        "actor_host_forwarding_msgs_per_s",
        "deterministic_forwarding_msgs_per_s",
    ):
        assert result[key] > 0, key
        assert math.isfinite(result[key]), key
    for key in ("tick_to_order_us", "bare_pykka_tick_to_order_us"):
        assert set(result[key]) == {"p50", "p99", "p999"}
        assert 0 < result[key]["p50"] <= result[key]["p99"] <= result[key]["p999"]
    assert result["ratios"]["deterministic_over_actor_forwarding_throughput"] > 0
    assert [t for t in threading.enumerate() if t is not threading.main_thread()] == []
