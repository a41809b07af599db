"""Golden master: the shipped demo data (real daily bars, config/data/daily) with fixed
parameters gives exactly these trade counts and final values, on every run and on both hosts.

A change to any number here is a change in behaviour: explain it in the commit that updates it.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from actors.backtest import BacktestConfig, BacktestEngine
from actors.data.bars import load_demo_bars

GOLDEN: list[tuple[str, tuple[str, ...], dict[str, Any], int, int, float]] = [
    # name, symbols, config, round trips, fills, final value (exact)
    (
        "aapl_sma_cross_10_30",
        ("AAPL",),
        {"strategy": "sma_cross", "params": {"fast": 10, "slow": 30}},
        20,
        40,
        114789.31,
    ),
    (
        "four_symbols_macd_close_costs",
        ("AAPL", "GOOG", "IBM", "MSFT"),
        {
            "strategy": "macd",
            "params": {"fast": 12, "slow": 26, "signal": 9},
            "fill_at": "close",
            "slippage_bps": 10.0,
            "fee_bps": 5.0,
            "position_size": 0.2,
        },
        195,
        390,
        120951.17693608208,
    ),
]


def _run(symbols: tuple[str, ...], **kw: Any) -> dict[str, Any]:
    return BacktestEngine(BacktestConfig(**kw)).run(load_demo_bars(symbols))


@pytest.mark.parametrize(
    ("name", "symbols", "kw", "trades", "fills", "final"), GOLDEN, ids=[g[0] for g in GOLDEN]
)
def test_golden_master(
    name: str,
    symbols: tuple[str, ...],
    kw: dict[str, Any],
    trades: int,
    fills: int,
    final: float,
) -> None:
    first = _run(symbols, **kw)
    assert first["total_trades"] == trades
    assert first["fill_count"] == fills
    assert first["final_value"] == final  # exact, not approx
    assert first["bar_count"] == 1259 * len(symbols)
    assert first["reconciliation"]["ok"]
    assert first["total_return_pct"] == (final / 100_000.0 - 1.0) * 100.0
    blob = orjson.dumps(first, option=orjson.OPT_SORT_KEYS)
    again = orjson.dumps(_run(symbols, **kw), option=orjson.OPT_SORT_KEYS)
    assert again == blob, "a re-run must equal the run"
    actors = orjson.dumps(_run(symbols, **kw, host="actors"), option=orjson.OPT_SORT_KEYS)
    assert actors == blob, "the actor host must equal the deterministic host"


def test_results_dictionary_has_the_seed_keys_and_round_trip_fields() -> None:
    r = _run(("AAPL",), strategy="sma_cross", params={"fast": 10, "slow": 30})
    for key in (
        "symbol",
        "bar_count",
        "initial_capital",
        "final_value",
        "total_return_pct",
        "total_trades",
        "equity_curve",
        "trades",
        "metrics",
    ):
        assert key in r
    trade = r["trades"][0]
    for field in (
        "symbol",
        "direction",
        "entry_time",
        "exit_time",
        "entry_price",
        "exit_price",
        "quantity",
        "pnl",
        "return",
        "holding_period",
    ):
        assert field in trade
    assert r["metrics"]["trade_count"] == r["total_trades"]
    assert r["equity_curve"][-1][1] == r["final_value"]
    assert sum(t["pnl"] for t in r["trades"]) == pytest.approx(r["final_value"] - 100_000.0)
