"""Smoke test of ``actors.live.bench``: a short run yields the documented keys and sane
percentiles (never asserts on speed)."""

from __future__ import annotations

import csv
from pathlib import Path

from actors.live.bench import run_live_benchmark


def test_live_bench_reports_ordered_positive_percentiles(tmp_path: Path) -> None:
    result = run_live_benchmark(30, warmup=3, out_dir=tmp_path)
    assert result["orders"] == 30
    assert result["ticks"] == 33
    for key in ("tick_to_order_ms", "bare_submit_ms", "bare_submit_to_receive_ms"):
        stats = result[key]
        assert set(stats) >= {"p50", "p99", "p999"}, key
        assert 0 < stats["p50"] <= stats["p99"] <= stats["p999"], (key, stats)
    # every measured bar produced one order, alternating buy and sell (the flip-flop strategy)
    with (tmp_path / "audit.csv").open(newline="") as fh:
        submits = [r for r in csv.DictReader(fh) if r["type"] == "SubmitOrder"]
    assert len(submits) == 33
    assert [r["side"].lower() for r in submits[:4]] == ["buy", "sell", "buy", "sell"]
