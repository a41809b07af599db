"""Every built-in strategy declares ``bounded_state`` and keeps it: its state after three
times the bars is no larger (supervision checkpoints it instead of journaling every snapshot)."""

from __future__ import annotations

import pickle

import pytest

from actors.messages import MarketSnapshot
from actors.testing import scripted_bars
from strategies.registry import StrategyRegistry

NAMES = StrategyRegistry().names()


@pytest.mark.parametrize("name", NAMES)
def test_built_in_strategy_state_stays_bounded(name: str) -> None:
    strategy = StrategyRegistry().create(name, None, "s")
    assert type(strategy).bounded_state
    sizes = {}
    bars = scripted_bars(3_000, ("AAA", "BBB", "CCC"))
    for i, bar in enumerate(bars, 1):
        strategy.generate_signals(
            MarketSnapshot(ts_event=bar.ts_event, symbol=bar.symbol, last_price=bar.close, bar=bar)
        )
        if i in (3_000, len(bars)):
            sizes[i] = len(pickle.dumps(strategy))
    assert sizes[len(bars)] <= sizes[3_000] * 1.05, sizes


def test_every_built_in_strategy_is_covered() -> None:
    assert set(NAMES) == {"alpha", "macd", "momentum", "sma_cross"}
