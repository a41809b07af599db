"""A :class:`VenuePort` over the Rust :class:`~ferrotrade.BarMatchingEngine` (one per symbol).

Invariant: the venue matches working orders only when told to, by a :class:`MatchBar` command
carrying the bar to match against, so the *driver* decides the execution timing and a strategy
can never trade on a bar it has not seen yet:

* ``fill_at="open"`` (default, conservative): the driver sends ``MatchBar(t)`` *before* the
  strategy sees bar ``t``. An order decided on bar ``t-1`` fills at bar ``t``'s open.
* ``fill_at="close"`` (opt-in): the driver sends ``MatchBar(t)`` *after* the strategy saw bar
  ``t``. An order decided on bar ``t`` fills at bar ``t``'s close: trading on the bar you just
  observed (the close is known when you decide; in reality you would need to be in the closing
  auction).
* ``fill_at="vwap"``: like close, at the bar's typical price ``(high + low + close) / 3``.

Fill rules (limit/stop against the bar's range, ``slippage_bps``, ``max_volume_pct``, time in
force) are the Rust engine's contract (``rust_core/src/bar_matching.rs``). Fees are charged here:
``fee_bps`` of notional plus ``fee_per_order`` on the first fill of each order. Quantities are
whole units (``size_increment``, default 1).

**Sessions and DAY orders.** A session is a trading day: the calendar date of a bar's timestamp
in the exchange time zone (``session_tz``, default America/New_York, DST included), or for
daily and coarser bars (``daily=True``; stamped 00:00 UTC of their date) that date. A DAY order
belongs to the session of the first bar it meets -- the one it became eligible to fill on -- and
expires (:class:`OrderExpired`) when that session ends, if still working:

* a daily bar is a whole session, so a DAY order expires right after the first bar it is
  matched against: decided on bar ``t`` with ``fill_at="open"``, it works on bar ``t+1`` only;
  with ``fill_at="close"`` it works on bar ``t``'s close only;
* intraday, it expires right after its symbol's last bar of that date is matched: with
  ``fill_at="open"`` before the strategy sees that bar, in every mode before the next date's
  first bar. The venue learns which bar is the last of a date from ``bar_times`` (each symbol's
  bar timestamps, given by the driver: times only, never prices); the data's very last bar ends
  no session (the data may stop mid-day; the end of the backtest cancels the order). Without
  ``bar_times`` the end of a session is noticed at the symbol's first bar of a later date, and
  the order expires just before that bar is matched.

GTC orders carry over sessions; IOC and FOK never outlive their first bar.

**Modify** (:class:`ModifyOrder`: new total quantity, limit price and/or trigger price of a
working order). The Rust engine has no modify, so the venue submits the new terms to it under a
new engine id and cancels the old one, all under the same client order id; nothing changes when
the engine refuses the new terms. What is filled stays filled: the new quantity is the order's
new total and must exceed the filled quantity. A stop that has triggered stays triggered (it
goes back as the market or limit order it has become) and its trigger price can no longer
change. The modified order keeps its session and goes to the back of its symbol's queue (the
volume cap is shared in submission order), as a new submission would. The answer is
:class:`OrderModified` with the new terms; an unknown id, a finished order, a symbol or
strategy that is not the order's, a price the order type does not use, or a quantity not above
the filled one is answered with :class:`OrderRejected` and changes nothing.

Market snapshots only update the last price (no matching); :class:`Liquidate` fills the given
positions at a given price (the end-of-backtest close-out), cancelling working orders first.
Order ids: the client order id maps to a venue sequence number (the Rust engine's order id).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from actors.clock import Clock
from actors.execution.component import ExecutionComponent
from actors.execution.orders import ORDER_TRANSITIONS, OrderStatus
from actors.execution.sessions import SESSION_TZ, SessionClock
from actors.execution.venue import (
    Stamper,
    VenuePort,
    fill_event,
    reject_command,
    reject_unknown_order,
)
from actors.ids import ClientOrderId, StrategyId, VenueOrderId
from actors.messages import (
    Bar,
    CancelOrder,
    MarketSnapshot,
    Message,
    ModifyOrder,
    OrderAccepted,
    OrderCanceled,
    OrderExpired,
    OrderModified,
    OrderRejected,
    OrderType,
    RejectReason,
    Side,
    SubmitOrder,
    TimeInForce,
)
from ferrotrade import BarMatchingEngine, EventKind
from ferrotrade.errors import FerrotradeError

__all__ = [
    "SESSION_TZ",
    "BarExecutionComponent",
    "BarVenue",
    "BarVenueConfig",
    "Liquidate",
    "MatchBar",
    "SessionClock",
]

FillAt = Literal["open", "close", "vwap"]


@dataclass(frozen=True, slots=True, kw_only=True)
class MatchBar(Message):
    """Command to execution: match working orders of ``bar.symbol`` against ``bar``."""

    bar: Bar


@dataclass(frozen=True, slots=True, kw_only=True)
class Liquidate(Message):
    """Command to execution: close ``positions`` ((strategy id, symbol, signed qty), ...) at
    ``price`` per symbol ((symbol, price), ...), after cancelling every working order."""

    positions: tuple[tuple[str, str, float], ...]
    prices: tuple[tuple[str, float], ...]


@dataclass(frozen=True, slots=True)
class BarVenueConfig:
    fill_at: FillAt = "open"
    slippage_bps: float = 0.0
    max_volume_pct: float | None = None
    fee_bps: float = 0.0
    fee_per_order: float = 0.0
    size_increment: float = 1.0
    #: time zone of the sessions (trading days) of intraday bars
    session_tz: str = SESSION_TZ
    #: bars are daily or coarser, stamped 00:00 UTC of their date: each bar is a whole session
    daily: bool = False


_RUST_TYPE = {
    OrderType.MARKET: "market",
    OrderType.LIMIT: "limit",
    OrderType.STOP: "stop",
    OrderType.STOP_LIMIT: "stop_limit",
}
# what a stop has become once it triggered (the engine's rule), for a re-submission
_TRIGGERED_TYPE = {OrderType.STOP: "market", OrderType.STOP_LIMIT: "limit"}
_RUST_TIF = {
    TimeInForce.GTC: "gtc",
    TimeInForce.IOC: "ioc",
    TimeInForce.FOK: "fok",
    TimeInForce.DAY: "day",
}
_USES_PRICE = frozenset((OrderType.LIMIT, OrderType.STOP_LIMIT))
_USES_TRIGGER = frozenset((OrderType.STOP, OrderType.STOP_LIMIT))


@dataclass(slots=True)
class _Order:
    order: SubmitOrder  # the current terms (a modify replaces quantity and prices)
    status: OrderStatus
    remaining: float
    fills: int = 0
    session: int | None = None  # DAY orders: the session of the first bar met
    triggered: bool = False

    @property
    def filled(self) -> float:
        return self.order.quantity - self.remaining


class BarVenue:
    """Deterministic bar venue: one Rust engine per symbol, orders worked in submission order.

    ``bar_times`` (symbol -> sorted bar timestamps) lets the venue expire intraday DAY orders
    when their session's last bar is matched (see the module docstring)."""

    def __init__(
        self,
        config: BarVenueConfig | None = None,
        bar_times: Mapping[str, npt.NDArray[np.int64]] | None = None,
    ) -> None:
        self.config = cfg = config or BarVenueConfig()
        self._rust_fill_at = "open" if cfg.fill_at == "open" else cfg.fill_at
        self._sessions = SessionClock(cfg.session_tz, cfg.daily)
        self._bar_times = dict(bar_times or {})
        self._engines: dict[str, BarMatchingEngine] = {}
        self._by_int: dict[int, _Order] = {}
        # per symbol: its working orders by engine id, in the engine's order
        self._by_symbol: dict[str, dict[int, _Order]] = {}
        self._day_orders: dict[str, int] = {}  # per symbol: working DAY orders
        self._int_of: dict[ClientOrderId, int] = {}
        self._seq = 0
        self._trade_seq = 0
        self.statuses: dict[ClientOrderId, OrderStatus] = {}
        self.last_price: dict[str, float] = {}
        self.bars_matched = 0

    def _engine(self, symbol: str) -> BarMatchingEngine:
        eng = self._engines.get(symbol)
        if eng is None:
            cfg = self.config
            eng = self._engines[symbol] = BarMatchingEngine(
                fill_at=self._rust_fill_at,
                max_volume_pct=cfg.max_volume_pct,
                slippage_bps=cfg.slippage_bps,
                size_increment=cfg.size_increment,
            )
        return eng

    def has_working(self, symbol: str | None = None) -> bool:
        if symbol is None:
            return bool(self._by_int)
        return bool(self._by_symbol.get(symbol))

    def _move(self, o: _Order, trigger: str) -> None:
        o.status = ORDER_TRANSITIONS.next(o.status, trigger)
        self.statuses[o.order.client_order_id] = o.status

    def _add(self, n: int, o: _Order) -> None:
        symbol = o.order.symbol
        self._by_int[n] = o
        self._by_symbol.setdefault(symbol, {})[n] = o
        if o.order.time_in_force is TimeInForce.DAY:
            self._day_orders[symbol] = self._day_orders.get(symbol, 0) + 1

    def _remove(self, n: int, o: _Order) -> None:
        symbol = o.order.symbol
        del self._by_int[n]
        del self._by_symbol[symbol][n]
        if o.order.time_in_force is TimeInForce.DAY:
            self._day_orders[symbol] -= 1

    def _reject(self, order: SubmitOrder, st: Stamper, reason: str) -> OrderRejected:
        return OrderRejected(
            **st.stamp(order),
            client_order_id=order.client_order_id,
            strategy_id=order.strategy_id,
            symbol=order.symbol,
            reason_code=RejectReason.VENUE_REJECTED,
            reason=reason,
        )

    # -- port ----------------------------------------------------------------------------------
    def submit(self, order: SubmitOrder, st: Stamper) -> Sequence[Message]:
        cid = order.client_order_id
        if cid in self.statuses:
            return (self._reject(order, st, "duplicate client order id"),)
        self._seq += 1
        n = self._seq
        try:
            self._engine(order.symbol).submit(
                n,
                "buy" if order.side is Side.BUY else "sell",
                order.quantity,
                _RUST_TYPE[order.order_type],
                order.price,
                order.trigger_price,
                _RUST_TIF[order.time_in_force],
                order.ts_event,
            )
        except (FerrotradeError, ValueError) as exc:
            self.statuses[cid] = OrderStatus.REJECTED
            return (self._reject(order, st, str(exc)),)
        # the engine's ACCEPTED event stays queued: _translate skips it at the next match
        o = _Order(order, OrderStatus.NEW, order.quantity)
        self._add(n, o)
        self._int_of[cid] = n
        self._move(o, "accept")
        return (
            OrderAccepted(
                **st.stamp(order),
                client_order_id=cid,
                strategy_id=order.strategy_id,
                symbol=order.symbol,
                venue_order_id=VenueOrderId(f"V-{n}"),
            ),
        )

    def cancel(self, cmd: CancelOrder, st: Stamper) -> Sequence[Message]:
        n = self._int_of.get(cmd.client_order_id)
        o = self._by_int.get(n) if n is not None else None
        if o is None or n is None:
            return (reject_unknown_order(cmd, st),)
        self._engines[o.order.symbol].cancel(n, cmd.ts_event)
        self._engines[o.order.symbol].drain_events()
        return (self._canceled(n, o, cmd, st, "canceled by request"),)

    def modify(self, cmd: ModifyOrder, st: Stamper) -> Sequence[Message]:
        """Cancel and re-submit inside the venue under the same client order id (see the module
        docstring); :class:`OrderModified` with the new terms, or :class:`OrderRejected`."""
        cid = cmd.client_order_id
        n = self._int_of.get(cid)
        o = self._by_int.get(n) if n is not None else None
        if o is None or n is None:
            status = self.statuses.get(cid)
            if status is None:
                return (reject_unknown_order(cmd, st),)
            return (
                reject_command(
                    cmd,
                    st,
                    RejectReason.UNKNOWN_ORDER,
                    f"order {cid} is {status.value}: only a working order can be modified",
                ),
            )
        order = o.order
        problem = self._modify_problem(cmd, o)
        if problem is not None:
            return (reject_command(cmd, st, *problem),)
        filled = o.filled
        total = order.quantity if cmd.quantity is None else cmd.quantity
        price = order.price if cmd.price is None else cmd.price
        trigger = order.trigger_price if cmd.trigger_price is None else cmd.trigger_price
        kind = _TRIGGERED_TYPE[order.order_type] if o.triggered else _RUST_TYPE[order.order_type]
        eng = self._engines[order.symbol]
        m = self._seq + 1
        try:
            # the new terms first: if the engine refuses them, the old order is untouched
            eng.submit(
                m,
                "buy" if order.side is Side.BUY else "sell",
                total - filled,
                kind,
                price,
                trigger,
                _RUST_TIF[order.time_in_force],
                cmd.ts_event,
            )
        except (FerrotradeError, ValueError) as exc:
            return (reject_command(cmd, st, RejectReason.VENUE_REJECTED, str(exc)),)
        self._seq = m
        eng.cancel(n, cmd.ts_event)
        eng.drain_events()  # the old order's CANCELED and the new one's ACCEPTED: internal
        self._remove(n, o)
        o.order = dataclasses.replace(order, quantity=total, price=price, trigger_price=trigger)
        o.remaining = total - filled
        self._add(m, o)
        self._int_of[cid] = m
        self._move(o, "modify")
        return (
            OrderModified(
                **st.stamp(cmd),
                client_order_id=cid,
                strategy_id=order.strategy_id,
                symbol=order.symbol,
                quantity=total,
                price=price,
                trigger_price=trigger,
            ),
        )

    @staticmethod
    def _modify_problem(cmd: ModifyOrder, o: _Order) -> tuple[RejectReason, str] | None:
        """Why ``cmd`` cannot apply to the working order ``o`` (None: it can)."""
        order = o.order
        kind = order.order_type
        bad = RejectReason.VENUE_REJECTED
        if cmd.symbol != order.symbol:
            return bad, f"symbol {cmd.symbol!r} is not the order's ({order.symbol!r})"
        if cmd.strategy_id != order.strategy_id:
            return bad, f"strategy {cmd.strategy_id!r} is not the order's ({order.strategy_id!r})"
        if cmd.quantity is None and cmd.price is None and cmd.trigger_price is None:
            return bad, "nothing to modify: give a quantity, price or trigger_price"
        if cmd.price is not None and kind not in _USES_PRICE:
            return bad, f"a {kind.value} order has no limit price to modify"
        if cmd.trigger_price is not None:
            if kind not in _USES_TRIGGER:
                return bad, f"a {kind.value} order has no trigger price to modify"
            if o.triggered:
                return bad, "the stop has triggered: its trigger price can no longer change"
        filled = o.filled
        if cmd.quantity is not None and cmd.quantity <= filled + 1e-9:
            return (
                RejectReason.INVALID_QUANTITY,
                f"new quantity {cmd.quantity} must exceed the {filled} already filled",
            )
        return None

    def on_market(self, snapshot: MarketSnapshot, st: Stamper) -> Sequence[Message]:
        self.last_price[snapshot.symbol] = snapshot.last_price
        return ()

    # -- matching ------------------------------------------------------------------------------
    def match_bar(self, cmd: MatchBar, st: Stamper) -> Sequence[Message]:
        bar = cmd.bar
        symbol = bar.symbol
        eng = self._engines.get(symbol)
        if eng is None:
            return ()
        self.bars_matched += 1
        ts = bar.ts_event
        out: list[Message] = []
        day_orders = self._day_orders.get(symbol, 0) > 0
        if day_orders:
            out.extend(self._begin_session(symbol, eng, ts, cmd, st))
        eng.process_bar(ts, bar.open, bar.high, bar.low, bar.close, bar.volume)
        events = eng.drain_events()
        if events:
            out.extend(self._translate(events, cmd, st))
        if day_orders and self._day_orders[symbol] and self._closes_session(symbol, ts):
            # every DAY order left has met this session (it was matched just now)
            eng.session_end(ts)
            out.extend(self._translate(eng.drain_events(), cmd, st))
        return out

    def _begin_session(
        self, symbol: str, eng: BarMatchingEngine, ts: int, cause: Message, st: Stamper
    ) -> list[Message]:
        """Before ``symbol``'s bar at ``ts``: expire the DAY orders of an earlier session (one
        whose end the venue could not see coming), and put the DAY orders meeting their first
        bar into this session. The engine's ``session_end`` would also expire the orders
        accepted since the last bar, which have no session yet: each stale one is cancelled."""
        day = self._sessions.day(ts)
        out: list[Message] = []
        for n, o in list(self._by_symbol[symbol].items()):
            if o.order.time_in_force is not TimeInForce.DAY:
                continue
            if o.session is None:
                o.session = day
            elif o.session < day:
                eng.cancel(n, ts)
                eng.drain_events()
                out.append(self._expired(n, o, cause, st))
        return out

    def _closes_session(self, symbol: str, ts: int) -> bool:
        """True when the bar of ``symbol`` at ``ts`` is the last of its session."""
        if self._sessions.daily:
            return True
        times = self._bar_times.get(symbol)
        if times is None:
            return False
        j = int(np.searchsorted(times, ts, side="right"))
        return j < times.shape[0] and int(times[j]) >= self._sessions.end(ts)

    def _translate(self, events: list[Any], cause: Message, st: Stamper) -> list[Message]:
        out: list[Message] = []
        for ev in events:
            kind = ev.kind
            n = ev.order_id
            o = self._by_int.get(n)
            if o is None:
                continue
            if kind == EventKind.FILLED or kind == EventKind.PARTIALLY_FILLED:
                out.append(self._fill(n, o, ev.price, ev.size, ev.ts, cause, st))
            elif kind == EventKind.CANCELED:
                out.append(self._canceled(n, o, cause, st, ev.reason or "canceled by the venue"))
            elif kind == EventKind.EXPIRED:
                out.append(self._expired(n, o, cause, st))
            elif kind == EventKind.TRIGGERED:
                o.triggered = True
        return out

    def _fill(
        self,
        n: int,
        o: _Order,
        price: float,
        qty: float,
        ts: int,
        cause: Message,
        st: Stamper,
    ) -> Message:
        cfg = self.config
        fee = price * qty * cfg.fee_bps / 10_000.0
        if o.fills == 0:
            fee += cfg.fee_per_order
        o.fills += 1
        o.remaining -= qty
        self._trade_seq += 1
        order = o.order
        if o.remaining <= 1e-9:
            self._move(o, "fill")
            self._remove(n, o)
            return fill_event(order, st.stamp(cause, ts), price, qty, fee, self._trade_seq)
        self._move(o, "partial_fill")
        return fill_event(order, st.stamp(cause, ts), price, qty, fee, self._trade_seq, o.remaining)

    def _canceled(
        self, n: int, o: _Order, cause: Message, st: Stamper, reason: str
    ) -> OrderCanceled:
        self._move(o, "cancel")
        self._remove(n, o)
        return OrderCanceled(
            **st.stamp(cause),
            client_order_id=o.order.client_order_id,
            strategy_id=o.order.strategy_id,
            symbol=o.order.symbol,
            reason=reason,
        )

    def _expired(self, n: int, o: _Order, cause: Message, st: Stamper) -> OrderExpired:
        self._move(o, "expire")
        self._remove(n, o)
        return OrderExpired(
            **st.stamp(cause),
            client_order_id=o.order.client_order_id,
            strategy_id=o.order.strategy_id,
            symbol=o.order.symbol,
        )

    def liquidate(self, cmd: Liquidate, st: Stamper) -> Sequence[Message]:
        """Cancel every working order, then fill each position's close at its symbol's price
        (no slippage: the close-out is a valuation, not a decision)."""
        out: list[Message] = []
        for n in sorted(self._by_int):
            o = self._by_int[n]
            self._engines[o.order.symbol].cancel(n, cmd.ts_event)
            self._engines[o.order.symbol].drain_events()
            out.append(self._canceled(n, o, cmd, st, "end of backtest"))
        prices = dict(cmd.prices)
        for k, (sid, symbol, qty) in enumerate(cmd.positions, start=1):
            if qty == 0:
                continue
            cid = ClientOrderId(f"{sid}-close-{k}")
            order = SubmitOrder(
                **st.stamp(cmd),
                client_order_id=cid,
                strategy_id=StrategyId(sid),
                symbol=symbol,
                side=Side.SELL if qty > 0 else Side.BUY,
                quantity=abs(qty),
            )
            self._seq += 1
            o = _Order(order, OrderStatus.NEW, abs(qty))
            self._add(self._seq, o)
            self._move(o, "accept")
            out.append(
                OrderAccepted(
                    **st.stamp(cmd),
                    client_order_id=cid,
                    strategy_id=order.strategy_id,
                    symbol=symbol,
                    venue_order_id=VenueOrderId(f"V-{self._seq}"),
                )
            )
            out.append(self._fill(self._seq, o, prices[symbol], abs(qty), cmd.ts_event, cmd, st))
        return out

    def working_orders(self) -> tuple[SubmitOrder, ...]:
        """The working orders with their current terms, in the engines' order (by engine id)."""
        return tuple(o.order for _, o in sorted(self._by_int.items()))


class BarExecutionComponent(ExecutionComponent):
    """The execution component with a :class:`BarVenue`; also handles :class:`MatchBar` and
    :class:`Liquidate` (the backtest driver's commands)."""

    # no MarketSnapshot: a bar venue prices only from the bar in each MatchBar, so snapshots
    # would be one more delivery (one more actor hand-off on the actor host) per bar for nothing
    subscriptions = (SubmitOrder, CancelOrder, ModifyOrder, MatchBar, Liquidate)  # type: ignore[assignment]

    def __init__(
        self,
        name: str,
        clock: Clock,
        venue_factory: Callable[[], VenuePort] | None = None,
        config: BarVenueConfig | None = None,
        bar_times: Mapping[str, npt.NDArray[np.int64]] | None = None,
    ) -> None:
        super().__init__(name, clock, venue_factory or (lambda: BarVenue(config, bar_times)))
        if not isinstance(self.venue, BarVenue):
            raise TypeError("BarExecutionComponent needs a BarVenue")
        self.bar_venue: BarVenue = self.venue

    def on_match_bar(self, cmd: MatchBar) -> Sequence[Message]:
        return self.bar_venue.match_bar(cmd, self)

    def on_liquidate(self, cmd: Liquidate) -> Sequence[Message]:
        return self.bar_venue.liquidate(cmd, self)
