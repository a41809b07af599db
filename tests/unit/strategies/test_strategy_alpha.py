"""Cross-sectional alpha: ranking, top-k rebalancing, period closing, factors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest
from strategy_testkit import bar, snapshot

from actors.messages import Signal, SignalAction
from strategies.alpha import AlphaStrategy, factor_score
from strategies.base import Strategy
from strategies.registry import create

BUY, SELL = SignalAction.BUY, SignalAction.SELL

# momentum over 1 bar:          t1            t2             t3
#   A: 10 -> 11 -> 11   -> 12.1   +10%          0%            +10%
#   B: 10 -> 10.5 -> 12.6 -> 12.6 +5%           +20%          0%
#   C: 10 -> 9  -> 9.9  -> 9.9    -10%          +10%          0%
PRICES: dict[str, list[float]] = {
    "A": [10, 11, 11, 12.1],
    "B": [10, 10.5, 12.6, 12.6],
    "C": [10, 9, 9.9, 9.9],
}


def feed(strategy: Strategy, prices: Mapping[str, Sequence[float]]) -> list[list[Signal]]:
    """Signals per timestamp, bars delivered symbol by symbol (sorted) at each timestamp."""
    n = len(next(iter(prices.values())))
    out = []
    for i in range(n):
        step: list[Signal] = []
        for sym in sorted(prices):
            step.extend(strategy.generate_signals(snapshot(bar(prices[sym][i], i, sym))))
        out.append(step)
    return out


def brief(step: Sequence[Signal]) -> list[tuple[str, SignalAction, float | None]]:
    return [(s.symbol, s.action, s.target_weight) for s in step]


def test_universe_ranks_when_every_symbol_has_reported() -> None:
    s = create(
        "alpha", {"top_k": 1, "rebalance_every": 1, "lookback": 1, "universe": ["A", "B", "C"]}
    )
    steps = [brief(x) for x in feed(s, PRICES)]
    assert steps == [
        [],  # no symbol has two closes yet
        [("A", BUY, 1.0)],
        [("A", SELL, 0.0), ("B", BUY, 1.0)],
        [("B", SELL, 0.0), ("A", BUY, 1.0)],
    ]
    assert isinstance(s, AlphaStrategy)
    assert s.holdings == ("A",)


def test_signals_come_on_the_last_bar_of_the_period() -> None:
    s = create(
        "alpha", {"top_k": 1, "rebalance_every": 1, "lookback": 1, "universe": ["A", "B", "C"]}
    )
    feed(s, {k: v[:1] for k, v in PRICES.items()})
    assert s.generate_signals(snapshot(bar(11, 1, "A"))) == ()
    assert s.generate_signals(snapshot(bar(10.5, 1, "B"))) == ()
    (sig,) = s.generate_signals(snapshot(bar(9, 1, "C")))
    assert (sig.symbol, sig.action) == ("A", BUY)


def test_without_universe_a_period_closes_on_the_next_timestamp_without_its_bar() -> None:
    s = create("alpha", {"top_k": 1, "rebalance_every": 1, "lookback": 1})
    feed(s, {k: v[:2] for k, v in PRICES.items()})  # t0, t1 delivered; t1 not closed yet
    # A's t2 bar crashes to 5: were it used, A would rank last. The t1 ranking holds A first.
    (sig,) = s.generate_signals(snapshot(bar(5, 2, "A")))
    assert (sig.symbol, sig.action, sig.target_weight) == ("A", BUY, 1.0)
    assert s.last_scores == pytest.approx({"A": 0.1, "B": 0.05, "C": -0.1})


def test_rebalance_every_two_periods() -> None:
    s = create(
        "alpha", {"top_k": 1, "rebalance_every": 2, "lookback": 1, "universe": ["A", "B", "C"]}
    )
    steps = [brief(x) for x in feed(s, PRICES)]
    # rankable periods: t1 (rebalance), t2 (skipped), t3 (rebalance: A is still first)
    assert steps == [[], [("A", BUY, 1.0)], [], []]


def test_top_k_entries_in_rank_order_and_ties_by_symbol() -> None:
    s = create(
        "alpha", {"top_k": 2, "rebalance_every": 1, "lookback": 1, "universe": ["A", "B", "C"]}
    )
    tied = {"A": [10, 11], "B": [10, 11], "C": [10, 12]}
    (_, step) = feed(s, tied)
    assert brief(step) == [("C", BUY, 1.0), ("A", BUY, 1.0)]  # C +20%, then A/B tie -> A


def test_low_volatility_prefers_the_calm_symbol() -> None:
    s = create(
        "alpha",
        {
            "factor": "low_volatility",
            "top_k": 1,
            "rebalance_every": 1,
            "lookback": 2,
            "universe": ["CALM", "WILD"],
        },
    )
    prices = {"CALM": [100, 101, 102], "WILD": [100, 120, 90]}
    steps = [brief(x) for x in feed(s, prices)]
    assert steps == [[], [], [("CALM", BUY, 1.0)]]
    assert factor_score("low_volatility", [100, 101, 102]) > factor_score(
        "low_volatility", [100, 120, 90]
    )
    # worked: returns of WILD are +0.2 and -0.25, mean -0.025, population sd 0.225
    assert factor_score("low_volatility", [100, 120, 90]) == pytest.approx(-0.225)


def test_symbols_outside_the_universe_are_ignored() -> None:
    s = create("alpha", {"top_k": 1, "rebalance_every": 1, "lookback": 1, "universe": ["A"]})
    assert s.generate_signals(snapshot(bar(1, 0, "ZZZ"))) == ()
    assert s.generate_signals(snapshot(bar(10, 0, "A"))) == ()
    (sig,) = s.generate_signals(snapshot(bar(11, 1, "A")))
    assert sig.symbol == "A"


def test_alpha_parameters_are_validated() -> None:
    with pytest.raises(ValueError, match="'factor'='value': must be one of momentum, low_vol"):
        create("alpha", {"factor": "value"})
    with pytest.raises(ValueError, match="'lookback'=1: must be >= 2 for factor low_volatility"):
        create("alpha", {"factor": "low_volatility", "lookback": 1})
    with pytest.raises(ValueError, match="'top_k'=3: must be <= the number of universe"):
        create("alpha", {"top_k": 3, "universe": ["A", "B"]})
    with pytest.raises(TypeError, match="'universe'=5: must be list"):
        create("alpha", {"universe": 5})
    assert create("alpha", {"universe": "A, B", "top_k": 2}).params["universe"] == ("A", "B")
    with pytest.raises(ValueError, match="'rebalance_every'=0"):
        create("alpha", {"rebalance_every": 0})
