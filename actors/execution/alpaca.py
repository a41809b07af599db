"""AlpacaTradingGateway: the execution :class:`VenuePort` over the official ``alpaca-py`` SDK.

Invariants, in the order they protect the account:

* **One order per command.** Every order goes out with a deterministic Alpaca
  ``client_order_id`` = ``client_order_prefix`` + our ``ClientOrderId`` (``<strategy>-<n>``). A
  retried or re-sent submit that meets HTTP 422 "client_order_id must be unique" is treated as
  "already submitted": the gateway fetches the order by client id and acknowledges it. Set a
  per-deployment prefix so a new run's ``s-1`` does not collide with an old run's.
* **Bounded waits.** Every HTTP call has a timeout (``timeout_s``; the SDK has none by default),
  and the SDK's hidden retries (3 x a blocking 3 s sleep on 429/504) are switched off: the gateway
  retries transient failures itself (429, 5xx, timeouts, connection errors) at most
  ``max_attempts`` times, waiting until ``X-RateLimit-Reset`` on a 429 (capped) or with
  exponential backoff otherwise. ``sleep`` and ``wall_clock`` are injected.
* **Errors are messages, except bad keys.** 403 and 422 become :class:`OrderRejected` with the
  broker's code and message; transient failures that outlast the retries become an
  ``OrderRejected`` saying the outcome is unknown, after a last look-up by client id (startup
  reconciliation adopts the broker's truth). HTTP 401 raises :class:`AlpacaAuthError` (fatal:
  nothing works with wrong keys); the keys never appear in a message or log.
* **Fills are idempotent.** Trade updates (from :meth:`ingest`, fed by the ``TradingStream``
  thread or a test) are ingested once per ``execution_id``; a fill is also ignored when the
  order's cumulative ``filled_qty`` does not exceed what was already booked (a fill learned by
  REST after a duplicate submit, then seen again on the stream). Updates wait in a thread-safe
  queue and become messages on the execution component's thread in :meth:`drain` (also called
  by :meth:`on_market`).
* **No update is lost to a stream gap.** Each time ``trade_updates`` (re)connects and the
  server confirms it is listening, the gateway asks for a REST refresh of every working order
  (:meth:`refresh`, done by the next :meth:`drain`): fills made while the stream was down are
  booked from each order's REST view, once (the cumulative filled quantity bounds what a later
  stream copy adds), and the gap is logged. Listening first, then reading, leaves no window:
  a fill before the confirmation shows in the read, one after it comes on the stream.
* **Restarts adopt.** :meth:`adopt` takes over an order an earlier run left working (start-up
  reconciliation): its later updates are mapped by the broker's order id, and what was filled
  before adoption is not booked again.

Threading: ``submit`` / ``cancel`` / ``modify`` / ``drain`` / ``refresh`` / ``adopt`` run on the
execution component's thread and block for at most about ``max_attempts * (timeout_s +
backoff)``; :meth:`ingest`, :meth:`request_refresh` and :meth:`wait_listening` are the only
methods other threads call. :meth:`start_trade_updates` runs the SDK's stream in its own
thread (the SDK owns its event loop); :meth:`close` stops it within about a second.
"""

from __future__ import annotations

import asyncio
import json
import logging
import queue
import re
import threading
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import requests

from actors.execution.venue import Stamper, reject_command
from actors.ids import ClientOrderId, VenueOrderId
from actors.messages import (
    CancelOrder,
    MarketSnapshot,
    Message,
    ModifyOrder,
    OrderAccepted,
    OrderCanceled,
    OrderExpired,
    OrderFilled,
    OrderModified,
    OrderPartiallyFilled,
    OrderRejected,
    OrderType,
    RejectReason,
    Side,
    SubmitOrder,
    TimeInForce,
)

with warnings.catch_warnings():
    # alpaca-py 0.44 imports websockets.legacy, which warns at import time.
    warnings.simplefilter("ignore", DeprecationWarning)
    from alpaca.common.exceptions import APIError
    from alpaca.trading.client import TradingClient
    from alpaca.trading.enums import OrderSide as AlpacaSide
    from alpaca.trading.enums import TimeInForce as AlpacaTif
    from alpaca.trading.requests import (
        LimitOrderRequest,
        MarketOrderRequest,
        OrderRequest,
        ReplaceOrderRequest,
        StopLimitOrderRequest,
        StopOrderRequest,
    )
    from alpaca.trading.stream import TradingStream

__all__ = ["AlpacaAuthError", "AlpacaGatewayConfig", "AlpacaTradingGateway", "TradeStreamGap"]

log = logging.getLogger(__name__)
_EPS = 1e-9
_TRANSIENT = frozenset({408, 429, 500, 502, 503, 504})
_DUPLICATE = "client_order_id must be unique"


class AlpacaAuthError(RuntimeError):
    """Alpaca refused the API keys (HTTP 401). Fatal: fix the configuration and restart."""


@dataclass(frozen=True, slots=True)
class AlpacaGatewayConfig:
    """Where and how to reach Alpaca's trading API. Keys are excluded from ``repr``."""

    api_key: str = field(repr=False)
    secret_key: str = field(repr=False)
    base_url: str | None = None  # trading REST; None: Alpaca paper (or live with paper=False)
    stream_url: str | None = None  # trading stream (``.../stream``)
    paper: bool = True
    client_order_prefix: str = ""
    timeout_s: float = 10.0
    max_attempts: int = 3
    backoff_s: float = 0.25
    max_backoff_s: float = 10.0
    #: finished orders kept for late stream updates; beyond twice this many tracked orders the
    #: oldest finished ones are forgotten (their late updates are then ignored as not ours)
    done_order_retention: int = 1000

    def __post_init__(self) -> None:
        if self.timeout_s <= 0:
            raise ValueError("timeout_s must be > 0")
        if self.done_order_retention < 1:
            raise ValueError("done_order_retention must be >= 1")
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be >= 1")
        if self.backoff_s < 0 or self.max_backoff_s < 0:
            raise ValueError("backoff_s and max_backoff_s must be >= 0")


class _TimeoutSession(requests.Session):
    """A ``requests`` session that applies a default timeout to every request."""

    def __init__(self, timeout_s: float) -> None:
        super().__init__()
        self.timeout_s = timeout_s

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if len(args) < 7:  # else ``timeout`` came positionally (7th after method and url)
            kwargs.setdefault("timeout", self.timeout_s)
        return super().request(method, url, *args, **kwargs)


@dataclass(frozen=True, slots=True)
class _Failure:
    """A classified failed call."""

    status: int | None  # HTTP status, None for timeouts / connection errors
    code: int | None
    message: str
    reset_epoch_s: float | None = None

    @property
    def transient(self) -> bool:
        return self.status is None or self.status in _TRANSIENT

    def describe(self) -> str:
        where = f"HTTP {self.status}" if self.status is not None else "no response"
        code = f" code {self.code}" if self.code is not None else ""
        return f"{where}{code}: {self.message}"


def _classify(exc: Exception) -> _Failure | None:
    if isinstance(exc, APIError):
        status = exc.status_code
        text = str(exc)
        code: int | None = None
        message = text[:300]
        try:
            body = json.loads(text)
        except ValueError:
            body = None
        if isinstance(body, dict):
            raw_code = body.get("code")
            code = raw_code if isinstance(raw_code, int) else None
            message = str(body.get("message", message))
        reset: float | None = None
        response = exc.response
        if response is not None:
            raw_reset = response.headers.get("X-RateLimit-Reset")
            try:
                reset = float(raw_reset) if raw_reset is not None else None
            except ValueError:
                reset = None
        return _Failure(status, code, message, reset)
    if isinstance(exc, requests.Timeout):
        return _Failure(None, None, f"timed out: {exc}")
    if isinstance(exc, requests.ConnectionError):
        return _Failure(None, None, f"connection failed: {exc}")
    return None


class _CallFailed(Exception):
    def __init__(self, failure: _Failure) -> None:
        super().__init__(failure.describe())
        self.failure = failure


@dataclass(frozen=True, slots=True)
class TradeStreamGap:
    """The ``trade_updates`` stream was down from ``disconnected_ns`` until it listened again
    at ``reconnected_ns`` (wall clock, ns since the epoch)."""

    disconnected_ns: int
    reconnected_ns: int

    @property
    def seconds(self) -> float:
        return (self.reconnected_ns - self.disconnected_ns) / 1e9


@dataclass(slots=True)
class _Tracked:
    """Our view of one order. ``filled`` / ``notional`` are cumulative over replacements;
    ``base_*`` is what was booked before the current Alpaca order (which counts from zero).
    ``not_before_ns``: fills are stamped no earlier (an adopted order: its adoption time)."""

    order: SubmitOrder
    alpaca_id: str | None = None
    filled: float = 0.0
    notional: float = 0.0
    base_filled: float = 0.0
    base_notional: float = 0.0
    done: bool = False
    not_before_ns: int = 0
    broker_cid: str = ""  # the client order id of the current Alpaca order


class _TradingStream(TradingStream):
    """The SDK's ``TradingStream``, telling the gateway when the server confirms it listens
    (first connection and every reconnection) and when a live connection is lost."""

    def __init__(self, gateway: AlpacaTradingGateway, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._gateway = gateway

    async def _dispatch(self, msg: dict[str, Any]) -> None:
        data = msg.get("data")
        if msg.get("stream") == "listening" and isinstance(data, dict):
            streams = data.get("streams")
            if isinstance(streams, list) and "trade_updates" in streams:
                self._gateway._on_listening()
        await super()._dispatch(msg)

    async def close(self) -> None:
        if self._running and self._should_run:  # a live connection lost, not a stop
            self._gateway._on_disconnected()
        await super().close()


def _ts_ns(value: object) -> int | None:
    """RFC 3339 text (nanoseconds kept) or an aware datetime, to ns since the epoch."""
    if isinstance(value, datetime):
        return int(value.timestamp()) * 1_000_000_000 + value.microsecond * 1000
    if not isinstance(value, str) or not value:
        return None
    text, frac_ns = value.strip(), 0
    if "." in text:
        head, _, rest = text.partition(".")
        digits = rest[: len(rest) - len(rest.lstrip("0123456789"))]
        frac_ns = int((digits + "000000000")[:9]) if digits else 0
        text = head + rest[len(digits) :]
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp()) * 1_000_000_000 + frac_ns


def _f(value: object) -> float:
    if value is None or value == "":
        return 0.0
    return float(str(value))


class AlpacaTradingGateway:
    """VenuePort implementation for Alpaca (see the module docstring for the guarantees)."""

    def __init__(
        self,
        config: AlpacaGatewayConfig,
        *,
        sleep: Callable[[float], None] = time.sleep,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self._sleep = sleep
        self._wall_clock = wall_clock
        client = TradingClient(
            config.api_key,
            config.secret_key,
            paper=config.paper,
            raw_data=True,
            url_override=config.base_url,
        )
        # The SDK exposes neither a timeout nor its retry settings on TradingClient: give it a
        # session with a default timeout and switch its hidden retries off (we retry ourselves).
        client._session = _TimeoutSession(config.timeout_s)
        client._retry = 0
        self._client = client
        self._orders: dict[ClientOrderId, _Tracked] = {}
        self._by_alpaca_id: dict[str, ClientOrderId] = {}
        self._seen_executions: dict[str, ClientOrderId] = {}  # execution id -> its order
        self._inbox: queue.SimpleQueue[Mapping[str, Any]] = queue.SimpleQueue()
        self._received = 0
        self._received_cond = threading.Condition()
        self._stream: TradingStream | None = None
        self._stream_thread: threading.Thread | None = None
        self._refresh_pending = threading.Event()
        self._listens = 0  # times the stream confirmed listening (guarded by _received_cond)
        self._down_since_ns: int | None = None
        self.stream_gaps: list[TradeStreamGap] = []
        self.stats = {
            "retries": 0,
            "duplicate_fills": 0,
            "duplicate_submits": 0,
            "refreshes": 0,
            "refresh_fills": 0,
        }

    # -- ids ----------------------------------------------------------------------------------
    def alpaca_client_order_id(self, cid: ClientOrderId) -> str:
        return f"{self.config.client_order_prefix}{cid}"

    def _our_cid(self, order: Mapping[str, Any]) -> ClientOrderId | None:
        oid = str(order.get("id", ""))
        if oid in self._by_alpaca_id:
            return self._by_alpaca_id[oid]
        cid = original_client_order_id(str(order.get("client_order_id", "")))
        prefix = self.config.client_order_prefix
        if cid.startswith(prefix) and ClientOrderId(cid[len(prefix) :]) in self._orders:
            return ClientOrderId(cid[len(prefix) :])
        return None

    # -- adoption -----------------------------------------------------------------------------
    def adopt(
        self,
        order: SubmitOrder,
        alpaca_id: str,
        filled: float,
        notional: float,
        *,
        replaced_filled: float = 0.0,
        replaced_notional: float = 0.0,
    ) -> None:
        """Track an order an earlier run left working at the broker (its id ``alpaca_id``):
        ``filled`` / ``notional`` is what the broker had filled, already held by the adopted
        positions, so only fills beyond it become messages; ``replaced_*`` is the part of it
        filled by orders this one replaced (its own counts start from zero).
        ``order.client_order_id`` is the broker's client order id; fills are stamped no earlier
        than ``order.ts_event``."""
        cid = order.client_order_id
        self._orders[cid] = _Tracked(
            order,
            alpaca_id=alpaca_id,
            filled=filled,
            notional=notional,
            base_filled=replaced_filled,
            base_notional=replaced_notional,
            done=filled >= order.quantity - _EPS,
            not_before_ns=order.ts_event,
            broker_cid=str(cid),
        )
        self._by_alpaca_id[alpaca_id] = cid

    # -- HTTP with retries --------------------------------------------------------------------
    def _call(self, what: str, fn: Callable[[], Any]) -> Any:
        cfg = self.config
        attempt = 0
        while True:
            attempt += 1
            try:
                return fn()
            except Exception as exc:
                failure = _classify(exc)
                if failure is None:
                    raise
                if failure.status == 401:
                    raise AlpacaAuthError(
                        f"Alpaca refused the API keys (HTTP 401) for {what} at "
                        f"{cfg.base_url or 'the default Alpaca endpoint'}: check the configured "
                        "API key id and secret (ALPACA_API_KEY / ALPACA_API_SECRET)"
                    ) from None
                if not failure.transient or attempt >= cfg.max_attempts:
                    raise _CallFailed(failure) from exc
                wait = self._backoff(failure, attempt)
                self.stats["retries"] += 1
                log.warning(
                    "%s failed (%s); retry %d in %.2fs", what, failure.describe(), attempt, wait
                )
                self._sleep(wait)

    def _backoff(self, failure: _Failure, attempt: int) -> float:
        cfg = self.config
        wait = cfg.backoff_s * 2.0 ** (attempt - 1)
        if failure.status == 429 and failure.reset_epoch_s is not None:
            wait = max(wait, failure.reset_epoch_s - self._wall_clock())
        return min(max(wait, 0.0), cfg.max_backoff_s)

    # -- VenuePort ----------------------------------------------------------------------------
    def submit(self, order: SubmitOrder, stamper: Stamper) -> Sequence[Message]:
        cid = order.client_order_id
        tracked = self._orders.get(cid)
        if tracked is not None and tracked.alpaca_id is not None:
            return (self._reject(order, stamper, "duplicate client order id"),)
        tracked = self._orders[cid] = _Tracked(order, broker_cid=self.alpaca_client_order_id(cid))
        request = self._order_request(order)
        try:
            raw = self._call("submit order", lambda: self._client.submit_order(request))
        except _CallFailed as err:
            f = err.failure
            if f.status == 422 and _DUPLICATE in f.message:
                self.stats["duplicate_submits"] += 1
                return self._adopt_existing(tracked, stamper, f)
            if f.transient:
                # Outcome unknown: the broker may hold the order. Look before giving up.
                found = self._lookup(cid)
                if found is not None:
                    return self._accepted(tracked, found, stamper)
                del self._orders[cid]
                return (
                    self._reject(
                        order, stamper, f"venue unavailable, order not placed: {f.describe()}"
                    ),
                )
            del self._orders[cid]
            return (self._reject(order, stamper, f.describe()),)
        return self._accepted(tracked, raw, stamper)

    def _adopt_existing(
        self, tracked: _Tracked, stamper: Stamper, failure: _Failure
    ) -> Sequence[Message]:
        found = self._lookup(tracked.order.client_order_id)
        if found is None:
            del self._orders[tracked.order.client_order_id]
            return (self._reject(tracked.order, stamper, failure.describe()),)
        return self._accepted(tracked, found, stamper)

    def _lookup(self, cid: ClientOrderId) -> Mapping[str, Any] | None:
        return self._lookup_broker(self.alpaca_client_order_id(cid))

    def _lookup_broker(self, acid: str) -> Mapping[str, Any] | None:
        """The broker's order with client order id ``acid``, or None (absent or unreachable)."""
        try:
            raw = self._call(
                "get order by client id", lambda: self._client.get_order_by_client_id(acid)
            )
        except _CallFailed:
            return None
        return raw if isinstance(raw, Mapping) else None

    def _accepted(
        self, tracked: _Tracked, raw: Mapping[str, Any], stamper: Stamper
    ) -> Sequence[Message]:
        order = tracked.order
        tracked.alpaca_id = str(raw["id"])
        self._by_alpaca_id[tracked.alpaca_id] = order.client_order_id
        out: list[Message] = [
            OrderAccepted(
                **stamper.stamp(order),
                client_order_id=order.client_order_id,
                strategy_id=order.strategy_id,
                symbol=order.symbol,
                venue_order_id=VenueOrderId(tracked.alpaca_id),
            )
        ]
        out.extend(self._catch_up(tracked, raw, stamper))
        return out

    def _catch_up(
        self, tracked: _Tracked, raw: Mapping[str, Any], stamper: Stamper
    ) -> list[Message]:
        """Book fills an order snapshot shows beyond what we have (REST view, no execution id)."""
        if str(raw.get("id")) != tracked.alpaca_id:
            return []
        broker_cum = _f(raw.get("filled_qty"))
        cum = tracked.base_filled + broker_cum
        if cum <= tracked.filled + _EPS:
            return []
        qty = cum - tracked.filled
        # filled_avg_price covers the whole Alpaca order: price the missing part so that the
        # notional we book adds up to the broker's.
        broker_notional = _f(raw.get("filled_avg_price")) * broker_cum
        price = (broker_notional - (tracked.notional - tracked.base_notional)) / qty
        # the difference of two products carries float noise (97.10000000000001): prices are
        # quoted to at most 4 decimals, so 6 keeps every real digit and drops the noise
        price = round(price, 6)
        ts = _ts_ns(raw.get("filled_at") or raw.get("updated_at"))
        trade_id = f"rest-{raw['id']}-{broker_cum:g}"
        return [self._fill_message(tracked, price, qty, trade_id, ts, stamper)]

    def _fill_message(
        self,
        tracked: _Tracked,
        price: float,
        qty: float,
        trade_id: str,
        ts: int | None,
        stamper: Stamper,
    ) -> Message:
        order = tracked.order
        tracked.filled += qty
        tracked.notional += qty * price
        remaining = order.quantity - tracked.filled
        common: dict[str, Any] = {
            "client_order_id": order.client_order_id,
            "strategy_id": order.strategy_id,
            "symbol": order.symbol,
            "side": order.side,
            "price": price,
            "quantity": qty,
            "trade_id": trade_id,
        }
        if ts is not None and ts < tracked.not_before_ns:
            ts = tracked.not_before_ns
        if remaining <= _EPS:
            tracked.done = True
            return OrderFilled(**stamper.stamp(order, ts), **common)
        return OrderPartiallyFilled(**stamper.stamp(order, ts), **common, remaining=remaining)

    def cancel(self, cmd: CancelOrder, stamper: Stamper) -> Sequence[Message]:
        tracked = self._orders.get(cmd.client_order_id)
        if tracked is None or tracked.alpaca_id is None or tracked.done:
            return (
                reject_command(
                    cmd, stamper, RejectReason.UNKNOWN_ORDER, "no working order with this id"
                ),
            )
        aid = tracked.alpaca_id
        try:
            self._call("cancel order", lambda: self._client.cancel_order_by_id(aid))
        except _CallFailed as err:
            f = err.failure
            out = self._reconcile_order(tracked, stamper) if f.status in (404, 422) else []
            out.append(
                reject_command(
                    cmd, stamper, RejectReason.VENUE_REJECTED, f"cancel refused: {f.describe()}"
                )
            )
            return out
        tracked.done = True
        return (
            OrderCanceled(
                **stamper.stamp(cmd),
                client_order_id=cmd.client_order_id,
                strategy_id=cmd.strategy_id,
                symbol=cmd.symbol,
                reason="canceled by request",
            ),
        )

    def _reconcile_order(self, tracked: _Tracked, stamper: Stamper) -> list[Message]:
        aid = tracked.alpaca_id
        if aid is None:
            return []
        try:
            raw = self._call("get order", lambda: self._client.get_order_by_id(aid))
        except _CallFailed:
            return []
        return self._catch_up(tracked, raw, stamper) if isinstance(raw, Mapping) else []

    def modify(self, cmd: ModifyOrder, stamper: Stamper) -> Sequence[Message]:
        tracked = self._orders.get(cmd.client_order_id)
        if tracked is None or tracked.alpaca_id is None or tracked.done:
            return (
                reject_command(
                    cmd, stamper, RejectReason.UNKNOWN_ORDER, "no working order with this id"
                ),
            )
        order = tracked.order
        # Book fills the stream has not delivered yet, so the replacement's size is right.
        out: list[Message] = self._reconcile_order(tracked, stamper)
        filled = tracked.filled
        if tracked.done:
            out.append(
                reject_command(cmd, stamper, RejectReason.UNKNOWN_ORDER, "order already filled")
            )
            return out
        if cmd.quantity is not None and cmd.quantity <= filled + _EPS:
            out.append(
                reject_command(
                    cmd,
                    stamper,
                    RejectReason.INVALID_QUANTITY,
                    f"new quantity {cmd.quantity} <= filled {filled}",
                )
            )
            return out
        total = cmd.quantity if cmd.quantity is not None else order.quantity
        new_cid = replacement_client_order_id(tracked.broker_cid)
        request = ReplaceOrderRequest(
            qty=_whole(total - filled),  # type: ignore[arg-type]  # the API takes fractions
            limit_price=cmd.price,
            stop_price=cmd.trigger_price,
            client_order_id=new_cid,
        )
        old = tracked.alpaca_id
        try:
            raw = self._call(
                "replace order", lambda: self._client.replace_order_by_id(old, request)
            )
        except _CallFailed as err:
            f = err.failure
            # a lost reply (then a retry refused: the old order is already replaced) still
            # replaced it: the replacement's own client order id finds it
            found = self._lookup_broker(new_cid) if f.transient or f.status == 422 else None
            if found is None:
                out.append(reject_command(cmd, stamper, RejectReason.VENUE_REJECTED, f.describe()))
                return out
            raw = found
        tracked.broker_cid = new_cid
        # Fills of the old order up to the replacement (it can fill no more): book any the
        # stream has not delivered yet, before switching to the new order, which counts from 0.
        out.extend(self._reconcile_order(tracked, stamper))
        new_id = str(raw["id"])
        tracked.alpaca_id = new_id
        self._by_alpaca_id[new_id] = order.client_order_id
        price = cmd.price if cmd.price is not None else order.price
        trigger = cmd.trigger_price if cmd.trigger_price is not None else order.trigger_price
        tracked.order = _with_terms(order, total, price, trigger)
        tracked.base_filled, tracked.base_notional = tracked.filled, tracked.notional
        out.append(
            OrderModified(
                **stamper.stamp(cmd),
                client_order_id=cmd.client_order_id,
                strategy_id=cmd.strategy_id,
                symbol=cmd.symbol,
                quantity=total,
                price=price,
                trigger_price=trigger,
            )
        )
        return out

    def on_market(self, snapshot: MarketSnapshot, stamper: Stamper) -> Sequence[Message]:
        return self.drain(stamper)

    # -- trade updates ------------------------------------------------------------------------
    def ingest(self, update: Mapping[str, Any]) -> None:
        """Queue one trade update (the stream's message or its ``data``). Any thread."""
        data = update.get("data") if update.get("stream") == "trade_updates" else update
        if isinstance(data, Mapping):
            self._inbox.put(data)
            with self._received_cond:
                self._received += 1
                self._received_cond.notify_all()

    def wait_for_updates(self, count: int, timeout: float) -> bool:
        """Block until ``count`` trade updates have been ingested in total (any thread)."""
        with self._received_cond:
            return self._received_cond.wait_for(lambda: self._received >= count, timeout)

    def drain(self, stamper: Stamper) -> list[Message]:
        """Turn queued trade updates into order events, then, when asked for (the stream
        reconnected, or :meth:`request_refresh`), refresh working orders by REST (on the
        execution thread)."""
        out: list[Message] = []
        while True:
            try:
                data = self._inbox.get_nowait()
            except queue.Empty:
                break
            out.extend(self._on_update(data, stamper))
        if self._refresh_pending.is_set():
            out.extend(self.refresh(stamper))
        self._forget_finished()
        return out

    def _forget_finished(self) -> None:
        """Bound what a long session tracks: past twice ``done_order_retention`` orders, drop
        the oldest finished ones (with their broker ids and execution ids) down to the
        retention. Working orders are never dropped. Amortised O(1) per order."""
        keep = self.config.done_order_retention
        if len(self._orders) <= 2 * keep:
            return
        excess = len(self._orders) - keep
        gone: set[ClientOrderId] = set()
        for cid, tracked in self._orders.items():
            if excess <= 0:
                break
            if tracked.done:
                gone.add(cid)
                excess -= 1
        if not gone:
            return
        for cid in gone:
            del self._orders[cid]
        self._by_alpaca_id = {a: c for a, c in self._by_alpaca_id.items() if c not in gone}
        self._seen_executions = {e: c for e, c in self._seen_executions.items() if c not in gone}

    @property
    def tracked_orders(self) -> int:
        """Orders this gateway still tracks (working, and recently finished)."""
        return len(self._orders)

    def request_refresh(self) -> None:
        """Ask the next :meth:`drain` to refresh working orders by REST (any thread)."""
        self._refresh_pending.set()

    def refresh(self, stamper: Stamper) -> list[Message]:
        """Book fills of working orders that the stream has not delivered, from each order's
        REST view (a dropped or silent trade-updates stream loses updates; this finds them)."""
        self._refresh_pending.clear()  # a reconnect during the reads asks again
        self.stats["refreshes"] += 1
        out: list[Message] = []
        for tracked in list(self._orders.values()):
            if tracked.alpaca_id is not None and not tracked.done:
                out.extend(self._reconcile_order(tracked, stamper))
        self.stats["refresh_fills"] += len(out)
        return out

    @property
    def working_orders(self) -> int:
        """Orders sent (or adopted) and not yet done."""
        return sum(1 for t in self._orders.values() if t.alpaca_id is not None and not t.done)

    # -- stream connection state (called on the stream's thread) -------------------------------
    def _on_disconnected(self) -> None:
        if self._down_since_ns is None:
            self._down_since_ns = int(self._wall_clock() * 1e9)
        log.warning("trade-updates stream disconnected: the SDK reconnects")

    def _on_listening(self) -> None:
        """The server listens: every later update comes on the stream; anything before shows
        in a REST read made from now on. So refresh working orders (after a gap, or at the
        first connection: an adopted order may have filled before it)."""
        gap: TradeStreamGap | None = None
        down = self._down_since_ns
        if down is not None:
            gap = TradeStreamGap(down, int(self._wall_clock() * 1e9))
            self._down_since_ns = None
            self.stream_gaps.append(gap)
            log.warning(
                "trade-updates stream listening again after %.3fs: refreshing %d working "
                "orders by REST",
                gap.seconds,
                self.working_orders,
            )
        self._refresh_pending.set()
        with self._received_cond:
            self._listens += 1
            self._received_cond.notify_all()
        self.on_stream_listening(gap)

    def on_stream_listening(self, gap: TradeStreamGap | None) -> None:
        """Hook (stream thread): the stream listens; ``gap`` is None at the first connection.
        A refresh is already requested; a host wakes the execution thread here."""

    def wait_listening(self, count: int = 1, timeout: float = 10.0) -> bool:
        """Block until the stream has confirmed listening ``count`` times (any thread)."""
        with self._received_cond:
            return self._received_cond.wait_for(lambda: self._listens >= count, timeout)

    @property
    def listens(self) -> int:
        with self._received_cond:
            return self._listens

    def _on_update(self, data: Mapping[str, Any], stamper: Stamper) -> list[Message]:
        event = str(data.get("event", ""))
        order = data.get("order")
        if not isinstance(order, Mapping):
            return []
        cid = self._our_cid(order)
        if cid is None:
            return []  # not ours (another client on the account, or a previous run)
        tracked = self._orders[cid]
        ts = _ts_ns(data.get("timestamp"))
        if event in ("fill", "partial_fill"):
            exec_id = str(data.get("execution_id") or "")
            if exec_id and exec_id in self._seen_executions:
                self.stats["duplicate_fills"] += 1
                return []
            if exec_id:
                self._seen_executions[exec_id] = cid
            if str(order.get("id")) != tracked.alpaca_id:
                return []  # a fill of an order that was since replaced: booked by REST view
            broker_cum = _f(order.get("filled_qty"))
            qty = min(_f(data.get("qty")), tracked.base_filled + broker_cum - tracked.filled)
            if qty <= _EPS:
                self.stats["duplicate_fills"] += 1  # already booked from the REST view
                return []
            trade_id = exec_id or f"{order.get('id')}-{broker_cum:g}"
            return [self._fill_message(tracked, _f(data.get("price")), qty, trade_id, ts, stamper)]
        if tracked.done:
            return []
        if event == "canceled" and str(order.get("id")) == tracked.alpaca_id:
            tracked.done = True
            return [
                OrderCanceled(
                    **stamper.stamp(tracked.order, ts),
                    client_order_id=cid,
                    strategy_id=tracked.order.strategy_id,
                    symbol=tracked.order.symbol,
                    reason="canceled by the venue",
                )
            ]
        if event == "expired" and str(order.get("id")) == tracked.alpaca_id:
            tracked.done = True
            return [
                OrderExpired(
                    **stamper.stamp(tracked.order, ts),
                    client_order_id=cid,
                    strategy_id=tracked.order.strategy_id,
                    symbol=tracked.order.symbol,
                )
            ]
        return []

    # -- stream thread ------------------------------------------------------------------------
    def start_trade_updates(self) -> None:
        """Run ``TradingStream`` in a thread, feeding :meth:`ingest`."""
        if self._stream is not None:
            return
        stream = _TradingStream(
            self,
            api_key=self.config.api_key,
            secret_key=self.config.secret_key,
            paper=self.config.paper,
            raw_data=True,
            url_override=self.config.stream_url,
        )

        async def handler(msg: Any) -> None:
            if isinstance(msg, Mapping):
                self.ingest(msg)

        stream.subscribe_trade_updates(handler)
        self._stream = stream
        self._stream_thread = threading.Thread(
            target=stream.run, name="alpaca-trade-updates", daemon=True
        )
        self._stream_thread.start()

    def close(self, timeout_s: float = 10.0) -> None:
        """Stop the trade-updates stream (if started) and join its thread."""
        stream, thread = self._stream, self._stream_thread
        self._stream = self._stream_thread = None
        if stream is None or thread is None:
            return
        loop = stream._loop
        if loop is not None and loop.is_running():

            async def shut() -> None:
                await stream.stop_ws()
                await stream.close()  # wakes the SDK's receive at once (else it polls every 5 s)

            try:
                asyncio.run_coroutine_threadsafe(shut(), loop).result(timeout_s)
            except Exception:
                log.warning("trade-updates stream did not stop cleanly", exc_info=True)
        thread.join(timeout_s)

    # -- reads --------------------------------------------------------------------------------
    def account(self) -> Mapping[str, Any]:
        raw: Mapping[str, Any] = self._read("get account", self._client.get_account)
        return raw

    def positions(self) -> list[Mapping[str, Any]]:
        return list(self._read("get positions", self._client.get_all_positions))

    def open_orders(self) -> list[Mapping[str, Any]]:
        return list(self._read("get orders", self._client.get_orders))

    def _read(self, what: str, fn: Callable[[], Any]) -> Any:
        try:
            return self._call(what, fn)
        except _CallFailed as err:
            raise RuntimeError(f"{what} failed: {err.failure.describe()}") from None

    # -- helpers ------------------------------------------------------------------------------
    def _order_request(self, order: SubmitOrder) -> OrderRequest:
        common: dict[str, Any] = {
            "symbol": order.symbol,
            "qty": _whole(order.quantity),
            "side": AlpacaSide.BUY if order.side is Side.BUY else AlpacaSide.SELL,
            "time_in_force": _TIF[order.time_in_force],
            "client_order_id": self.alpaca_client_order_id(order.client_order_id),
        }
        kind = order.order_type
        if kind is OrderType.MARKET:
            return MarketOrderRequest(**common)
        if kind is OrderType.LIMIT:
            return LimitOrderRequest(**common, limit_price=order.price)
        if kind is OrderType.STOP:
            return StopOrderRequest(**common, stop_price=order.trigger_price)
        return StopLimitOrderRequest(
            **common, limit_price=order.price, stop_price=order.trigger_price
        )

    def _reject(self, order: SubmitOrder, stamper: Stamper, reason: str) -> OrderRejected:
        return OrderRejected(
            **stamper.stamp(order),
            client_order_id=order.client_order_id,
            strategy_id=order.strategy_id,
            symbol=order.symbol,
            reason_code=RejectReason.VENUE_REJECTED,
            reason=reason,
        )


_TIF: Mapping[TimeInForce, AlpacaTif] = {
    TimeInForce.GTC: AlpacaTif.GTC,
    TimeInForce.DAY: AlpacaTif.DAY,
    TimeInForce.IOC: AlpacaTif.IOC,
    TimeInForce.FOK: AlpacaTif.FOK,
}


_REPLACEMENT = re.compile(r"(.*)\.r(\d+)")


def replacement_client_order_id(broker_cid: str) -> str:
    """The client order id of the order replacing ``broker_cid``: ``<original>.r<n>``, n
    counting the replacements of one original order. Deterministic, so a retried replace is
    recognised and a restart maps the replacement back to the order (and strategy) it
    continues (:func:`original_client_order_id`)."""
    m = _REPLACEMENT.fullmatch(broker_cid)
    if m is None:
        return f"{broker_cid}.r1"
    return f"{m.group(1)}.r{int(m.group(2)) + 1}"


def replacement_number(broker_cid: str) -> int:
    """``k`` of a replacement's ``<original>.r<k>``; 0 for an original order."""
    m = _REPLACEMENT.fullmatch(broker_cid)
    return 0 if m is None else int(m.group(2))


def original_client_order_id(broker_cid: str) -> str:
    """The client order id of the order a replacement chain started from."""
    m = _REPLACEMENT.fullmatch(broker_cid)
    return broker_cid if m is None else m.group(1)


def _whole(qty: float) -> float | int:
    return int(qty) if qty == int(qty) else qty


def _with_terms(
    order: SubmitOrder, quantity: float, price: float | None, trigger: float | None
) -> SubmitOrder:
    from dataclasses import replace

    return replace(order, quantity=quantity, price=price, trigger_price=trigger)
