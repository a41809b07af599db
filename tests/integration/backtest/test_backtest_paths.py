"""The fast path, the Runtime path on the deterministic host and the actor host give identical
results (the whole results dictionary, compared as JSON bytes)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from actors.backtest import BacktestConfig, BacktestEngine
from actors.backtest.bench import synthetic_minute_bars
from actors.data.bars import BarSeries, load_demo_bars

CASES: list[tuple[str, dict[str, Any], tuple[str, ...] | None]] = [
    ("sma_open", {"strategy": "sma_cross", "params": {"fast": 10, "slow": 30}}, ("AAPL",)),
    (
        "sma_short_close_costs",
        {
            "strategy": "sma_cross",
            "params": {"fast": 5, "slow": 20, "allow_short": True},
            "fill_at": "close",
            "slippage_bps": 10.0,
            "fee_bps": 5.0,
        },
        None,
    ),
    (
        "macd_volume_cap",
        {"strategy": "macd", "position_size": 0.25, "max_volume_pct": 0.0005},
        ("GOOG", "IBM"),
    ),
    ("momentum_vwap", {"strategy": "momentum", "fill_at": "vwap"}, ("MSFT",)),
    ("alpha_all", {"strategy": "alpha"}, None),
]


def _run(bars: dict[str, BarSeries], **kw: Any) -> bytes:
    engine = BacktestEngine(BacktestConfig(**kw))
    return orjson.dumps(engine.run(bars), option=orjson.OPT_SORT_KEYS)


@pytest.mark.parametrize(("name", "kw", "symbols"), CASES, ids=[c[0] for c in CASES])
def test_fast_path_runtime_path_and_actor_host_agree(
    name: str, kw: dict[str, Any], symbols: tuple[str, ...] | None
) -> None:
    bars = load_demo_bars(symbols)
    fast = _run(bars, **kw)
    assert fast == _run(bars, **kw, fast_path=False)
    assert fast == _run(bars, **kw, host="actors")
    assert orjson.loads(fast)["reconciliation"]["ok"]


def test_paths_agree_on_synthetic_minute_bars_with_many_trades() -> None:
    bars = {"SYN": synthetic_minute_bars(6_000, seed=3)}
    kw: dict[str, Any] = {"strategy": "sma_cross", "params": {"fast": 3, "slow": 8}}
    fast = _run(bars, **kw)
    assert orjson.loads(fast)["total_trades"] > 400
    assert fast == _run(bars, **kw, fast_path=False)


def test_a_drawdown_limit_uses_the_runtime_path_and_halts_trading() -> None:
    bars = load_demo_bars(["AAPL"])
    kw: dict[str, Any] = {"strategy": "sma_cross", "params": {"fast": 3, "slow": 8}}
    engine = BacktestEngine(BacktestConfig(**kw, risk_limits={"max_drawdown": 0.01}))
    limited = engine.run(bars)
    assert engine.last_path == "runtime"
    free = BacktestEngine(BacktestConfig(**kw)).run(bars)
    assert limited["total_trades"] < free["total_trades"]
