"""Smoke test of the portfolio benchmark on a few symbols of the shared daily data: it runs,
reports its figures, and is deterministic. Speed is printed by the benchmark, never asserted."""

from __future__ import annotations

from pathlib import Path

import pytest

from actors.backtest.portfolio_bench import run_portfolio_benchmark

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"
DAILY = DATA / "bars" / "daily"

pytestmark = pytest.mark.skipif(
    not DAILY.is_dir(), reason=f"shared daily bars not found at {DAILY} (../shared/data)"
)

KEYS = {
    "symbols",
    "bars",
    "load_seconds",
    "run_seconds",
    "bars_per_s",
    "trades",
    "final_value",
    "peak_rss_mib",
}


def test_portfolio_bench_smoke_and_determinism() -> None:
    first = run_portfolio_benchmark(DATA, symbols=5)
    assert first.keys() >= KEYS
    assert first["symbols"] == 5
    assert first["bars"] > 0
    assert first["trades"] > 0
    assert first["final_value"] > 0
    assert first["load_seconds"] >= 0
    assert first["run_seconds"] > 0
    assert first["bars_per_s"] > 0
    assert first["peak_rss_mib"] > 0
    second = run_portfolio_benchmark(DATA, symbols=5)
    assert (second["final_value"], second["trades"], second["bars"]) == (
        first["final_value"],
        first["trades"],
        first["bars"],
    )
