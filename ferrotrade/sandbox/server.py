"""The local Alpaca-compatible server: REST and both websocket protocols on one port.

Threading model: :meth:`AlpacaSandbox.start` runs an ``aiohttp`` server in a background thread
with its own asyncio loop; every piece of state (the :class:`SandboxBroker`, the tape cursor, the
stream connections) is touched only on that loop. The public methods are called from any other
thread and hop onto the loop (``run_coroutine_threadsafe``), waiting for the result, so when
``advance()`` returns, its market data and trade updates have been written to every connected
stream. The request log is the one structure shared with callers (it has its own lock).

Why ``aiohttp``: one ``web.Application`` serves HTTP and websocket upgrades on the same port
and routes by path (``/v2/...`` REST, ``/v2/iex`` market data, ``/stream`` trade updates), as
the real clients expect through ``url_override``; it assembles fragmented websocket messages
(alpaca-py fragments its subscribe message) and lets us bind our own socket, so ``port=0`` picks
a free port. ``websockets`` + stdlib would need a hand-written HTTP layer for the REST half.

Endpoints: see ``ALPACA.md`` for the wire facts. URLs: :attr:`base_url` for
``TradingClient`` and ``StockHistoricalDataClient``, :attr:`data_stream_url` for
``StockDataStream``, :attr:`trading_stream_url` for ``TradingStream``.

Shutdown: :meth:`stop` closes every websocket (clients see a close frame and stop or
reconnect), releases slow requests, cleans up the runner, stops the loop and joins the thread.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from types import TracebackType
from typing import Any, TypeVar

import msgpack  # type: ignore[import-untyped]
from aiohttp import WSMsgType, web

from ferrotrade.sandbox.broker import (
    BrokerError,
    SandboxBroker,
    TradeUpdate,
    session_bounds_ns,
)
from ferrotrade.sandbox.faults import (
    HttpFault,
    RecordedRequest,
    RequestLog,
    redact_headers,
    redact_ws,
)
from ferrotrade.sandbox.tape import (
    Tape,
    TapeBar,
    TapeEvent,
    TapeQuote,
    TapeStatus,
    TapeTrade,
    format_rfc3339,
    parse_time_ns,
)

__all__ = ["AlpacaSandbox", "SandboxError"]

log = logging.getLogger(__name__)
_T = TypeVar("_T")

DATA_FEEDS = ("iex", "sip", "delayed_sip", "test")
_DATA_CHANNELS = (
    "trades",
    "quotes",
    "bars",
    "updatedBars",
    "dailyBars",
    "statuses",
    "lulds",
    "corrections",
    "cancelErrors",
)
_JSON_BODY: web.RequestKey[Any] = web.RequestKey("json_body", Any)
_DEFAULT_START_NS = 1_704_205_800 * 1_000_000_000  # 2024-01-02T14:30:00Z, a session open


class SandboxError(RuntimeError):
    """The sandbox could not start, or a call into it failed or timed out."""


@dataclass(slots=True)
class _DataConn:
    ws: web.WebSocketResponse
    path: str
    msgpack: bool
    authenticated: bool = False
    subs: dict[str, set[str]] = field(default_factory=lambda: {c: set() for c in _DATA_CHANNELS})

    def wants(self, channel: str, symbol: str) -> bool:
        s = self.subs.get(channel, set())
        return symbol in s or "*" in s


@dataclass(slots=True)
class _TradingConn:
    ws: web.WebSocketResponse
    authenticated: bool = False
    listening: bool = False


def _stream_kinds(kind: str | None) -> tuple[bool, bool]:
    if kind not in (None, "data", "trading"):
        raise ValueError(f"kind must be 'data', 'trading' or None, got {kind!r}")
    return kind in (None, "data"), kind in (None, "trading")


class AlpacaSandbox:
    """A fake Alpaca (paper) on 127.0.0.1 that the real ``alpaca-py`` clients talk to.

    Usage::

        with AlpacaSandbox(Tape.load("day.jsonl")) as sb:
            client = TradingClient("sandbox-key", "sandbox-secret", url_override=sb.base_url)
            ...
            sb.advance()          # play the next tape event (stream it, fill against it)

    ``key_id`` / ``secret_key``: the credentials the sandbox accepts (``None`` accepts any);
    wrong ones get HTTP 401 and a stream auth error. ``start_ns``: the sandbox clock before the
    first tape event (default: the tape's first timestamp, else 2024-01-02T14:30Z).
    ``bars_page_size``: bars per page of ``GET /v2/stocks/bars`` (smaller pages exercise the
    SDK's ``next_page_token`` loop). ``max_data_connections``: per feed path, like Alpaca's
    one-connection limit (error 406). ``partial_fills`` / ``shorting_enabled``: see
    :mod:`ferrotrade.sandbox.broker`.
    """

    def __init__(
        self,
        tape: Tape | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        key_id: str | None = "sandbox-key",
        secret_key: str | None = "sandbox-secret",
        cash: float | None = None,
        start_ns: int | None = None,
        bars_page_size: int = 1000,
        max_data_connections: int = 1,
        partial_fills: bool = False,
        shorting_enabled: bool = True,
        call_timeout_s: float = 10.0,
    ) -> None:
        if bars_page_size < 1:
            raise ValueError("bars_page_size must be >= 1")
        self.tape = tape or Tape()
        self.host = host
        self._requested_port = port
        self.key_id = key_id
        self.secret_key = secret_key
        self.bars_page_size = bars_page_size
        self.max_data_connections = max_data_connections
        self.call_timeout_s = call_timeout_s
        start = start_ns if start_ns is not None else self.tape.start_ns
        self.broker = SandboxBroker(
            cash=self.tape.cash if cash is None else cash,
            now_ns=_DEFAULT_START_NS if start is None else start,
            partial_fills=partial_fills,
            shorting_enabled=shorting_enabled,
        )
        self._cursor = 0
        self._log = RequestLog()
        self._faults: list[HttpFault] = []
        self._faults_lock = threading.Lock()
        self._fill_copies = 1
        self._muted_data = False
        self._muted_trading = False
        self._refused_data = False
        self._refused_trading = False
        self._data_conns: list[_DataConn] = []
        self._trading_conns: list[_TradingConn] = []
        self._sent_updates: list[dict[str, Any]] = []
        self._cond = threading.Condition()
        self._counters: dict[str, int] = {
            "data_subscribed": 0,
            "trading_listening": 0,
            "data_connected": 0,
            "trading_connected": 0,
            "data_auth": 0,
            "trading_auth": 0,
            "data_refused": 0,
            "trading_refused": 0,
        }
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._stopping: asyncio.Event | None = None
        self._port: int | None = None
        #: Called on the sandbox's thread as each market-data event is about to be written to
        #: a subscribed data connection: ``(event, time.perf_counter_ns())``. For in-process
        #: latency measurements (``actors.live.bench``); must be quick and must not raise.
        self.on_market_send: Callable[[TapeEvent, int], None] | None = None

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> AlpacaSandbox:
        """Bind, serve in a background thread, return once accepting connections."""
        if self._thread is not None:
            raise SandboxError("sandbox already started")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self._requested_port))
            sock.listen(128)
        except OSError as exc:
            sock.close()
            raise SandboxError(f"cannot bind {self.host}:{self._requested_port}: {exc}") from exc
        self._port = int(sock.getsockname()[1])
        loop = asyncio.new_event_loop()
        self._loop = loop
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._startup(sock))
            except BaseException as exc:  # reported to start()
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
                for t in pending:
                    t.cancel()
                if pending:
                    loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.run_until_complete(loop.shutdown_default_executor())
                loop.close()

        self._thread = threading.Thread(target=run, name=f"alpaca-sandbox-{self._port}")
        self._thread.daemon = True
        self._thread.start()
        if not ready.wait(self.call_timeout_s) or failure:
            self._thread.join(self.call_timeout_s)
            self._thread = None
            sock.close()
            raise SandboxError(f"sandbox failed to start: {failure[0] if failure else 'timeout'}")
        return self

    async def _startup(self, sock: socket.socket) -> None:
        self._stopping = asyncio.Event()
        app = web.Application(middlewares=[self._middleware])
        self._add_routes(app)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.SockSite(runner, sock)
        await site.start()
        self._runner = runner

    def stop(self) -> None:
        """Close streams, stop serving, join the thread. Idempotent."""
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        try:
            if loop.is_running():
                fut = asyncio.run_coroutine_threadsafe(self._shutdown(), loop)
                try:
                    fut.result(self.call_timeout_s)
                except Exception:  # still stop the loop below
                    log.exception("sandbox shutdown failed")
                loop.call_soon_threadsafe(loop.stop)
        finally:
            thread.join(self.call_timeout_s)
            self._thread = None
            if thread.is_alive():
                raise SandboxError("sandbox thread did not stop")

    async def _shutdown(self) -> None:
        assert self._stopping is not None
        self._stopping.set()
        conns = [c.ws for c in self._data_conns] + [c.ws for c in self._trading_conns]
        await asyncio.gather(*(ws.close(code=1001) for ws in conns), return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def __enter__(self) -> AlpacaSandbox:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._thread is not None

    # -- addresses ----------------------------------------------------------------------------
    @property
    def port(self) -> int:
        if self._port is None:
            raise SandboxError("sandbox not started")
        return self._port

    @property
    def base_url(self) -> str:
        """For ``TradingClient`` / ``StockHistoricalDataClient(url_override=...)``."""
        return f"http://{self.host}:{self.port}"

    def data_stream_url(self, feed: str = "iex") -> str:
        """For ``StockDataStream(url_override=...)``."""
        if feed not in DATA_FEEDS:
            raise ValueError(f"feed must be one of {DATA_FEEDS}")
        return f"ws://{self.host}:{self.port}/v2/{feed}"

    @property
    def trading_stream_url(self) -> str:
        """For ``TradingStream(url_override=...)``."""
        return f"ws://{self.host}:{self.port}/stream"

    # -- calling onto the loop ----------------------------------------------------------------
    def _call(self, coro: Coroutine[Any, Any, _T]) -> _T:
        loop = self._loop
        if loop is None or self._thread is None:
            coro.close()
            raise SandboxError("sandbox not started")
        fut = asyncio.run_coroutine_threadsafe(coro, loop)
        try:
            return fut.result(self.call_timeout_s)
        except TimeoutError as exc:
            fut.cancel()
            raise SandboxError("sandbox call timed out") from exc

    def _sync(self, fn: Callable[[], _T]) -> _T:
        async def wrapped() -> _T:
            return fn()

        return self._call(wrapped())

    # -- tape ---------------------------------------------------------------------------------
    @property
    def remaining_events(self) -> int:
        return len(self.tape.events) - self._cursor

    def advance(self, n: int = 1) -> list[TapeEvent]:
        """Play the next ``n`` tape events (stream, then fill against each); return them."""

        async def go() -> list[TapeEvent]:
            played: list[TapeEvent] = []
            while len(played) < n and self._cursor < len(self.tape.events):
                ev = self.tape.events[self._cursor]
                self._cursor += 1
                await self._play(ev)
                played.append(ev)
            return played

        return self._call(go())

    def advance_until(self, ts_ns: int) -> list[TapeEvent]:
        """Play every remaining tape event with a timestamp <= ``ts_ns``; then set the clock."""

        async def go() -> list[TapeEvent]:
            played: list[TapeEvent] = []
            events = self.tape.events
            while self._cursor < len(events) and events[self._cursor].ts <= ts_ns:
                ev = events[self._cursor]
                self._cursor += 1
                await self._play(ev)
                played.append(ev)
            self.broker.now_ns = max(self.broker.now_ns, ts_ns)
            return played

        return self._call(go())

    def play_all(self) -> list[TapeEvent]:
        return self.advance(len(self.tape.events))

    def publish(self, *events: TapeEvent) -> None:
        """Play events that are not on the tape (streamed and matched like tape events)."""

        async def go() -> None:
            for ev in events:
                await self._play(ev)

        self._call(go())

    def set_time(self, ts_ns: int) -> None:
        """Move the sandbox clock forward (never back); expires DAY orders past their close."""

        async def go() -> None:
            self.broker.now_ns = max(self.broker.now_ns, ts_ns)
            await self._emit(self.broker._expire_day_orders())

        self._call(go())

    def set_partial_fills(self, enabled: bool) -> None:
        """Cap each fill at the displayed size from now on (see the broker's fill model)."""

        def go() -> None:
            self.broker.partial_fills = enabled

        self._sync(go)

    @property
    def now_ns(self) -> int:
        return self.broker.now_ns

    async def _play(self, ev: TapeEvent) -> None:
        await self._broadcast_market(ev)
        await self._emit(self.broker.on_event(ev))

    async def _broadcast_market(self, ev: TapeEvent) -> None:
        if self._muted_data:
            return
        channel, msg = _market_message(ev)
        for conn in list(self._data_conns):
            if conn.authenticated and conn.wants(channel, ev.symbol):
                hook = self.on_market_send
                if hook is not None:
                    hook(ev, time.perf_counter_ns())
                await self._send_data(conn, [msg])

    async def _emit(self, updates: Sequence[TradeUpdate]) -> None:
        for up in updates:
            data = up.to_json()
            copies = self._fill_copies if up.event in ("fill", "partial_fill") else 1
            for _ in range(copies):
                self._sent_updates.append(data)
                if self._muted_trading:
                    continue
                text = json.dumps({"stream": "trade_updates", "data": data})
                for conn in list(self._trading_conns):
                    if conn.listening and not conn.ws.closed:
                        try:
                            await conn.ws.send_str(text)
                        except (ConnectionError, RuntimeError):
                            log.debug("trade update to a closing connection dropped")

    # -- faults -------------------------------------------------------------------------------
    def inject_http_error(
        self,
        status: int,
        *,
        method: str | None = None,
        path: str = "*",
        times: int | None = 1,
        skip: int = 0,
        code: int | None = None,
        message: str | None = None,
        headers: Mapping[str, str] | None = None,
        after_handling: bool = False,
        html: bool = False,
        delay_s: float = 0.0,
    ) -> HttpFault:
        """Answer the next ``times`` matching REST requests with HTTP ``status``."""
        if not 400 <= status <= 599:
            raise ValueError("status must be an HTTP error status (4xx/5xx)")
        hdrs = dict(headers or {})
        if status == 429:
            hdrs.setdefault("X-RateLimit-Limit", "200")
            hdrs.setdefault("X-RateLimit-Remaining", "0")
            hdrs.setdefault("X-RateLimit-Reset", str(self.broker.now_ns // 1_000_000_000 + 60))
        fault = HttpFault(
            status=status,
            method=method,
            path=path,
            times=times,
            skip=skip,
            code=code,
            message=message,
            headers=hdrs,
            after_handling=after_handling,
            html=html,
            delay_s=delay_s,
        )
        with self._faults_lock:
            self._faults.append(fault)
        return fault

    def inject_delay(
        self, seconds: float, *, method: str | None = None, path: str = "*", times: int | None = 1
    ) -> HttpFault:
        """Hold the next ``times`` matching REST requests ``seconds`` before answering normally
        (released at once by :meth:`stop`)."""
        fault = HttpFault(status=None, method=method, path=path, times=times, delay_s=seconds)
        with self._faults_lock:
            self._faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self._faults_lock:
            self._faults.clear()
        self._fill_copies = 1
        self._muted_data = self._muted_trading = False
        self._refused_data = self._refused_trading = False

    def duplicate_fills(self, copies: int = 2) -> None:
        """Deliver every later fill / partial_fill trade update ``copies`` times."""
        if copies < 1:
            raise ValueError("copies must be >= 1")
        self._fill_copies = copies

    def mute_streams(self, kind: str | None = None, muted: bool = True) -> None:
        """Connected but silent: keep connections open, send no market data / trade updates."""
        data, trading = _stream_kinds(kind)
        if data:
            self._muted_data = muted
        if trading:
            self._muted_trading = muted

    def refuse_streams(self, kind: str | None = None, refused: bool = True) -> None:
        """Turn new stream connections of ``kind`` away (HTTP 503 on the websocket upgrade)
        until called with ``refused=False``; open connections are left alone. With
        :meth:`drop_streams`, a stream stays down while the test acts (e.g. fills an order),
        whatever the client's reconnect backoff."""
        data, trading = _stream_kinds(kind)
        if data:
            self._refused_data = refused
        if trading:
            self._refused_trading = refused

    def drop_streams(self, kind: str | None = None) -> int:
        """Close the server side of every stream connection of ``kind``; return how many."""
        data, trading = _stream_kinds(kind)

        async def go() -> int:
            conns: list[web.WebSocketResponse] = []
            if data:
                conns += [c.ws for c in self._data_conns]
            if trading:
                conns += [c.ws for c in self._trading_conns]
            await asyncio.gather(
                *(ws.close(code=1011, message=b"sandbox drop") for ws in conns),
                return_exceptions=True,
            )
            return len(conns)

        return self._call(go())

    def _take_fault(self, method: str, path: str) -> HttpFault | None:
        with self._faults_lock:
            for f in self._faults:
                if f.take(method, path):
                    return f
        return None

    # -- recorded requests --------------------------------------------------------------------
    def requests(
        self, method: str | None = None, path: str | None = None, channel: str | None = "rest"
    ) -> list[RecordedRequest]:
        """Recorded requests, oldest first; ``path`` is an fnmatch pattern; channel ``None``
        means all (``rest``, ``data_ws``, ``trading_ws``)."""
        return self._log.select(method, path, channel)

    def wait_for_request(
        self,
        method: str | None = None,
        path: str | None = None,
        channel: str | None = "rest",
        count: int = 1,
        timeout: float = 10.0,
    ) -> list[RecordedRequest]:
        """Block until ``count`` matching requests are recorded; return the matches (fewer
        than ``count`` on timeout). Requests are recorded on arrival, before any delay."""
        return self._log.wait(method, path, channel, count, timeout)

    def clear_requests(self) -> None:
        self._log.clear()

    @property
    def trade_updates_sent(self) -> list[dict[str, Any]]:
        """The ``data`` of every trade update emitted (duplicates included), oldest first."""
        return self._sync(lambda: list(self._sent_updates))

    # -- state snapshots ----------------------------------------------------------------------
    def orders(self) -> list[dict[str, Any]]:
        return self._sync(lambda: self.broker.list_orders({"status": "all", "limit": "500"}))

    def positions(self) -> list[dict[str, Any]]:
        return self._sync(self.broker.positions)

    def account(self) -> dict[str, Any]:
        return self._sync(self.broker.account)

    # -- waiting for clients ------------------------------------------------------------------
    def _bump(self, counter: str) -> None:
        with self._cond:
            self._counters[counter] += 1
            self._cond.notify_all()

    def wait_for(self, counter: str, at_least: int = 1, timeout: float = 10.0) -> bool:
        """Block until ``counter`` reaches ``at_least``; True if it did within ``timeout``.

        Counters (they only grow): ``data_connected``, ``data_auth`` (auth messages handled,
        accepted or not), ``data_subscribed`` (subscribe / unsubscribe messages handled),
        ``trading_connected``, ``trading_auth``, ``trading_listening`` (listen messages),
        ``data_refused`` / ``trading_refused`` (connections turned away, :meth:`refuse_streams`).
        """
        with self._cond:
            return self._cond.wait_for(lambda: self._counters[counter] >= at_least, timeout)

    def counter(self, name: str) -> int:
        with self._cond:
            return self._counters[name]

    # -- HTTP plumbing ------------------------------------------------------------------------
    def _add_routes(self, app: web.Application) -> None:
        r = app.router
        for feed in DATA_FEEDS:
            r.add_get(f"/v2/{feed}", self._data_ws)
        r.add_get("/stream", self._trading_ws)
        r.add_get("/v2/account", self._account)
        r.add_post("/v2/orders", self._submit)
        r.add_get("/v2/orders", self._list_orders)
        r.add_delete("/v2/orders", self._cancel_all)
        r.add_get("/v2/orders:by_client_order_id", self._by_client_id)
        r.add_get("/v2/orders/{order_id}", self._get_order)
        r.add_patch("/v2/orders/{order_id}", self._replace)
        r.add_delete("/v2/orders/{order_id}", self._cancel)
        r.add_get("/v2/positions", self._positions)
        r.add_get("/v2/positions/{symbol}", self._position)
        r.add_delete("/v2/positions/{symbol}", self._close_position)
        r.add_get("/v2/clock", self._clock)
        r.add_get("/v2/calendar", self._calendar)
        r.add_get("/v2/stocks/bars", self._bars)
        r.add_get("/v2/stocks/bars/latest", self._latest_bars)
        r.add_get("/v2/stocks/quotes/latest", self._latest_quotes)
        r.add_get("/v2/stocks/trades/latest", self._latest_trades)

    def _authorized(self, key: str | None, secret: str | None) -> bool:
        if self.key_id is not None and key != self.key_id:
            return False
        return self.secret_key is None or secret == self.secret_key

    @web.middleware
    async def _middleware(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        received_ns = time.perf_counter_ns()
        path = request.path
        if path == "/stream" or (path.startswith("/v2/") and path[4:] in DATA_FEEDS):
            return await handler(request)
        body: Any = None
        raw = await request.read()
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
        rec = self._log.add(
            "rest",
            request.method,
            path,
            tuple((k, v) for k, v in request.query.items()),
            body,
            redact_headers(request.headers),
            received_ns,
        )
        resp = await self._answer(request, handler, body, raw)
        rec.status = resp.status
        return resp

    async def _answer(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
        body: Any,
        raw: bytes,
    ) -> web.StreamResponse:
        fault = self._take_fault(request.method, request.path)
        if fault is not None and fault.delay_s > 0:
            assert self._stopping is not None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), fault.delay_s)
        if not self._authorized(
            request.headers.get("APCA-API-KEY-ID"), request.headers.get("APCA-API-SECRET-KEY")
        ):
            return _error(401, 40110000, "request is not authorized")
        if fault is not None and fault.status is not None and not fault.after_handling:
            return _fault_response(fault)
        if raw and not isinstance(body, dict | list):
            return _error(400, 40010000, "request body format is invalid")
        request[_JSON_BODY] = body
        try:
            resp = await handler(request)
        except BrokerError as exc:
            resp = _error(exc.status, exc.code, exc.message)
        except web.HTTPException as exc:
            if exc.status == 404:
                resp = _error(404, 40410000, "endpoint not found")
            elif exc.status == 405:
                resp = _error(405, 40510000, "method not allowed")
            else:
                raise
        if fault is not None and fault.status is not None:
            return _fault_response(fault)
        return resp

    # -- REST handlers ------------------------------------------------------------------------
    async def _account(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self.broker.account())

    async def _submit(self, request: web.Request) -> web.StreamResponse:
        body = request.get(_JSON_BODY)
        if not isinstance(body, dict):
            return _error(422, 42210000, "order body must be a JSON object")
        order, updates = self.broker.submit(body)
        await self._emit(updates)
        return web.json_response(order)

    async def _list_orders(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self.broker.list_orders(dict(request.query)))

    async def _cancel_all(self, request: web.Request) -> web.StreamResponse:
        results, updates = self.broker.cancel_all()
        await self._emit(updates)
        return web.json_response(results, status=207)

    async def _by_client_id(self, request: web.Request) -> web.StreamResponse:
        cid = request.query.get("client_order_id")
        if not cid:
            return _error(422, 42210000, "client_order_id is required")
        return web.json_response(self.broker.by_client_order_id(cid).to_json())

    async def _get_order(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self.broker.get(request.match_info["order_id"]).to_json())

    async def _replace(self, request: web.Request) -> web.StreamResponse:
        body = request.get(_JSON_BODY) or {}
        if not isinstance(body, dict):
            return _error(422, 42210000, "replace body must be a JSON object")
        order, updates = self.broker.replace(request.match_info["order_id"], body)
        await self._emit(updates)
        return web.json_response(order)

    async def _cancel(self, request: web.Request) -> web.StreamResponse:
        updates = self.broker.cancel(request.match_info["order_id"])
        await self._emit(updates)
        return web.Response(status=204)

    async def _positions(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self.broker.positions())

    async def _position(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self.broker.position(request.match_info["symbol"]))

    async def _close_position(self, request: web.Request) -> web.StreamResponse:
        symbol = request.match_info["symbol"]
        qty = self.broker.position_qty(symbol)
        if qty == 0:
            raise BrokerError(404, 40410000, "position does not exist")
        order, updates = self.broker.submit(
            {
                "symbol": symbol,
                "qty": abs(qty),
                "side": "sell" if qty > 0 else "buy",
                "type": "market",
                "time_in_force": "day",
            }
        )
        await self._emit(updates)
        return web.json_response(order)

    async def _clock(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(_clock_json(self.broker.now_ns))

    async def _calendar(self, request: web.Request) -> web.StreamResponse:
        now = datetime.fromtimestamp(self.broker.now_ns // 1_000_000_000, tz=UTC).date()
        try:
            start = _param_date(request.query.get("start")) or now - timedelta(days=15)
            end = _param_date(request.query.get("end")) or now + timedelta(days=15)
        except ValueError as exc:
            return _error(422, 42210000, str(exc))
        days = []
        d = start
        while d <= end:
            if d.weekday() < 5:
                days.append(
                    {
                        "date": d.isoformat(),
                        "open": "09:30",
                        "close": "16:00",
                        "session_open": "0400",
                        "session_close": "2000",
                        "settlement_date": (d + timedelta(days=1)).isoformat(),
                    }
                )
            d += timedelta(days=1)
        return web.json_response(days)

    async def _bars(self, request: web.Request) -> web.StreamResponse:
        q = request.query
        symbols = [s for s in q.get("symbols", "").split(",") if s]
        timeframe = q.get("timeframe")
        if not symbols:
            return _error(400, 40010001, "symbols is required")
        if not timeframe:
            return _error(400, 40010001, "timeframe is required")
        try:
            start = parse_time_ns(q["start"]) if q.get("start") else None
            end = parse_time_ns(q["end"]) if q.get("end") else None
            limit = int(q.get("limit") or 1000)
            offset = _decode_token(q.get("page_token"))
        except ValueError as exc:
            return _error(400, 40010001, str(exc))
        if not 1 <= limit <= 10_000:
            return _error(422, 42210000, "limit must be between 1 and 10000")
        wanted = set(symbols)
        rows = [
            b
            for b in self.tape.bars
            if b.symbol in wanted
            and b.timeframe == timeframe
            and (start is None or b.ts >= start)
            and (end is None or b.ts <= end)
        ]
        desc = q.get("sort") == "desc"
        rows.sort(key=lambda b: (b.symbol, -b.ts if desc else b.ts))
        page = rows[offset : offset + min(limit, self.bars_page_size)]
        nxt = offset + len(page)
        bars: dict[str, list[dict[str, Any]]] = {}
        for b in page:
            bars.setdefault(b.symbol, []).append(_bar_json(b))
        return web.json_response(
            {
                "bars": bars,
                "next_page_token": _encode_token(nxt) if nxt < len(rows) else None,
                "currency": "USD",
            }
        )

    async def _latest_bars(self, request: web.Request) -> web.StreamResponse:
        out: dict[str, Any] = {}
        for s in _symbols(request):
            bar = self.broker.market(s).bar
            if bar is not None:
                out[s] = _bar_json(bar)
        return web.json_response({"bars": out})

    async def _latest_quotes(self, request: web.Request) -> web.StreamResponse:
        out: dict[str, Any] = {}
        for s in _symbols(request):
            quote = self.broker.latest_quote(s)
            if quote is not None:
                out[s] = _quote_fields(quote, format_rfc3339(quote.ts))
        return web.json_response({"quotes": out})

    async def _latest_trades(self, request: web.Request) -> web.StreamResponse:
        out: dict[str, Any] = {}
        for s in _symbols(request):
            trade = self.broker.latest_trade(s)
            if trade is not None:
                out[s] = _trade_fields(trade, format_rfc3339(trade.ts))
        return web.json_response({"trades": out})

    # -- websockets ---------------------------------------------------------------------------
    async def _send_data(self, conn: _DataConn, msgs: list[dict[str, Any]]) -> None:
        if conn.ws.closed:
            return
        try:
            if conn.msgpack:
                await conn.ws.send_bytes(msgpack.packb(msgs, use_bin_type=True))
            else:
                await conn.ws.send_str(json.dumps(msgs, default=_json_default))
        except (ConnectionError, RuntimeError):
            log.debug("market data to a closing connection dropped")

    async def _data_ws(self, request: web.Request) -> web.StreamResponse:
        if self._refused_data:
            return self._refuse(request, "data_ws", "data_refused")
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        use_msgpack = "msgpack" in request.headers.get("Content-Type", "")
        conn = _DataConn(ws, request.path, use_msgpack)
        self._data_conns.append(conn)
        self._log.add("data_ws", "CONNECT", request.path, (), None, redact_headers(request.headers))
        self._bump("data_connected")
        try:
            await self._send_data(conn, [{"T": "success", "msg": "connected"}])
            async for msg in ws:
                if msg.type == WSMsgType.BINARY:
                    try:
                        payload = msgpack.unpackb(msg.data)
                    except (ValueError, msgpack.ExtraData):
                        payload = None
                elif msg.type == WSMsgType.TEXT:
                    try:
                        payload = json.loads(msg.data)
                    except ValueError:
                        payload = None
                else:
                    break
                await self._on_data_message(conn, payload)
        finally:
            self._data_conns.remove(conn)
        return ws

    async def _on_data_message(self, conn: _DataConn, payload: Any) -> None:
        if not isinstance(payload, dict) or not isinstance(payload.get("action"), str):
            await self._send_data(conn, [{"T": "error", "code": 400, "msg": "invalid syntax"}])
            return
        action = payload["action"]
        self._log.add("data_ws", action, conn.path, (), redact_ws(payload), ())
        if action == "auth":
            self._bump("data_auth")
            if conn.authenticated:
                await self._send_data(
                    conn, [{"T": "error", "code": 403, "msg": "already authenticated"}]
                )
                return
            if not self._authorized(payload.get("key"), payload.get("secret")):
                await self._send_data(conn, [{"T": "error", "code": 402, "msg": "auth failed"}])
                return
            others = sum(
                1
                for c in self._data_conns
                if c is not conn and c.authenticated and c.path == conn.path
            )
            if others >= self.max_data_connections:
                await self._send_data(
                    conn, [{"T": "error", "code": 406, "msg": "connection limit exceeded"}]
                )
                await conn.ws.close()
                return
            conn.authenticated = True
            await self._send_data(conn, [{"T": "success", "msg": "authenticated"}])
            return
        if not conn.authenticated:
            await self._send_data(conn, [{"T": "error", "code": 401, "msg": "not authenticated"}])
            return
        if action in ("subscribe", "unsubscribe"):
            for channel in _DATA_CHANNELS:
                syms = payload.get(channel)
                if isinstance(syms, list):
                    target = conn.subs[channel]
                    for s in syms:
                        if action == "subscribe":
                            target.add(str(s))
                        else:
                            target.discard(str(s))
            # Alpaca subscribes corrections and cancel errors with trades.
            conn.subs["corrections"] = set(conn.subs["trades"])
            conn.subs["cancelErrors"] = set(conn.subs["trades"])
            ack: dict[str, Any] = {"T": "subscription"}
            for channel in _DATA_CHANNELS:
                ack[channel] = sorted(conn.subs[channel])
            await self._send_data(conn, [ack])
            self._bump("data_subscribed")
            return
        await self._send_data(conn, [{"T": "error", "code": 400, "msg": "invalid syntax"}])

    async def _trading_ws(self, request: web.Request) -> web.StreamResponse:
        if self._refused_trading:
            return self._refuse(request, "trading_ws", "trading_refused")
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        conn = _TradingConn(ws)
        self._trading_conns.append(conn)
        self._log.add("trading_ws", "CONNECT", "/stream", (), None, redact_headers(request.headers))
        self._bump("trading_connected")
        try:
            async for msg in ws:
                if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                    break
                try:
                    payload = json.loads(msg.data)
                except ValueError:
                    payload = None
                await self._on_trading_message(conn, payload)
        finally:
            self._trading_conns.remove(conn)
        return ws

    def _refuse(self, request: web.Request, channel: str, counter: str) -> web.Response:
        rec = self._log.add(
            channel, "CONNECT", request.path, (), None, redact_headers(request.headers)
        )
        rec.status = 503
        self._bump(counter)
        return _error(503, 50310000, "sandbox refuses stream connections")

    async def _on_trading_message(self, conn: _TradingConn, payload: Any) -> None:
        async def send(obj: Mapping[str, Any]) -> None:
            if not conn.ws.closed:
                await conn.ws.send_str(json.dumps(obj))

        if not isinstance(payload, dict) or not isinstance(payload.get("action"), str):
            await send({"stream": "error", "data": {"error_message": "invalid syntax"}})
            return
        action = payload["action"]
        data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
        assert isinstance(data, dict)
        self._log.add("trading_ws", action, "/stream", (), redact_ws(payload), ())
        if action in ("authenticate", "auth"):
            self._bump("trading_auth")
            ok = self._authorized(data.get("key_id"), data.get("secret_key"))
            conn.authenticated = ok
            await send(
                {
                    "stream": "authorization",
                    "data": {
                        "status": "authorized" if ok else "unauthorized",
                        "action": "authenticate",
                    },
                }
            )
            if not ok:
                await conn.ws.close()
            return
        if not conn.authenticated:
            await send(
                {
                    "stream": "authorization",
                    "data": {"status": "unauthorized", "action": action},
                }
            )
            return
        if action == "listen":
            streams = data.get("streams")
            streams = (
                [s for s in streams if isinstance(s, str)] if isinstance(streams, list) else []
            )
            conn.listening = "trade_updates" in streams
            await send({"stream": "listening", "data": {"streams": streams}})
            self._bump("trading_listening")
            return
        await send({"stream": "error", "data": {"error_message": f"unknown action {action}"}})


# -- wire helpers ------------------------------------------------------------------------------
def _json_default(obj: object) -> object:
    if isinstance(obj, msgpack.Timestamp):
        return format_rfc3339(obj.to_unix_nano())
    raise TypeError(f"not JSON serializable: {type(obj).__name__}")


def _ts(ns: int) -> msgpack.Timestamp:
    return msgpack.Timestamp.from_unix_nano(ns)


def _quote_fields(q: TapeQuote, t: object) -> dict[str, Any]:
    return {
        "t": t,
        "bx": q.bid_exchange,
        "bp": q.bid,
        "bs": q.bid_size,
        "ax": q.ask_exchange,
        "ap": q.ask,
        "as": q.ask_size,
        "c": list(q.conditions),
        "z": q.tape,
    }


def _trade_fields(tr: TapeTrade, t: object) -> dict[str, Any]:
    return {
        "t": t,
        "x": tr.exchange,
        "p": tr.price,
        "s": tr.size,
        "i": tr.trade_id,
        "c": list(tr.conditions),
        "z": tr.tape,
    }


def _bar_fields(b: TapeBar, t: object) -> dict[str, Any]:
    return {
        "t": t,
        "o": b.open,
        "h": b.high,
        "l": b.low,
        "c": b.close,
        "v": b.volume,
        "n": b.trade_count,
        "vw": b.vwap,
    }


def _bar_json(b: TapeBar) -> dict[str, Any]:
    return _bar_fields(b, format_rfc3339(b.ts))


def _market_message(ev: TapeEvent) -> tuple[str, dict[str, Any]]:
    """(subscription channel, stream message) for one tape event; ``t`` as msgpack Timestamp."""
    t = _ts(ev.ts)
    if isinstance(ev, TapeQuote):
        return "quotes", {"T": "q", "S": ev.symbol, **_quote_fields(ev, t)}
    if isinstance(ev, TapeTrade):
        return "trades", {"T": "t", "S": ev.symbol, **_trade_fields(ev, t)}
    if isinstance(ev, TapeBar):
        return "bars", {"T": "b", "S": ev.symbol, **_bar_fields(ev, t)}
    assert isinstance(ev, TapeStatus)
    return "statuses", {
        "T": "s",
        "S": ev.symbol,
        "sc": ev.status_code,
        "sm": ev.status_message,
        "rc": ev.reason_code,
        "rm": ev.reason_message,
        "t": t,
        "z": ev.tape,
    }


def _error(status: int, code: int, message: str) -> web.Response:
    return web.json_response({"code": code, "message": message}, status=status)


def _fault_response(fault: HttpFault) -> web.Response:
    assert fault.status is not None
    ctype, text = fault.body()
    return web.Response(
        status=fault.status, text=text, content_type=ctype, headers=dict(fault.headers)
    )


def _symbols(request: web.Request) -> list[str]:
    return [s for s in request.query.get("symbols", "").split(",") if s]


def _param_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise ValueError(f"invalid date: {value!r}") from None


def _encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def _decode_token(token: str | None) -> int:
    if not token:
        return 0
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
        prefix, _, n = text.partition(":")
        if prefix != "offset":
            raise ValueError
        return int(n)
    except (ValueError, UnicodeDecodeError):
        raise ValueError(f"invalid page_token: {token!r}") from None


def _eastern_day(ts_ns: int) -> date:
    from ferrotrade.sandbox.broker import EASTERN

    return datetime.fromtimestamp(ts_ns // 1_000_000_000, tz=UTC).astimezone(EASTERN).date()


def _clock_json(now_ns: int) -> dict[str, Any]:
    """Regular sessions on weekdays (no holidays), from the sandbox clock."""
    d = _eastern_day(now_ns)
    is_open = False
    if d.weekday() < 5:
        o, c = session_bounds_ns(d)
        is_open = o <= now_ns < c
    # next open: today if before the open, else the next weekday
    probe = d
    while True:
        if probe.weekday() < 5:
            o, c = session_bounds_ns(probe)
            if o > now_ns:
                next_open = o
                break
        probe += timedelta(days=1)
    probe = d
    while True:
        if probe.weekday() < 5:
            o, c = session_bounds_ns(probe)
            if c > now_ns:
                next_close = c
                break
        probe += timedelta(days=1)
    return {
        "timestamp": format_rfc3339(now_ns),
        "is_open": is_open,
        "next_open": format_rfc3339(next_open),
        "next_close": format_rfc3339(next_close),
    }
