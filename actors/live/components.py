"""Components the live engine adds to (or specialises in) the standard pipeline.

* :class:`LiveStrategyComponent`: the strategy component plus the two live gates applied to
  every signal before it reaches risk -- skipped while the circuit breaker is active (risk's
  :class:`RiskAssessment` says ``halted``; strategies still see the data so their indicators
  stay warm), and dropped when unchanged from the last signal of the same strategy and symbol
  (dedup). Both drops are counted and logged.
* :class:`LiveExecutionComponent`: the execution component plus :class:`PollVenue`, the command
  the engine sends when the broker pushed order updates (fills on ``trade_updates``) so they
  become order events on the execution thread without waiting for market data, and
  :class:`AdoptOrder`, which hands the venue an order an earlier session left working.
* :class:`LiveRiskComponent`: the risk component plus :class:`AdoptOrder`: an adopted order
  counts in the working-order totals (position limits, exposure, cash reserved by buys, and the
  strategy's effective position, so the strategy does not send it a second time).
* :class:`AuditComponent`: ``audit.csv``, one row per order request (``SubmitOrder``,
  ``CancelOrder``, ``ModifyOrder``) and per response (every order event), flushed row by row so
  a killed process loses nothing already handled. It also keeps the open orders for the health
  file. An :class:`AdoptOrder` is written as its own row (``direction`` ``adopted``) that
  restates the order for the next restart's ledger.
* :class:`LiveLogger`: the JSONL log of every message, as ``events.jsonl``, flushed often.

Like every component, none of them imports pykka or reads the wall clock.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, ClassVar

from actors.clock import Clock
from actors.component import Component
from actors.execution import ExecutionComponent
from actors.ids import ClientOrderId, StrategyId, VenueOrderId
from actors.logger import LoggingComponent
from actors.messages import (
    CancelOrder,
    LogLevel,
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
    RiskAssessment,
    Side,
    Signal,
    SubmitOrder,
    TimeInForce,
    encode_line,
)
from actors.risk import RiskComponent
from actors.risk.component import RISK_STRATEGY_ID
from actors.risk.working import Working
from actors.strategy import StrategyComponent, StrategyRegistry

__all__ = [
    "AUDIT_COLUMNS",
    "AdoptOrder",
    "AuditComponent",
    "LiveExecutionComponent",
    "LiveLogger",
    "LiveRiskComponent",
    "LiveStrategyComponent",
    "PollVenue",
    "SetWarmup",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class PollVenue(Message):
    """Command to execution: turn the venue's queued updates into order events now; with
    ``refresh``, also ask the venue (REST) for fills of working orders the stream missed."""

    refresh: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class SetWarmup(Message):
    """Command to the live strategy component: while ``active``, strategies see the data (their
    indicators warm up) but their signals are discarded (history must not trade)."""

    active: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class AdoptOrder(Message):
    """Command to execution, risk and the audit trail: take over an order an earlier session
    left working at the broker (start-up reconciliation, :mod:`actors.live.reconcile`).

    ``client_order_id`` is the broker's client order id itself (``<prefix>s<k>-<strategy>-<n>``),
    so it never collides with this session's ``<strategy>-<n>``; ``venue_order_id`` is the
    broker's order id, which maps its trade updates. ``filled_quantity`` / ``filled_notional``
    is what the broker had filled at adoption: the positions adopted with it already hold that
    part, so only fills beyond it are booked. ``ts_event`` is the adoption time: later fills of
    the order are stamped no earlier (the FIFO tracker refuses fills that go back in time).

    An order modified at the broker is a chain: the original, replaced by ``<id>.r1``, by
    ``<id>.r2``... Only the last one works. ``quantity`` and ``filled_*`` are then the chain's
    (the original's terms as modified); ``replaced_filled_*`` is the part the replaced orders
    filled, since the working order's own fill counts start from zero.
    """

    client_order_id: ClientOrderId
    strategy_id: StrategyId
    symbol: str
    side: Side
    order_type: OrderType
    time_in_force: TimeInForce
    quantity: float
    filled_quantity: float = 0.0
    filled_notional: float = 0.0
    replaced_filled_quantity: float = 0.0
    replaced_filled_notional: float = 0.0
    price: float | None = None
    trigger_price: float | None = None
    venue_order_id: VenueOrderId

    @property
    def remaining(self) -> float:
        return max(self.quantity - self.filled_quantity, 0.0)

    def as_submit(self) -> SubmitOrder:
        """The order as if this session had sent it (what execution and the venue track)."""
        return SubmitOrder(
            message_id=self.message_id,
            ts_event=self.ts_event,
            ts_init=self.ts_init,
            source=self.source,
            correlation_id=self.correlation_id,
            causation_id=self.causation_id,
            client_order_id=self.client_order_id,
            strategy_id=self.strategy_id,
            symbol=self.symbol,
            side=self.side,
            quantity=self.quantity,
            order_type=self.order_type,
            price=self.price,
            trigger_price=self.trigger_price,
            time_in_force=self.time_in_force,
        )


class LiveExecutionComponent(ExecutionComponent):
    subscriptions: ClassVar[tuple[type[Message], ...]] = (  # type: ignore[assignment]
        *ExecutionComponent.subscriptions,
        PollVenue,
        AdoptOrder,
    )
    #: the venue is the engine's broker connection, shared with every restarted instance
    checkpoint_exclude = ExecutionComponent.checkpoint_exclude | {"venue"}

    def on_poll_venue(self, cmd: PollVenue) -> Sequence[Message]:
        request_refresh = getattr(self.venue, "request_refresh", None)
        if cmd.refresh and callable(request_refresh):
            request_refresh()  # done by the drain, once even if a reconnect asked for it too
        drain = getattr(self.venue, "drain", None)
        return list(drain(self)) if callable(drain) else []

    def on_adopt_order(self, cmd: AdoptOrder) -> Sequence[Message]:
        adopt = getattr(self.venue, "adopt", None)
        if not callable(adopt):
            details = (("client_order_id", str(cmd.client_order_id)),)
            return (self.log(LogLevel.WARNING, "venue cannot adopt orders: ignored", cmd, details),)
        adopt(
            cmd.as_submit(),
            str(cmd.venue_order_id),
            cmd.filled_quantity,
            cmd.filled_notional,
            replaced_filled=cmd.replaced_filled_quantity,
            replaced_notional=cmd.replaced_filled_notional,
        )
        return ()


class LiveRiskComponent(RiskComponent):
    """Risk with adopted orders in its working totals (see the module docstring)."""

    subscriptions: ClassVar[tuple[type[Message], ...]] = (  # type: ignore[assignment]
        *RiskComponent.subscriptions,
        AdoptOrder,
    )

    def on_adopt_order(self, cmd: AdoptOrder) -> None:
        sign = 1.0 if cmd.side is Side.BUY else -1.0
        avg = cmd.filled_notional / cmd.filled_quantity if cmd.filled_quantity > 0 else 0.0
        ref = cmd.price or cmd.trigger_price or self._last_price.get(cmd.symbol) or avg
        self._working.put(
            cmd.client_order_id,
            Working(cmd.strategy_id, cmd.symbol, sign * cmd.remaining, ref, cmd.filled_quantity),
        )
        if cmd.strategy_id == RISK_STRATEGY_ID:
            # an earlier session's stop exit: its fill flattens every book in the symbol
            self._stop_orders[cmd.client_order_id] = cmd.symbol


def _signal_key(sig: Signal) -> tuple[Any, ...]:
    return (
        sig.action,
        sig.quantity,
        sig.target_position,
        sig.target_weight,
        sig.order_type,
        sig.price,
        sig.trigger_price,
        sig.time_in_force,
    )


class LiveStrategyComponent(StrategyComponent):
    subscriptions: ClassVar[tuple[type[Message], ...]] = (  # type: ignore[assignment]
        *StrategyComponent.subscriptions,
        RiskAssessment,
        SetWarmup,
    )

    def __init__(
        self, name: str, clock: Clock, registry: StrategyRegistry | None = None, dedup: bool = True
    ) -> None:
        super().__init__(name, clock, registry)
        self.dedup = dedup
        self.halted = False
        self._last: dict[tuple[str, str], tuple[Any, ...]] = {}
        self.dropped_duplicates = 0
        self.skipped_halted = 0
        self.warming = False
        self.warmup_signals = 0

    def on_set_warmup(self, cmd: SetWarmup) -> None:
        self.warming = cmd.active

    def on_risk_assessment(self, assessment: RiskAssessment) -> None:
        self.halted = assessment.halted

    def on_market_snapshot(self, snapshot: MarketSnapshot) -> Sequence[Message]:
        out: list[Message] = []
        for m in super().on_market_snapshot(snapshot):
            if type(m) is not Signal:
                out.append(m)
                continue
            assert isinstance(m, Signal)
            if self.warming:
                self.warmup_signals += 1
                continue
            if self.halted:
                self.skipped_halted += 1
                out.append(self._note(m, "signal skipped: circuit breaker active"))
                continue
            key = (m.strategy_id, m.symbol)
            sig_key = _signal_key(m)
            if self.dedup and self._last.get(key) == sig_key:
                self.dropped_duplicates += 1
                out.append(self._note(m, "signal dropped: unchanged from the last"))
                continue
            self._last[key] = sig_key
            out.append(m)
        return out

    def _note(self, sig: Signal, text: str) -> Message:
        return self.log(
            LogLevel.INFO,
            text,
            sig,
            (("strategy_id", sig.strategy_id), ("symbol", sig.symbol), ("action", sig.action)),
        )


AUDIT_COLUMNS = (
    "ts_event",
    "ts_init",
    "direction",
    "type",
    "client_order_id",
    "broker_client_order_id",
    "strategy_id",
    "symbol",
    "side",
    "order_type",
    "quantity",
    "price",
    "trigger_price",
    "time_in_force",
    "venue_order_id",
    "fill_price",
    "fill_quantity",
    "remaining",
    "trade_id",
    "reason_code",
    "reason",
    "message_id",
    "correlation_id",
)

_REQUESTS = (SubmitOrder, CancelOrder, ModifyOrder, AdoptOrder)
_RESPONSES = (
    OrderAccepted,
    OrderRejected,
    OrderFilled,
    OrderPartiallyFilled,
    OrderCanceled,
    OrderExpired,
    OrderModified,
)


def _fmt(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return repr(v)
    return str(v)


def _order_terms(order: SubmitOrder | AdoptOrder) -> dict[str, str]:
    """An order's terms as audit columns (a submitted and an adopted order alike)."""
    return {
        "side": order.side.value,
        "order_type": order.order_type.value,
        "quantity": _fmt(order.quantity),
        "price": _fmt(order.price),
        "trigger_price": _fmt(order.trigger_price),
        "time_in_force": order.time_in_force.value,
    }


class AuditComponent(Component):
    """Writes ``audit.csv`` (see the module docstring); ``broker_prefix`` maps our client order
    id to the broker's (``prefix + id``)."""

    subscriptions = (*_REQUESTS, *_RESPONSES)
    journal_types = ()

    def __init__(
        self, name: str, clock: Clock, path: str | Path | None = None, broker_prefix: str = ""
    ) -> None:
        super().__init__(name, clock)
        self.path = Path(path) if path is not None else None
        self.broker_prefix = broker_prefix
        self.rows: list[dict[str, str]] = []
        self.open_orders: dict[str, dict[str, Any]] = {}
        self.fills = 0
        self._broker_cids: dict[str, str] = {}  # adopted orders: our id is the broker's
        self._file: IO[str] | None = None
        self._writer: Any = None

    def _open(self) -> None:
        """Open (appending: a restarted session continues the file) and write the header once."""
        if self.path is None or self._file is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        new = not self.path.exists() or self.path.stat().st_size == 0
        self._file = open(self.path, "a", newline="", encoding="utf-8")  # noqa: SIM115
        self._writer = csv.DictWriter(self._file, fieldnames=AUDIT_COLUMNS)
        if new:
            self._writer.writeheader()
            self._file.flush()

    def on_start(self) -> Sequence[Message]:
        self._open()
        return ()

    def inherit(self, previous: Component) -> None:
        """After a supervised restart: keep the open file and the open-order view."""
        if isinstance(previous, AuditComponent):
            self.rows, self.open_orders, self.fills, self._broker_cids = (
                previous.rows,
                previous.open_orders,
                previous.fills,
                previous._broker_cids,
            )
            self._file, self._writer = previous._file, previous._writer

    def _write(self, row: dict[str, str]) -> None:
        if self.path is None:
            self.rows.append(row)
            return
        self._open()
        assert self._file is not None
        self._writer.writerow(row)
        self._file.flush()

    def handle(self, message: object) -> Sequence[Message]:
        if not isinstance(message, _REQUESTS + _RESPONSES):
            return super().handle(message)
        m: Any = message
        cid = str(m.client_order_id)
        if isinstance(message, AdoptOrder):
            self._broker_cids[cid] = cid
        row = {c: "" for c in AUDIT_COLUMNS}
        row.update(
            ts_event=str(m.ts_event),
            ts_init=str(m.ts_init),
            direction="request" if isinstance(message, _REQUESTS) else "response",
            type=type(message).__name__,
            client_order_id=cid,
            broker_client_order_id=self._broker_cids.get(cid) or self.broker_prefix + cid,
            strategy_id=str(m.strategy_id),
            symbol=m.symbol,
            message_id=str(m.message_id),
            correlation_id=str(m.correlation_id),
        )
        if isinstance(message, SubmitOrder):
            row.update(_order_terms(message))
            self.open_orders[cid] = {
                "client_order_id": cid,
                "symbol": message.symbol,
                "side": message.side.value,
                "quantity": message.quantity,
                "remaining": message.quantity,
                "status": "NEW",
            }
        elif isinstance(message, AdoptOrder):
            # restates the order for the next restart's ledger: filled = quantity - remaining
            row.update(
                _order_terms(message),
                direction="adopted",
                venue_order_id=str(message.venue_order_id),
                remaining=_fmt(message.remaining),
            )
            self.open_orders[cid] = {
                "client_order_id": cid,
                "symbol": message.symbol,
                "side": message.side.value,
                "quantity": message.quantity,
                "remaining": message.remaining,
                "status": "PARTIALLY_FILLED" if message.filled_quantity > 0 else "ACKED",
                "adopted": True,
            }
        elif isinstance(message, ModifyOrder):
            row.update(
                quantity=_fmt(message.quantity),
                price=_fmt(message.price),
                trigger_price=_fmt(message.trigger_price),
            )
        elif isinstance(message, OrderAccepted):
            row["venue_order_id"] = str(message.venue_order_id)
            if cid in self.open_orders:
                self.open_orders[cid]["status"] = "ACKED"
        elif isinstance(message, OrderFilled | OrderPartiallyFilled):
            self.fills += 1
            row.update(
                side=message.side.value,
                fill_price=_fmt(message.price),
                fill_quantity=_fmt(message.quantity),
                trade_id=message.trade_id,
            )
            if isinstance(message, OrderPartiallyFilled):
                row["remaining"] = _fmt(message.remaining)
                if cid in self.open_orders:
                    self.open_orders[cid].update(
                        remaining=message.remaining, status="PARTIALLY_FILLED"
                    )
            else:
                row["remaining"] = "0"
                self.open_orders.pop(cid, None)
        elif isinstance(message, OrderRejected):
            row.update(reason_code=message.reason_code.value, reason=message.reason)
            self.open_orders.pop(cid, None)
        elif isinstance(message, OrderCanceled):
            row["reason"] = message.reason
            self.open_orders.pop(cid, None)
        elif isinstance(message, OrderExpired):
            self.open_orders.pop(cid, None)
        elif isinstance(message, OrderModified):
            row.update(
                quantity=_fmt(message.quantity),
                price=_fmt(message.price),
                trigger_price=_fmt(message.trigger_price),
            )
        self._write(row)
        return ()

    def open_orders_list(self) -> list[dict[str, Any]]:
        return [dict(v) for _, v in sorted(self.open_orders.items())]

    def on_stop(self) -> Sequence[Message]:
        if self._file is not None:
            self._file.flush()
            self._file.close()
            self._file = None
        return ()


class LiveLogger(LoggingComponent):
    """The JSONL log of every message in ``<run_dir>/events.jsonl`` (flushed at least every
    ``flush_interval_ns`` of the clock and at every :meth:`flush`)."""

    def __init__(
        self,
        name: str,
        clock: Clock,
        run_dir: str | Path | None = None,
        flush_every: int = 64,
        flush_interval_ns: int = 200_000_000,
    ) -> None:
        super().__init__(name, clock, run_dir, flush_every, flush_interval_ns)

    @property
    def path(self) -> Path | None:
        return None if self.run_dir is None else self.run_dir / "events.jsonl"

    def flush(self) -> None:
        self._last_flush_ns = self.clock.now_ns()
        if not self._buffer:
            return
        if self.run_dir is None:
            self.lines.extend([encode_line(m) for m in self._buffer])
        else:
            if self._file is None:
                self.run_dir.mkdir(parents=True, exist_ok=True)
                self._file = open(self.run_dir / "events.jsonl", "ab", buffering=1 << 16)  # noqa: SIM115
            write = self._file.write
            for m in self._buffer:
                write(encode_line(m))
            self._file.flush()
        self._buffer.clear()
