"""BacktestEngine: bars in, the seed's results dictionary out (single or multi-symbol).

The flow of one time step ``t`` (the seed's 12 steps, per symbol in sorted order):

1. (``fill_at="open"``) the venue's Rust :class:`~ferrotrade.BarMatchingEngine` of each symbol
   matches the working orders against bar ``t`` (:class:`MatchBar`): orders decided on ``t-1``
   fill at ``t``'s open (with slippage, volume cap and fees);
2. fills update the portfolio (root and strategy group, the FIFO tracker) and risk's view;
3. the data component turns bar ``t`` into a :class:`MarketSnapshot`;
4. the strategy sees the snapshot -- bar ``t`` and nothing later -- and returns signals;
5. risk (:class:`actors.risk.RiskComponent`) sizes each signal with its position sizer
   (default ``position_size`` of equity per position) and validates it (limits, validator);
6. accepted signals become :class:`SubmitOrder` and reach the venue (working from the next
   matched bar); rejections go back to the strategy;
7. the portfolio marks every position at the last close (mark to market on every bar);
8. (``fill_at="close"``/``"vwap"``) the venue matches bar ``t`` *after* the strategy saw it:
   an order decided on ``t`` fills at ``t``'s close -- trading on the bar you just observed;
9. the equity of the step (cash + positions at the last closes) is recorded;
10. after the last bar, working orders are cancelled and open positions closed at each
    symbol's last close (:class:`Liquidate`, no slippage), unless ``close_at_end=False``;
11. the ledger is reconciled (replayed into a fresh portfolio tree, drift reported);
12. the results dictionary is assembled, with the analytics of
    :func:`actors.reporting.analytics.compute_metrics`.

Two ways to run the same components:

* **Runtime path**: :class:`actors.runtime.Runtime` with the data, strategy, risk
  (:class:`~actors.risk.RiskComponent`), execution (:class:`BarExecutionComponent`), portfolio and
  reporting components, on the deterministic host or the Pykka host (``host="actors"``,
  lockstep). Bars are fed in chunks of ``chunk_bars``.
* **Fast path** (deterministic host, the default there): the same component classes driven
  directly in the same order, without the per-bar message cascade: per bar one
  :class:`Bar` and one :class:`MarketSnapshot` (built without re-validation: the
  :class:`BarSeries` was validated), a Rust call only when the symbol has working orders, and
  the equity curve computed afterwards, vectorized, from the cash/position change points with
  the same float operations as :meth:`PortfolioComponent.state`. Tests prove both paths give
  identical results. It is used only when risk has no ``max_drawdown`` limit (that check needs
  a portfolio state per bar); otherwise the Runtime path runs.

Sessions: both paths give the venue each symbol's bar timestamps (and whether the bars are
daily), so a DAY order expires right after the last bar of the trading day it worked in (see
:mod:`actors.execution.bar_venue`); the paths agree on expiries as on everything else.

Timestamps: a bar's ``ts_event`` is its series timestamp (the bar's start, as in the CSV), so
trade times read as bar dates. Results are plain JSON types.
"""

from __future__ import annotations

import dataclasses
import gc
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from actors.backtest.config import BacktestConfig, BacktestConfigError
from actors.backtest.vectorized import batch_signals, has_batch_signals
from actors.clock import Clock, SimulatedClock
from actors.component import Component
from actors.config import ComponentSpec, RuntimeConfig, StrategySpec
from actors.data.bars import BarSeries
from actors.execution.bar_venue import (
    BarExecutionComponent,
    BarVenueConfig,
    Liquidate,
    MatchBar,
)
from actors.host.supervision import RestartPolicy, SupervisionSpec
from actors.ids import MessageId, StrategyId
from actors.messages import (
    Bar,
    MarketSnapshot,
    Message,
    OrderFilled,
    OrderPartiallyFilled,
    PortfolioState,
    Signal,
    SubmitOrder,
)
from actors.portfolio import PortfolioComponent
from actors.portfolio.ledger import Book
from actors.reporting.analytics import compute_metrics
from actors.risk import RiskComponent
from actors.risk.sizing import PositionSizer
from actors.runtime import Runtime
from actors.strategy import StrategyComponent
from strategies.base import Strategy
from strategies.registry import StrategyRegistry

__all__ = ["BacktestEngine", "Progress", "run_backtest"]

Progress = Callable[[int, int], None]
"""``progress(bars_done, bars_total)``, called between chunks."""

_ESCALATE = SupervisionSpec(policy=RestartPolicy.ESCALATE)
_ALIAS = "_backtest_strategy"


def _iso(ts: int) -> str:
    return datetime.fromtimestamp(ts / 1e9, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _as_series_map(bars: BarSeries | Mapping[str, BarSeries]) -> dict[str, BarSeries]:
    if isinstance(bars, BarSeries):
        bars = {bars.symbol: bars}
    out = {sym: bars[sym] for sym in sorted(bars)}
    if not out:
        raise BacktestConfigError("no bars: give at least one symbol")
    for sym, s in out.items():
        if len(s) == 0:
            raise BacktestConfigError(f"no bars for {sym} in the requested range")
        if s.symbol != sym:
            raise BacktestConfigError(f"series for key {sym!r} holds symbol {s.symbol!r}")
    return out


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a fast-path run, then restore it.

    The run allocates millions of small containers that live to its end (fills, ledger, round
    trips, the equity curve) and makes no reference cycles (tested), so reference counting
    frees all its garbage; the cyclic collector would only rescan the growing heap again and
    again -- about a fifth of the 1M-bar benchmark's time. Cycles other threads make meanwhile
    are collected after the run. A collector the caller already disabled stays disabled."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class _Changes:
    """Cash and per-symbol positions after each bar where the book changed, one entry per bar
    (a later change on the same bar replaces the earlier one): what the equity curve needs."""

    __slots__ = ("bars", "cash", "qty", "sym_index")

    def __init__(self, sym_index: dict[str, int]) -> None:
        self.sym_index = sym_index
        self.bars: list[int] = []
        self.cash: list[float] = []
        self.qty: list[list[float]] = []

    def record(self, k: int, book: Book) -> None:
        if self.bars and self.bars[-1] == k:
            self.bars.pop()
            self.cash.pop()
            self.qty.pop()
        self.bars.append(k)
        self.cash.append(book.cash)
        q = [0.0] * len(self.sym_index)
        for symbol, position in book.positions.items():
            q[self.sym_index[symbol]] = position.quantity
        self.qty.append(q)


_COLUMNS = ("open", "high", "low", "close", "volume")


class _Timeline:
    """All bars of all symbols merged in (ts, symbol) order, as numpy columns."""

    def __init__(self, series: Mapping[str, BarSeries]) -> None:
        self.symbols = list(series)
        self.last_close = {sym: float(s.close[-1]) for sym, s in series.items()}
        if len(series) == 1:
            # one series is already in timeline order (its times strictly increase): no copies
            (one,) = series.values()
            self.n = len(one)
            self.ts_arr = one.ts
            self.sym_arr = np.zeros(self.n, dtype=np.int64)
            self.cols = {name: getattr(one, name) for name in _COLUMNS}
            self.times = one.ts
            self.starts = np.arange(self.n, dtype=np.int64)
            return
        ts = np.concatenate([s.ts for s in series.values()])
        sym = np.concatenate(
            [np.full(len(s), k, dtype=np.int64) for k, s in enumerate(series.values())]
        )
        order = np.lexsort((sym, ts))
        self.ts_arr = ts[order]
        self.sym_arr = sym[order]
        cols = {}
        for name in _COLUMNS:
            cols[name] = np.concatenate([getattr(s, name) for s in series.values()])[order]
        self.cols = cols
        self.n = int(order.shape[0])
        # unique timestamps and the first index of each
        self.times, self.starts = np.unique(self.ts_arr, return_index=True)

    def groups(self, chunk: int) -> Iterator[tuple[int, int]]:
        """(start, end) index ranges of whole timestamps, about ``chunk`` bars each."""
        starts = [*self.starts.tolist(), self.n]
        i = 0
        while i < len(starts) - 1:
            j = i + 1
            while j < len(starts) - 1 and starts[j] - starts[i] < chunk:
                j += 1
            yield starts[i], starts[j]
            i = j


class BacktestEngine:
    """Runs one :class:`BacktestConfig` over bars; :meth:`run` returns the results dict."""

    def __init__(
        self,
        config: BacktestConfig | None = None,
        registry: StrategyRegistry | None = None,
    ) -> None:
        self.config = config or BacktestConfig()
        self.registry = registry or StrategyRegistry()
        self.strategy_id = StrategyId(self.config.strategy_id or self.config.strategy)
        # validate the strategy name and parameters now, in the caller's thread
        self.params = self.registry.validate_params(self.config.strategy, self.config.params)
        # the bars of the current run, for the venue's sessions (set by run)
        self._daily = False
        self._bar_times: dict[str, npt.NDArray[np.int64]] = {}

    # -- components (shared by both paths) -----------------------------------------------------
    def _venue_config(self) -> BarVenueConfig:
        c = self.config
        return BarVenueConfig(
            fill_at=c.fill_at,
            slippage_bps=c.slippage_bps,
            max_volume_pct=c.max_volume_pct,
            fee_bps=c.fee_bps,
            fee_per_order=c.fee_per_order,
            size_increment=c.size_increment,
            daily=self._daily,
        )

    def _risk(self, name: str, clock: Clock) -> RiskComponent:
        c = self.config
        return RiskComponent(
            name,
            clock,
            c.limits(),
            sizer=c.sizer_config(),
            validation=c.validation,
            initial_equity=c.initial_capital,
        )

    def _execution(self, name: str, clock: Clock) -> BarExecutionComponent:
        # the bar times tell the venue which bar ends a session (DAY orders expire after it)
        return BarExecutionComponent(
            name, clock, config=self._venue_config(), bar_times=self._bar_times
        )

    def _strategy(self) -> Strategy:
        return self.registry.create(self.config.strategy, self.params, self.strategy_id)

    # -- entry point ---------------------------------------------------------------------------
    def run(
        self, bars: BarSeries | Mapping[str, BarSeries], progress: Progress | None = None
    ) -> dict[str, Any]:
        series = _as_series_map(bars)
        timeline = _Timeline(series)
        self._daily = all(not s.timeframe.is_intraday for s in series.values())
        self._bar_times = {sym: s.ts for sym, s in series.items()}
        c = self.config
        limits = c.limits()
        fast = (
            c.host == "deterministic"
            and c.fast_path
            and limits.max_drawdown is None
            and limits.max_daily_loss is None
        )
        if not fast:
            raw = self._run_runtime(timeline, progress)
            self.last_path: str = raw["path"]
            return self._results(series, timeline, raw)
        with _cyclic_gc_paused():
            raw = self._run_fast(timeline, series, progress)
            self.last_path = raw["path"]
            return self._results(series, timeline, raw)

    # -- the Runtime path ----------------------------------------------------------------------
    def _runtime_config(self) -> RuntimeConfig:
        c = self.config
        components: tuple[ComponentSpec, ...] = (
            ComponentSpec(
                "data",
                "data",
                depends_on=("strategy", "risk", "execution", "portfolio", "reporting"),
                supervision=_ESCALATE,
            ),
            ComponentSpec("strategy", "strategy", depends_on=("risk",), supervision=_ESCALATE),
            ComponentSpec(
                "risk",
                "risk",
                depends_on=("execution", "portfolio"),
                supervision=_ESCALATE,
                factory=self._risk,
            ),
            ComponentSpec(
                "execution",
                "execution",
                depends_on=("portfolio",),
                supervision=_ESCALATE,
                factory=self._execution,
            ),
            ComponentSpec("portfolio", "portfolio", supervision=_ESCALATE),
            ComponentSpec("reporting", "reporting", supervision=_ESCALATE),
        )
        taps: tuple[str, ...] = ()
        if c.message_log_dir is not None:
            components = (*components, ComponentSpec("logger", "logger", supervision=_ESCALATE))
            taps = ("logger",)
        registry = self.registry
        return RuntimeConfig(
            host="deterministic" if c.host == "deterministic" else "pykka",
            lockstep=True,
            components=components,
            taps=taps,
            run_dir=c.message_log_dir,
            # a private alias, so the engine's own registry (which may hold user strategies)
            # builds the strategy exactly as the fast path does
            strategies=(StrategySpec(_ALIAS, self.params, self.strategy_id),),
            strategy_registry={
                _ALIAS: lambda sid, params: registry.create(c.strategy, params, sid)
            },
            initial_cash=c.initial_capital,
        )

    def _run_runtime(self, tl: _Timeline, progress: Progress | None) -> dict[str, Any]:
        c = self.config
        rt = Runtime(self._runtime_config())
        rt.start()
        try:
            cols = {k: v.tolist() for k, v in tl.cols.items()}
            opens, highs, lows = cols["open"], cols["high"], cols["low"]
            closes, volumes = cols["close"], cols["volume"]
            ts_l = tl.ts_arr.tolist()
            sym_l = tl.sym_arr.tolist()
            symbols = tl.symbols
            open_first = c.fill_at == "open"
            for start, end in tl.groups(c.chunk_bars):
                msgs: list[Message] = []
                k = start
                while k < end:
                    ts = ts_l[k]
                    j = k
                    while j < end and ts_l[j] == ts:
                        j += 1
                    # stamped here (ids from the bar's index), so the host's feed stamper has
                    # nothing to copy; built unchecked: the series was validated on load
                    bars = [
                        _fast_bar(
                            ts,
                            symbols[sym_l[i]],
                            opens[i],
                            highs[i],
                            lows[i],
                            closes[i],
                            volumes[i],
                            MessageId(f"bar-{i}"),
                        )
                        for i in range(k, j)
                    ]
                    matches = [
                        _fast_match(b, MessageId(f"match-{i}")) for i, b in enumerate(bars, k)
                    ]
                    msgs.extend(matches if open_first else bars)
                    msgs.extend(bars if open_first else matches)
                    k = j
                rt.run(msgs)
                if progress is not None:
                    progress(end, tl.n)
            last_ts = int(tl.ts_arr[-1])
            if c.close_at_end:
                positions = rt._read("portfolio", _open_positions)
                if positions:
                    rt.run(
                        [
                            Liquidate(
                                ts_event=last_ts,
                                ts_init=last_ts,
                                positions=tuple(positions),
                                prices=tuple(sorted(tl.last_close.items())),
                            )
                        ]
                    )
            portfolio = rt._read("portfolio", _collect_portfolio)
            curve = rt._read("reporting", lambda r: (list(r.equity_curve), list(r.exposure_curve)))
            venue_bars = rt._read("execution", lambda e: e.bar_venue.bars_matched)
        finally:
            rt.stop()
        ts_eq, eq = zip(*curve[0], strict=True) if curve[0] else ((), ())
        return {
            **portfolio,
            "equity_ts": list(ts_eq),
            "equity": list(eq),
            "exposure": curve[1],
            "bars_matched": venue_bars,
            "path": "runtime",
        }

    # -- the fast path -------------------------------------------------------------------------
    def _run_fast(
        self, tl: _Timeline, series: Mapping[str, BarSeries], progress: Progress | None
    ) -> dict[str, Any]:
        c = self.config
        clock = SimulatedClock(0)
        registry = self.registry
        strategy = StrategyComponent(
            "strategy",
            clock,
            registry=StrategyRegistry(
                {_ALIAS: lambda sid, params: registry.create(c.strategy, params, sid)}
            ),
        )
        sid = strategy.runner.load_strategy(_ALIAS, self.params, self.strategy_id)
        strategy.runner.start_strategy(sid)
        risk = self._risk("risk", clock)
        execution = self._execution("execution", clock)
        venue = execution.bar_venue
        portfolio = PortfolioComponent("portfolio", clock, initial_cash=c.initial_capital)
        if c.vector_path and self._vector_ok(strategy, risk):
            return self._run_vector(tl, series, (strategy, risk, execution, portfolio), progress)
        # the Runtime's routing order (data and reporting excluded: bars are fed directly and
        # the equity curve is computed below; reporting has no outputs)
        components: tuple[Component, ...] = (strategy, risk, execution, portfolio)
        routes: dict[type, tuple[Component, ...]] = {}
        symbols = tl.symbols
        sym_index = {s: i for i, s in enumerate(symbols)}
        working = [False] * len(symbols)  # per symbol: the venue may have working orders
        traded: set[int] = set()
        # risk's last portfolio state lags by one mark (see _cascade): built only when needed
        ps_due = [False]
        ids = _Ids()

        def cascade(roots: Sequence[Message]) -> bool:
            """The deterministic host's FIFO cascade; True when a fill happened."""
            queue = deque(roots)
            filled = False
            while queue:
                m = queue.popleft()
                t = type(m)
                if t is Signal:
                    if ps_due[0]:
                        # In the Runtime, risk handles this signal after the portfolio state
                        # of the previous mark (this bar's own mark is queued behind it).
                        ps_due[0] = False
                        queue.extend(risk.handle(portfolio.state()))
                elif t is PortfolioState:
                    ps_due[0] = False
                elif t is OrderFilled or t is OrderPartiallyFilled:
                    filled = True
                    traded.add(sym_index[m.symbol])  # type: ignore[attr-defined]
                elif t is SubmitOrder:
                    working[sym_index[m.symbol]] = True  # type: ignore[attr-defined]
                targets = routes.get(t)
                if targets is None:
                    targets = routes[t] = tuple(x for x in components if t in type(x).subscriptions)
                for x in targets:
                    queue.extend(x.handle(m))
            return filled

        changes = _Changes(sym_index)

        def record(k: int) -> None:
            changes.record(k, portfolio.book)

        opens = tl.cols["open"].tolist()
        highs = tl.cols["high"].tolist()
        lows = tl.cols["low"].tolist()
        closes = tl.cols["close"].tolist()
        vols = tl.cols["volume"].tolist()
        ts_l = tl.ts_arr.tolist()
        sym_l = tl.sym_arr.tolist()
        starts = [*tl.starts.tolist(), tl.n]

        def match(ts: int, i: int, s: int) -> bool:
            sym = symbols[s]
            bar = _fast_bar(ts, sym, opens[i], highs[i], lows[i], closes[i], vols[i], ids())
            filled = cascade(execution.handle(_fast_match(bar, ids())))
            working[s] = venue.has_working(sym)
            return filled

        open_first = c.fill_at == "open"
        on_snapshot = strategy.on_market_snapshot
        risk_handle = risk.handle
        marks = portfolio._last_price
        set_ns = clock.set_ns
        report_every = max(1, c.chunk_bars)
        next_report = report_every
        for k in range(len(starts) - 1):
            a = starts[k]
            b = starts[k + 1]
            ts = ts_l[a]
            set_ns(ts)
            filled = False
            if open_first:
                for i in range(a, b):
                    s = sym_l[i]
                    if working[s] and match(ts, i, s):
                        filled = True
            for i in range(a, b):
                sym = symbols[sym_l[i]]
                close = closes[i]
                bar = _fast_bar(ts, sym, opens[i], highs[i], lows[i], close, vols[i], ids())
                snap = _fast_snapshot(ts, sym, close, bar, ids())
                out = on_snapshot(snap)
                out_risk = risk_handle(snap)
                if (out or out_risk) and cascade([*out, *out_risk]):
                    filled = True
                marks[sym] = close  # the portfolio's mark of this bar (its state is lazy)
                ps_due[0] = True
            if not open_first:
                for i in range(a, b):
                    s = sym_l[i]
                    if working[s] and match(ts, i, s):
                        filled = True
            if filled:
                record(k)
            if progress is not None and b >= next_report:
                progress(b, tl.n)
                next_report = b + report_every
        if c.close_at_end:
            positions = _open_positions(portfolio)
            if positions:
                last_ts = ts_l[-1]
                cmd = Liquidate(
                    message_id=ids(),
                    ts_event=last_ts,
                    ts_init=last_ts,
                    positions=tuple(positions),
                    prices=tuple(sorted(tl.last_close.items())),
                )
                cascade(execution.handle(cmd))
                record(len(starts) - 2)
        if progress is not None:
            progress(tl.n, tl.n)
        eq, gross = self._fast_curve(tl, changes.bars, changes.cash, changes.qty, sorted(traded))
        return {
            **_collect_portfolio(portfolio),
            "equity_ts": tl.times,
            "equity": eq,
            "exposure": gross,
            "bars_matched": venue.bars_matched,
            "path": "fast",
        }

    # -- the vector path -----------------------------------------------------------------------
    def _vector_ok(self, strategy: StrategyComponent, risk: RiskComponent) -> bool:
        """Signals from a batch adapter, and a risk component whose per-bar work has no effect
        on decisions (no stops; a sizer that does not watch the bars)."""
        lim = risk.limits
        slots = strategy.runner.running()
        return (
            len(slots) == 1
            and has_batch_signals(slots[0].strategy)
            and lim.stop_loss_pct is None
            and lim.trailing_stop_pct is None
            and type(risk.sizer).observe is PositionSizer.observe
        )

    def _run_vector(
        self,
        tl: _Timeline,
        series: Mapping[str, BarSeries],
        comps: tuple[StrategyComponent, RiskComponent, BarExecutionComponent, PortfolioComponent],
        progress: Progress | None,
    ) -> dict[str, Any]:
        """Visit only the bars where something happens (a signal, or a symbol with working
        orders); catch risk and the portfolio up on the bars skipped in between. Same message
        order and the same component calls as :meth:`_run_fast` at every visited bar.

        Catching up is incremental: ``nxt[i]`` is the timeline index of the next bar of bar
        ``i``'s symbol, so the bars of ``[lo, end)`` with ``nxt >= end`` are exactly the latest
        bar of each symbol that traded there, in timeline order (one vectorized test, instead of
        a binary search per symbol per event)."""
        strategy, risk, execution, portfolio = comps
        clock = strategy.clock
        assert isinstance(clock, SimulatedClock)
        slot = strategy.runner.running()[0]
        sid = slot.strategy_id
        symbols = tl.symbols
        sym_index = {s: i for i, s in enumerate(symbols)}
        n = tl.n
        ts_a = tl.ts_arr
        sym_a = tl.sym_arr
        single = len(symbols) == 1
        signals: list[tuple[int, Signal]] = []
        if single:
            # one symbol: timeline index = series index = timestamp index
            signals = batch_signals(slot.strategy, series[symbols[0]])
            nxt = None
            group_of = None
        else:
            # each symbol's bars in timeline order (series order = timeline order)
            by_symbol = np.argsort(sym_a, kind="stable")
            counts = np.bincount(sym_a, minlength=len(symbols))
            positions_of = np.split(by_symbol, np.cumsum(counts)[:-1])
            for k, sym in enumerate(symbols):
                pos = positions_of[k]
                for i, sig in batch_signals(slot.strategy, series[sym]):
                    signals.append((int(pos[i]), sig))
            signals.sort(key=lambda x: x[0])
            nxt = np.full(n, n, dtype=np.int64)
            same = sym_a[by_symbol[1:]] == sym_a[by_symbol[:-1]]
            nxt[by_symbol[:-1][same]] = by_symbol[1:][same]
            group_of = np.searchsorted(tl.times, ts_a)  # bar -> timestamp index
        # numpy columns, read one value at a time (``item``: a Python scalar, without a numpy
        # scalar in between): only visited bars are converted
        ts_at = ts_a.item
        sym_at = sym_a.item
        open_at = tl.cols["open"].item
        high_at = tl.cols["high"].item
        low_at = tl.cols["low"].item
        closes_a = tl.cols["close"]
        close_at = closes_a.item
        vol_at = tl.cols["volume"].item
        starts = np.append(tl.starts, n)  # read at visited timestamps only
        start_at = starts.item

        def bar_at(i: int) -> Bar:
            return _fast_bar(
                ts_at(i),
                symbols[sym_at(i)],
                open_at(i),
                high_at(i),
                low_at(i),
                close_at(i),
                vol_at(i),
                ids(),
            )

        cols = [tl.cols[name] for name in _COLUMNS]

        def bars_at(idx: list[int]) -> list[Bar]:
            """The bars at timeline indexes ``idx``: one gather per column for many."""
            if len(idx) < 3:
                return [bar_at(i) for i in idx]
            sel = np.asarray(idx)
            return [
                _fast_bar(t, symbols[k], o, h, lo, c, v, ids())
                for t, k, o, h, lo, c, v in zip(
                    ts_a[sel].tolist(),
                    sym_a[sel].tolist(),
                    *(col[sel].tolist() for col in cols),
                    strict=True,
                )
            ]

        def latest(lo: int, end: int) -> list[int]:
            """Timeline indexes of the last bar of each symbol with bars in [lo, end), in
            timeline order."""
            if end <= lo:
                return []
            if nxt is None:
                return [end - 1]
            return (np.flatnonzero(nxt[lo:end] >= end) + lo).tolist()

        # a strategy that ignores order events (the adapters' regime strategies) is not sent
        # them: StrategyComponent would only look up its slot and call the no-op hook
        quiet = type(slot.strategy).on_order_event is Strategy.on_order_event
        components: tuple[Component, ...] = (
            (risk, execution, portfolio) if quiet else (strategy, risk, execution, portfolio)
        )
        routes: dict[type, tuple[Component, ...]] = {Signal: (risk,)}
        working = [False] * len(symbols)
        traded: set[int] = set()
        ids = _Ids()
        venue = execution.bar_venue
        marks = portfolio._last_price
        # how far (exclusive bar index) risk's snapshots and the portfolio's marks have got
        synced = {"risk": 0, "marks": 0}
        dirty = [False]  # the portfolio changed since risk last received its state

        def sync_risk(end: int, have: tuple[int, MarketSnapshot] | None = None) -> None:
            """Deliver to risk the latest snapshot of each symbol among bars < end (``have``:
            an already built snapshot of the last of them, reused)."""
            idx = latest(synced["risk"], end)
            synced["risk"] = max(synced["risk"], end)
            last = None
            if have is not None and idx and idx[-1] == have[0]:
                idx.pop()
                last = have[1]
            snaps = [_fast_snapshot(b.ts_event, b.symbol, b.close, b, ids()) for b in bars_at(idx)]
            if last is not None:
                snaps.append(last)
            for snap in snaps:
                if risk.handle(snap):
                    raise RuntimeError("risk emitted orders on a skipped bar")

        held = portfolio.book.positions

        def sync_marks(end: int) -> None:
            """Mark the portfolio at the last close of each symbol among bars < end. Only a new
            mark of a position risk can see (a nonzero one) makes the state risk holds stale:
            the cash, the equity and the positions' quantities are what it decides on."""
            idx = latest(synced["marks"], end)
            synced["marks"] = max(synced["marks"], end)
            if not idx:
                return
            if nxt is None:
                changed = [(0, close_at(idx[0]))]
            else:
                sel = np.asarray(idx)
                changed = list(zip(sym_a[sel].tolist(), closes_a[sel].tolist(), strict=True))
            for k, price in changed:
                sym = symbols[k]
                if marks.get(sym) != price:
                    marks[sym] = price
                    position = held.get(sym)
                    if position is not None and position.quantity != 0.0:
                        dirty[0] = True

        def cascade(roots: Sequence[Message]) -> bool:
            """The FIFO cascade, with the portfolio booking fills silently: risk receives one
            up-to-date portfolio state right before each signal instead of one per fill and per
            mark (with no drawdown or daily-loss limit, only the last one can matter)."""
            queue = deque(roots)
            filled = False
            while queue:
                m = queue.popleft()
                t = type(m)
                fill = t is OrderFilled or t is OrderPartiallyFilled
                if t is Signal:
                    if dirty[0]:
                        dirty[0] = False
                        queue.extend(risk.handle(portfolio.state()))
                elif fill:
                    filled = dirty[0] = True
                    traded.add(sym_index[m.symbol])  # type: ignore[attr-defined]
                elif t is SubmitOrder:
                    working[sym_index[m.symbol]] = True  # type: ignore[attr-defined]
                targets = routes.get(t)
                if targets is None:
                    targets = routes[t] = tuple(x for x in components if t in type(x).subscriptions)
                for x in targets:
                    if fill and x is portfolio:
                        portfolio.apply(m)  # type: ignore[arg-type]
                    else:
                        queue.extend(x.handle(m))
            return filled

        changes = _Changes(sym_index)

        def record(k: int) -> None:
            changes.record(k, portfolio.book)

        def match_group(k: int) -> bool:
            filled = False
            for i in range(start_at(k), start_at(k + 1)):
                s = sym_at(i)
                if not working[s]:
                    continue
                bar = bar_at(i)
                if cascade(execution.handle(_fast_match(bar, ids()))):
                    filled = True
                working[s] = venue.has_working(bar.symbol)
            return filled

        open_first = self.config.fill_at == "open"
        n_groups = len(starts) - 1
        sig_pos = 0
        n_sig = len(signals)
        k = 0
        while k < n_groups:
            any_working = any(working)
            if sig_pos < n_sig:
                i = signals[sig_pos][0]
                next_sig_group = i if group_of is None else group_of.item(i)
            else:
                next_sig_group = n_groups
            if not any_working:
                if next_sig_group >= n_groups:
                    break
                k = next_sig_group
            a, b = start_at(k), start_at(k + 1)
            clock.set_ns(ts_at(a))
            filled = False
            if open_first and any_working:
                # no catch-up needed: with no stops, fills use neither risk's prices nor the
                # portfolio's marks (both are brought up to date before the next signal)
                filled = match_group(k)
            while sig_pos < n_sig and signals[sig_pos][0] < b:
                i, sig = signals[sig_pos]
                sig_pos += 1
                bar = bar_at(i)
                snap = _fast_snapshot(bar.ts_event, bar.symbol, bar.close, bar, ids())
                sync_risk(i + 1, (i, snap))  # risk saw this bar's snapshot before the signal
                sync_marks(i)  # the portfolio's state lags by this bar's mark
                stamped = strategy.stamped_copy(sig, snap, strategy_id=sid)
                if cascade([stamped]):
                    filled = True
            if not open_first and any(working) and match_group(k):
                filled = True
            if filled:
                record(k)
            if progress is not None:
                progress(b, n)
            k += 1
        sync_marks(n)
        if self.config.close_at_end:
            positions = _open_positions(portfolio)
            if positions:
                last_ts = ts_at(n - 1)
                clock.set_ns(last_ts)
                cmd = Liquidate(
                    message_id=ids(),
                    ts_event=last_ts,
                    ts_init=last_ts,
                    positions=tuple(positions),
                    prices=tuple(sorted(tl.last_close.items())),
                )
                cascade(execution.handle(cmd))
                record(n_groups - 1)
        if progress is not None:
            progress(n, n)
        eq, gross = self._fast_curve(tl, changes.bars, changes.cash, changes.qty, sorted(traded))
        return {
            **_collect_portfolio(portfolio),
            "equity_ts": tl.times,
            "equity": eq,
            "exposure": gross,
            "bars_matched": venue.bars_matched,
            "path": "vector",
        }

    def _fast_curve(
        self,
        tl: _Timeline,
        change_k: list[int],
        change_cash: list[float],
        change_qty: list[list[float]],
        traded: list[int],
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Equity and gross exposure at the end of each timestamp, with the float operations of
        :meth:`PortfolioComponent.state` (sorted symbols, left to right)."""
        m = tl.times.shape[0]
        idx = np.zeros(m, dtype=np.int64)
        if change_k:
            marks = np.zeros(m, dtype=np.int64)
            marks[np.asarray(change_k)] = np.arange(1, len(change_k) + 1)
            idx = np.maximum.accumulate(marks)  # 0 = before the first change
        cash_tab = np.asarray([self.config.initial_capital, *change_cash])
        cash = cash_tab[idx]
        mv = np.zeros(m)
        gross = np.zeros(m)
        order = sorted(traded, key=lambda s: tl.symbols[s])
        time_pos = np.searchsorted(tl.times, tl.ts_arr) if len(tl.symbols) > 1 else None
        # quantity of every symbol after every change (row 0: before the first)
        qty_tab = np.zeros((len(change_qty) + 1, len(tl.symbols)))
        if change_qty:
            qty_tab[1:] = change_qty
        for s in order:
            if len(tl.symbols) == 1:
                price = tl.cols["close"]
            else:
                assert time_pos is not None
                sel = tl.sym_arr == s
                price = np.full(m, np.nan)
                price[time_pos[sel]] = tl.cols["close"][sel]
                # forward-fill the last close (a symbol without a bar at t keeps its last price)
                valid = ~np.isnan(price)
                fill_idx = np.where(valid, np.arange(m), 0)
                np.maximum.accumulate(fill_idx, out=fill_idx)
                price = price[fill_idx]
            qty = qty_tab[:, s][idx]
            price = np.where(qty == 0.0, 0.0, np.nan_to_num(price))
            value = qty * price
            mv = mv + value
            gross = gross + np.abs(value)
        return cash + mv, gross

    # -- results ----------------------------------------------------------------------------
    def _results(
        self, series: Mapping[str, BarSeries], tl: _Timeline, raw: dict[str, Any]
    ) -> dict[str, Any]:
        c = self.config
        ts_arr = np.asarray(raw["equity_ts"], dtype=np.int64)
        eq_arr = np.asarray(raw["equity"], dtype=np.float64)
        trades: list[dict[str, Any]] = raw["round_trips"]
        if trades:
            times = np.array(
                [[t["entry_time"], t["exit_time"]] for t in trades], dtype="datetime64[ns]"
            )
            texts = np.datetime_as_string(times.astype("datetime64[s]"), timezone="UTC").tolist()
            for t, (entry, exit_) in zip(trades, texts, strict=True):
                t["entry_date"] = entry
                t["exit_date"] = exit_
        final = float(eq_arr[-1]) if eq_arr.shape[0] else c.initial_capital
        metrics: dict[str, Any] | None
        if eq_arr.shape[0] >= 1 and float(eq_arr.min()) > 0:
            # one equity point per timestamp, the first at the first bar (cash only)
            metrics = compute_metrics(
                ts_arr,
                eq_arr,
                trades,
                raw["fills"],
                np.asarray(raw["exposure"], dtype=np.float64),
                periods_per_year=c.periods_per_year,
            ).to_dict()
        else:
            metrics = None
        symbols = list(series)
        return {
            "symbol": ",".join(symbols),
            "symbols": symbols,
            "timeframe": next(iter(series.values())).timeframe.value,
            "strategy": c.strategy,
            "strategy_id": str(self.strategy_id),
            "params": dict(sorted(self.params.items())),
            "start": _iso(int(tl.times[0])),
            "end": _iso(int(tl.times[-1])),
            "bar_count": tl.n,
            "initial_capital": c.initial_capital,
            "final_value": final,
            "total_return_pct": (final / c.initial_capital - 1.0) * 100.0,
            "total_trades": len(trades),
            "fill_count": len(raw["fills"]),
            "fees": raw["fees"],
            "realized_pnl_fifo": raw["fifo_realized"],
            # [ts_ns, equity] pairs
            "equity_curve": list(zip(ts_arr.tolist(), eq_arr.tolist(), strict=True)),
            "trades": trades,
            "metrics": metrics,
            "attribution": raw["attribution"],
            "reconciliation": raw["reconciliation"],
            "execution": {
                "fill_at": c.fill_at,
                "timing": (
                    "orders decided on bar t fill at bar t+1's open"
                    if c.fill_at == "open"
                    else f"orders decided on bar t fill at bar t's {c.fill_at} "
                    "(trading on the bar just observed)"
                ),
                "slippage_bps": c.slippage_bps,
                "fee_bps": c.fee_bps,
                "fee_per_order": c.fee_per_order,
                "max_volume_pct": c.max_volume_pct,
                "sizer": c.sizer_config(),
                "close_at_end": c.close_at_end,
            },
        }


# -- helpers -----------------------------------------------------------------------------------


def _open_positions(p: PortfolioComponent) -> list[tuple[str, str, float]]:
    return [
        (g.strategy_id, sym, pos.quantity)
        for g in p.tree
        for sym, pos in sorted(g.book.positions.items())
        if pos.quantity != 0.0
    ]


def _collect_portfolio(p: PortfolioComponent) -> dict[str, Any]:
    # the ledger's fills (price, quantity, fee) feed the turnover and fee metrics as they are
    fills = tuple(p.ledger)
    return {
        "round_trips": p.round_trips(),
        "fills": fills,
        "fees": p.book.fees,
        "fifo_realized": p.fifo_realized_pnl(),
        "attribution": p.attribution(),
        "reconciliation": p.reconcile_report(),
    }


class _Ids:
    """Message ids for the bars and snapshots the fast path builds (``feed-<n>``)."""

    def __init__(self) -> None:
        self._n = 0

    def __call__(self) -> MessageId:
        self._n += 1
        return f"feed-{self._n}"  # type: ignore[return-value]  # a MessageId is a str


_new = object.__new__
_set = object.__setattr__
_EMPTY_ID = MessageId("")


def _fast_bar(
    ts: int, sym: str, o: float, h: float, lo: float, c: float, v: float, mid: MessageId
) -> Bar:
    """A :class:`Bar` without re-validation (its series was validated on construction)."""
    bar = _new(Bar)
    _set(bar, "message_id", mid)
    _set(bar, "ts_event", ts)
    _set(bar, "ts_init", ts)
    _set(bar, "source", "feed")
    _set(bar, "correlation_id", _EMPTY_ID)
    _set(bar, "causation_id", _EMPTY_ID)
    _set(bar, "symbol", sym)
    _set(bar, "open", o)
    _set(bar, "high", h)
    _set(bar, "low", lo)
    _set(bar, "close", c)
    _set(bar, "volume", v)
    return bar


def _fast_snapshot(ts: int, sym: str, price: float, bar: Bar, mid: MessageId) -> MarketSnapshot:
    snap = _new(MarketSnapshot)
    _set(snap, "message_id", mid)
    _set(snap, "ts_event", ts)
    _set(snap, "ts_init", ts)
    _set(snap, "source", "data")
    _set(snap, "correlation_id", bar.message_id)
    _set(snap, "causation_id", bar.message_id)
    _set(snap, "symbol", sym)
    _set(snap, "last_price", price)
    _set(snap, "bar", bar)
    _set(snap, "quote", None)
    _set(snap, "trade", None)
    return snap


def _fast_match(bar: Bar, mid: MessageId) -> MatchBar:
    """A :class:`MatchBar` for ``bar`` without re-validation (``bar`` was built from a
    validated series)."""
    cmd = _new(MatchBar)
    _set(cmd, "message_id", mid)
    _set(cmd, "ts_event", bar.ts_event)
    _set(cmd, "ts_init", bar.ts_event)
    _set(cmd, "source", "feed")
    _set(cmd, "correlation_id", _EMPTY_ID)
    _set(cmd, "causation_id", _EMPTY_ID)
    _set(cmd, "bar", bar)
    return cmd


def run_backtest(
    bars: BarSeries | Mapping[str, BarSeries],
    config: BacktestConfig | None = None,
    progress: Progress | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """One-call form: ``run_backtest(bars, strategy="sma_cross", params={...})``."""
    cfg = config or BacktestConfig()
    if overrides:
        cfg = dataclasses.replace(cfg, **overrides)
    return BacktestEngine(cfg).run(bars, progress)
