"""AlpacaDataGateway: historical bars (cached), real-time bars/quotes/trades, clock and calendar,
over the official ``alpaca-py`` SDK.

Invariants:

* **The cache answers first.** :meth:`AlpacaDataGateway.fetch_bars` serves ``[start, end)`` from
  the SQLite :class:`~actors.data.bars.BarStore` and asks Alpaca only for the parts of the range
  never fetched before. What was fetched is remembered per (symbol, timeframe) as merged
  half-open intervals in the table ``alpaca_fetched`` of the same database file -- so a range in
  which Alpaca has no bars (a weekend, a quiet minute, the future up to "now") is not asked for
  again, and interior ranges are handled exactly (the store's own ``missing_ranges`` can only
  infer the edges). The part of a range later than the wall clock at fetch time is not marked as
  fetched (bars may still appear there). The SDK follows ``next_page_token`` itself.
* **Bounded waits.** Every HTTP call has a timeout (``timeout_s``); the SDK's hidden blocking
  retries are switched off; transient failures (429, 5xx, timeouts) are retried here up to
  ``max_attempts`` times with exponential backoff; HTTP 401 raises :class:`AlpacaDataAuthError`
  (the keys are never in the message).
* **Streams own their thread.** :meth:`start_stream` runs ``StockDataStream`` (which owns its
  event loop) in a dedicated daemon thread and hands every bar, quote and trade, converted to
  :class:`~actors.messages.Bar` / :class:`~actors.messages.QuoteTick` /
  :class:`~actors.messages.TradeTick`, to the callback *on that thread*; the callback must be
  quick and thread-safe (the engine puts items on a queue). ``data_timeout_s`` makes the SDK
  reconnect a connected-but-silent socket (and resubscribe). :meth:`close` stops it.

Threading: a gateway's REST methods use its bar store, whose SQLite connection belongs to the
thread that created the gateway: call them from that thread only.

Bars: Alpaca stamps a bar with its *start*; the store keeps the start; a :class:`Bar` message's
``ts_event`` is the bar's *close* (start + the timeframe's length), see :func:`bar_message`.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import requests

from actors.data.bars import BarSeries, BarStore, Timeframe
from actors.messages import Bar, MarketData, QuoteTick, TradeTick

with warnings.catch_warnings():
    # alpaca-py 0.44 imports websockets.legacy, which warns at import time.
    warnings.simplefilter("ignore", DeprecationWarning)
    from alpaca.common.exceptions import APIError
    from alpaca.data.enums import DataFeed
    from alpaca.data.historical import StockHistoricalDataClient
    from alpaca.data.live import StockDataStream
    from alpaca.data.requests import StockBarsRequest
    from alpaca.data.timeframe import TimeFrame, TimeFrameUnit
    from alpaca.trading.client import TradingClient
    from alpaca.trading.requests import GetCalendarRequest

__all__ = [
    "AlpacaDataAuthError",
    "AlpacaDataConfig",
    "AlpacaDataError",
    "AlpacaDataGateway",
    "MarketClock",
    "SessionDay",
    "TimeoutSession",
    "bar_message",
]

log = logging.getLogger(__name__)
_TRANSIENT = frozenset({408, 429, 500, 502, 503, 504})
_NS = 1_000_000_000

_FETCHED_SCHEMA = """
CREATE TABLE IF NOT EXISTS alpaca_fetched (
    symbol    TEXT    NOT NULL,
    timeframe TEXT    NOT NULL,
    start_ns  INTEGER NOT NULL,
    end_ns    INTEGER NOT NULL,
    PRIMARY KEY (symbol, timeframe, start_ns)
) WITHOUT ROWID
"""


class AlpacaDataError(RuntimeError):
    """A data request failed after its retries (the message says how; never the keys)."""


class AlpacaDataAuthError(AlpacaDataError):
    """Alpaca refused the API keys (HTTP 401). Fatal: fix the configuration."""


@dataclass(frozen=True, slots=True)
class AlpacaDataConfig:
    """Endpoints and limits. ``data_url``: the data REST base (``/v2/stocks/...`` is appended);
    ``trading_url``: the trading REST base (clock, calendar); ``stream_url``: the full market
    data websocket URL (``.../v2/iex``). ``None`` means Alpaca's own. Keys are not in ``repr``."""

    api_key: str = field(repr=False)
    secret_key: str = field(repr=False)
    data_url: str | None = None
    trading_url: str | None = None
    stream_url: str | None = None
    paper: bool = True
    feed: str = "iex"
    timeout_s: float = 10.0
    max_attempts: int = 3
    backoff_s: float = 0.25
    data_timeout_s: float | None = None

    def __post_init__(self) -> None:
        if self.timeout_s <= 0:
            raise ValueError("timeout_s must be > 0")
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be >= 1")


@dataclass(frozen=True, slots=True)
class MarketClock:
    """``GET /v2/clock``: times in ns since the epoch, UTC."""

    timestamp_ns: int
    is_open: bool
    next_open_ns: int
    next_close_ns: int


@dataclass(frozen=True, slots=True)
class SessionDay:
    """One trading day of ``GET /v2/calendar`` (``open`` / ``close`` as Eastern "HH:MM")."""

    date: date
    open: str
    close: str


class TimeoutSession(requests.Session):
    """A ``requests`` session with a default timeout on every request."""

    def __init__(self, timeout_s: float) -> None:
        super().__init__()
        self.timeout_s = timeout_s

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if len(args) < 7:
            kwargs.setdefault("timeout", self.timeout_s)
        return super().request(method, url, *args, **kwargs)


def _ts_ns(value: object) -> int:
    """Alpaca time (RFC 3339 text, datetime, or msgpack Timestamp) to ns since the epoch."""
    to_ns = getattr(value, "to_unix_nano", None)
    if callable(to_ns):
        return int(to_ns())
    if isinstance(value, datetime):
        dt = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return int(dt.timestamp()) * _NS + dt.microsecond * 1000
    if isinstance(value, str):
        text, frac = value.strip().replace("Z", "+00:00"), 0
        if "." in text:
            head, _, rest = text.partition(".")
            digits = rest[: len(rest) - len(rest.lstrip("0123456789"))]
            frac = int((digits + "000000000")[:9]) if digits else 0
            text = head + rest[len(digits) :]
        dt = datetime.fromisoformat(text)
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
        return int(dt.timestamp()) * _NS + frac
    raise ValueError(f"not a timestamp: {value!r}")


def _dt(ns: int) -> datetime:
    return datetime.fromtimestamp(ns // _NS, tz=UTC).replace(microsecond=(ns % _NS) // 1000)


def _sdk_timeframe(tf: Timeframe) -> TimeFrame:
    table: dict[Timeframe, tuple[int, TimeFrameUnit]] = {
        Timeframe.MIN_1: (1, TimeFrameUnit.Minute),
        Timeframe.MIN_5: (5, TimeFrameUnit.Minute),
        Timeframe.MIN_15: (15, TimeFrameUnit.Minute),
        Timeframe.MIN_30: (30, TimeFrameUnit.Minute),
        Timeframe.HOUR_1: (1, TimeFrameUnit.Hour),
        Timeframe.HOUR_4: (4, TimeFrameUnit.Hour),
        Timeframe.DAY_1: (1, TimeFrameUnit.Day),
        Timeframe.WEEK_1: (1, TimeFrameUnit.Week),
        Timeframe.MONTH_1: (1, TimeFrameUnit.Month),
    }
    amount, unit = table[tf]
    return TimeFrame(amount, unit)


def bar_close_ns(start_ns: int, timeframe: Timeframe) -> int:
    """The close time of the bar starting at ``start_ns``."""
    return timeframe.next_start(start_ns)


def bar_message(
    symbol: str,
    timeframe: Timeframe,
    start_ns: int,
    o: float,
    h: float,
    lo: float,
    c: float,
    v: float,
) -> Bar:
    """A :class:`Bar` message (``ts_event`` = the bar's close) from a stored/received bar."""
    ts = bar_close_ns(start_ns, timeframe)
    return Bar(
        ts_event=ts,
        ts_init=ts,
        source="alpaca",
        symbol=symbol,
        open=o,
        high=h,
        low=lo,
        close=c,
        volume=v,
    )


def _merge(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in sorted(intervals):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def _subtract(start: int, end: int, covered: list[tuple[int, int]]) -> list[tuple[int, int]]:
    gaps: list[tuple[int, int]] = []
    cur = start
    for s, e in covered:
        if e <= cur:
            continue
        if s >= end:
            break
        if s > cur:
            gaps.append((cur, min(s, end)))
        cur = max(cur, e)
        if cur >= end:
            break
    if cur < end:
        gaps.append((cur, end))
    return gaps


class AlpacaDataGateway:
    """Historical bars with a SQLite cache, real-time data, clock and calendar (see module doc)."""

    def __init__(
        self,
        config: AlpacaDataConfig,
        store: BarStore | str | Path,
        *,
        sleep: Callable[[float], None] = time.sleep,
        wall_clock_ns: Callable[[], int] = time.time_ns,
    ) -> None:
        self.config = config
        self._sleep = sleep
        self._now_ns = wall_clock_ns
        if isinstance(store, BarStore):
            self.store = store
            self._owns_store = False
        else:
            Path(store).parent.mkdir(parents=True, exist_ok=True)
            self.store = BarStore(store)
            self._owns_store = True
        self._db: sqlite3.Connection = self.store._conn
        self._db.execute(_FETCHED_SCHEMA)
        client = StockHistoricalDataClient(
            config.api_key, config.secret_key, raw_data=True, url_override=config.data_url
        )
        client._session = TimeoutSession(config.timeout_s)
        client._retry = 0
        self._data = client
        self._trading: TradingClient | None = None
        self._stream: StockDataStream | None = None
        self._stream_thread: threading.Thread | None = None
        self.stats = {"bar_requests": 0, "bars_fetched": 0, "cache_hits": 0, "retries": 0}

    # -- HTTP with retries ------------------------------------------------------------------
    def _call(self, what: str, fn: Callable[[], Any]) -> Any:
        cfg = self.config
        attempt = 0
        while True:
            attempt += 1
            try:
                return fn()
            except APIError as exc:
                status = exc.status_code
                if status == 401:
                    raise AlpacaDataAuthError(
                        f"Alpaca refused the API keys (HTTP 401) for {what}: check "
                        "ALPACA_API_KEY / ALPACA_API_SECRET"
                    ) from None
                if status not in _TRANSIENT or attempt >= cfg.max_attempts:
                    raise AlpacaDataError(
                        f"{what} failed: HTTP {status}: {str(exc)[:300]}"
                    ) from None
            except (requests.Timeout, requests.ConnectionError) as exc:
                if attempt >= cfg.max_attempts:
                    raise AlpacaDataError(f"{what} failed: {type(exc).__name__}") from None
            self.stats["retries"] += 1
            wait = cfg.backoff_s * 2.0 ** (attempt - 1)
            log.warning("%s failed; retry %d in %.2fs", what, attempt, wait)
            self._sleep(wait)

    # -- historical bars --------------------------------------------------------------------
    def fetched_ranges(self, symbol: str, timeframe: Timeframe | str) -> list[tuple[int, int]]:
        """The merged ``[start, end)`` ranges already fetched from Alpaca."""
        tf = Timeframe.parse(timeframe).value
        rows = self._db.execute(
            "SELECT start_ns, end_ns FROM alpaca_fetched WHERE symbol = ? AND timeframe = ? "
            "ORDER BY start_ns",
            (symbol, tf),
        ).fetchall()
        return [(int(s), int(e)) for s, e in rows]

    def missing_ranges(
        self, symbol: str, timeframe: Timeframe | str, start_ns: int, end_ns: int
    ) -> list[tuple[int, int]]:
        """The parts of ``[start_ns, end_ns)`` never fetched (what :meth:`fetch_bars` asks for)."""
        if end_ns <= start_ns:
            return []
        return _subtract(start_ns, end_ns, self.fetched_ranges(symbol, timeframe))

    def _mark_fetched(self, symbol: str, tf: str, start: int, end: int) -> None:
        merged = _merge([*self.fetched_ranges(symbol, tf), (start, end)])
        db = self._db  # the store's connection is in autocommit mode: one explicit transaction
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute(
                "DELETE FROM alpaca_fetched WHERE symbol = ? AND timeframe = ?", (symbol, tf)
            )
            db.executemany(
                "INSERT INTO alpaca_fetched VALUES (?, ?, ?, ?)",
                [(symbol, tf, s, e) for s, e in merged],
            )
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def fetch_bars(
        self,
        symbol: str,
        timeframe: Timeframe | str,
        start: datetime | int,
        end: datetime | int,
    ) -> BarSeries:
        """Bars of ``symbol`` with ``start <= bar start < end`` (datetimes or ns, UTC).

        Asks Alpaca only for never-fetched parts of the range (one paginated request each),
        stores what arrives, and answers from the store.
        """
        tf = Timeframe.parse(timeframe)
        s = start if isinstance(start, int) else _ts_ns(start)
        e = end if isinstance(end, int) else _ts_ns(end)
        gaps = self.missing_ranges(symbol, tf, s, e)
        if not gaps:
            self.stats["cache_hits"] += 1
        for gs, ge in gaps:
            series = self._request_bars(symbol, tf, gs, ge)
            if len(series):
                self.store.write(series)
            settled = min(ge, self._now_ns())
            if settled > gs:
                self._mark_fetched(symbol, tf.value, gs, settled)
        return self.store.read(symbol, tf, s, e)

    def _request_bars(self, symbol: str, tf: Timeframe, start: int, end: int) -> BarSeries:
        # Alpaca's ``end`` is inclusive: ask up to the last nanosecond before ``end``.
        request = StockBarsRequest(
            symbol_or_symbols=symbol,
            timeframe=_sdk_timeframe(tf),
            start=_dt(start),
            end=_dt(end - 1000),
            feed=DataFeed(self.config.feed) if self.config.feed in ("iex", "sip") else None,
        )
        self.stats["bar_requests"] += 1
        raw = self._call(f"bars {symbol} {tf.value}", lambda: self._data.get_stock_bars(request))
        rows = raw.get(symbol, []) if isinstance(raw, Mapping) else []
        rows = [r for r in rows if start <= _ts_ns(r["t"]) < end]
        rows.sort(key=lambda r: _ts_ns(r["t"]))
        self.stats["bars_fetched"] += len(rows)
        if not rows:
            return BarSeries.empty(symbol, tf)
        return BarSeries(
            symbol,
            tf,
            np.array([_ts_ns(r["t"]) for r in rows], dtype=np.int64),
            [float(r["o"]) for r in rows],
            [float(r["h"]) for r in rows],
            [float(r["l"]) for r in rows],
            [float(r["c"]) for r in rows],
            [float(r.get("v") or 0.0) for r in rows],
        )

    # -- clock and calendar -----------------------------------------------------------------
    def _trading_client(self) -> TradingClient:
        if self._trading is None:
            cfg = self.config
            client = TradingClient(
                cfg.api_key,
                cfg.secret_key,
                paper=cfg.paper,
                raw_data=True,
                url_override=cfg.trading_url,
            )
            client._session = TimeoutSession(cfg.timeout_s)
            client._retry = 0
            self._trading = client
        return self._trading

    def market_clock(self) -> MarketClock:
        raw = self._call("clock", self._trading_client().get_clock)
        return MarketClock(
            timestamp_ns=_ts_ns(raw["timestamp"]),
            is_open=bool(raw["is_open"]),
            next_open_ns=_ts_ns(raw["next_open"]),
            next_close_ns=_ts_ns(raw["next_close"]),
        )

    def calendar(self, start: date, end: date) -> list[SessionDay]:
        req = GetCalendarRequest(start=start, end=end)
        raw = self._call("calendar", lambda: self._trading_client().get_calendar(req))
        return [
            SessionDay(date.fromisoformat(str(d["date"])), str(d["open"]), str(d["close"]))
            for d in raw
        ]

    # -- real-time stream -------------------------------------------------------------------
    def start_stream(
        self,
        symbols: Sequence[str],
        on_data: Callable[[MarketData], None],
        *,
        timeframe: Timeframe | str = Timeframe.MIN_1,
        bars: bool = True,
        quotes: bool = False,
        trades: bool = False,
    ) -> None:
        """Subscribe and run ``StockDataStream`` in its own thread; items go to ``on_data``."""
        if self._stream is not None:
            raise RuntimeError("stream already started")
        cfg = self.config
        tf = Timeframe.parse(timeframe)
        stream = StockDataStream(
            cfg.api_key,
            cfg.secret_key,
            raw_data=True,
            feed=DataFeed.SIP if cfg.feed == "sip" else DataFeed.IEX,
            url_override=cfg.stream_url,
            data_timeout=cfg.data_timeout_s,
        )

        async def on_bar(msg: Any) -> None:
            try:
                bar = bar_message(
                    str(msg["S"]),
                    tf,
                    _ts_ns(msg["t"]),
                    float(msg["o"]),
                    float(msg["h"]),
                    float(msg["l"]),
                    float(msg["c"]),
                    float(msg.get("v") or 0.0),
                )
                on_data(bar)
            except Exception:
                log.exception("bad bar from the data stream dropped")

        async def on_quote(msg: Any) -> None:
            try:
                ts = _ts_ns(msg["t"])
                on_data(
                    QuoteTick(
                        ts_event=ts,
                        ts_init=ts,
                        source="alpaca",
                        symbol=str(msg["S"]),
                        bid=float(msg["bp"]),
                        ask=float(msg["ap"]),
                        bid_size=float(msg.get("bs") or 0),
                        ask_size=float(msg.get("as") or 0),
                    )
                )
            except Exception:
                log.exception("bad quote from the data stream dropped")

        async def on_trade(msg: Any) -> None:
            try:
                ts = _ts_ns(msg["t"])
                on_data(
                    TradeTick(
                        ts_event=ts,
                        ts_init=ts,
                        source="alpaca",
                        symbol=str(msg["S"]),
                        price=float(msg["p"]),
                        size=float(msg["s"]),
                    )
                )
            except Exception:
                log.exception("bad trade from the data stream dropped")

        syms = list(symbols)
        if bars:
            stream.subscribe_bars(on_bar, *syms)
        if quotes:
            stream.subscribe_quotes(on_quote, *syms)
        if trades:
            stream.subscribe_trades(on_trade, *syms)
        self._stream = stream
        self._stream_thread = threading.Thread(
            target=stream.run, name="alpaca-market-data", daemon=True
        )
        self._stream_thread.start()

    @property
    def stream_connected(self) -> bool:
        stream = self._stream
        return stream is not None and bool(stream._running)

    def stop_stream(self, timeout_s: float = 10.0) -> None:
        """Stop the market-data stream (if started) and join its thread."""
        stream, thread = self._stream, self._stream_thread
        self._stream = self._stream_thread = None
        if stream is None or thread is None:
            return
        pause = threading.Event()
        waited = 0.0
        while stream._loop is None and thread.is_alive() and waited < timeout_s:
            pause.wait(0.01)  # the SDK sets its loop as the thread starts: stop needs it
            waited += 0.01
        loop = stream._loop
        if loop is not None and loop.is_running():

            async def shut() -> None:
                await stream.stop_ws()
                await stream.close()  # wakes the SDK's receive at once

            try:
                asyncio.run_coroutine_threadsafe(shut(), loop).result(timeout_s)
            except Exception:
                log.warning("market-data stream did not stop cleanly", exc_info=True)
        thread.join(timeout_s)

    def close(self) -> None:
        """Stop the stream; close the store if this gateway opened it."""
        self.stop_stream()
        if self._owns_store:
            self.store.close()
