"""The sandbox's simulated Alpaca paper account: orders, fills, positions and cash.

Pure and deterministic: no I/O, no wall clock, no randomness. Time is the timestamp of the last
tape event (or an explicitly set time); order, execution and asset ids are ``uuid5`` of a fixed
namespace and a counter, so the same requests against the same tape give the same ids.

Fill model (mirrors Alpaca paper, which fills when marketable against the quote and has no queue
position, latency or market impact):

* On submission an order is accepted (status ``new``, stream event ``new``; the POST response
  shows that state), then matched at once against the latest market data of its symbol.
* Against a quote: MARKET (and triggered STOP) buys fill at the ask, sells at the bid; LIMIT (and
  triggered STOP_LIMIT) buys fill at the ask when ask <= limit, sells at the bid when bid >= limit.
* Against a trade print: resting LIMIT buys fill at the limit when price <= limit (sells when
  price >= limit); MARKET orders fill at the print only while the symbol has no quote yet.
* Against a bar (only while the symbol has neither quotes nor trades): MARKET fills at the close,
  LIMIT buys at the limit when low <= limit (sells when high >= limit).
* STOP / STOP_LIMIT buys trigger when the ask, a print or a bar high reaches the stop (sells: bid,
  print or bar low at or below the stop), then behave as MARKET / LIMIT.
* ``partial_fills=True`` caps each fill at the displayed size (quote size / print size), so an
  order larger than the quote fills over several events (stream event ``partial_fill``).
* Time in force: ``ioc`` cancels what did not fill on submission, ``fok`` cancels unless fully
  filled on submission, ``day`` expires at 16:00 America/New_York of its session (on the first
  event at or after it), ``gtc`` / ``opg`` / ``cls`` rest.
* Buying power is a cash-account model: cash minus the notional reserved by open buy orders. A
  buy whose notional (limit price, else the ask / last price) exceeds it is refused with HTTP 403
  code 40310000 "insufficient buying power"; with ``shorting_enabled=False`` a sell beyond the
  long position is refused with 403 "insufficient qty available for order".
* Replace (PATCH) creates a new order (``replaces`` = old id; fresh fills from zero, quantity
  default: the old remaining) and marks the old one ``replaced``. Cancels are immediate.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ferrotrade.sandbox.tape import (
    TapeBar,
    TapeEvent,
    TapeQuote,
    TapeStatus,
    TapeTrade,
    format_rfc3339,
    parse_time_ns,
)

__all__ = [
    "NAMESPACE",
    "OPEN_STATUSES",
    "BrokerError",
    "SandboxBroker",
    "SandboxOrder",
    "TradeUpdate",
    "fmt_num",
    "session_bounds_ns",
]

NAMESPACE = uuid.UUID("6f1c2a52-4a8e-5b7e-9a51-2f5d3f0c7a11")
EASTERN = ZoneInfo("America/New_York")
OPEN_STATUSES = frozenset({"new", "partially_filled", "accepted", "pending_new"})
_TYPES = frozenset({"market", "limit", "stop", "stop_limit"})
_TIFS = frozenset({"day", "gtc", "opg", "cls", "ioc", "fok"})
_EPS = 1e-9


class BrokerError(Exception):
    """An Alpaca-style refusal: HTTP ``status`` with body ``{"code": code, "message": message}``."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


def fmt_num(x: float) -> str:
    """Alpaca sends money and quantities as decimal strings: ``10``, ``101.25``."""
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return repr(round(x, 10))


def session_bounds_ns(day: date) -> tuple[int, int]:
    """Regular session 09:30-16:00 America/New_York of ``day``, as ns since the epoch."""
    o = datetime.combine(day, time(9, 30), tzinfo=EASTERN)
    c = datetime.combine(day, time(16, 0), tzinfo=EASTERN)
    return int(o.timestamp()) * 1_000_000_000, int(c.timestamp()) * 1_000_000_000


def _eastern_date(ts_ns: int) -> date:
    return datetime.fromtimestamp(ts_ns // 1_000_000_000, tz=UTC).astimezone(EASTERN).date()


def _next_weekday(d: date) -> date:
    d += timedelta(days=1)
    while d.weekday() >= 5:
        d += timedelta(days=1)
    return d


def _day_close_ns(created_ns: int) -> int:
    d = _eastern_date(created_ns)
    if d.weekday() >= 5:
        d = _next_weekday(d)
    close = session_bounds_ns(d)[1]
    if created_ns >= close:
        close = session_bounds_ns(_next_weekday(d))[1]
    return close


@dataclass(slots=True)
class SandboxOrder:
    id: str
    client_order_id: str
    symbol: str
    side: str
    type: str
    time_in_force: str
    qty: float
    limit_price: float | None
    stop_price: float | None
    created_at: int
    seq: int
    extended_hours: bool = False
    status: str = "new"
    filled_qty: float = 0.0
    filled_notional: float = 0.0
    updated_at: int = 0
    filled_at: int | None = None
    canceled_at: int | None = None
    expired_at: int | None = None
    replaced_at: int | None = None
    replaced_by: str | None = None
    replaces: str | None = None
    triggered: bool = False
    day_close: int = 0

    @property
    def remaining(self) -> float:
        return self.qty - self.filled_qty

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def to_json(self) -> dict[str, Any]:
        """The order as Alpaca's REST API and trade_updates stream send it."""

        def ts(v: int | None) -> str | None:
            return None if v is None else format_rfc3339(v)

        avg = self.filled_notional / self.filled_qty if self.filled_qty > _EPS else None
        return {
            "id": self.id,
            "client_order_id": self.client_order_id,
            "created_at": ts(self.created_at),
            "updated_at": ts(self.updated_at or self.created_at),
            "submitted_at": ts(self.created_at),
            "filled_at": ts(self.filled_at),
            "expired_at": ts(self.expired_at),
            "canceled_at": ts(self.canceled_at),
            "failed_at": None,
            "replaced_at": ts(self.replaced_at),
            "replaced_by": self.replaced_by,
            "replaces": self.replaces,
            "asset_id": asset_id(self.symbol),
            "symbol": self.symbol,
            "asset_class": "us_equity",
            "notional": None,
            "qty": fmt_num(self.qty),
            "filled_qty": fmt_num(self.filled_qty),
            "filled_avg_price": None if avg is None else fmt_num(avg),
            "order_class": "",
            "order_type": self.type,
            "type": self.type,
            "side": self.side,
            "position_intent": None,
            "time_in_force": self.time_in_force,
            "limit_price": None if self.limit_price is None else fmt_num(self.limit_price),
            "stop_price": None if self.stop_price is None else fmt_num(self.stop_price),
            "status": self.status,
            "extended_hours": self.extended_hours,
            "legs": None,
            "trail_percent": None,
            "trail_price": None,
            "hwm": None,
        }


@dataclass(frozen=True, slots=True)
class TradeUpdate:
    """One ``trade_updates`` stream message (its ``data`` object is :meth:`to_json`)."""

    event: str
    order: Mapping[str, Any]
    ts: int
    execution_id: str | None = None
    price: float | None = None
    qty: float | None = None
    position_qty: float | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "event": self.event,
            "timestamp": format_rfc3339(self.ts),
            "order": dict(self.order),
        }
        if self.execution_id is not None:
            data["execution_id"] = self.execution_id
        if self.price is not None:
            data["price"] = fmt_num(self.price)
        if self.qty is not None:
            data["qty"] = fmt_num(self.qty)
        if self.position_qty is not None:
            data["position_qty"] = fmt_num(self.position_qty)
        return data


def asset_id(symbol: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"asset-{symbol}"))


@dataclass(slots=True)
class _Position:
    qty: float = 0.0
    avg: float = 0.0


@dataclass(slots=True)
class _Market:
    quote: TapeQuote | None = None
    trade: TapeTrade | None = None
    bar: TapeBar | None = None

    def last_price(self) -> float | None:
        if self.trade is not None:
            return self.trade.price
        if self.quote is not None:
            return (self.quote.bid + self.quote.ask) / 2.0
        if self.bar is not None:
            return self.bar.close
        return None


def _body_float(body: Mapping[str, Any], key: str) -> float | None:
    v = body.get(key)
    if v is None or v == "":
        return None
    if isinstance(v, bool):
        raise BrokerError(422, 42210000, f"invalid {key}")
    try:
        return float(v)
    except (TypeError, ValueError):
        raise BrokerError(422, 42210000, f"invalid {key}: {v!r}") from None


@dataclass(slots=True)
class SandboxBroker:
    """One paper account. Every method that changes state returns the stream updates it caused."""

    cash: float = 100_000.0
    now_ns: int = 0
    shorting_enabled: bool = True
    partial_fills: bool = False
    account_number: str = "PA0SANDBOX01"
    orders: dict[str, SandboxOrder] = field(default_factory=dict)
    _by_client: dict[str, str] = field(default_factory=dict)
    _positions: dict[str, _Position] = field(default_factory=dict)
    _markets: dict[str, _Market] = field(default_factory=dict)
    _order_n: int = 0
    _exec_n: int = 0
    _halted: set[str] = field(default_factory=set)
    starting_cash: float = 0.0

    def __post_init__(self) -> None:
        self.starting_cash = self.cash

    # -- ids ----------------------------------------------------------------------------------
    @property
    def account_id(self) -> str:
        return str(uuid.uuid5(NAMESPACE, f"account-{self.account_number}"))

    def _next_order_id(self) -> str:
        self._order_n += 1
        return str(uuid.uuid5(NAMESPACE, f"order-{self._order_n}"))

    def _next_execution_id(self) -> str:
        self._exec_n += 1
        return str(uuid.uuid5(NAMESPACE, f"execution-{self._exec_n}"))

    # -- market data --------------------------------------------------------------------------
    def market(self, symbol: str) -> _Market:
        m = self._markets.get(symbol)
        if m is None:
            m = self._markets[symbol] = _Market()
        return m

    def latest_quote(self, symbol: str) -> TapeQuote | None:
        m = self._markets.get(symbol)
        return None if m is None else m.quote

    def latest_trade(self, symbol: str) -> TapeTrade | None:
        m = self._markets.get(symbol)
        return None if m is None else m.trade

    def on_event(self, ev: TapeEvent) -> list[TradeUpdate]:
        """Apply one tape event: advance the clock, expire DAY orders, match working orders."""
        self.now_ns = max(self.now_ns, ev.ts)
        updates = self._expire_day_orders()
        m = self.market(ev.symbol)
        if isinstance(ev, TapeStatus):
            if ev.status_code == "H":
                self._halted.add(ev.symbol)
            else:
                self._halted.discard(ev.symbol)
            return updates
        if isinstance(ev, TapeQuote):
            m.quote = ev
        elif isinstance(ev, TapeTrade):
            m.trade = ev
        else:
            m.bar = ev
        for o in sorted(self.orders.values(), key=lambda o: o.seq):
            if o.is_open and o.symbol == ev.symbol:
                updates.extend(self._match(o, ev))
        return updates

    def _expire_day_orders(self) -> list[TradeUpdate]:
        out: list[TradeUpdate] = []
        for o in sorted(self.orders.values(), key=lambda o: o.seq):
            if o.is_open and o.time_in_force == "day" and self.now_ns >= o.day_close:
                o.status = "expired"
                o.expired_at = o.updated_at = self.now_ns
                out.append(TradeUpdate("expired", o.to_json(), self.now_ns))
        return out

    # -- matching -----------------------------------------------------------------------------
    def _trigger(self, o: SandboxOrder, ev: TapeEvent) -> None:
        if o.triggered or o.type not in ("stop", "stop_limit"):
            return
        stop = o.stop_price
        assert stop is not None
        buy = o.side == "buy"
        if isinstance(ev, TapeQuote):
            hit = ev.ask >= stop if buy else ev.bid <= stop
        elif isinstance(ev, TapeTrade):
            hit = ev.price >= stop if buy else ev.price <= stop
        elif isinstance(ev, TapeBar):
            m = self.market(o.symbol)
            bar_source = m.quote is None and m.trade is None
            hit = bar_source and (ev.high >= stop if buy else ev.low <= stop)
        else:
            hit = False
        o.triggered = hit

    def _price_for(self, o: SandboxOrder, ev: TapeEvent) -> tuple[float, float] | None:
        """(price, available size) if ``ev`` fills ``o``, else None."""
        self._trigger(o, ev)
        if o.type in ("stop", "stop_limit") and not o.triggered:
            return None
        as_market = o.type in ("market", "stop")
        limit = o.limit_price
        buy = o.side == "buy"
        m = self.market(o.symbol)
        if isinstance(ev, TapeQuote):
            px, size = (ev.ask, ev.ask_size) if buy else (ev.bid, ev.bid_size)
            if px <= 0:
                return None
            if as_market:
                return px, size
            assert limit is not None
            return (px, size) if (px <= limit if buy else px >= limit) else None
        if isinstance(ev, TapeTrade):
            if as_market:
                return (ev.price, ev.size) if m.quote is None else None
            assert limit is not None
            if (buy and ev.price <= limit) or (not buy and ev.price >= limit):
                return limit, ev.size
            return None
        if isinstance(ev, TapeBar):
            if m.quote is not None or m.trade is not None:
                return None
            if as_market:
                return ev.close, float("inf")
            assert limit is not None
            if (buy and ev.low <= limit) or (not buy and ev.high >= limit):
                return limit, float("inf")
        return None

    def _match(self, o: SandboxOrder, ev: TapeEvent) -> list[TradeUpdate]:
        if o.symbol in self._halted:
            return []
        hit = self._price_for(o, ev)
        if hit is None:
            return []
        price, size = hit
        qty = o.remaining if not self.partial_fills else min(o.remaining, size)
        if qty <= _EPS:
            return []
        return [self._fill(o, price, qty)]

    def _fill(self, o: SandboxOrder, price: float, qty: float) -> TradeUpdate:
        sign = 1.0 if o.side == "buy" else -1.0
        self.cash -= sign * qty * price
        pos = self._positions.setdefault(o.symbol, _Position())
        new_qty = pos.qty + sign * qty
        if abs(pos.qty) < _EPS or (pos.qty > 0) == (sign > 0):
            pos.avg = (abs(pos.qty) * pos.avg + qty * price) / abs(new_qty)
        elif (new_qty > 0) != (pos.qty > 0) and abs(new_qty) > _EPS:
            pos.avg = price  # flipped through zero: the rest opened at this price
        pos.qty = new_qty
        if abs(pos.qty) < _EPS:
            del self._positions[o.symbol]
        o.filled_qty += qty
        o.filled_notional += qty * price
        o.updated_at = self.now_ns
        done = o.remaining <= _EPS
        o.status = "filled" if done else "partially_filled"
        if done:
            o.filled_at = self.now_ns
        return TradeUpdate(
            "fill" if done else "partial_fill",
            o.to_json(),
            self.now_ns,
            execution_id=self._next_execution_id(),
            price=price,
            qty=qty,
            position_qty=new_qty if abs(new_qty) >= _EPS else 0.0,
        )

    # -- account ------------------------------------------------------------------------------
    def _reserved(self) -> float:
        total = 0.0
        for o in self.orders.values():
            if o.is_open and o.side == "buy":
                total += o.remaining * (self._ref_price(o) or 0.0)
        return total

    def _ref_price(self, o: SandboxOrder) -> float | None:
        if o.limit_price is not None:
            return o.limit_price
        if o.stop_price is not None:
            return o.stop_price
        m = self.market(o.symbol)
        if m.quote is not None and m.quote.ask > 0:
            return m.quote.ask if o.side == "buy" else m.quote.bid
        return m.last_price()

    def buying_power(self) -> float:
        return max(0.0, self.cash - self._reserved())

    def account(self) -> dict[str, Any]:
        long_mv = short_mv = 0.0
        for sym, p in self._positions.items():
            mv = p.qty * (self.market(sym).last_price() or p.avg)
            if mv >= 0:
                long_mv += mv
            else:
                short_mv += mv
        equity = self.cash + long_mv + short_mv
        bp = fmt_num(round(self.buying_power(), 2))
        return {
            "id": self.account_id,
            "account_number": self.account_number,
            "status": "ACTIVE",
            "crypto_status": "ACTIVE",
            "currency": "USD",
            "buying_power": bp,
            "regt_buying_power": bp,
            "daytrading_buying_power": "0",
            "non_marginable_buying_power": bp,
            "options_buying_power": bp,
            "cash": fmt_num(round(self.cash, 2)),
            "accrued_fees": "0",
            "pending_transfer_in": "0",
            "portfolio_value": fmt_num(round(equity, 2)),
            "equity": fmt_num(round(equity, 2)),
            "last_equity": fmt_num(round(self.starting_cash, 2)),
            "long_market_value": fmt_num(round(long_mv, 2)),
            "short_market_value": fmt_num(round(short_mv, 2)),
            "initial_margin": "0",
            "maintenance_margin": "0",
            "last_maintenance_margin": "0",
            "sma": "0",
            "multiplier": "1",
            "pattern_day_trader": False,
            "trading_blocked": False,
            "transfers_blocked": False,
            "account_blocked": False,
            "trade_suspended_by_user": False,
            "shorting_enabled": self.shorting_enabled,
            "daytrade_count": 0,
            "created_at": "2020-01-01T00:00:00Z",
            "options_approved_level": 0,
            "options_trading_level": 0,
        }

    def position_qty(self, symbol: str) -> float:
        p = self._positions.get(symbol)
        return 0.0 if p is None else p.qty

    def positions(self) -> list[dict[str, Any]]:
        return [self._position_json(s) for s in sorted(self._positions)]

    def position(self, symbol: str) -> dict[str, Any]:
        if symbol not in self._positions:
            raise BrokerError(404, 40410000, "position does not exist")
        return self._position_json(symbol)

    def _position_json(self, symbol: str) -> dict[str, Any]:
        p = self._positions[symbol]
        price = self.market(symbol).last_price() or p.avg
        cost = abs(p.qty) * p.avg
        mv = p.qty * price
        upl = (price - p.avg) * p.qty
        return {
            "asset_id": asset_id(symbol),
            "symbol": symbol,
            "exchange": "NASDAQ",
            "asset_class": "us_equity",
            "asset_marginable": True,
            "avg_entry_price": fmt_num(p.avg),
            "qty": fmt_num(p.qty),
            "qty_available": fmt_num(p.qty),
            "side": "long" if p.qty > 0 else "short",
            "market_value": fmt_num(round(mv, 6)),
            "cost_basis": fmt_num(round(cost, 6)),
            "unrealized_pl": fmt_num(round(upl, 6)),
            "unrealized_plpc": fmt_num(round(upl / cost, 10)) if cost else "0",
            "unrealized_intraday_pl": fmt_num(round(upl, 6)),
            "unrealized_intraday_plpc": fmt_num(round(upl / cost, 10)) if cost else "0",
            "current_price": fmt_num(price),
            "lastday_price": fmt_num(price),
            "change_today": "0",
        }

    # -- orders -------------------------------------------------------------------------------
    def get(self, order_id: str) -> SandboxOrder:
        o = self.orders.get(order_id)
        if o is None:
            raise BrokerError(404, 40410000, "order not found")
        return o

    def by_client_order_id(self, client_order_id: str) -> SandboxOrder:
        oid = self._by_client.get(client_order_id)
        if oid is None:
            raise BrokerError(404, 40410000, "order not found")
        return self.orders[oid]

    def submit(self, body: Mapping[str, Any]) -> tuple[dict[str, Any], list[TradeUpdate]]:
        """POST /v2/orders: returns the accepted order (as the response shows it) and updates."""
        symbol = body.get("symbol")
        if not isinstance(symbol, str) or not symbol:
            raise BrokerError(422, 42210000, "symbol is required")
        side = body.get("side")
        if side not in ("buy", "sell"):
            raise BrokerError(422, 42210000, f"invalid side: {side!r}")
        kind = body.get("type", body.get("order_type"))
        if kind not in _TYPES:
            raise BrokerError(422, 42210000, f"invalid order type: {kind!r}")
        tif = body.get("time_in_force")
        if tif not in _TIFS:
            raise BrokerError(422, 42210000, f"invalid time_in_force: {tif!r}")
        qty = _body_float(body, "qty")
        if qty is None:
            if body.get("notional") is not None:
                raise BrokerError(422, 42210000, "notional orders are not supported")
            raise BrokerError(422, 42210000, "qty is required")
        if qty <= 0:
            raise BrokerError(422, 42210000, "qty must be > 0")
        limit = _body_float(body, "limit_price")
        stop = _body_float(body, "stop_price")
        if kind in ("limit", "stop_limit") and limit is None:
            raise BrokerError(422, 42210000, "limit_price is required")
        if kind in ("stop", "stop_limit") and stop is None:
            raise BrokerError(422, 42210000, "stop_price is required")
        for name, v in (("limit_price", limit), ("stop_price", stop)):
            if v is not None and v <= 0:
                raise BrokerError(422, 42210000, f"{name} must be > 0")
        cid = body.get("client_order_id")
        if cid is not None and not isinstance(cid, str):
            raise BrokerError(422, 42210000, "client_order_id must be a string")
        if cid and len(cid) > 128:
            raise BrokerError(422, 42210000, "client_order_id must be at most 128 characters")
        if cid and cid in self._by_client:
            raise BrokerError(422, 42210000, "client_order_id must be unique")
        probe = SandboxOrder(
            id="",
            client_order_id="",
            symbol=symbol,
            side=side,
            type=kind,
            time_in_force=tif,
            qty=qty,
            limit_price=limit,
            stop_price=stop,
            created_at=self.now_ns,
            seq=0,
        )
        if side == "buy":
            ref = self._ref_price(probe)
            if ref is not None and qty * ref > self.buying_power() + 1e-6:
                raise BrokerError(403, 40310000, "insufficient buying power")
        elif not self.shorting_enabled:
            held = self.position_qty(symbol) - sum(
                o.remaining
                for o in self.orders.values()
                if o.is_open and o.side == "sell" and o.symbol == symbol
            )
            if qty > held + _EPS:
                raise BrokerError(
                    403,
                    40310000,
                    f"insufficient qty available for order (requested: {fmt_num(qty)}, "
                    f"available: {fmt_num(max(held, 0.0))})",
                )
        oid = self._next_order_id()
        o = probe
        o.id = oid
        o.client_order_id = cid or str(uuid.uuid5(NAMESPACE, f"client-{oid}"))
        o.seq = self._order_n
        o.extended_hours = bool(body.get("extended_hours", False))
        o.updated_at = self.now_ns
        o.day_close = _day_close_ns(self.now_ns)
        return self._accept(o, "new")

    def _accept(
        self, o: SandboxOrder, event: str, first: list[TradeUpdate] | None = None
    ) -> tuple[dict[str, Any], list[TradeUpdate]]:
        self.orders[o.id] = o
        self._by_client[o.client_order_id] = o.id
        response = o.to_json()
        updates = list(first or ())
        updates.append(TradeUpdate(event, response, self.now_ns))
        updates.extend(self._match_now(o))
        if o.is_open and o.time_in_force in ("ioc", "fok"):
            updates.append(self._cancel(o))
        return response, updates

    def _match_now(self, o: SandboxOrder) -> list[TradeUpdate]:
        m = self.market(o.symbol)
        sources: list[TapeEvent] = []
        if m.quote is not None:
            sources.append(m.quote)
        elif m.trade is not None:
            sources.append(m.trade)
        elif m.bar is not None:
            sources.append(m.bar)
        out: list[TradeUpdate] = []
        for ev in sources:
            if o.time_in_force == "fok":
                hit = self._price_for(o, ev)
                if hit is None or (self.partial_fills and hit[1] < o.remaining - _EPS):
                    return out
            out.extend(self._match(o, ev))
        return out

    def _cancel(self, o: SandboxOrder) -> TradeUpdate:
        o.status = "canceled"
        o.canceled_at = o.updated_at = self.now_ns
        return TradeUpdate("canceled", o.to_json(), self.now_ns)

    def cancel(self, order_id: str) -> list[TradeUpdate]:
        o = self.get(order_id)
        if not o.is_open:
            raise BrokerError(422, 42210000, f'order is already in "{o.status}" state')
        return [self._cancel(o)]

    def cancel_all(self) -> tuple[list[dict[str, Any]], list[TradeUpdate]]:
        results: list[dict[str, Any]] = []
        updates: list[TradeUpdate] = []
        for o in sorted(self.orders.values(), key=lambda o: o.seq):
            if o.is_open:
                updates.append(self._cancel(o))
                results.append({"id": o.id, "status": 200, "body": o.to_json()})
        return results, updates

    def replace(
        self, order_id: str, body: Mapping[str, Any]
    ) -> tuple[dict[str, Any], list[TradeUpdate]]:
        old = self.get(order_id)
        if not old.is_open:
            raise BrokerError(422, 42210000, f'order is already in "{old.status}" state')
        qty = _body_float(body, "qty")
        if qty is not None and qty <= 0:
            raise BrokerError(422, 42210000, "qty must be > 0")
        limit = _body_float(body, "limit_price")
        stop = _body_float(body, "stop_price")
        if limit is not None and old.type not in ("limit", "stop_limit"):
            raise BrokerError(422, 42210000, "limit_price is only for limit orders")
        if stop is not None and old.type not in ("stop", "stop_limit"):
            raise BrokerError(422, 42210000, "stop_price is only for stop orders")
        tif = body.get("time_in_force", old.time_in_force)
        if tif not in _TIFS:
            raise BrokerError(422, 42210000, f"invalid time_in_force: {tif!r}")
        cid = body.get("client_order_id")
        if cid and cid in self._by_client:
            raise BrokerError(422, 42210000, "client_order_id must be unique")
        oid = self._next_order_id()
        new = SandboxOrder(
            id=oid,
            client_order_id=cid or str(uuid.uuid5(NAMESPACE, f"client-{oid}")),
            symbol=old.symbol,
            side=old.side,
            type=old.type,
            time_in_force=tif,
            qty=qty if qty is not None else old.remaining,
            limit_price=limit if limit is not None else old.limit_price,
            stop_price=stop if stop is not None else old.stop_price,
            created_at=self.now_ns,
            seq=self._order_n,
            extended_hours=old.extended_hours,
            replaces=old.id,
            updated_at=self.now_ns,
            day_close=_day_close_ns(self.now_ns),
        )
        old.status = "replaced"
        old.replaced_at = old.updated_at = self.now_ns
        old.replaced_by = oid
        first = [TradeUpdate("replaced", old.to_json(), self.now_ns)]
        return self._accept(new, "new", first)

    def list_orders(self, params: Mapping[str, str]) -> list[dict[str, Any]]:
        status = params.get("status", "open")
        if status not in ("open", "closed", "all"):
            raise BrokerError(422, 42210000, f"invalid status: {status!r}")
        try:
            limit = int(params.get("limit", "50"))
        except ValueError:
            raise BrokerError(422, 42210000, "invalid limit") from None
        if not 1 <= limit <= 500:
            raise BrokerError(422, 42210000, "limit must be between 1 and 500")
        direction = params.get("direction", "desc")
        if direction not in ("asc", "desc"):
            raise BrokerError(422, 42210000, f"invalid direction: {direction!r}")
        after = parse_time_ns(params["after"]) if params.get("after") else None
        until = parse_time_ns(params["until"]) if params.get("until") else None
        symbols = {s for s in params.get("symbols", "").split(",") if s}
        side = params.get("side")
        rows = []
        for o in sorted(self.orders.values(), key=lambda o: o.seq):
            if (status == "open" and not o.is_open) or (status == "closed" and o.is_open):
                continue
            if after is not None and o.created_at <= after:
                continue
            if until is not None and o.created_at >= until:
                continue
            if (symbols and o.symbol not in symbols) or (side and o.side != side):
                continue
            rows.append(o)
        if direction == "desc":
            rows.reverse()
        return [o.to_json() for o in rows[:limit]]
