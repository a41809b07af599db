"""The vector path (batch signal adapters, only eventful bars visited) gives results identical
to the per-bar fast path, and its adapters reproduce the strategies' own signals exactly."""

from __future__ import annotations

import gc
from typing import Any

import orjson
import pytest
from day_limit_strategy import DayLimitSMA

from actors.backtest import BacktestConfig, BacktestEngine
from actors.backtest.bench import synthetic_minute_bars
from actors.backtest.vectorized import batch_signals, has_batch_signals
from actors.data.bars import BarSeries, load_demo_bars
from actors.ids import StrategyId
from actors.messages import Bar, MarketSnapshot, TimeInForce
from strategies.base import Strategy
from strategies.registry import create

STRATEGIES: list[tuple[str, dict[str, Any]]] = [
    ("sma_cross", {"fast": 10, "slow": 30}),
    ("sma_cross", {"fast": 3, "slow": 7, "allow_short": True}),
    ("macd", {}),
    ("macd", {"fast": 5, "slow": 13, "signal": 4, "allow_short": True}),
    ("momentum", {"lookback": 5, "threshold": 0.01, "allow_short": True}),
    ("momentum", {}),
]


def _per_bar(strategy: Strategy, series: BarSeries) -> list[tuple[int, Any]]:
    """``strategy``'s signals bar by bar over ``series``, with each signal's bar index."""
    out = []
    for i, row in enumerate(series.to_rows()):
        bar = Bar(
            ts_event=row.ts, symbol=series.symbol, open=row.open, high=row.high, low=row.low,
            close=row.close, volume=row.volume,
        )  # fmt: skip
        snap = MarketSnapshot(ts_event=row.ts, symbol=series.symbol, last_price=row.close, bar=bar)
        out.extend((i, sig) for sig in strategy.generate_signals(snap))
    return out


@pytest.mark.parametrize(("name", "params"), STRATEGIES)
def test_adapters_emit_exactly_the_strategies_signals(name: str, params: dict[str, Any]) -> None:
    strategy = create(name, params)
    assert has_batch_signals(strategy)
    for series in (load_demo_bars(["AAPL"])["AAPL"], synthetic_minute_bars(5_000, seed=11)):
        assert batch_signals(strategy, series) == _per_bar(create(name, params), series)


@pytest.mark.parametrize(("name", "params"), STRATEGIES)
@pytest.mark.parametrize("fill_at", ["open", "close"])
def test_vector_path_equals_per_bar_path(name: str, params: dict[str, Any], fill_at: str) -> None:
    for bars in (load_demo_bars(), {"SYN": synthetic_minute_bars(4_000, seed=5)}):
        kw: dict[str, Any] = {"strategy": name, "params": params, "fill_at": fill_at,
                              "slippage_bps": 2.0, "fee_bps": 1.0}  # fmt: skip
        vec = BacktestEngine(BacktestConfig(**kw))
        a = orjson.dumps(vec.run(bars), option=orjson.OPT_SORT_KEYS)
        assert vec.last_path == "vector"
        per_bar = BacktestEngine(BacktestConfig(**kw, vector_path=False))
        b = orjson.dumps(per_bar.run(bars), option=orjson.OPT_SORT_KEYS)
        assert per_bar.last_path == "fast"
        assert a == b


def test_stops_or_a_volatility_sizer_use_the_per_bar_path() -> None:
    bars = load_demo_bars(["MSFT"])
    kw: dict[str, Any] = {"strategy": "sma_cross", "params": {"fast": 5, "slow": 20}}
    e = BacktestEngine(BacktestConfig(**kw, risk_limits={"stop_loss_pct": 0.05}))
    stopped = e.run(bars)
    assert e.last_path == "fast"
    runtime = BacktestEngine(
        BacktestConfig(**kw, risk_limits={"stop_loss_pct": 0.05}, fast_path=False)
    ).run(bars)
    assert orjson.dumps(stopped, option=orjson.OPT_SORT_KEYS) == orjson.dumps(
        runtime, option=orjson.OPT_SORT_KEYS
    )
    e = BacktestEngine(BacktestConfig(**kw, sizer={"method": "volatility"}))
    e.run(bars)
    assert e.last_path == "fast"


def test_a_strategy_class_may_bring_its_own_batch_adapter() -> None:
    strategy = DayLimitSMA(StrategyId("s"), {"fast": 5, "slow": 20})
    assert has_batch_signals(strategy)
    series = load_demo_bars(["IBM"])["IBM"]
    per_bar = _per_bar(strategy, series)
    fresh = DayLimitSMA(StrategyId("s"), {"fast": 5, "slow": 20})
    assert batch_signals(fresh, series) == per_bar
    assert {s.time_in_force for _, s in per_bar} == {TimeInForce.DAY}

    class Changed(DayLimitSMA):  # may change the rules: runs bar by bar
        pass

    assert not has_batch_signals(Changed(StrategyId("s"), {}))


@pytest.mark.parametrize("vector_path", [True, False])
def test_the_fast_path_makes_no_reference_cycles_and_restores_the_collector(
    vector_path: bool,
) -> None:
    # the engine pauses the cyclic collector during a fast-path run: sound only if the run
    # leaves no cyclic garbage behind for it to find
    bars = {"SYN": synthetic_minute_bars(3_000, seed=5), **load_demo_bars(["IBM"])}
    cfg = BacktestConfig(strategy="sma_cross", params={"fast": 3, "slow": 8},
                         vector_path=vector_path, max_volume_pct=0.001)  # fmt: skip
    gc.collect()
    gc.disable()
    try:
        results = BacktestEngine(cfg).run(bars)
        assert results["total_trades"] > 50
        assert not gc.isenabled()  # a collector the caller disabled stays disabled
        del results
        assert gc.collect() == 0
    finally:
        gc.enable()
    BacktestEngine(cfg).run(bars)
    assert gc.isenabled()
