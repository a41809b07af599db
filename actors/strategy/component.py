"""StrategyComponent: snapshots in, stamped signals out, for every RUNNING strategy.

Lifecycle commands (LoadStrategy, StartStrategy...) arrive as messages so they are ordered with
market data on every host; each answers with :class:`StrategyStatusChanged` or, when illegal, an
ERROR :class:`LogEntry` (the component keeps running). A strategy whose ``generate_signals``
raises goes to ERROR alone; the others keep trading.
"""

from __future__ import annotations

from collections.abc import Sequence

from actors.clock import Clock
from actors.component import Component
from actors.errors import ActorRuntimeError
from actors.ids import StrategyId
from actors.lifecycle import StrategyStatus
from actors.messages import (
    LoadStrategy,
    LogLevel,
    MarketSnapshot,
    Message,
    OrderAccepted,
    OrderCanceled,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderPartiallyFilled,
    OrderRejected,
    PauseStrategy,
    ResumeStrategy,
    Signal,
    StartStrategy,
    StopStrategy,
    StrategyStatusChanged,
)
from actors.strategy.runner import StrategyRegistry, StrategyRunner

__all__ = ["StrategyComponent"]

_ORDER_EVENTS = (
    OrderAccepted,
    OrderRejected,
    OrderFilled,
    OrderPartiallyFilled,
    OrderCanceled,
    OrderExpired,
)


class StrategyComponent(Component):
    subscriptions = (
        MarketSnapshot,
        LoadStrategy,
        StartStrategy,
        PauseStrategy,
        ResumeStrategy,
        StopStrategy,
        *_ORDER_EVENTS,
    )

    #: checkpointed only while every loaded strategy declares ``bounded_state``
    checkpoint_every = 10_000

    def __init__(self, name: str, clock: Clock, registry: StrategyRegistry | None = None) -> None:
        super().__init__(name, clock)
        self.runner = StrategyRunner(registry)

    def checkpoint_ready(self) -> bool:
        return all(slot.strategy.bounded_state for slot in self.runner.all())

    def on_market_snapshot(self, snapshot: MarketSnapshot) -> Sequence[Message]:
        out: list[Message] = []
        for slot in self.runner.running():
            try:
                stamped = [
                    self._stamp_signal(sig, snapshot, slot.strategy_id)
                    for sig in slot.strategy.generate_signals(snapshot)
                ]
            except Exception as exc:  # a bad strategy must not stop its neighbours
                out.append(self._fail(snapshot, slot.strategy_id, exc))
                continue
            out.extend(stamped)
        return out

    def _fail(self, cause: Message, sid: StrategyId, exc: Exception) -> StrategyStatusChanged:
        error = f"{type(exc).__name__}: {exc}"
        previous = self.runner.fail_strategy(sid, error)
        return self._changed(cause, sid, previous, error)

    def _stamp_signal(self, sig: Signal, cause: MarketSnapshot, sid: StrategyId) -> Signal:
        if type(sig) is not Signal:
            raise TypeError(f"generate_signals must return Signal values, got {sig!r:.200}")
        return self.stamped_copy(sig, cause, strategy_id=sid)

    def _changed(
        self, cause: Message, sid: StrategyId, previous: StrategyStatus, error: str = ""
    ) -> StrategyStatusChanged:
        return StrategyStatusChanged(
            **self.stamp(cause),
            strategy_id=sid,
            previous=previous.value,
            status=self.runner.status(sid).value,
            error=error,
        )

    def _command(
        self, cmd: StartStrategy | PauseStrategy | ResumeStrategy | StopStrategy, action: str
    ) -> Sequence[Message]:
        op = getattr(self.runner, f"{action}_strategy")
        try:
            previous: StrategyStatus = op(cmd.strategy_id)
        except (ActorRuntimeError, KeyError) as exc:
            return (
                self.log(
                    LogLevel.ERROR,
                    f"{action}_strategy refused: {exc}",
                    cmd,
                    (("strategy_id", cmd.strategy_id),),
                ),
            )
        return (self._changed(cmd, cmd.strategy_id, previous),)

    def on_load_strategy(self, cmd: LoadStrategy) -> Sequence[Message]:
        try:
            sid = self.runner.load_strategy(cmd.name, dict(cmd.params), cmd.strategy_id or None)
        except (ActorRuntimeError, KeyError, TypeError, ValueError) as exc:
            return (
                self.log(
                    LogLevel.ERROR, f"load_strategy refused: {exc}", cmd, (("name", cmd.name),)
                ),
            )
        return (self._changed(cmd, sid, StrategyStatus.STOPPED),)

    def on_start_strategy(self, cmd: StartStrategy) -> Sequence[Message]:
        return self._command(cmd, "start")

    def on_pause_strategy(self, cmd: PauseStrategy) -> Sequence[Message]:
        return self._command(cmd, "pause")

    def on_resume_strategy(self, cmd: ResumeStrategy) -> Sequence[Message]:
        return self._command(cmd, "resume")

    def on_stop_strategy(self, cmd: StopStrategy) -> Sequence[Message]:
        return self._command(cmd, "stop")

    def _order_event(self, event: OrderEvent) -> Sequence[Message]:
        try:
            slot = self.runner.slot(event.strategy_id)
        except KeyError:
            return ()
        if slot.status is not StrategyStatus.RUNNING and slot.status is not StrategyStatus.PAUSED:
            return ()
        try:
            slot.strategy.on_order_event(event)
        except Exception as exc:
            return (self._fail(event, event.strategy_id, exc),)
        return ()

    on_order_accepted = _order_event
    on_order_rejected = _order_event
    on_order_filled = _order_event
    on_order_partially_filled = _order_event
    on_order_canceled = _order_event
    on_order_expired = _order_event
