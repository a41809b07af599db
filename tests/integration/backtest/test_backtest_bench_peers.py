"""The backtest benchmark measures backtrader (the ``bench`` extra) in the same run, on the same
bars and rule, and cross-checks it: backtrader opens exactly as many trades as ferrotrade makes.
Speed is printed by the benchmark, never asserted."""

from __future__ import annotations

import pytest

from actors.backtest.bench import run_backtest_benchmark

pytest.importorskip("backtrader")
pytest.importorskip("pandas")


def test_backtrader_peer_figure_and_its_trade_count_equals_ferrotrades() -> None:
    out = run_backtest_benchmark(
        bars=4_000,
        seed=11,
        fast=5,
        slow=20,
        runtime_bars=0,
        actor_bars=0,
        per_bar_bars=0,
        peer_bars=0,
        backtrader_bars=3_000,
    )
    assert set(out["peers"]) == {"backtrader"}
    assert out["peers"]["backtrader"] > 0
    check = out["peer_trades"]["backtrader"]
    assert check["bars"] == 3_000
    assert check["peer"] > 50  # many crossings: a real comparison, not 0 == 0
    assert check["peer"] == check["ferrotrade"]


def test_the_peer_can_be_left_out() -> None:
    out = run_backtest_benchmark(
        bars=1_000, runtime_bars=0, actor_bars=0, per_bar_bars=0, peer_bars=0, backtrader_bars=0
    )
    assert out["peers"] == {}
    assert out["peer_trades"] == {}
