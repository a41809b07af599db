"""The fast path, the Runtime path on the deterministic host and the actor host give identical
results (the whole results dictionary, compared as JSON bytes)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from day_limit_strategy import DayLimitSMA, day_limit_registry

from actors.backtest import BacktestConfig, BacktestEngine
from actors.backtest.bench import synthetic_minute_bars
from actors.data.bars import BarSeries, load_demo_bars
from actors.execution.bar_venue import SessionClock
from actors.ids import StrategyId

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


# -- DAY orders: every path expires them identically -------------------------------------------

DAY_CASES: list[tuple[str, dict[str, Any]]] = [
    ("daily_open", {}),
    ("daily_close_costs", {"fill_at": "close", "fee_bps": 2.0, "max_volume_pct": 0.01}),
]


def _day_runs(
    bars: dict[str, BarSeries], **kw: Any
) -> tuple[list[bytes], list[list[int]], list[str]]:
    """The results (JSON bytes), DAY expiries and path of each way to run: the vector path,
    the per-bar fast path, the Runtime path and the actor host."""
    variants: list[dict[str, Any]] = [{}, {"vector_path": False}, {"fast_path": False},
                                      {"host": "actors"}]  # fmt: skip
    results, expired, paths = [], [], []
    for extra in variants:
        made: list[DayLimitSMA] = []
        cfg = BacktestConfig(
            strategy="day_limit_sma", params={"fast": 5, "slow": 20}, **kw, **extra
        )
        engine = BacktestEngine(cfg, registry=day_limit_registry(made))
        results.append(orjson.dumps(engine.run(bars), option=orjson.OPT_SORT_KEYS))
        (strategy,) = made
        expired.append(strategy.expired)
        paths.append(engine.last_path)
    return results, expired, paths


@pytest.mark.parametrize(("name", "kw"), DAY_CASES, ids=[c[0] for c in DAY_CASES])
def test_day_orders_expire_identically_on_every_path_and_host(
    name: str, kw: dict[str, Any]
) -> None:
    bars = load_demo_bars(("AAPL", "MSFT"))
    results, expired, paths = _day_runs(bars, **kw)
    assert paths == ["vector", "fast", "runtime", "runtime"]
    assert results[1:] == results[:-1]
    assert len(expired[0]) > 10
    assert expired[1:] == expired[:-1]
    out = orjson.loads(results[0])
    assert out["reconciliation"]["ok"]
    # a daily DAY order works on one session only: every fill is on the bar after the signal
    # (fill_at=open) or on the signal's own bar (close), never later; the end's close-out aside
    lag = 1 if kw.get("fill_at", "open") == "open" else 0
    for sym, series in bars.items():
        ts = series.ts.tolist()
        strategy = DayLimitSMA(StrategyId("x"), {"fast": 5, "slow": 20})
        allowed = {ts[i + lag] for i, _ in strategy.batch_signals(series) if i + lag < len(ts)}
        trades = [t for t in out["trades"] if t["symbol"] == sym]
        assert trades
        for t in trades:
            assert t["entry_time"] in allowed
            assert t["exit_time"] in allowed or t["exit_time"] == ts[-1]


def test_intraday_day_orders_expire_at_the_new_york_date_on_every_path() -> None:
    bars = {"SYN": synthetic_minute_bars(6_000, seed=3)}  # 24 h a day, from 2020-01-01 00:00Z
    results, expired, _ = _day_runs(bars)
    assert results[1:] == results[:-1]
    assert len(expired[0]) > 0
    assert expired[1:] == expired[:-1]
    # sessions end at New York midnight (05:00Z in January): every expiry is on the last bar of
    # a New York date, and no order fills on a later New York date than its signal's
    clock = SessionClock("America/New_York")
    minute = 60 * 10**9
    assert all(clock.day(t + minute) == clock.day(t) + 1 for t in expired[0])
    series = bars["SYN"]
    ts = series.ts.tolist()
    strategy = DayLimitSMA(StrategyId("x"), {"fast": 5, "slow": 20})
    signal_days = sorted((ts[i], clock.day(ts[i])) for i, _ in strategy.batch_signals(series))
    for t in orjson.loads(results[0])["trades"]:
        if t["entry_time"] == ts[-1]:
            continue
        decided = max(s for s in signal_days if s[0] < t["entry_time"])
        assert clock.day(t["entry_time"]) == decided[1]
