"""RiskComponent: turns signals into sized orders or rejections, fires stops, owns the breaker.

A signal goes through, in order (the first failure becomes an :class:`OrderRejected` carrying
its code; HOLD signals are ignored):

1. the circuit breaker (``CIRCUIT_BREAKER``);
2. sizing: ``quantity`` is taken as given. ``target_weight`` (intent) is sized by the position
   sizer (``weight * calculate_qty(...)``, rounded down to the size increment) and ordered as
   the difference from the *strategy's own effective position*: the fills of its orders (risk
   books every fill by strategy id) plus its working orders. So an order still in flight (with
   the default next-bar fills, a signal of bar t+1 is handled before the fill of the order sent
   on bar t) is neither doubled nor forgotten, and two strategies on one symbol each reach
   their own target. A stop exit that fills flattens every strategy's book in that symbol.
   ``target_position`` (units) keeps its original contract: the difference from the last
   published portfolio position (net of all strategies). No difference, no order. A nonzero
   weight the sizer cannot size is rejected with ``ZERO_SIZE`` and the sizer's reason, a weight
   without a price (the signal's, else the last snapshot's) with ``NO_PRICE``;
3. order limits of :class:`RiskManager` (``INVALID_QUANTITY``, ``MAX_ORDER_QUANTITY``,
   ``MAX_POSITION``, ``MAX_NOTIONAL`` / ``NO_PRICE``); positions here and in 4 are net of all
   strategies and include working orders;
4. pre-trade validation by :class:`OrderValidator` (``RATE_LIMIT_GLOBAL``,
   ``RATE_LIMIT_SYMBOL``, ``INSUFFICIENT_CAPITAL``, ``POSITION_SIZE_LIMIT``,
   ``POSITION_VALUE_LIMIT``, ``TOTAL_EXPOSURE_LIMIT``), with the signal's ``ts_event`` as the
   time of the rate windows and free cash = cash minus what working buy orders will spend.

Accepted signals become :class:`SubmitOrder` with client order id ``<strategy id>-<n>``.

On every snapshot the sizer observes the data (ATR) and the manager checks the stops; a stop
that fires becomes a MARKET :class:`SubmitOrder` closing the position, with strategy id
``risk``, sent even while halted. Portfolio states feed the manager's post-trade assessment
(drawdown, daily loss); a :class:`RiskAssessment` is published whenever the halt reasons change.
The breaker's reasons and how each resumes are in :mod:`actors.risk.manager`; a component in
``halt_on_failure_of`` failing adds ``component:<name>`` until it restarts.

Configuration (``RiskComponent(name, clock, limits, sizer=..., validation=..., ...)``; each also
a plain mapping from YAML): ``limits`` -> :class:`RiskLimits`, ``sizer`` -> a
:class:`PositionSizer` or ``{"method": ..., ...}`` (default 10% of equity, whole units),
``validation`` -> :class:`ValidationLimits`, ``initial_equity`` -> the equity assumed until the
first portfolio state arrives (default 0: nothing can be sized by equity before it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from actors.clock import Clock
from actors.component import Component
from actors.ids import ClientOrderId, StrategyId, client_order_id
from actors.messages import (
    ComponentFailed,
    ComponentStarted,
    HaltTrading,
    MarketSnapshot,
    Message,
    OrderCanceled,
    OrderExpired,
    OrderFilled,
    OrderModified,
    OrderPartiallyFilled,
    OrderRejected,
    OrderType,
    PortfolioState,
    RejectReason,
    ResumeTrading,
    RiskAssessment,
    Side,
    Signal,
    SignalAction,
    SubmitOrder,
    restamp,
)
from actors.risk.manager import RiskLimits, RiskManager, StopExit
from actors.risk.sizing import PositionSizer, sizer_from_config
from actors.risk.validation import OrderValidator, ValidationLimits
from actors.risk.working import Working, WorkingOrders

__all__ = ["RISK_STRATEGY_ID", "RiskComponent", "RiskLimits"]

#: Strategy id of the orders risk sends itself (stop exits).
RISK_STRATEGY_ID = StrategyId("risk")

# enum members bound once for the signal path (EnumType's attribute hook costs ~70 ns a lookup)
_HOLD, _BUY_SIGNAL = SignalAction.HOLD, SignalAction.BUY
_BUY, _SELL = Side.BUY, Side.SELL
_LIMIT = OrderType.LIMIT


class RiskComponent(Component):
    #: state: per-symbol prices, stops and books, working orders -- small and bounded
    checkpoint_every = 10_000
    subscriptions = (
        Signal,
        MarketSnapshot,
        PortfolioState,
        ComponentFailed,
        ComponentStarted,
        HaltTrading,
        ResumeTrading,
        OrderFilled,
        OrderPartiallyFilled,
        OrderModified,
        OrderRejected,
        OrderCanceled,
        OrderExpired,
    )

    def __init__(
        self,
        name: str,
        clock: Clock,
        limits: RiskLimits | Mapping[str, Any] | None = None,
        *,
        sizer: PositionSizer | Mapping[str, Any] | None = None,
        validation: ValidationLimits | Mapping[str, Any] | None = None,
        initial_equity: float = 0.0,
    ) -> None:
        super().__init__(name, clock)
        self.manager = RiskManager(limits)
        self.limits = self.manager.limits
        self.sizer = sizer_from_config(sizer)
        self.validator = OrderValidator(validation)
        self._order_seq: dict[StrategyId, int] = {}
        self._portfolio = PortfolioState(
            cash=initial_equity,
            equity=initial_equity,
            realized_pnl=0.0,
            unrealized_pnl=0.0,
            fees=0.0,
        )
        self._positions: dict[str, float] = {}
        self._last_price: dict[str, float] = {}
        # working orders: client order id -> (symbol, signed remaining quantity, reference price)
        self._working = WorkingOrders()
        self._books: dict[tuple[StrategyId, str], float] = {}  # per-strategy filled position
        self._stop_orders: dict[ClientOrderId, str] = {}
        self.signals_checked = 0
        self.signals_rejected = 0

    # -- state for reports ---------------------------------------------------------------------
    @property
    def halted(self) -> bool:
        return self.manager.halted

    @property
    def halt_reasons(self) -> tuple[str, ...]:
        return self.manager.halt_reasons

    def assessment(self, cause: Message | None = None) -> RiskAssessment:
        a = self.manager.assessment(self.signals_checked, self.signals_rejected)
        return restamp(a, **self.stamp(cause))

    def metrics(self) -> dict[str, Any]:
        """Current risk metrics (JSON-able), with the signal counters."""
        return {
            **self.manager.metrics(),
            "signals_checked": self.signals_checked,
            "signals_rejected": self.signals_rejected,
        }

    def working_order(self, client_order_id: ClientOrderId) -> Working | None:
        """The order sent and not yet done under ``client_order_id`` (None: unknown or done)."""
        return self._working.get(client_order_id)

    def effective_position(self, symbol: str, strategy_id: StrategyId | None = None) -> float:
        """Position in ``symbol`` counting working orders: of ``strategy_id`` (its fills plus
        its working orders), or the net of all (last published position plus every working
        order) when ``strategy_id`` is None."""
        if strategy_id is None:
            return self._positions.get(symbol, 0.0) + self._working.symbol_total(symbol)
        return self._books.get((strategy_id, symbol), 0.0) + self._working.book_total(
            strategy_id, symbol
        )

    def _marks(self, positions: Mapping[str, float]) -> dict[str, float]:
        """A price for every symbol held or ordered: the last snapshot's, else the portfolio's
        last mark."""
        prices = {s: self._last_price.get(s, 0.0) for s in positions}
        for p in self._portfolio.positions:
            prices.setdefault(p.symbol, p.last_price)
            if prices[p.symbol] == 0.0:
                prices[p.symbol] = p.last_price
        return prices

    def _effective_positions(self) -> dict[str, float]:
        out = dict(self._positions)
        for symbol, working in self._working.by_symbol().items():
            out[symbol] = out.get(symbol, 0.0) + working
        return out

    # -- circuit breaker ------------------------------------------------------------------------
    def _halt(self, reason: str, cause: Message) -> Sequence[Message]:
        return (self.assessment(cause),) if self.manager.halt(reason) else ()

    def _resume(self, reason: str, cause: Message) -> Sequence[Message]:
        return (self.assessment(cause),) if self.manager.resume(reason) else ()

    def on_halt_trading(self, cmd: HaltTrading) -> Sequence[Message]:
        return self._halt(cmd.reason, cmd)

    def on_resume_trading(self, cmd: ResumeTrading) -> Sequence[Message]:
        return self._resume(cmd.reason, cmd)

    def on_component_failed(self, event: ComponentFailed) -> Sequence[Message]:
        if event.component in self.limits.halt_on_failure_of:
            return self._halt(f"component:{event.component}", event)
        return ()

    def on_component_started(self, event: ComponentStarted) -> Sequence[Message]:
        return self._resume(f"component:{event.component}", event)

    # -- state ---------------------------------------------------------------------------------
    def on_market_snapshot(self, snapshot: MarketSnapshot) -> Sequence[Message]:
        self._last_price[snapshot.symbol] = snapshot.last_price
        self.sizer.observe(snapshot)
        stop = self.manager.update_price(snapshot.symbol, snapshot.last_price)
        if stop is None:
            return ()
        return (self._stop_order(stop, snapshot),)

    def _stop_order(self, stop: StopExit, cause: Message) -> SubmitOrder:
        side = Side.BUY if stop.quantity > 0 else Side.SELL
        coid = self._next_order_id(RISK_STRATEGY_ID)
        self._working.put(coid, Working(RISK_STRATEGY_ID, stop.symbol, stop.quantity, stop.price))
        self._stop_orders[coid] = stop.symbol
        return SubmitOrder(
            **self.stamp(cause),
            client_order_id=coid,
            strategy_id=RISK_STRATEGY_ID,
            symbol=stop.symbol,
            side=side,
            quantity=abs(stop.quantity),
        )

    def on_portfolio_state(self, state: PortfolioState) -> Sequence[Message]:
        self._portfolio = state
        self._positions = {p.symbol: p.quantity for p in state.positions}
        before = self.manager.halt_reasons
        self.manager.take_state(state)
        if self.manager.halt_reasons != before:
            return (self.assessment(state),)
        return ()

    # -- working orders -------------------------------------------------------------------------
    def _book_fill(self, fill: OrderFilled | OrderPartiallyFilled) -> None:
        key = (fill.strategy_id, fill.symbol)
        signed = fill.quantity if fill.side is Side.BUY else -fill.quantity
        self._books[key] = self._books.get(key, 0.0) + signed

    def on_order_filled(self, event: OrderFilled) -> None:
        self._book_fill(event)
        self._working.pop(event.client_order_id)
        if self._stop_orders.pop(event.client_order_id, None) is not None:
            # a stop exit closed the symbol's net position: every strategy's book is flat
            for key in [k for k in self._books if k[1] == event.symbol]:
                self._books[key] = 0.0

    def on_order_partially_filled(self, event: OrderPartiallyFilled) -> None:
        self._book_fill(event)
        working = self._working.get(event.client_order_id)
        if working is not None:
            sign = 1.0 if event.side is Side.BUY else -1.0
            self._working.put(
                event.client_order_id,
                working._replace(
                    remaining=sign * event.remaining, filled=working.filled + event.quantity
                ),
            )

    def on_order_modified(self, event: OrderModified) -> None:
        """The venue applied new terms: the working quantity (and the cash a buy reserves)
        follow the new total less what has filled, and a new limit price is the new reference."""
        working = self._working.get(event.client_order_id)
        if working is None:
            return
        sign = 1.0 if working.remaining > 0 else -1.0
        price = event.price if event.price is not None else working.price
        self._working.put(
            event.client_order_id,
            working._replace(remaining=sign * (event.quantity - working.filled), price=price),
        )

    def _order_gone(self, event: OrderRejected | OrderCanceled | OrderExpired) -> None:
        self._working.pop(event.client_order_id)
        symbol = self._stop_orders.pop(event.client_order_id, None)
        if symbol is not None:
            self.manager.exit_failed(symbol)

    on_order_rejected = _order_gone
    on_order_canceled = _order_gone
    on_order_expired = _order_gone

    # -- pre-trade -----------------------------------------------------------------------------
    def _reject(self, sig: Signal, code: RejectReason, text: str) -> Sequence[Message]:
        self.signals_rejected += 1
        return (
            OrderRejected(
                **self.stamp(sig),
                client_order_id=self._next_order_id(sig.strategy_id),
                strategy_id=sig.strategy_id,
                symbol=sig.symbol,
                reason_code=code,
                reason=text,
            ),
        )

    def _next_order_id(self, sid: StrategyId) -> ClientOrderId:
        n = self._order_seq.get(sid, 0) + 1
        self._order_seq[sid] = n
        return client_order_id(sid, n)

    def _free_cash(self) -> float:
        reserved = self._working.reserved()
        fee = self.validator.limits.fee_rate
        return self._portfolio.cash - reserved * (1.0 + fee)

    def on_signal(self, sig: Signal) -> Sequence[Message]:
        if sig.action is _HOLD:
            return ()
        self.signals_checked += 1
        if self.manager.halted:
            return self._reject(
                sig, RejectReason.CIRCUIT_BREAKER, "halted: " + ",".join(self.halt_reasons)
            )
        symbol = sig.symbol
        position = self.effective_position(symbol, sig.strategy_id)
        price = sig.price or self._last_price.get(symbol)
        if sig.target_weight is not None:
            if sig.target_weight == 0.0:
                target = 0.0
            else:
                if price is None:
                    return self._reject(sig, RejectReason.NO_PRICE, "no price to size the order")
                sized = self.sizer.size(sig, self._portfolio, price)
                target = self.sizer.round_quantity(symbol, sig.target_weight * sized.quantity)
                if target == 0.0:
                    why = sized.reason or f"weight {sig.target_weight} rounds to 0 units"
                    return self._reject(sig, RejectReason.ZERO_SIZE, why)
            delta = target - position
        elif sig.target_position is not None:
            delta = sig.target_position - self._positions.get(symbol, 0.0)
        else:
            qty = sig.quantity if sig.quantity is not None else 0.0
            delta = qty if sig.action is _BUY_SIGNAL else -qty
            if qty <= 0:
                return self._reject(sig, RejectReason.INVALID_QUANTITY, f"quantity {qty}")
        if delta == 0:
            return ()
        side, qty = (_BUY, delta) if delta > 0 else (_SELL, -delta)
        prices: dict[str, float] | None = None
        if self.validator.values_other_positions:
            positions = self._effective_positions()
            prices = self._marks(positions)
        else:  # every check reads only this symbol's position: skip the others
            positions = {symbol: self.effective_position(symbol)}
        check = self.manager.check_order(symbol, delta, price, positions)
        if not check.ok:
            assert check.code is not None
            return self._reject(sig, check.code, check.message)
        verdict = self.validator.validate(
            symbol,
            side,
            qty,
            price,
            sig.ts_event,
            positions=positions,
            prices=prices,
            cash=self._free_cash(),
            equity=self._portfolio.equity,
        )
        if not verdict.ok:
            assert verdict.code is not None
            return self._reject(sig, verdict.code, verdict.message)
        self.validator.record(symbol, sig.ts_event)
        coid = self._next_order_id(sig.strategy_id)
        ref = price if price is not None else 0.0
        if sig.order_type is _LIMIT and sig.price is not None:
            ref = sig.price
        self._working.put(coid, Working(sig.strategy_id, symbol, delta, ref))
        return (
            SubmitOrder(
                **self.stamp(sig),
                client_order_id=coid,
                strategy_id=sig.strategy_id,
                symbol=symbol,
                side=side,
                quantity=qty,
                order_type=sig.order_type,
                price=sig.price,
                trigger_price=sig.trigger_price,
                time_in_force=sig.time_in_force,
            ),
        )
