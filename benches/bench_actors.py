"""Actor runtime benchmark (pytest-benchmark): prints the figures, asserts nothing about speed.

Run: ``.venv/bin/python -m pytest benches/bench_actors.py -s`` (or ``ferrotrade bench actors``).
The baselines (bare Pykka, plain function calls) are measured in the same run.
"""

from __future__ import annotations

import json
import platform
import sys
from typing import Any

import pykka  # noqa: F401 - the baseline needs it installed
import pytest

from actors.bench import measure_throughput, run_actor_benchmark
from actors.testing import scripted_quotes


@pytest.fixture(scope="module")
def figures() -> dict[str, Any]:
    return run_actor_benchmark(messages=10_000, latency_samples=2_000)


def test_print_actor_benchmark(figures: dict[str, Any]) -> None:
    env = {
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "processor": platform.processor() or platform.machine(),
    }
    print("\nactor runtime benchmark", json.dumps(env))
    print(json.dumps(figures, indent=2, sort_keys=True))
    assert set(figures) >= {
        "deterministic_msgs_per_s",
        "actor_msgs_per_s",
        "bare_pykka_msgs_per_s",
        "function_calls_per_s",
        "tick_to_order_us",
        "bare_pykka_tick_to_order_us",
    }


def test_deterministic_host_throughput(benchmark: Any) -> None:
    """pytest-benchmark statistics for one deterministic run of 2,000 ticks."""
    ticks = scripted_quotes(2_000)
    rate = benchmark.pedantic(
        lambda: measure_throughput("deterministic", True, ticks), rounds=3, iterations=1
    )
    print(f"\ndeterministic host: {rate:,.0f} msgs/s")
