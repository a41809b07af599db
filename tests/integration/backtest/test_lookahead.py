"""Look-ahead: a strategy sees bar t and nothing later, and its orders trade after it decided.

* A spy strategy records every snapshot: each one holds exactly the bar of its own timestamp,
  in order, and the close it reports is that bar's close -- never the next bar's.
* Truncating the data after bar k changes nothing before bar k: every fill decided on the
  first k bars is identical (a strategy that could peek would change earlier decisions).
* Timing: with ``fill_at="open"`` an order decided on bar t fills at bar t+1's open; with
  ``fill_at="close"`` at bar t's close.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from actors.backtest import BacktestConfig, BacktestEngine
from actors.data.bars import BarSeries, load_demo_bars
from actors.ids import StrategyId
from actors.messages import MarketSnapshot, Signal, SignalAction
from strategies.base import Strategy
from strategies.registry import StrategyRegistry

SEEN: list[tuple[int, float, int]] = []


class SpyStrategy(Strategy):
    """Alternates long and flat every 7 bars and records what it was shown."""

    def __init__(self, strategy_id: StrategyId, params: Mapping[str, Any] | None = None) -> None:
        super().__init__(strategy_id, params)
        self.n = 0

    def generate_signals(self, snapshot: MarketSnapshot) -> Sequence[Signal]:
        bar = snapshot.bar
        assert bar is not None
        SEEN.append((snapshot.ts_event, snapshot.last_price, bar.ts_event))
        self.n += 1
        if self.n % 7:
            return ()
        weight = 1.0 if (self.n // 7) % 2 else 0.0
        action = SignalAction.BUY if weight else SignalAction.SELL
        return (Signal(symbol=snapshot.symbol, action=action, target_weight=weight),)


def _engine(**kw: Any) -> BacktestEngine:
    return BacktestEngine(
        BacktestConfig(strategy="spy", **kw), StrategyRegistry({"spy": SpyStrategy})
    )


@pytest.fixture
def aapl() -> BarSeries:
    return load_demo_bars(["AAPL"])["AAPL"]


@pytest.mark.parametrize("host", ["deterministic", "actors"])
def test_the_strategy_sees_each_bar_once_at_its_own_time(aapl: BarSeries, host: str) -> None:
    SEEN.clear()
    _engine(host=host).run(aapl[:200])
    ts = aapl.ts[:200].tolist()
    assert [s[0] for s in SEEN] == ts
    assert [s[2] for s in SEEN] == ts
    assert [s[1] for s in SEEN] == aapl.close[:200].tolist()


@pytest.mark.parametrize("fill_at", ["open", "close"])
def test_truncating_the_future_changes_no_earlier_decision(aapl: BarSeries, fill_at: str) -> None:
    full = _engine(fill_at=fill_at, close_at_end=False).run(aapl)
    k = 500
    cut_ts = int(aapl.ts[k - 1])
    part = _engine(fill_at=fill_at, close_at_end=False).run(aapl[:k])

    def fills_before(results: dict[str, Any]) -> list[tuple[Any, ...]]:
        return [
            (t["entry_time"], t["entry_price"], t["exit_time"], t["exit_price"], t["quantity"])
            for t in results["trades"]
            if t["exit_time"] <= cut_ts
        ]

    assert fills_before(part)
    assert fills_before(part) == fills_before(full)
    assert part["equity_curve"] == full["equity_curve"][:k]


def test_fill_timing_next_open_by_default_and_same_close_when_asked(aapl: BarSeries) -> None:
    ts = aapl.ts.tolist()
    for fill_at, shift, column in (("open", 1, aapl.open), ("close", 0, aapl.close)):
        results = _engine(fill_at=fill_at).run(aapl[:100])
        entries = [(t["entry_time"], t["entry_price"]) for t in results["trades"]]
        # the spy decides on its 7th, 21st, 35th... bar (index 6, 20, 34...)
        expected = [(ts[i + shift], float(column[i + shift])) for i in range(6, 99 - shift, 14)]
        assert entries == expected[: len(entries)], fill_at
        assert len(entries) >= 6, fill_at


@pytest.mark.parametrize("name", ["sma_cross", "macd", "momentum"])
def test_the_vector_path_cannot_see_the_future_either(aapl: BarSeries, name: str) -> None:
    """The batch adapters compute over the whole series at once: truncating the series must
    leave every earlier trade and equity point unchanged."""
    full = BacktestEngine(BacktestConfig(strategy=name, close_at_end=False))
    a = full.run(aapl)
    assert full.last_path == "vector"
    for k in (300, 800):
        part = BacktestEngine(BacktestConfig(strategy=name, close_at_end=False)).run(aapl[:k])
        cut = int(aapl.ts[k - 1])
        assert [t for t in a["trades"] if t["exit_time"] <= cut] == part["trades"]
        assert part["equity_curve"] == a["equity_curve"][:k]
