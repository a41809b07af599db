"""Portfolio backtest benchmark: one multi-symbol backtest over the shared daily bars.

``run_portfolio_benchmark(data_dir, symbols=100)`` loads the first ``symbols`` symbols (sorted
by file name) of ``<data_dir>/bars/daily/*.csv`` (or of ``data_dir`` itself when it already is
that folder; files starting with ``_`` are metadata and skipped), back-adjusts them for splits
from ``_corporate_actions.csv`` (the data is unadjusted: a split would otherwise look like a
crash and fake trades; dividends are left alone), and runs one :class:`BacktestEngine` over all
of them (about 20 years of daily bars, 1999-11 .. 2021-04; shorter histories are fine).

Sizing: each position gets ``1 / symbols`` of equity (an equal-weight portfolio), so every
symbol can be held at once. Everything else is the engine's default (deterministic host).

It reports the work done (``symbols``, ``bars``, ``trades``, ``final_value``), the wall time
of loading and of the run, ``bars_per_s`` (bars over run time) and ``peak_rss_mib`` (the
process's peak resident memory, from ``resource``). Timing is the benchmark's job; nothing here
feeds back into results, which are a pure function of the files and the arguments.
"""

from __future__ import annotations

import gc
import resource
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from actors.backtest.config import BacktestConfig
from actors.backtest.engine import BacktestEngine
from actors.data.bars import BarSeries, adjust, read_bars_csv, read_corporate_actions

__all__ = ["daily_dir", "load_portfolio_bars", "run_portfolio_benchmark"]

_ACTIONS = "_corporate_actions.csv"
_DEFAULT_PARAMS: dict[str, dict[str, Any]] = {"sma_cross": {"fast": 10, "slow": 30}}


def daily_dir(data_dir: Path) -> Path:
    """The daily-bars folder: ``data_dir/bars/daily`` when it exists, else ``data_dir``."""
    nested = Path(data_dir) / "bars" / "daily"
    return nested if nested.is_dir() else Path(data_dir)


def load_portfolio_bars(data_dir: Path, symbols: int = 100) -> dict[str, BarSeries]:
    """The first ``symbols`` symbols (sorted) of the daily folder, split-adjusted."""
    if symbols < 1:
        raise ValueError(f"symbols must be >= 1, got {symbols}")
    folder = daily_dir(data_dir)
    files = sorted(p for p in folder.glob("*.csv") if not p.name.startswith("_"))[:symbols]
    if not files:
        raise FileNotFoundError(f"no bar CSV files in {folder}")
    actions_path = folder / _ACTIONS
    actions = read_corporate_actions(actions_path) if actions_path.is_file() else ()
    by_symbol: dict[str, list[Any]] = {}
    for action in actions:
        by_symbol.setdefault(action.symbol, []).append(action)
    out: dict[str, BarSeries] = {}
    for path in files:
        series = read_bars_csv(path)
        out[series.symbol] = adjust(series, by_symbol.get(series.symbol, ()), splits=True)
    return out


def _iso_date(ts_ns: int) -> str:
    return datetime.fromtimestamp(ts_ns // 1_000_000_000, tz=UTC).date().isoformat()


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_portfolio_benchmark(
    data_dir: Path,
    symbols: int = 100,
    strategy: str = "sma_cross",
    params: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Load, split-adjust and backtest ``symbols`` daily symbols in one engine run; return the
    figures (see the module docstring). ``params`` defaults to ``{"fast": 10, "slow": 30}`` for
    ``sma_cross`` and to the strategy's own defaults otherwise."""
    if params is None:
        params = _DEFAULT_PARAMS.get(strategy, {})
    gc.collect()
    t = time.perf_counter()
    bars = load_portfolio_bars(data_dir, symbols)
    load_seconds = time.perf_counter() - t
    n_bars = sum(len(s) for s in bars.values())
    config = BacktestConfig(strategy=strategy, params=dict(params), position_size=1.0 / len(bars))
    gc.collect()
    t = time.perf_counter()
    engine = BacktestEngine(config)
    results = engine.run(bars)
    run_seconds = time.perf_counter() - t
    return {
        "symbols": len(bars),
        "bars": n_bars,
        "strategy": strategy,
        "params": dict(params),
        "path": engine.last_path,
        "first_date": _iso_date(min(int(s.ts[0]) for s in bars.values())),
        "last_date": _iso_date(max(int(s.ts[-1]) for s in bars.values())),
        "load_seconds": load_seconds,
        "run_seconds": run_seconds,
        "bars_per_s": n_bars / run_seconds if run_seconds > 0 else float("inf"),
        "trades": results["total_trades"],
        "final_value": results["final_value"],
        "peak_rss_mib": _peak_rss_mib(),
    }
