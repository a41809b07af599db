"""Venue port and the default simulated venue.

:class:`VenuePort` is what the execution component talks to; a real broker adapter implements the
same four methods. :class:`SimulatedVenue` is a small, documented fill model:

* ``FillModel.NEXT_BAR`` (default, conservative): an order never fills on the data that caused
  it. On the next bar of its symbol: MARKET fills at the open; LIMIT buy fills at the open if
  open <= limit, else at the limit if low <= limit (sells mirrored); STOP buy triggers at the open
  if open >= stop, else at the stop if high >= stop, and fills there; STOP_LIMIT triggers like
  STOP then rests as LIMIT (filling at once if the trigger price satisfies the limit). On a newer
  quote, MARKET orders fill at the ask (buy) / bid (sell), marketable LIMITs at their limit.
* ``FillModel.IMMEDIATE``: MARKET orders fill on submission at the order's price, else the last
  price seen; used for live-like latency runs.

``slippage_bps`` moves MARKET and STOP fills against the trader; ``fee_bps`` is charged on
notional; ``max_volume_pct`` caps a bar fill at that share of the bar's volume (the rest stays
working, as GTC; IOC cancels the rest; FOK cancels everything unless fully fillable). DAY orders
expire on the first data of a later session: a later calendar date in New York
(:class:`~actors.execution.sessions.SessionClock`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from actors.execution.orders import ORDER_TRANSITIONS, OrderStatus
from actors.execution.sessions import SessionClock
from actors.ids import ClientOrderId, VenueOrderId
from actors.messages import (
    Bar,
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

__all__ = [
    "FillModel",
    "SimulatedVenue",
    "Stamper",
    "VenueConfig",
    "VenuePort",
    "reject_command",
    "reject_unknown_order",
]


class Stamper(Protocol):
    """Fills in envelopes (the execution component)."""

    def stamp(self, cause: Message | None, ts_event: int | None = None) -> dict[str, Any]: ...


class VenuePort(Protocol):
    """What execution needs from a venue; each call returns the order events it caused."""

    def submit(self, order: SubmitOrder, stamper: Stamper) -> Sequence[Message]: ...

    def cancel(self, cmd: CancelOrder, stamper: Stamper) -> Sequence[Message]: ...

    def modify(self, cmd: ModifyOrder, stamper: Stamper) -> Sequence[Message]: ...

    def on_market(self, snapshot: MarketSnapshot, stamper: Stamper) -> Sequence[Message]: ...


class FillModel(StrEnum):
    NEXT_BAR = "NEXT_BAR"
    IMMEDIATE = "IMMEDIATE"


@dataclass(frozen=True, slots=True)
class VenueConfig:
    fill_model: FillModel = FillModel.NEXT_BAR
    fee_bps: float = 0.0
    slippage_bps: float = 0.0
    max_volume_pct: float | None = None


@dataclass(slots=True)
class _Working:
    order: SubmitOrder
    status: OrderStatus
    remaining: float
    price: float | None
    trigger: float | None
    triggered: bool
    day: int


# enum members bound once for the submit path (EnumType's attribute hook costs ~70 ns a lookup)
_BUY = Side.BUY
_NEW = OrderStatus.NEW
_IMMEDIATE = FillModel.IMMEDIATE
_MARKET = OrderType.MARKET


def fill_event(
    order: SubmitOrder,
    envelope: dict[str, Any],
    price: float,
    qty: float,
    fee: float,
    trade_seq: int,
    remaining: float | None = None,
) -> OrderFilled | OrderPartiallyFilled:
    """The event of one fill of ``order`` (trade id ``T-<trade_seq>``): ``OrderFilled`` when
    nothing remains, else ``OrderPartiallyFilled`` with ``remaining``. Built without a shared
    kwargs dict: it runs for every fill of every simulated venue."""
    if remaining is None:
        return OrderFilled(
            **envelope,
            client_order_id=order.client_order_id,
            strategy_id=order.strategy_id,
            symbol=order.symbol,
            side=order.side,
            price=price,
            quantity=qty,
            fee=fee,
            trade_id=f"T-{trade_seq}",
        )
    return OrderPartiallyFilled(
        **envelope,
        client_order_id=order.client_order_id,
        strategy_id=order.strategy_id,
        symbol=order.symbol,
        side=order.side,
        price=price,
        quantity=qty,
        remaining=remaining,
        fee=fee,
        trade_id=f"T-{trade_seq}",
    )


def reject_command(
    cmd: CancelOrder | ModifyOrder, st: Stamper, code: RejectReason, reason: str
) -> OrderRejected:
    """A venue's refusal of a cancel or modify: the order named by ``cmd`` is unchanged."""
    return OrderRejected(
        **st.stamp(cmd),
        client_order_id=cmd.client_order_id,
        strategy_id=cmd.strategy_id,
        symbol=cmd.symbol,
        reason_code=code,
        reason=reason,
    )


def reject_unknown_order(cmd: CancelOrder | ModifyOrder, st: Stamper) -> OrderRejected:
    """The answer of any simulated venue to a cancel or modify of an order it does not hold."""
    return reject_command(cmd, st, RejectReason.UNKNOWN_ORDER, "no working order with this id")


class SimulatedVenue:
    """Deterministic in-process venue; working orders are matched in submission order."""

    def __init__(self, config: VenueConfig | None = None) -> None:
        self.config = config or VenueConfig()
        self._working: dict[ClientOrderId, _Working] = {}
        self._last_bar_ts: dict[str, int] = {}
        self._last_quote_ts: dict[str, int] = {}
        self._last_price: dict[str, float] = {}
        self._sessions = SessionClock()
        self._venue_seq = 0
        self._trade_seq = 0
        self.statuses: dict[ClientOrderId, OrderStatus] = {}

    # -- helpers ------------------------------------------------------------------------------
    def _move(self, w: _Working, trigger: str) -> None:
        w.status = ORDER_TRANSITIONS.next(w.status, trigger)
        self.statuses[w.order.client_order_id] = w.status

    def _fill(self, w: _Working, price: float, qty: float, cause: Message, st: Stamper) -> Message:
        o = w.order
        fee = price * qty * self.config.fee_bps / 10_000.0
        self._trade_seq += 1
        w.remaining -= qty
        if w.remaining <= 1e-12:
            self._move(w, "fill")
            del self._working[o.client_order_id]
            return fill_event(o, st.stamp(cause), price, qty, fee, self._trade_seq)
        self._move(w, "partial_fill")
        return fill_event(o, st.stamp(cause), price, qty, fee, self._trade_seq, w.remaining)

    def _slip(self, side: Side, price: float) -> float:
        bps = self.config.slippage_bps
        if bps == 0.0:
            return price
        factor = 1.0 + bps / 10_000.0 if side is _BUY else 1.0 - bps / 10_000.0
        return price * factor

    # -- port ----------------------------------------------------------------------------------
    def submit(self, order: SubmitOrder, st: Stamper) -> Sequence[Message]:
        cid = order.client_order_id
        if cid in self.statuses:
            return (
                OrderRejected(
                    **st.stamp(order),
                    client_order_id=cid,
                    strategy_id=order.strategy_id,
                    symbol=order.symbol,
                    reason_code=RejectReason.VENUE_REJECTED,
                    reason="duplicate client order id",
                ),
            )
        w = _Working(
            order=order,
            status=_NEW,
            remaining=order.quantity,
            price=order.price,
            trigger=order.trigger_price,
            triggered=False,
            day=self._sessions.day(order.ts_event),
        )
        self._working[cid] = w
        self._move(w, "accept")
        self._venue_seq += 1
        out: list[Message] = [
            OrderAccepted(
                **st.stamp(order),
                client_order_id=cid,
                strategy_id=order.strategy_id,
                symbol=order.symbol,
                venue_order_id=VenueOrderId(f"V-{self._venue_seq}"),
            )
        ]
        if self.config.fill_model is _IMMEDIATE and order.order_type is _MARKET:
            price = order.price or self._last_price.get(order.symbol)
            if price is not None:
                out.append(self._fill(w, self._slip(order.side, price), w.remaining, order, st))
        return out

    def cancel(self, cmd: CancelOrder, st: Stamper) -> Sequence[Message]:
        w = self._working.pop(cmd.client_order_id, None)
        if w is None:
            return (reject_unknown_order(cmd, st),)
        self._move(w, "cancel")
        return (
            OrderCanceled(
                **st.stamp(cmd),
                client_order_id=cmd.client_order_id,
                strategy_id=cmd.strategy_id,
                symbol=cmd.symbol,
                reason="canceled by request",
            ),
        )

    def modify(self, cmd: ModifyOrder, st: Stamper) -> Sequence[Message]:
        w = self._working.get(cmd.client_order_id)
        if w is None:
            return (reject_unknown_order(cmd, st),)
        filled = w.order.quantity - w.remaining
        if cmd.quantity is not None:
            if cmd.quantity <= filled:
                return (
                    OrderRejected(
                        **st.stamp(cmd),
                        client_order_id=cmd.client_order_id,
                        strategy_id=cmd.strategy_id,
                        symbol=cmd.symbol,
                        reason_code=RejectReason.INVALID_QUANTITY,
                        reason=f"new quantity {cmd.quantity} <= filled {filled}",
                    ),
                )
            w.remaining = cmd.quantity - filled
        if cmd.price is not None:
            w.price = cmd.price
        if cmd.trigger_price is not None:
            w.trigger = cmd.trigger_price
        self._move(w, "modify")
        return (
            OrderModified(
                **st.stamp(cmd),
                client_order_id=cmd.client_order_id,
                strategy_id=cmd.strategy_id,
                symbol=cmd.symbol,
                quantity=filled + w.remaining,
                price=w.price,
                trigger_price=w.trigger,
            ),
        )

    def on_market(self, snapshot: MarketSnapshot, st: Stamper) -> Sequence[Message]:
        sym = snapshot.symbol
        self._last_price[sym] = snapshot.last_price
        out: list[Message] = []
        day = self._sessions.day(snapshot.ts_event)
        for cid, w in list(self._working.items()):
            o = w.order
            if o.symbol != sym:
                continue
            if o.time_in_force is TimeInForce.DAY and day > w.day:
                self._move(w, "expire")
                del self._working[cid]
                out.append(
                    OrderExpired(
                        **st.stamp(snapshot),
                        client_order_id=cid,
                        strategy_id=o.strategy_id,
                        symbol=sym,
                    )
                )
        bar = snapshot.bar
        if bar is not None and bar.ts_event > self._last_bar_ts.get(sym, -1):
            self._last_bar_ts[sym] = bar.ts_event
            out.extend(self._match_bar(bar, snapshot, st))
        quote = snapshot.quote
        if quote is not None and quote.ts_event > self._last_quote_ts.get(sym, -1):
            self._last_quote_ts[sym] = quote.ts_event
            for w in [w for w in self._working.values() if w.order.symbol == sym]:
                px = self._quote_price(w, quote.bid, quote.ask)
                if px is not None:
                    out.append(self._fill(w, px, w.remaining, snapshot, st))
        return out

    @staticmethod
    def _quote_price(w: _Working, bid: float, ask: float) -> float | None:
        o = w.order
        if o.order_type is OrderType.MARKET:
            return ask if o.side is Side.BUY else bid
        if o.order_type is OrderType.LIMIT and w.price is not None:
            if o.side is Side.BUY and ask <= w.price:
                return w.price
            if o.side is Side.SELL and bid >= w.price:
                return w.price
        return None

    def _bar_price(self, w: _Working, bar: Bar) -> float | None:
        o = w.order
        buy = o.side is Side.BUY
        kind = o.order_type
        if kind in (OrderType.STOP, OrderType.STOP_LIMIT) and not w.triggered:
            stop = w.trigger
            assert stop is not None  # validated by SubmitOrder
            if (buy and bar.open >= stop) or (not buy and bar.open <= stop):
                at = bar.open
            elif (buy and bar.high >= stop) or (not buy and bar.low <= stop):
                at = stop
            else:
                return None
            w.triggered = True
            if kind is OrderType.STOP:
                return self._slip(o.side, at)
            limit = w.price
            assert limit is not None
            return at if (buy and at <= limit) or (not buy and at >= limit) else None
        if kind is OrderType.MARKET or kind is OrderType.STOP:
            return self._slip(o.side, bar.open)
        limit = w.price
        assert limit is not None
        if buy:
            return bar.open if bar.open <= limit else (limit if bar.low <= limit else None)
        return bar.open if bar.open >= limit else (limit if bar.high >= limit else None)

    def _match_bar(self, bar: Bar, cause: MarketSnapshot, st: Stamper) -> Sequence[Message]:
        out: list[Message] = []
        cap_pct = self.config.max_volume_pct
        for cid, w in list(self._working.items()):
            o = w.order
            if o.symbol != bar.symbol:
                continue
            price = self._bar_price(w, bar)
            cap = w.remaining if cap_pct is None else bar.volume * cap_pct
            tif = o.time_in_force
            if price is None or cap <= 0:
                if tif in (TimeInForce.IOC, TimeInForce.FOK):
                    out.append(self._cancel_rest(w, cause, st, "no fill on the next bar"))
                continue
            qty = min(w.remaining, cap)
            if tif is TimeInForce.FOK and qty < w.remaining:
                out.append(self._cancel_rest(w, cause, st, "FOK not fully fillable"))
                continue
            out.append(self._fill(w, price, qty, cause, st))
            if tif is TimeInForce.IOC and cid in self._working:
                out.append(self._cancel_rest(w, cause, st, "IOC remainder"))
        return out

    def _cancel_rest(self, w: _Working, cause: Message, st: Stamper, reason: str) -> OrderCanceled:
        o = w.order
        self._move(w, "cancel")
        del self._working[o.client_order_id]
        return OrderCanceled(
            **st.stamp(cause),
            client_order_id=o.client_order_id,
            strategy_id=o.strategy_id,
            symbol=o.symbol,
            reason=reason,
        )

    def working_orders(self) -> tuple[SubmitOrder, ...]:
        return tuple(w.order for w in self._working.values())
