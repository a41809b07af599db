"""The matching benchmark: one seeded stream through four paths, measured in the same run.

(a) natively inside Rust, (b) through the Python batch API (calls of ``BATCH_ROWS`` rows, each
returning its trades and events as arrays), (c) one Python call per operation,
and (d) the pure-Python ``sortedcontainers`` reference engine — the baseline. Each path starts
from an empty book and processes the identical stream; throughput is the median of ``repeats``
runs (the baseline runs fewer times: it is slow and its spread is small).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from ferrotrade._ferrotrade_core import MatchingEngine, bench_matching_native, generate_stream
from ferrotrade.machine import describe_machine
from ferrotrade.reference import ReferenceMatchingEngine

__all__ = ["run_matching_benchmark"]


def _median_seconds(run: Callable[[], None], repeats: int) -> float:
    times = []
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# Rows per apply_batch call: how a replay feeds the engine. One call over a million rows would
# materialise ~90 MB of event arrays in fresh pages, and time the page faults, not the engine.
BATCH_ROWS = 65_536


def _batch_run(ops: npt.NDArray[np.int64]) -> Callable[[], None]:
    def run() -> None:
        engine = MatchingEngine()
        for start in range(0, len(ops), BATCH_ROWS):
            engine.apply_batch(ops[start : start + BATCH_ROWS])

    return run


def _per_call_run(rows: list[list[int]]) -> Callable[[], None]:
    def run() -> None:
        engine = MatchingEngine()
        apply = engine.apply
        clear = engine.clear_output
        for i, (op, oid, side, kind, tif, price, stop, lots, ts) in enumerate(rows):
            apply(op, oid, side, kind, tif, price, stop, lots, ts)
            if i & 4095 == 4095:
                clear()

    return run


def _baseline_run(rows: list[list[int]]) -> Callable[[], None]:
    def run() -> None:
        engine = ReferenceMatchingEngine()
        apply_row = engine.apply_row
        for i, row in enumerate(rows):
            apply_row(row)
            if i & 4095 == 4095:
                engine.drain()

    return run


def run_matching_benchmark(
    ops: int = 1_000_000, seed: int = 42, repeats: int = 5
) -> dict[str, Any]:
    """Runs all four paths over ``ops`` operations and returns the figures."""
    stream = generate_stream(ops, seed)
    rows: list[list[int]] = stream.tolist()
    native = bench_matching_native(stream, repeats)
    batch_s = _median_seconds(_batch_run(stream), repeats)
    per_call_s = _median_seconds(_per_call_run(rows), repeats)
    baseline_s = _median_seconds(_baseline_run(rows), max(1, repeats // 2))
    batch_ops = ops / batch_s
    baseline_ops = ops / baseline_s
    return {
        "ops": ops,
        "seed": seed,
        "repeats": repeats,
        "trades": native["trades"],
        "native_ops_per_s": native["ops_per_s"],
        "batch_ops_per_s": batch_ops,
        "per_call_ops_per_s": ops / per_call_s,
        "baseline_ops_per_s": baseline_ops,
        "baseline": "ferrotrade.reference (pure Python, sortedcontainers)",
        "batch_rows": BATCH_ROWS,
        "speedup_vs_baseline": batch_ops / baseline_ops,
        "latency_ns": {
            "p50": native["p50_ns"],
            "p99": native["p99_ns"],
            "p999": native["p999_ns"],
        },
        "statistic": f"median of {repeats} runs",
        "machine": describe_machine(),
    }
