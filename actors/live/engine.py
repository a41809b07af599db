"""LiveTradingEngine: the live flow on the actor host, in dry-run, paper or live mode.

Invariants:

* **Live needs two yeses.** Mode ``live`` (real money) starts only when the configuration says
  live (``dry_run: false``, ``paper_mode: false``, ``enable: true``) *and* the caller confirms
  it (``live_confirmed=True``, the CLI's ``--live``); either alone raises
  :class:`LiveTradingRefused`. ``--live`` with a config that is not live is refused too.
* **One driver thread.** The thread that calls :meth:`run` builds everything, feeds every
  market-data item and venue wake-up into the runtime, and writes the health file; the SDK
  streams only put items on a queue. Each *tick* (one market-data item) is fed and processed to
  the end before the next: data -> snapshot (prices, unrealized P&L) -> strategy (signals skipped
  while the circuit breaker is active, duplicates dropped) -> risk (stops, sizing, validation) ->
  execution (submit) -> portfolio; the audit trail and the JSONL log see every order message.
* **Secrets stay out of outputs.** Keys go to the SDK clients only; the engine logs
  ``config.to_public_dict()``; no component ever holds a key.
* **Restart is safe.** Each start is a new *session* (``session.json`` in the run directory);
  broker client order ids are ``<prefix>s<session>-<strategy>-<n>``, so a new session never
  reuses an id, and a re-sent submit within a session is recognised by the gateway. Before
  trading, paper/live reconcile with the broker (:mod:`actors.live.reconcile`): drift is
  reported (``reconcile.json`` and the log), the broker's positions and cash are adopted, and
  its open orders are adopted as working orders (:class:`~actors.live.components.AdoptOrder`)
  or, with ``trading.cancel_open_orders_on_start``, canceled.
* **Stream gaps are closed by REST at once.** When ``trade_updates`` listens again after a
  drop, execution refreshes every working order by REST before anything else (fills made
  while it was down are booked, idempotently) and the gap is logged; the heartbeat refresh
  stays as the safety net for a connected-but-silent stream.
* **Clean stop.** :meth:`request_stop` (signal-handler safe) ends the loop; shutdown stops the
  streams, books the venue's last updates, stops the runtime (logs flushed, audit closed), and
  marks the health file ``stopped``.
* **Nothing slow on the tick path.** While running, ``health.json`` is built and written, and
  the heartbeat's log flush done, by a writer thread the driver only nudges (the reads it needs
  are asks to the components); a health write is atomic (temp file + rename) but not fsynced
  -- a stale heartbeat is what a monitor checks, and an fsync can stall for hundreds of
  milliseconds on a busy disk. Only the final ``stopped`` write and the restart files
  (``session.json``, ``reconcile.json``) are fsynced. With ``freeze_gc=True`` (what the CLI and
  the benchmark pass: it changes the whole process) everything alive after start-up is moved
  out of the collector's reach (``gc.freeze()``), so a full collection during trading scans
  only what trading allocated instead of stalling every thread for tens of milliseconds.

Modes:

* ``dry-run``: historical replay (``replay_bars``, else the bar store given by ``store_path``,
  else the shipped demo data) of the last ``replay_days`` days, through a
  :class:`~actors.execution.SimulatedVenue` (``fill_model``); lockstep actor host with a
  simulated clock, so a replay is deterministic. No keys needed.
* ``paper`` / ``live``: real-time bars over ``StockDataStream``
  (:class:`~actors.data.alpaca.AlpacaDataGateway`), orders through
  :class:`~actors.execution.alpaca.AlpacaTradingGateway`, fills from ``trade_updates``. A gap
  between consecutive bars of a symbol is backfilled by REST (cached in the bar store) and
  logged before the new bar is fed.
"""

from __future__ import annotations

import gc
import json
import logging
import math
import os
import queue
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from actors.clock import Clock
from actors.component import Component
from actors.config import ComponentSpec, RuntimeConfig
from actors.data.alpaca import AlpacaDataConfig, AlpacaDataGateway, bar_message
from actors.data.bars import BarSeries, BarStore, Timeframe, load_demo_bars
from actors.errors import ConfigurationError
from actors.execution import FillModel, SimulatedVenue, VenueConfig, VenuePort
from actors.execution.alpaca import AlpacaGatewayConfig, AlpacaTradingGateway, TradeStreamGap
from actors.ids import ClientOrderId, StrategyId, VenueOrderId
from actors.live.components import (
    AdoptOrder,
    AuditComponent,
    LiveExecutionComponent,
    LiveLogger,
    LiveRiskComponent,
    LiveStrategyComponent,
    PollVenue,
    SetWarmup,
)
from actors.live.config import LiveEngineConfig, Mode
from actors.live.reconcile import Reconciliation, adopted_terms, read_ledger, reconcile_with_broker
from actors.messages import (
    Bar,
    CancelOrder,
    HaltTrading,
    MarketData,
    ModifyOrder,
    OrderFilled,
    ResumeTrading,
    Side,
)
from actors.risk import RiskLimits, ValidationLimits
from actors.risk.component import RISK_STRATEGY_ID
from actors.runtime import Runtime
from actors.strategy import StrategyRegistry

__all__ = ["LiveTradingEngine", "LiveTradingRefused"]

log = logging.getLogger(__name__)
_DAY_NS = 86_400 * 1_000_000_000
_WAKE = object()


class LiveTradingRefused(ConfigurationError):
    """The engine will not start in the requested mode (the message says what is missing)."""


@dataclass
class _Stats:
    ticks: int = 0
    venue_polls: int = 0
    updates_processed: int = 0
    commands: int = 0
    commands_refused: int = 0  # operator order commands naming no working order
    warmup_bars: int = 0
    backfilled_bars: int = 0
    gaps: int = 0
    last_data_ts_ns: int | None = None
    drift: int = 0
    adopted_orders: int = 0
    trade_stream_gaps: int = 0


@dataclass(frozen=True, slots=True)
class _OperatorOrder:
    """Driver-queue item: an operator's cancel (``cancel``) or modify of a working order."""

    client_order_id: str
    cancel: bool
    quantity: float | None = None
    price: float | None = None
    trigger_price: float | None = None


@dataclass(frozen=True, slots=True)
class _StreamListening:
    """Driver-queue item: ``trade_updates`` listens (again, when ``gap`` is set)."""

    gap: TradeStreamGap | None


class _HealthWriter:
    """Runs ``write`` on its own thread when nudged, at most every ``min_interval_s``; nudges
    during a write coalesce into one more write. ``flush`` additionally runs ``flush_log``
    first (the heartbeat's log flush)."""

    def __init__(
        self,
        write: Callable[[], None],
        flush_log: Callable[[], None],
        min_interval_s: float = 0.05,
    ) -> None:
        self._write = write
        self._flush_log = flush_log
        self._min_interval_s = min_interval_s
        self._due = threading.Event()
        self._flush_due = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="live-health-writer")

    def start(self) -> None:
        self._thread.start()

    def nudge(self, flush_log: bool = False) -> None:
        """Ask for a write (any thread; cheap)."""
        if flush_log:
            self._flush_due.set()
        self._due.set()

    def stop(self, timeout_s: float = 10.0) -> None:
        """End the thread after the write in progress (no further write)."""
        self._stopping.set()
        self._due.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    def _run(self) -> None:
        last = -self._min_interval_s
        while True:
            self._due.wait()
            # rate limit: the stop event ends the wait early
            self._stopping.wait(max(last + self._min_interval_s - time.monotonic(), 0.0))
            if self._stopping.is_set():
                return
            self._due.clear()  # before the work: a nudge during it means one more round
            try:
                if self._flush_due.is_set():
                    self._flush_due.clear()
                    self._flush_log()
                self._write()
            except Exception:  # a failing write must not end health reporting
                log.warning("health write failed", exc_info=True)
            last = time.monotonic()


class _EngineGateway(AlpacaTradingGateway):
    """The trading gateway, waking the engine's driver when a trade update arrives or the
    trade stream (re)connects."""

    def __init__(self, config: AlpacaGatewayConfig, put: Callable[[Any], None]) -> None:
        super().__init__(config)
        self._put = put
        self.ingested = 0  # trade updates received (any thread; read by the driver)

    def ingest(self, update: Mapping[str, Any]) -> None:
        super().ingest(update)
        self.ingested += 1
        self._put(_WAKE)

    def on_stream_listening(self, gap: TradeStreamGap | None) -> None:
        self._put(_StreamListening(gap))

    @property
    def stream_connected(self) -> bool:
        stream = self._stream
        return stream is not None and bool(getattr(stream, "_running", False))


def _utc(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, tz=UTC).isoformat()


class LiveTradingEngine:
    """See the module docstring. Typical use::

    engine = LiveTradingEngine(LiveEngineConfig.load("config/live_trading.yaml"),
                               out_dir="runs/today")
    engine.run(duration_s=3600)      # blocks; request_stop() from a signal handler
    """

    def __init__(
        self,
        config: LiveEngineConfig,
        *,
        out_dir: str | os.PathLike[str],
        live_confirmed: bool = False,
        replay_bars: Mapping[str, BarSeries] | None = None,
        store_path: str | os.PathLike[str] | None = None,
        strategy_id: str | None = None,
        freeze_gc: bool = False,
    ) -> None:
        mode = config.mode
        if mode == "live" and not live_confirmed:
            raise LiveTradingRefused(
                "the configuration says live but the command line does not: pass --live "
                "(live_confirmed=True) to trade real money"
            )
        if live_confirmed and mode != "live":
            raise LiveTradingRefused(
                "--live given but the configuration is not live: set trading.dry_run: false, "
                "trading.paper_mode: false and trading.enable: true (or TRADING_DRY_RUN=false, "
                "TRADING_PAPER_MODE=false, TRADING_ENABLE=true)"
            )
        if mode != "dry-run" and not config.alpaca.has_keys:
            raise LiveTradingRefused(
                f"{mode} mode needs API keys: set ALPACA_API_KEY and ALPACA_API_SECRET"
            )
        self.config = config
        self.mode: Mode = mode
        self.out_dir = Path(out_dir)
        self.replay_bars = replay_bars
        self.store_path = Path(store_path) if store_path is not None else None
        self.freeze_gc = freeze_gc
        self._gc_frozen = False
        self.timeframe = Timeframe.parse(config.trading.timeframe)
        self.strategy_id = StrategyId(strategy_id or config.trading.strategy.rsplit(":", 1)[-1])
        self.stats = _Stats()
        self.status = "created"
        self.session = 0
        self.reconciliation: Reconciliation | None = None
        self.runtime: Runtime | None = None
        self.gateway: _EngineGateway | None = None
        self.data: AlpacaDataGateway | None = None
        self.venue: VenuePort | None = None
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._cond = threading.Condition()
        self._started_ns = time.time_ns()
        self._health_lock = threading.Lock()
        self._health_writer: _HealthWriter | None = None
        self._last_heartbeat = 0.0
        self._last_bar_start: dict[str, int] = {}
        self._error: str | None = None
        self._replay_cache: list[Bar] | None = None
        self._broker_now_ns: int | None = None
        self._warmup_cache: list[Bar] = []

    # -- public control ------------------------------------------------------------------------
    @property
    def health_path(self) -> Path:
        return self.out_dir / "health.json"

    @property
    def broker_prefix(self) -> str:
        return f"{self.config.trading.client_order_prefix}s{self.session}-"

    def request_stop(self) -> None:
        """Ask the loop to end (any thread, signal handlers included)."""
        self._stop.set()
        self._queue.put(_WAKE)

    def halt_trading(self, reason: str) -> None:
        """Trip the circuit breaker (any thread): risk rejects new orders, strategies' signals
        are skipped, until :meth:`resume_trading` with the same reason."""
        now = time.time_ns()
        self._queue.put(HaltTrading(ts_event=now, ts_init=now, source="operator", reason=reason))

    def resume_trading(self, reason: str) -> None:
        now = time.time_ns()
        self._queue.put(ResumeTrading(ts_event=now, ts_init=now, source="operator", reason=reason))

    def cancel_order(self, client_order_id: str) -> None:
        """Cancel a working order (any thread). The outcome is an event like any other:
        ``OrderCanceled``, or an ``OrderRejected`` / a logged error (unknown or done order)."""
        self._queue.put(_OperatorOrder(client_order_id, cancel=True))

    def modify_order(
        self,
        client_order_id: str,
        *,
        quantity: float | None = None,
        price: float | None = None,
        trigger_price: float | None = None,
    ) -> None:
        """Change a working order's total quantity and/or prices (any thread); at the broker
        this is a replace whose client order id is the original's with ``.r<k>``. Values are
        checked here (:class:`ValueError`); the outcome is an ``OrderModified`` or an
        ``OrderRejected`` with the broker's reason."""
        for name, value in (
            ("quantity", quantity),
            ("price", price),
            ("trigger_price", trigger_price),
        ):
            if value is not None and not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
        if quantity is None and price is None and trigger_price is None:
            raise ValueError("modify_order needs a new quantity, price or trigger_price")
        self._queue.put(_OperatorOrder(client_order_id, False, quantity, price, trigger_price))

    def wait_for(self, predicate: Callable[[LiveTradingEngine], bool], timeout: float) -> bool:
        """Block until ``predicate(engine)`` holds (checked after every tick and state change)."""
        with self._cond:
            return self._cond.wait_for(lambda: predicate(self), timeout)

    def _notify(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def run(self, duration_s: float | None = None) -> int:
        """Start, loop until stopped (or ``duration_s``, or the end of a replay), shut down.

        Returns 0 on a clean stop, 1 when the loop failed (the error is in the log and health).
        """
        try:
            self.start()
            self._loop(duration_s)
            code = 0
        except Exception as exc:
            log.exception("live engine failed")
            self._error = f"{type(exc).__name__}: {exc}"
            code = 1
        finally:
            self.shutdown()
        return code

    # -- start -----------------------------------------------------------------------------------
    def _next_session(self) -> int:
        path = self.out_dir / "session.json"
        previous = 0
        if path.exists():
            try:
                previous = int(json.loads(path.read_text())["session"])
            except (ValueError, KeyError, TypeError):
                previous = 0
        session = previous + 1
        _atomic_write(path, json.dumps({"session": session}))
        return session

    def start(self) -> None:
        if self.runtime is not None:
            return
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.session = self._next_session()
        self.status = "starting"
        self._write_health()
        cfg = self.config
        initial_cash = cfg.trading.initial_cash
        adopt: list[dict[str, Any]] = []
        if self.mode != "dry-run":
            self.gateway = self._make_gateway()
            self.venue = self.gateway
            self.reconciliation = rec = self._reconcile(self.gateway)
            self.stats.drift = len(rec.drift)
            adopt = rec.adopted
            if rec.starting_cash is not None and rec.starting_cash > 0:
                initial_cash = rec.starting_cash
        else:
            fm = (
                FillModel.IMMEDIATE if cfg.trading.fill_model == "immediate" else FillModel.NEXT_BAR
            )
            self.venue = SimulatedVenue(VenueConfig(fill_model=fm))
        self.runtime = runtime = Runtime(self._runtime_config(initial_cash))
        runtime.start()
        runtime.log_event("INFO", "live engine starting", self._start_details())
        if self.reconciliation is not None:
            self._report_reconciliation(self.reconciliation)
        runtime.load_strategy(
            cfg.trading.strategy, dict(cfg.trading.strategy_params), self.strategy_id
        )
        runtime.start_strategy(self.strategy_id)
        if self.mode != "dry-run":
            self.data = self._make_data_gateway()
        # warm up before adopting positions: stops must not fire on history
        self._warm_up(self._warmup_bars())
        self._adopt(adopt)
        if self.reconciliation is not None:
            self._adopt_orders(self.reconciliation.adopted_orders)
        if self.mode != "dry-run":
            assert self.gateway is not None
            assert self.data is not None
            self.gateway.start_trade_updates()
            self._wait_trade_stream()
            self.data.start_stream(
                cfg.trading.symbols,
                self._queue.put,
                timeframe=self.timeframe,
                bars=True,
                quotes=cfg.trading.stream_quotes,
                trades=cfg.trading.stream_trades,
            )
        self.status = "running"
        self._write_health()
        self._health_writer = _HealthWriter(self._write_health, self._flush_log)
        self._health_writer.start()
        if self.freeze_gc:
            # start-up allocated most of what the process will ever hold (SDK, modules,
            # history): collect once now, then keep it out of every later collection
            gc.collect()
            gc.freeze()
            self._gc_frozen = True
        self._notify()

    def _warmup_bars(self) -> list[Bar]:
        """History before trading: dry-run, the bars before the replay window; paper/live, the
        last ``warmup_bars`` closed bars by REST up to the broker's clock (logged)."""
        n = self.config.trading.warmup_bars
        if self.mode == "dry-run":
            self._replay()
            return self._warmup_cache
        data = self.data
        assert data is not None
        clock = data.market_clock()
        self._broker_now_ns = clock.timestamp_ns
        self.runtime_log(
            "INFO",
            "market clock",
            {
                "now": _utc(clock.timestamp_ns),
                "is_open": clock.is_open,
                "next_open": _utc(clock.next_open_ns),
                "next_close": _utc(clock.next_close_ns),
            },
        )
        if n == 0:
            return []
        tf = self.timeframe
        now = clock.timestamp_ns
        span = max(n * (tf.nanos or _DAY_NS) * 4, 7 * _DAY_NS)
        bars: list[Bar] = []
        for sym in self.config.trading.symbols:
            try:
                series = data.fetch_bars(sym, tf, now - span, now)
            except Exception as exc:
                self.runtime_log("WARNING", "warm-up bars unavailable",
                                 {"symbol": sym, "error": str(exc)[:200]})  # fmt: skip
                continue
            rows = [r for r in series.to_rows() if tf.next_start(int(r.ts)) <= now][-n:]
            bars.extend(
                bar_message(sym, tf, int(r.ts), r.open, r.high, r.low, r.close, r.volume)
                for r in rows
            )
        bars.sort(key=lambda b: b.ts_event)
        return bars

    def _warm_up(self, bars: Sequence[Bar]) -> None:
        if not bars:
            return
        runtime = self.runtime
        assert runtime is not None
        first = bars[0].ts_event
        runtime.feed(SetWarmup(ts_event=first, ts_init=first, source="engine", active=True))
        for bar in bars:
            runtime.feed(bar)
            self._last_bar_start[bar.symbol] = _bar_start(bar, self.timeframe)
        runtime.run_until_idle()  # every warm-up snapshot reached the strategy before the switch
        last = bars[-1].ts_event
        runtime.feed(SetWarmup(ts_event=last, ts_init=last, source="engine", active=False))
        runtime.run_until_idle()
        self.stats.warmup_bars = len(bars)
        self.runtime_log("INFO", "warmed up", {"bars": len(bars)})

    def _wait_trade_stream(self) -> None:
        """Give the trade-updates stream up to ``timeout_s`` to listen before data flows (an
        update sent before it listens is lost; the REST refresh when it listens finds it)."""
        gw = self.gateway
        assert gw is not None
        limit = self.config.alpaca.timeout_s
        if not gw.wait_listening(1, limit):
            self.runtime_log(
                "WARNING", "trade-updates stream not listening yet", {"waited_s": limit}
            )

    def _start_details(self) -> dict[str, str | int | float | bool | None]:
        public = self.config.to_public_dict()
        return {
            "mode": self.mode,
            "session": self.session,
            "symbols": ",".join(self.config.trading.symbols),
            "strategy": self.config.trading.strategy,
            "config": json.dumps(public, sort_keys=True),
        }

    def _runtime_config(self, initial_cash: float) -> RuntimeConfig:
        cfg = self.config
        venue = self.venue
        assert venue is not None
        out = self.out_dir
        prefix = self.broker_prefix if self.mode != "dry-run" else ""
        registry = StrategyRegistry()
        r, sl = cfg.risk, cfg.stop_loss
        limits = RiskLimits(
            max_order_quantity=r.max_order_quantity,
            max_position=r.max_position,
            max_notional=r.max_notional,
            max_drawdown=r.max_drawdown,
            max_daily_loss=r.max_daily_loss,
            stop_loss_pct=sl.stop_loss_pct if sl.enabled else None,
            trailing_stop_pct=sl.trailing_stop_pct if sl.enabled else None,
        )
        sizer: dict[str, Any] = (
            {"method": "fixed", "quantity": r.position_quantity}
            if r.sizing == "fixed"
            else {"method": "percent", "fraction": r.position_fraction}
        )
        validation = ValidationLimits(
            max_orders_global=r.max_orders_per_minute,
            rate_window_ns=60 * 1_000_000_000,
            check_capital=r.check_capital,
            max_position_value=r.max_position_value,
            max_total_exposure=r.max_total_exposure,
        )

        def strategy(name: str, clock: Clock) -> Component:
            return LiveStrategyComponent(name, clock, registry)

        def risk(name: str, clock: Clock) -> Component:
            return LiveRiskComponent(
                name, clock, limits, sizer=sizer, validation=validation, initial_equity=initial_cash
            )

        def execution(name: str, clock: Clock) -> Component:
            return LiveExecutionComponent(name, clock, venue_factory=lambda: venue)

        def audit(name: str, clock: Clock) -> Component:
            return AuditComponent(name, clock, out / "audit.csv", prefix)

        def logger(name: str, clock: Clock) -> Component:
            return LiveLogger(name, clock, out)

        components = (
            ComponentSpec(
                "data", "data", depends_on=("strategy", "risk", "execution", "portfolio", "audit")
            ),
            ComponentSpec("strategy", "strategy", factory=strategy, depends_on=("risk",)),
            ComponentSpec("risk", "risk", factory=risk, depends_on=("execution", "portfolio")),
            ComponentSpec(
                "execution", "execution", factory=execution, depends_on=("portfolio", "audit")
            ),
            ComponentSpec("portfolio", "portfolio"),
            ComponentSpec("audit", "audit", factory=audit),
            ComponentSpec("logger", "logger", factory=logger),
        )
        dry = self.mode == "dry-run"
        return RuntimeConfig(
            host="pykka",
            lockstep=dry,
            components=components,
            taps=("logger",),
            live_clock=not dry,
            start_ns=self._replay_start_ns() if dry else 0,
            initial_cash=initial_cash,
        )

    # -- brokers -----------------------------------------------------------------------------------
    def _make_gateway(self) -> _EngineGateway:
        a = self.config.alpaca
        assert a.api_key is not None
        assert a.api_secret is not None
        cfg = AlpacaGatewayConfig(
            api_key=a.api_key,
            secret_key=a.api_secret,
            base_url=a.base_url,
            stream_url=a.trading_stream_url,
            paper=self.mode == "paper",
            client_order_prefix=self.broker_prefix,
            timeout_s=a.timeout_s,
        )
        return _EngineGateway(cfg, self._queue.put)

    def _make_data_gateway(self) -> AlpacaDataGateway:
        a = self.config.alpaca
        assert a.api_key is not None
        assert a.api_secret is not None
        cfg = AlpacaDataConfig(
            api_key=a.api_key,
            secret_key=a.api_secret,
            data_url=a.data_url,
            trading_url=a.base_url,
            stream_url=a.data_stream_url,
            paper=self.mode == "paper",
            feed=a.data_feed,
            timeout_s=a.timeout_s,
            data_timeout_s=self.config.trading.data_silence_s,
        )
        return AlpacaDataGateway(cfg, self.store_path or self.out_dir / "bars.sqlite")

    def _reconcile(self, gw: _EngineGateway) -> Reconciliation:
        from alpaca.trading.enums import QueryOrderStatus
        from alpaca.trading.requests import GetOrdersRequest

        client = gw._client  # the gateway's SDK client: same timeout, no hidden retries

        def all_orders() -> list[Mapping[str, Any]]:
            req = GetOrdersRequest(status=QueryOrderStatus.ALL, limit=500)
            return list(gw._read("list orders", lambda: client.get_orders(req)))

        def cancel(order_id: str) -> None:
            gw._read("cancel order", lambda: client.cancel_order_by_id(order_id))

        ledger = read_ledger(self.out_dir / "audit.csv")
        rec = reconcile_with_broker(
            ledger,
            all_orders=all_orders,
            positions=gw.positions,
            account=gw.account,
            cancel=cancel,
            prefix=self.config.trading.client_order_prefix,
            cancel_open_orders=self.config.trading.cancel_open_orders_on_start,
        )
        _atomic_write(
            self.out_dir / "reconcile.json",
            json.dumps({"session": self.session, **rec.to_dict()}, indent=2, sort_keys=True),
        )
        return rec

    def _report_reconciliation(self, rec: Reconciliation) -> None:
        assert self.runtime is not None
        self.runtime.log_event(
            "WARNING" if rec.drift else "INFO",
            "reconciled with the broker",
            {
                "drift": len(rec.drift),
                "canceled_open_orders": len(rec.canceled),
                "adopted_open_orders": len(rec.adopted_orders),
                "adopted_positions": len(rec.adopted),
                "broker_cash": rec.broker_cash,
                "broker_orders": rec.broker_orders,
            },
        )
        for d in rec.drift:
            self.runtime.log_event(
                "WARNING", "drift: " + str(d["kind"]), {k: _scalar(v) for k, v in d.items()}
            )

    def _adopt(self, adopted: Sequence[Mapping[str, Any]]) -> None:
        """Book the broker's positions as synthetic fills (see :mod:`actors.live.reconcile`)."""
        runtime = self.runtime
        assert runtime is not None
        # stamped with the broker's clock: later fills carry the broker's times, and fills of
        # one symbol must not go back in time (the FIFO tracker refuses that)
        now = self._broker_now_ns if self._broker_now_ns is not None else time.time_ns()
        symbols = set(self.config.trading.symbols)
        for a in adopted:
            qty = float(a["quantity"])
            price = float(a["avg_entry_price"]) or 1.0
            sym = str(a["symbol"])
            owner = self.strategy_id if sym in symbols else StrategyId("reconcile")
            runtime.feed(
                OrderFilled(
                    ts_event=now,
                    ts_init=now,
                    source="reconcile",
                    client_order_id=ClientOrderId(f"adopt-s{self.session}-{sym}"),
                    strategy_id=owner,
                    symbol=sym,
                    side=Side.BUY if qty > 0 else Side.SELL,
                    price=price,
                    quantity=abs(qty),
                    trade_id=f"adopt-s{self.session}-{sym}",
                )
            )
        runtime.run_until_idle()

    def _adopt_orders(self, orders: Sequence[Mapping[str, Any]]) -> None:
        """Register the broker's open orders as working orders (see :class:`AdoptOrder`): owned
        by the strategy that sent them when it is this engine's (or risk's stop exits), else
        like the adopted positions."""
        runtime = self.runtime
        assert runtime is not None
        if not orders:
            return
        now = self._broker_now_ns if self._broker_now_ns is not None else time.time_ns()
        symbols = set(self.config.trading.symbols)
        for o in orders:
            sym = str(o["symbol"])
            sid = o.get("strategy_id")
            if sid in (self.strategy_id, RISK_STRATEGY_ID):
                owner = StrategyId(str(sid))
            else:
                owner = self.strategy_id if sym in symbols else StrategyId("reconcile")
            filled = float(o["filled_quantity"])
            avg = o.get("filled_avg_price")
            terms = adopted_terms(
                str(o["order_type"]), str(o["time_in_force"]), o.get("stop_price")
            )
            if terms.approximations:
                self.runtime_log(
                    "WARNING",
                    "adopted order tracked approximately",
                    {
                        "client_order_id": str(o["client_order_id"]),
                        "approximations": "; ".join(terms.approximations),
                    },
                )
            runtime.feed(
                AdoptOrder(
                    ts_event=now,
                    ts_init=now,
                    source="reconcile",
                    client_order_id=ClientOrderId(str(o["client_order_id"])),
                    strategy_id=owner,
                    symbol=sym,
                    side=Side.BUY if o["side"] == "buy" else Side.SELL,
                    order_type=terms.order_type,
                    time_in_force=terms.time_in_force,
                    quantity=float(o["quantity"]),
                    filled_quantity=filled,
                    filled_notional=filled * float(avg) if avg is not None else 0.0,
                    replaced_filled_quantity=float(o.get("replaced_filled_quantity", 0.0)),
                    replaced_filled_notional=float(o.get("replaced_filled_notional", 0.0)),
                    price=o.get("limit_price"),
                    trigger_price=o.get("stop_price"),
                    venue_order_id=VenueOrderId(str(o["order_id"])),
                )
            )
        runtime.run_until_idle()
        self.stats.adopted_orders = len(orders)
        ids = ",".join(str(o["client_order_id"]) for o in orders)
        self.runtime_log("INFO", "adopted open orders", {"orders": ids})

    # -- the loop ----------------------------------------------------------------------------------
    def _loop(self, duration_s: float | None) -> None:
        deadline = None if duration_s is None else time.monotonic() + duration_s
        if self.mode == "dry-run":
            for bar in self._replay():
                if self._stop.is_set() or (deadline is not None and time.monotonic() > deadline):
                    break
                self._tick(bar)
            self.runtime_log("INFO", "replay finished", {"ticks": self.stats.ticks})
            return
        heartbeat = self.config.trading.heartbeat_s
        while not self._stop.is_set():
            timeout = heartbeat
            if deadline is not None:
                timeout = min(timeout, deadline - time.monotonic())
                if timeout <= 0:
                    break
            try:
                item = self._queue.get(timeout=max(timeout, 0.0))
            except queue.Empty:
                item = None
            if item is _WAKE:
                self._poll_venue()
            elif isinstance(item, _StreamListening):
                self._on_trade_stream_listening(item.gap)
            elif isinstance(item, HaltTrading | ResumeTrading):
                self._command(item)
            elif isinstance(item, _OperatorOrder):
                self._operator_order(item)
            elif item is not None:
                self._on_data(item)
            self._housekeeping()

    def _housekeeping(self) -> None:
        """Every ``heartbeat_s``: ask the broker about working orders (fills the stream may have
        missed), and have the writer flush the JSONL log (it lags at most a heartbeat) and
        rewrite the health file; otherwise just nudge the writer (at most every 50 ms)."""
        now = time.monotonic()
        if now - self._last_heartbeat < self.config.trading.heartbeat_s:
            self._health_due()
            return
        self._last_heartbeat = now
        runtime = self.runtime
        if self.gateway is not None and runtime is not None:
            open_orders = runtime.host.query("audit", lambda c: len(c.open_orders))
            if open_orders:
                self._poll_venue(refresh=True)
        self._health_due(flush_log=True)

    def _flush_log(self) -> None:
        runtime = self.runtime
        if runtime is not None and runtime.host.running:
            runtime.host.query("logger", lambda c: c.flush())

    def runtime_log(
        self, level: str, text: str, details: Mapping[str, str | int | float | bool | None]
    ) -> None:
        if self.runtime is not None and self.runtime.host.running:
            self.runtime.log_event(level, text, details)

    def _tick(self, item: MarketData) -> None:
        runtime = self.runtime
        assert runtime is not None
        runtime.feed(item)
        runtime.run_until_idle()
        self.stats.ticks += 1
        self.stats.last_data_ts_ns = item.ts_event
        self._health_due()
        self._notify()

    def _command(self, cmd: HaltTrading | ResumeTrading | CancelOrder | ModifyOrder) -> None:
        """An operator's command, handled to the end of its cascade before the next tick."""
        runtime = self.runtime
        assert runtime is not None
        runtime.feed(cmd)
        runtime.run_until_idle()
        self.stats.commands += 1
        self._health_due()
        self._notify()

    def _operator_order(self, op: _OperatorOrder) -> None:
        """Turn an operator's cancel/modify into the command execution handles, for the
        strategy and symbol risk knows the order under; an unknown or finished order is a
        logged error and changes nothing."""
        runtime = self.runtime
        assert runtime is not None
        cid = ClientOrderId(op.client_order_id)
        working = runtime.host.query("risk", lambda c: c.working_order(cid))
        if working is None:
            self.runtime_log(
                "ERROR",
                "operator order command refused: no working order with this id",
                {"client_order_id": op.client_order_id, "cancel": op.cancel},
            )
            self.stats.commands_refused += 1
            self._notify()
            return
        now = time.time_ns()
        envelope: dict[str, Any] = {
            "ts_event": now,
            "ts_init": now,
            "source": "operator",
            "client_order_id": cid,
            "strategy_id": working.strategy_id,
            "symbol": working.symbol,
        }
        cmd: CancelOrder | ModifyOrder
        if op.cancel:
            cmd = CancelOrder(**envelope)
        else:
            cmd = ModifyOrder(
                **envelope, quantity=op.quantity, price=op.price, trigger_price=op.trigger_price
            )
        self._command(cmd)

    def _on_trade_stream_listening(self, gap: TradeStreamGap | None) -> None:
        """The trade stream listens (again): the gateway has a REST refresh of the working
        orders pending; poll now so it runs (and its fills are booked) before the next tick."""
        if gap is not None:
            self.runtime_log(
                "WARNING",
                "trade-updates stream gap: reconnected, refreshing working orders by REST",
                {
                    "disconnected_utc": _utc(gap.disconnected_ns),
                    "reconnected_utc": _utc(gap.reconnected_ns),
                    "gap_s": round(gap.seconds, 3),
                },
            )
        self._poll_venue()
        if gap is not None:
            self.stats.trade_stream_gaps += 1  # counted once its refresh is booked
            self._notify()

    def _poll_venue(self, refresh: bool = False) -> None:
        runtime = self.runtime
        assert runtime is not None
        seen = self.gateway.ingested if self.gateway is not None else 0
        now = time.time_ns()
        runtime.feed(PollVenue(ts_event=now, ts_init=now, source="engine", refresh=refresh))
        runtime.run_until_idle()
        self.stats.venue_polls += 1
        self.stats.updates_processed = seen
        self._notify()

    def _on_data(self, item: MarketData) -> None:
        if isinstance(item, Bar):
            self._backfill_gap(item)
        self._tick(item)

    def _backfill_gap(self, bar: Bar) -> None:
        tf = self.timeframe
        start = _bar_start(bar, tf)
        last = self._last_bar_start.get(bar.symbol)
        self._last_bar_start[bar.symbol] = start
        if last is None or self.data is None:
            return
        expected = tf.next_start(last)
        if start <= expected:
            return
        self.stats.gaps += 1
        try:
            series = self.data.fetch_bars(bar.symbol, tf, expected, start)
        except Exception as exc:
            self.runtime_log(
                "WARNING",
                "data gap: backfill failed",
                {
                    "symbol": bar.symbol,
                    "from_ns": expected,
                    "to_ns": start,
                    "error": str(exc)[:200],
                },
            )
            return
        self.runtime_log(
            "WARNING",
            "data gap backfilled",
            {"symbol": bar.symbol, "from_ns": expected, "to_ns": start, "bars": len(series)},
        )
        for row in series.to_rows():
            self.stats.backfilled_bars += 1
            self._tick(
                bar_message(
                    bar.symbol, tf, row.ts, row.open, row.high, row.low, row.close, row.volume
                )
            )

    # -- dry-run data ------------------------------------------------------------------------------
    def _replay_series(self) -> dict[str, BarSeries]:
        symbols = self.config.trading.symbols
        if self.replay_bars is not None:
            return {s: self.replay_bars[s] for s in symbols if s in self.replay_bars}
        if self.store_path is not None:
            with BarStore(self.store_path) as store:
                return {s: store.read(s, self.timeframe) for s in symbols}
        return dict(load_demo_bars(symbols))

    def _replay(self) -> list[Bar]:
        if self._replay_cache is None:
            series = self._replay_series()
            last = max((int(s.ts[-1]) for s in series.values() if len(s)), default=0)
            since = last - self.config.trading.replay_days * _DAY_NS
            bars: list[tuple[int, int, Bar]] = []
            warm: list[tuple[int, int, Bar]] = []
            n_warm = self.config.trading.warmup_bars
            for i, (sym, s) in enumerate(series.items()):
                tf = s.timeframe
                history = s.between(None, since + 1).to_rows()
                for row in history[len(history) - n_warm :] if n_warm else []:
                    b = bar_message(
                        sym, tf, row.ts, row.open, row.high, row.low, row.close, row.volume
                    )
                    warm.append((b.ts_event, i, b))
                for row in s.between(since + 1, None).to_rows():
                    b = bar_message(
                        sym, tf, row.ts, row.open, row.high, row.low, row.close, row.volume
                    )
                    bars.append((b.ts_event, i, b))
            bars.sort(key=lambda t: (t[0], t[1]))
            warm.sort(key=lambda t: (t[0], t[1]))
            self._replay_cache = [b for _, _, b in bars]
            self._warmup_cache = [b for _, _, b in warm]
        return self._replay_cache

    def _replay_start_ns(self) -> int:
        bars = self._replay()
        warm = self._warmup_cache
        firsts = [b[0].ts_event for b in (warm, bars) if b]
        return min(firsts) if firsts else 0

    # -- health ------------------------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        """The health document (also written to ``health.json``)."""
        now = time.time_ns()
        runtime = self.runtime
        positions: list[dict[str, Any]] = []
        open_orders: list[dict[str, Any]] = []
        money: dict[str, Any] = {}
        breaker: dict[str, Any] = {"halted": False, "reasons": []}
        signals: dict[str, Any] = {}
        components: dict[str, str] = {}
        if runtime is not None and runtime.host.running:
            # Plain reads on the owners' threads: nothing here stamps a message (which would
            # consume message ids and make a replay's log depend on how often health is read).
            money, positions = runtime.host.query("portfolio", _portfolio_view)
            open_orders = runtime.host.query("audit", lambda c: c.open_orders_list())
            halted, reasons = runtime.host.query("risk", lambda c: (c.halted, c.halt_reasons))
            breaker = {"halted": halted, "reasons": list(reasons)}
            components = {name: runtime.component_status(name) for name in runtime.host.cells}
            signals = runtime.host.query(
                "strategy",
                lambda c: {
                    "warmup_discarded": c.warmup_signals,
                    "dropped_duplicates": c.dropped_duplicates,
                    "skipped_halted": c.skipped_halted,
                },
            )
        if self.mode == "dry-run":
            connections = {
                "market_data": "replay",
                "trade_updates": "simulated",
                "broker": "simulated",
            }
        else:
            gw, data = self.gateway, self.data
            connections = {
                "market_data": "connected"
                if data is not None and data.stream_connected
                else "disconnected",
                "trade_updates": "connected"
                if gw is not None and gw.stream_connected
                else "disconnected",
                "broker": "ok" if self._error is None else "error",
            }
        return {
            "status": self.status,
            "mode": self.mode,
            "session": self.session,
            "pid": os.getpid(),
            "heartbeat_ns": now,
            "heartbeat_utc": _utc(now),
            "started_utc": _utc(self._started_ns),
            "symbols": list(self.config.trading.symbols),
            "strategy_id": str(self.strategy_id),
            "connections": connections,
            "components": components,
            "ticks": self.stats.ticks,
            "last_data_ts_ns": self.stats.last_data_ts_ns,
            "gaps_backfilled": self.stats.gaps,
            "reconciliation_drift": self.stats.drift,
            "adopted_orders": self.stats.adopted_orders,
            "trade_stream_gaps": self.stats.trade_stream_gaps,
            "open_orders": open_orders,
            "positions": positions,
            **money,
            "circuit_breaker": breaker,
            "signals": signals,
            "error": self._error,
        }

    def _safe_health(self) -> dict[str, Any]:
        try:
            return self.health()
        except Exception as exc:  # a failing read must not stop trading or the shutdown
            now = time.time_ns()
            return {
                "status": self.status,
                "mode": self.mode,
                "session": self.session,
                "heartbeat_ns": now,
                "heartbeat_utc": _utc(now),
                "error": f"health read failed: {exc}",
            }

    def _health_due(self, flush_log: bool = False) -> None:
        """Have the writer thread refresh ``health.json`` (at once, before it runs)."""
        writer = self._health_writer
        if writer is not None:
            writer.nudge(flush_log)
        else:
            if flush_log:
                self._flush_log()
            self._write_health()

    def _write_health(self) -> None:
        doc = self._safe_health()
        text = json.dumps(doc, indent=2, sort_keys=True)
        with self._health_lock:
            _atomic_write(self.health_path, text, durable=False)

    # -- shutdown ----------------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Stop streams, book the last venue updates, stop the runtime, mark health stopped."""
        if self.status in ("stopped", "failed"):
            return
        self.status = "stopping"
        if self._health_writer is not None:
            self._health_writer.stop()
            self._health_writer = None
        if self._gc_frozen:
            gc.unfreeze()  # what trading held may be collected again
            self._gc_frozen = False
        if self.data is not None:
            try:
                self.data.close()
            except Exception:
                log.warning("market-data stream did not close cleanly", exc_info=True)
        runtime = self.runtime
        if runtime is not None and runtime.host.running:
            try:
                if self.gateway is not None:
                    self._poll_venue()
                self._write_health()
                runtime.log_event(
                    "INFO",
                    "live engine stopping",
                    {"ticks": self.stats.ticks, "error": self._error},
                )
            except Exception:
                log.exception("final venue poll failed")
            final = self._safe_health()
            try:
                runtime.stop()
            except Exception:
                log.exception("runtime did not stop cleanly")
                runtime.host.stop(drain=False)
        else:
            final = self._safe_health()
        if self.gateway is not None:
            self.gateway.close()
        self.status = "failed" if self._error else "stopped"
        final.update(
            status=self.status,
            heartbeat_ns=time.time_ns(),
            heartbeat_utc=_utc(time.time_ns()),
            error=self._error,
        )
        final["connections"] = {k: "closed" for k in final.get("connections", {})}
        with self._health_lock:
            _atomic_write(self.health_path, json.dumps(final, indent=2, sort_keys=True))
        self._notify()


def _portfolio_view(c: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Money and open positions of the portfolio component, read without stamping a message."""
    prices = c.prices()
    positions: list[dict[str, Any]] = []
    market_value = unrealized = 0.0
    for sym in sorted(c.book.positions):
        p = c.book.positions[sym]
        if abs(p.quantity) <= 1e-12:
            continue
        last = prices.get(sym, p.avg_cost)
        market_value += p.quantity * last
        unrealized += p.quantity * (last - p.avg_cost)
        positions.append(
            {
                "symbol": sym,
                "quantity": p.quantity,
                "avg_cost": p.avg_cost,
                "last_price": last,
                "realized_pnl": p.realized_pnl,
                "unrealized_pnl": p.quantity * (last - p.avg_cost),
            }
        )
    money = {
        "cash": c.book.cash,
        "equity": c.book.cash + market_value,
        "realized_pnl": c.book.realized_pnl(),
        "unrealized_pnl": unrealized,
        "fills": len(c.ledger),
    }
    return money, positions


def _bar_start(bar: Bar, tf: Timeframe) -> int:
    fixed = tf.nanos
    if fixed is not None:
        return bar.ts_event - fixed
    return tf.floor(bar.ts_event - 1)


def _scalar(v: object) -> str | int | float | bool | None:
    if v is None or isinstance(v, str | int | float | bool):
        return v
    return str(v)


def _atomic_write(path: Path, text: str, *, durable: bool = True) -> None:
    """Write ``text`` to ``path`` atomically (temp file in the same directory, then replace):
    a reader sees the old or the new text, never a mix. ``durable`` also fsyncs before the
    rename, so the new text survives a power loss (slow on a busy disk: not for every tick)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        if durable:
            fh.flush()
            os.fsync(fh.fileno())
    os.replace(tmp, path)
