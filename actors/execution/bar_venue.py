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

Market snapshots only update the last price (no matching); :class:`Liquidate` fills the given
positions at a given price (the end-of-backtest close-out), cancelling working orders first.
Order ids: the client order id maps to a venue sequence number (the Rust engine's order id).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from actors.clock import Clock
from actors.execution.component import ExecutionComponent
from actors.execution.orders import ORDER_TRANSITIONS, OrderStatus
from actors.execution.venue import Stamper, VenuePort, reject_unknown_order
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
    OrderFilled,
    OrderPartiallyFilled,
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
    "BarExecutionComponent",
    "BarVenue",
    "BarVenueConfig",
    "Liquidate",
    "MatchBar",
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


_RUST_TYPE = {
    OrderType.MARKET: "market",
    OrderType.LIMIT: "limit",
    OrderType.STOP: "stop",
    OrderType.STOP_LIMIT: "stop_limit",
}
_RUST_TIF = {
    TimeInForce.GTC: "gtc",
    TimeInForce.IOC: "ioc",
    TimeInForce.FOK: "fok",
    TimeInForce.DAY: "day",
}


@dataclass(slots=True)
class _Order:
    order: SubmitOrder
    status: OrderStatus
    remaining: float
    fills: int = 0


class BarVenue:
    """Deterministic bar venue: one Rust engine per symbol, orders worked in submission order."""

    def __init__(self, config: BarVenueConfig | None = None) -> None:
        self.config = cfg = config or BarVenueConfig()
        self._rust_fill_at = "open" if cfg.fill_at == "open" else cfg.fill_at
        self._engines: dict[str, BarMatchingEngine] = {}
        self._by_int: dict[int, _Order] = {}
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
        return any(o.order.symbol == symbol for o in self._by_int.values())

    def _move(self, o: _Order, trigger: str) -> None:
        o.status = ORDER_TRANSITIONS.next(o.status, trigger)
        self.statuses[o.order.client_order_id] = o.status

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
        self._by_int[n] = o
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
        # The Rust bar engine has no modify: a bar backtest cancels and re-submits instead.
        return (
            OrderRejected(
                **st.stamp(cmd),
                client_order_id=cmd.client_order_id,
                strategy_id=cmd.strategy_id,
                symbol=cmd.symbol,
                reason_code=RejectReason.VENUE_REJECTED,
                reason="the bar venue does not modify orders: cancel and submit a new one",
            ),
        )

    def on_market(self, snapshot: MarketSnapshot, st: Stamper) -> Sequence[Message]:
        self.last_price[snapshot.symbol] = snapshot.last_price
        return ()

    # -- matching ------------------------------------------------------------------------------
    def match_bar(self, cmd: MatchBar, st: Stamper) -> Sequence[Message]:
        bar = cmd.bar
        eng = self._engines.get(bar.symbol)
        if eng is None:
            return ()
        self.bars_matched += 1
        eng.process_bar(bar.ts_event, bar.open, bar.high, bar.low, bar.close, bar.volume)
        events = eng.drain_events()
        if not events:
            return ()
        return self._translate(events, cmd, st)

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
                self._move(o, "expire")
                del self._by_int[n]
                out.append(
                    OrderExpired(
                        **st.stamp(cause),
                        client_order_id=o.order.client_order_id,
                        strategy_id=o.order.strategy_id,
                        symbol=o.order.symbol,
                    )
                )
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
        common: dict[str, Any] = {
            "client_order_id": order.client_order_id,
            "strategy_id": order.strategy_id,
            "symbol": order.symbol,
            "side": order.side,
            "price": price,
            "quantity": qty,
            "fee": fee,
            "trade_id": f"T-{self._trade_seq}",
        }
        if o.remaining <= 1e-9:
            self._move(o, "fill")
            del self._by_int[n]
            return OrderFilled(**st.stamp(cause, ts), **common)
        self._move(o, "partial_fill")
        return OrderPartiallyFilled(**st.stamp(cause, ts), **common, remaining=o.remaining)

    def _canceled(
        self, n: int, o: _Order, cause: Message, st: Stamper, reason: str
    ) -> OrderCanceled:
        self._move(o, "cancel")
        del self._by_int[n]
        return OrderCanceled(
            **st.stamp(cause),
            client_order_id=o.order.client_order_id,
            strategy_id=o.order.strategy_id,
            symbol=o.order.symbol,
            reason=reason,
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
            self._by_int[self._seq] = o
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
    ) -> None:
        super().__init__(name, clock, venue_factory or (lambda: BarVenue(config)))
        if not isinstance(self.venue, BarVenue):
            raise TypeError("BarExecutionComponent needs a BarVenue")
        self.bar_venue: BarVenue = self.venue

    def on_match_bar(self, cmd: MatchBar) -> Sequence[Message]:
        return self.bar_venue.match_bar(cmd, self)

    def on_liquidate(self, cmd: Liquidate) -> Sequence[Message]:
        return self.bar_venue.liquidate(cmd, self)
