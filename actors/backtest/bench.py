"""Backtest throughput benchmark: the same SMA crossover over the same seeded minute bars.

``synthetic_minute_bars(n, seed)`` is a seeded geometric random walk (numpy's PCG64), one
symbol, 1-minute bars. ``run_backtest_benchmark`` times, in one process and one run:

* ``deterministic_bars_per_s``: the deterministic host's default (the vector path) over all bars;
* ``per_bar_bars_per_s``: the per-bar fast path (every bar through the strategy) on a prefix;
* ``runtime_path_bars_per_s``: the full Runtime message flow on the deterministic host, prefix;
* ``actor_bars_per_s``: the Pykka host (lockstep), prefix;

and ``peers`` (name -> bars/s), each installed peer (the ``bench`` extra) running the same SMA
regime -- long while SMA(fast) > SMA(slow), flat when below, fills at the next bar's open, no
costs -- over a prefix of the same bars: backtesting.py over ``peer_bars`` bars, backtrader
(``Cerebro`` with its defaults) over ``backtrader_bars`` (it is the slowest). ``peer_trades``
cross-checks a peer: its trade count next to ferrotrade's on the same prefix (backtrader's
counts every trade opened; ferrotrade closes the last one at the end, so the counts match).
Plus ``trades``/``final_value`` (the runs did the same work) and ``peak_rss_mib`` (the process's
peak resident memory, from ``resource``; tracemalloc would slow the run). Wall-clock timing is
the benchmark's job: nothing here feeds back into results.
"""

from __future__ import annotations

import gc
import resource
import time
from typing import Any

import numpy as np

from actors.backtest.config import BacktestConfig
from actors.backtest.engine import BacktestEngine
from actors.data.bars import BarSeries

__all__ = ["run_backtest_benchmark", "synthetic_minute_bars"]

_T0 = 1_577_836_800_000_000_000  # 2020-01-01T00:00:00Z
_MIN = 60_000_000_000


def synthetic_minute_bars(n: int, seed: int = 7, symbol: str = "SYN") -> BarSeries:
    """``n`` seeded 1-minute bars (a random walk around 100, never below 1)."""
    rng = np.random.default_rng(seed)
    rets = rng.normal(0.0, 0.0008, n)
    close = np.maximum(1.0, 100.0 * np.exp(np.cumsum(rets)))
    open_ = np.concatenate(([100.0], close[:-1]))
    spread = np.abs(rng.normal(0.0, 0.0004, n))
    high = np.maximum(open_, close) * (1.0 + spread)
    low = np.minimum(open_, close) * (1.0 - spread)
    volume = rng.integers(100, 10_000, n).astype(np.float64)
    ts = _T0 + np.arange(n, dtype=np.int64) * _MIN
    return BarSeries(symbol, "1Min", ts, open_, high, low, close, volume)


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _time(config: BacktestConfig, bars: BarSeries) -> tuple[float, dict[str, Any]]:
    gc.collect()
    t = time.perf_counter()
    results = BacktestEngine(config).run(bars)
    return time.perf_counter() - t, results


def run_backtest_benchmark(
    bars: int = 1_000_000,
    seed: int = 7,
    fast: int = 10,
    slow: int = 30,
    runtime_bars: int = 100_000,
    actor_bars: int = 20_000,
    per_bar_bars: int = 200_000,
    peer_bars: int = 200_000,
    backtrader_bars: int = 50_000,
) -> dict[str, Any]:
    """Bars/s of the fast path over ``bars`` bars, and of the Runtime path on the deterministic
    and actor hosts over prefixes (``0`` skips one). Trades and final values are included so a
    reader can see the runs did the same work."""
    series = synthetic_minute_bars(bars, seed)
    params = {"fast": fast, "slow": slow}
    base = BacktestConfig(strategy="sma_cross", params=params)
    out: dict[str, Any] = {"bars": bars, "seed": seed, "strategy": "sma_cross", "params": params}
    secs, res = _time(base, series)
    out["deterministic_bars_per_s"] = bars / secs
    out["deterministic_seconds"] = secs
    out["trades"] = res["total_trades"]
    out["final_value"] = res["final_value"]
    if per_bar_bars:
        prefix = series[:per_bar_bars]
        cfg = BacktestConfig(strategy="sma_cross", params=params, vector_path=False)
        secs, _ = _time(cfg, prefix)
        out["per_bar_bars_per_s"] = per_bar_bars / secs
    if runtime_bars:
        prefix = series[:runtime_bars]
        secs, _ = _time(
            BacktestConfig(strategy="sma_cross", params=params, fast_path=False), prefix
        )
        out["runtime_path_bars_per_s"] = runtime_bars / secs
    if actor_bars:
        prefix = series[:actor_bars]
        cfg = BacktestConfig(strategy="sma_cross", params=params, host="actors")
        secs, _ = _time(cfg, prefix)
        out["actor_bars_per_s"] = actor_bars / secs
    out["peers"] = {}
    out["peer_trades"] = {}
    if peer_bars:
        rate = _backtesting_py_rate(series[:peer_bars], fast, slow)
        if rate is not None:
            out["peers"]["backtesting.py"] = rate
    if backtrader_bars:
        prefix = series[: min(backtrader_bars, bars)]
        got = _backtrader_run(prefix, fast, slow)
        if got is not None:
            out["peers"]["backtrader"] = got[0]
            ours = BacktestEngine(base).run(prefix)["total_trades"]
            out["peer_trades"]["backtrader"] = {
                "bars": len(prefix),
                "peer": got[1],
                "ferrotrade": ours,
            }
    out["peak_rss_mib"] = _peak_rss_mib()
    return out


def _ohlcv_frame(pd: Any, series: BarSeries, *, capitalized: bool) -> Any:
    """``series`` as the pandas OHLCV frame a peer reads (backtesting.py wants ``Open``...,
    backtrader ``open``...), indexed by timestamp."""
    columns = {
        "open": series.open,
        "high": series.high,
        "low": series.low,
        "close": series.close,
        "volume": series.volume,
    }
    if capitalized:
        columns = {name.capitalize(): values for name, values in columns.items()}
    return pd.DataFrame(columns, index=pd.DatetimeIndex(series.ts.astype("datetime64[ns]")))


def _backtrader_run(series: BarSeries, fast: int, slow: int) -> tuple[float, int] | None:
    """(bars/s, trades opened) of backtrader on the same regime rule; None when it is not
    installed. Its market orders fill at the next bar's open by default; it calls ``next`` from
    the first bar where both averages exist, as ferrotrade's strategy acts from there. Its SMA
    is the ``fsum`` of each window, ferrotrade's a running sum re-summed every ``period`` bars:
    the two can differ in the last bit, which could only matter on an exact tie."""
    try:
        import backtrader as bt  # type: ignore[import-untyped,import-not-found,unused-ignore]
        import pandas as pd  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ImportError:
        return None

    frame = _ohlcv_frame(pd, series, capitalized=False)

    class SmaRegime(bt.Strategy):  # type: ignore[misc,unused-ignore]
        def __init__(self) -> None:
            self.f = bt.indicators.SMA(self.data.close, period=fast)
            self.s = bt.indicators.SMA(self.data.close, period=slow)
            self.opened = 0

        def next(self) -> None:
            if self.f[0] > self.s[0]:
                if not self.position:
                    self.buy(size=1)
            elif self.f[0] < self.s[0] and self.position:
                self.close()

        def notify_trade(self, trade: Any) -> None:
            if trade.justopened:
                self.opened += 1

    cerebro = bt.Cerebro()
    cerebro.adddata(bt.feeds.PandasData(dataname=frame, timeframe=bt.TimeFrame.Minutes))
    cerebro.addstrategy(SmaRegime)
    cerebro.broker.setcash(10_000_000.0)
    gc.collect()
    t = time.perf_counter()
    (strategy,) = cerebro.run()
    secs = time.perf_counter() - t
    return len(series) / secs, int(strategy.opened)


def _backtesting_py_rate(series: BarSeries, fast: int, slow: int) -> float | None:
    """bars/s of backtesting.py on the same regime rule; None when it is not installed."""
    try:
        import pandas as pd  # type: ignore[import-untyped,import-not-found,unused-ignore]
        from backtesting import Backtest, Strategy  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ImportError:
        return None
    import warnings

    frame = _ohlcv_frame(pd, series, capitalized=True)

    def rolling(values: Any, n: int) -> Any:
        return pd.Series(values).rolling(n).mean().to_numpy()

    class SmaRegime(Strategy):  # type: ignore[misc,unused-ignore]
        def init(self) -> None:
            self.f = self.I(rolling, self.data.Close, fast)
            self.s = self.I(rolling, self.data.Close, slow)

        def next(self) -> None:
            if self.f[-1] > self.s[-1]:
                if not self.position:
                    self.buy()
            elif self.f[-1] < self.s[-1] and self.position:
                self.position.close()

    bt = Backtest(frame, SmaRegime, cash=10_000_000, commission=0.0, finalize_trades=True)
    gc.collect()
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bt.run()
    return len(series) / (time.perf_counter() - t)
