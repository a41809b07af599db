"""No look-ahead: a strategy evaluated on bar t cannot see bar t+1.

Strategies only receive snapshots, one at a time, so the signals computed on a prefix of a
series must equal the prefix of the signals computed on the whole series, whatever comes after,
and changing a future bar must not change any earlier signal.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategy_testkit import bar, snapshot

from actors.clock import SimulatedClock
from actors.ids import StrategyId
from actors.messages import MarketSnapshot, Signal, StartStrategy
from actors.strategy import StrategyComponent
from strategies.registry import create

CONFIGS: list[tuple[str, dict[str, Any]]] = [
    ("sma_cross", {"fast": 3, "slow": 8}),
    ("sma_cross", {"fast": 2, "slow": 5, "allow_short": True}),
    ("macd", {"fast": 3, "slow": 7, "signal": 3}),
    ("momentum", {"lookback": 4, "threshold": 0.01, "allow_short": True}),
    ("alpha", {"top_k": 2, "rebalance_every": 3, "lookback": 4}),
    ("alpha", {"factor": "low_volatility", "top_k": 1, "lookback": 5, "universe": "A,B,C"}),
]
SYMBOLS = ("A", "B", "C")


def walk(n: int, seed: int) -> list[MarketSnapshot]:
    rng = random.Random(seed)
    price = {s: 50.0 + 10 * i for i, s in enumerate(SYMBOLS)}
    out = []
    for i in range(n):
        for s in SYMBOLS:
            price[s] = max(1.0, round(price[s] * (1 + rng.gauss(0, 0.02)), 4))
            out.append(snapshot(bar(price[s], i, s)))
    return out


def signals(
    name: str, params: Mapping[str, Any], snaps: Sequence[MarketSnapshot]
) -> list[tuple[int, Signal]]:
    s = create(name, params)
    return [(k, sig) for k, snap in enumerate(snaps) for sig in s.generate_signals(snap)]


@pytest.mark.parametrize(("name", "params"), CONFIGS)
def test_prefix_signals_equal_the_prefix_of_full_signals(name: str, params: dict[str, Any]) -> None:
    snaps = walk(120, seed=3)
    full = signals(name, params, snaps)
    assert full, "the walk should produce signals"
    for cut in (1, 10, 37, 61, 90, 119, 200, 359):
        prefix = signals(name, params, snaps[:cut])
        assert prefix == [x for x in full if x[0] < cut]


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    cut=st.integers(1, 179),
    config=st.sampled_from(CONFIGS),
    shock=st.floats(0.2, 5.0),
)
def test_changing_the_future_never_changes_the_past(
    seed: int, cut: int, config: tuple[str, dict[str, Any]], shock: float
) -> None:
    name, params = config
    snaps = walk(60, seed)
    changed = list(snaps)
    for k in range(cut, len(snaps)):  # rewrite every bar from index `cut` on
        old = snaps[k]
        assert old.bar is not None
        changed[k] = snapshot(bar(round(old.last_price * shock, 4), k // 3, old.symbol))
    a = [x for x in signals(name, params, snaps) if x[0] < cut]
    b = [x for x in signals(name, params, changed) if x[0] < cut]
    assert a == b


def test_component_emits_the_same_signals_stamped_at_the_snapshot_time() -> None:
    comp = StrategyComponent("strategy", SimulatedClock(0))
    comp.runner.load_strategy("sma_cross", {"fast": 2, "slow": 4}, StrategyId("sma"))
    comp.handle(StartStrategy(strategy_id=StrategyId("sma")))
    snaps = [s for s in walk(40, seed=5) if s.symbol == "A"]
    direct = signals("sma_cross", {"fast": 2, "slow": 4}, snaps)
    stamped = [(k, sig) for k, snap in enumerate(snaps) for sig in comp.handle(snap)]
    assert [(k, s.action, s.target_weight) for k, s in stamped] == [
        (k, s.action, s.target_weight) for k, s in direct
    ]
    for k, sig in stamped:
        assert isinstance(sig, Signal)
        assert sig.ts_event == snaps[k].ts_event
        assert sig.strategy_id == "sma"
        assert sig.message_id
