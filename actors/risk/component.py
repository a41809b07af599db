"""RiskComponent: turns signals into orders or rejections, and owns the circuit breaker.

Pre-trade checks, in order: circuit breaker, quantity, max order quantity, max position (last
published portfolio position plus this order), max notional (order price, else last price).
Accepted signals become :class:`SubmitOrder` with client order id ``<strategy id>-<n>``.

The breaker holds a set of halt reasons; trading resumes when the set is empty. Reasons come from
:class:`HaltTrading` (manual), a drawdown beyond ``max_drawdown`` (until ``ResumeTrading``
"drawdown"), and the failure of a component in ``halt_on_failure_of`` (until it restarts).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from actors.clock import Clock
from actors.component import Component
from actors.ids import ClientOrderId, StrategyId, client_order_id
from actors.messages import (
    ComponentFailed,
    ComponentStarted,
    HaltTrading,
    MarketSnapshot,
    Message,
    OrderRejected,
    PortfolioState,
    RejectReason,
    ResumeTrading,
    RiskAssessment,
    Side,
    Signal,
    SignalAction,
    SubmitOrder,
)

__all__ = ["RiskComponent", "RiskLimits"]


@dataclass(frozen=True, slots=True)
class RiskLimits:
    """Limits; ``None`` disables a check. ``max_drawdown`` is a fraction of peak equity."""

    max_order_quantity: float | None = None
    max_position: float | None = None
    max_notional: float | None = None
    max_drawdown: float | None = None
    halt_on_failure_of: tuple[str, ...] = ("data", "execution")


class RiskComponent(Component):
    subscriptions = (
        Signal,
        MarketSnapshot,
        PortfolioState,
        ComponentFailed,
        ComponentStarted,
        HaltTrading,
        ResumeTrading,
    )

    def __init__(self, name: str, clock: Clock, limits: RiskLimits | None = None) -> None:
        super().__init__(name, clock)
        self.limits = limits or RiskLimits()
        self._halt_reasons: dict[str, None] = {}  # insertion-ordered set
        self._order_seq: dict[StrategyId, int] = {}
        self._positions: dict[str, float] = {}
        self._last_price: dict[str, float] = {}
        self._equity = 0.0
        self._peak = 0.0
        self.signals_checked = 0
        self.signals_rejected = 0

    @property
    def halted(self) -> bool:
        return bool(self._halt_reasons)

    @property
    def halt_reasons(self) -> tuple[str, ...]:
        return tuple(self._halt_reasons)

    def assessment(self, cause: Message | None = None) -> RiskAssessment:
        drawdown = 0.0 if self._peak <= 0 else max(0.0, 1.0 - self._equity / self._peak)
        return RiskAssessment(
            **self.stamp(cause),
            equity=self._equity,
            peak_equity=self._peak,
            drawdown=drawdown,
            halted=self.halted,
            halt_reasons=self.halt_reasons,
            signals_checked=self.signals_checked,
            signals_rejected=self.signals_rejected,
        )

    # -- circuit breaker ------------------------------------------------------------------
    def _halt(self, reason: str, cause: Message) -> Sequence[Message]:
        if reason in self._halt_reasons:
            return ()
        self._halt_reasons[reason] = None
        return (self.assessment(cause),)

    def _resume(self, reason: str, cause: Message) -> Sequence[Message]:
        if reason not in self._halt_reasons:
            return ()
        del self._halt_reasons[reason]
        return (self.assessment(cause),)

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
    def on_market_snapshot(self, snapshot: MarketSnapshot) -> None:
        self._last_price[snapshot.symbol] = snapshot.last_price

    def on_portfolio_state(self, state: PortfolioState) -> Sequence[Message]:
        self._positions = {p.symbol: p.quantity for p in state.positions}
        self._equity = state.equity
        self._peak = max(self._peak, state.equity)
        limit = self.limits.max_drawdown
        if limit is not None and self._peak > 0 and 1.0 - state.equity / self._peak >= limit:
            return self._halt("drawdown", state)
        return ()

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

    def on_signal(self, sig: Signal) -> Sequence[Message]:
        if sig.action is SignalAction.HOLD:
            return ()
        self.signals_checked += 1
        if self._halt_reasons:
            return self._reject(
                sig, RejectReason.CIRCUIT_BREAKER, "halted: " + ",".join(self._halt_reasons)
            )
        position = self._positions.get(sig.symbol, 0.0)
        if sig.target_position is not None:
            delta = sig.target_position - position
            if delta == 0:
                return ()
            side, qty = (Side.BUY, delta) if delta > 0 else (Side.SELL, -delta)
        else:
            side = Side.BUY if sig.action is SignalAction.BUY else Side.SELL
            qty = sig.quantity if sig.quantity is not None else 0.0
        if qty <= 0:
            return self._reject(sig, RejectReason.INVALID_QUANTITY, f"quantity {qty}")
        lim = self.limits
        if lim.max_order_quantity is not None and qty > lim.max_order_quantity:
            return self._reject(
                sig, RejectReason.MAX_ORDER_QUANTITY, f"{qty} > {lim.max_order_quantity}"
            )
        after = position + qty if side is Side.BUY else position - qty
        if lim.max_position is not None and abs(after) > lim.max_position:
            return self._reject(sig, RejectReason.MAX_POSITION, f"|{after}| > {lim.max_position}")
        if lim.max_notional is not None:
            price = sig.price or self._last_price.get(sig.symbol)
            if price is None:
                return self._reject(sig, RejectReason.NO_PRICE, "no price to value the order")
            if qty * price > lim.max_notional:
                return self._reject(
                    sig, RejectReason.MAX_NOTIONAL, f"{qty * price} > {lim.max_notional}"
                )
        return (
            SubmitOrder(
                **self.stamp(sig),
                client_order_id=self._next_order_id(sig.strategy_id),
                strategy_id=sig.strategy_id,
                symbol=sig.symbol,
                side=side,
                quantity=qty,
                order_type=sig.order_type,
                price=sig.price,
                trigger_price=sig.trigger_price,
                time_in_force=sig.time_in_force,
            ),
        )
