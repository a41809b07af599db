"""Signals, order commands (imperative) and order events (past tense)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from actors.errors import InvalidMessageError
from actors.ids import ClientOrderId, StrategyId, VenueOrderId
from actors.messages.base import (
    Message,
    OrderType,
    Side,
    SignalAction,
    TimeInForce,
    check_finite,
    check_non_negative,
    check_positive,
    coerce_enum,
)

__all__ = [
    "CancelOrder",
    "Fill",
    "ModifyOrder",
    "OrderAccepted",
    "OrderCanceled",
    "OrderCommand",
    "OrderEvent",
    "OrderExpired",
    "OrderFilled",
    "OrderModified",
    "OrderPartiallyFilled",
    "OrderRejected",
    "RejectReason",
    "Signal",
    "SubmitOrder",
]


class RejectReason(StrEnum):
    """Why risk or the venue refused an order (stable codes for logs and tests).

    The pre-trade validator (:class:`actors.risk.OrderValidator`) answers with the seed codes
    ``RATE_LIMIT_GLOBAL`` ... ``TOTAL_EXPOSURE_LIMIT``; ``ZERO_SIZE`` means the position sizer
    could not size a ``target_weight`` signal (the rejection's ``reason`` says why).
    """

    CIRCUIT_BREAKER = "CIRCUIT_BREAKER"
    INVALID_QUANTITY = "INVALID_QUANTITY"
    MAX_ORDER_QUANTITY = "MAX_ORDER_QUANTITY"
    MAX_POSITION = "MAX_POSITION"
    MAX_NOTIONAL = "MAX_NOTIONAL"
    NO_PRICE = "NO_PRICE"
    UNKNOWN_ORDER = "UNKNOWN_ORDER"
    VENUE_REJECTED = "VENUE_REJECTED"
    RATE_LIMIT_GLOBAL = "RATE_LIMIT_GLOBAL"
    RATE_LIMIT_SYMBOL = "RATE_LIMIT_SYMBOL"
    INSUFFICIENT_CAPITAL = "INSUFFICIENT_CAPITAL"
    POSITION_SIZE_LIMIT = "POSITION_SIZE_LIMIT"
    POSITION_VALUE_LIMIT = "POSITION_VALUE_LIMIT"
    TOTAL_EXPOSURE_LIMIT = "TOTAL_EXPOSURE_LIMIT"
    ZERO_SIZE = "ZERO_SIZE"


# bound once: EnumType's attribute hook costs ~70 ns a lookup, and every order message checks it
_MARKET = OrderType.MARKET


def _check_price_for_type(
    obj: object, order_type: OrderType, price: float | None, trigger: float | None
) -> None:
    if price is not None:
        check_positive(obj, "price", price)
    if trigger is not None:
        check_positive(obj, "trigger_price", trigger)
    if order_type in (OrderType.LIMIT, OrderType.STOP_LIMIT) and price is None:
        raise InvalidMessageError(
            type(obj).__name__, "price", price, f"required for {order_type.value}"
        )
    if order_type in (OrderType.STOP, OrderType.STOP_LIMIT) and trigger is None:
        raise InvalidMessageError(
            type(obj).__name__, "trigger_price", trigger, f"required for {order_type}"
        )


NO_STRATEGY: StrategyId = StrategyId("")


@dataclass(frozen=True, slots=True, kw_only=True)
class Signal(Message):
    """A strategy's wish: BUY/SELL ``quantity``, or reach ``target_position`` (signed units), or
    reach ``target_weight``, or HOLD. Exactly one of the three sizes is given for BUY/SELL.

    ``target_weight`` is pure intent, sized by risk: a signed fraction in [-1, 1] of the
    quantity the position sizer allots to one position in ``symbol`` (+1 fully long, 0 flat,
    -1 fully short). Risk turns it into units (:mod:`actors.risk.sizing`) and orders the
    difference from the current position. ``price`` is the limit price for LIMIT orders and an
    optional reference price otherwise.
    """

    symbol: str
    action: SignalAction
    strategy_id: StrategyId = NO_STRATEGY
    quantity: float | None = None
    target_position: float | None = None
    order_type: OrderType = OrderType.MARKET
    price: float | None = None
    trigger_price: float | None = None
    time_in_force: TimeInForce = TimeInForce.GTC
    reason: str = ""
    confidence: float = 1.0
    target_weight: float | None = None

    def __post_init__(self) -> None:
        Message.__post_init__(self)
        if type(self.action) is not SignalAction:
            coerce_enum(self, "action", SignalAction)
        if type(self.order_type) is not OrderType:
            coerce_enum(self, "order_type", OrderType)
        if type(self.time_in_force) is not TimeInForce:
            coerce_enum(self, "time_in_force", TimeInForce)
        if self.quantity is not None and self.target_position is not None:
            raise InvalidMessageError(
                "Signal", "target_position", self.target_position, "give quantity or target"
            )
        if self.target_weight is not None:
            if self.quantity is not None or self.target_position is not None:
                raise InvalidMessageError(
                    "Signal",
                    "target_weight",
                    self.target_weight,
                    "give one of quantity, target_position, target_weight",
                )
            check_finite(self, "target_weight", self.target_weight)
            if not -1.0 <= self.target_weight <= 1.0:
                raise InvalidMessageError(
                    "Signal", "target_weight", self.target_weight, "must be in [-1, 1]"
                )
        elif self.quantity is not None:
            check_positive(self, "quantity", self.quantity)
        elif self.target_position is not None:
            check_finite(self, "target_position", self.target_position)
        elif self.action is not SignalAction.HOLD:
            raise InvalidMessageError(
                "Signal",
                "quantity",
                None,
                "BUY/SELL needs quantity, target_position or target_weight",
            )
        check_finite(self, "confidence", self.confidence)
        if not 0.0 <= self.confidence <= 1.0:
            raise InvalidMessageError("Signal", "confidence", self.confidence, "must be in [0,1]")
        if self.order_type is not _MARKET or self.price is not None:
            _check_price_for_type(self, self.order_type, self.price, self.trigger_price)
        elif self.trigger_price is not None:
            check_positive(self, "trigger_price", self.trigger_price)


@dataclass(frozen=True, slots=True, kw_only=True)
class SubmitOrder(Message):
    """Command to the execution component: place this order."""

    client_order_id: ClientOrderId
    strategy_id: StrategyId
    symbol: str
    side: Side
    quantity: float
    order_type: OrderType = OrderType.MARKET
    price: float | None = None
    trigger_price: float | None = None
    time_in_force: TimeInForce = TimeInForce.GTC

    def __post_init__(self) -> None:
        Message.__post_init__(self)
        if type(self.side) is not Side:
            coerce_enum(self, "side", Side)
        if type(self.order_type) is not OrderType:
            coerce_enum(self, "order_type", OrderType)
        if type(self.time_in_force) is not TimeInForce:
            coerce_enum(self, "time_in_force", TimeInForce)
        check_positive(self, "quantity", self.quantity)
        if self.order_type is not _MARKET or self.price is not None:
            _check_price_for_type(self, self.order_type, self.price, self.trigger_price)
        elif self.trigger_price is not None:
            check_positive(self, "trigger_price", self.trigger_price)


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelOrder(Message):
    """Command: cancel a working order."""

    client_order_id: ClientOrderId
    strategy_id: StrategyId
    symbol: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ModifyOrder(Message):
    """Command: change quantity and/or price of a working order."""

    client_order_id: ClientOrderId
    strategy_id: StrategyId
    symbol: str
    quantity: float | None = None
    price: float | None = None
    trigger_price: float | None = None

    def __post_init__(self) -> None:
        Message.__post_init__(self)
        if self.quantity is not None:
            check_positive(self, "quantity", self.quantity)
        if self.price is not None:
            check_positive(self, "price", self.price)
        if self.trigger_price is not None:
            check_positive(self, "trigger_price", self.trigger_price)


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderAccepted(Message):
    """The venue acknowledged the order (NEW -> ACKED)."""

    client_order_id: ClientOrderId
    strategy_id: StrategyId
    symbol: str
    venue_order_id: VenueOrderId


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderModified(Message):
    """The venue applied a :class:`ModifyOrder`; fields hold the order's new terms."""

    client_order_id: ClientOrderId
    strategy_id: StrategyId
    symbol: str
    quantity: float
    price: float | None = None
    trigger_price: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderRejected(Message):
    """Risk or the venue refused the order; ``reason_code`` is machine-readable."""

    client_order_id: ClientOrderId
    strategy_id: StrategyId
    symbol: str
    reason_code: RejectReason
    reason: str = ""

    def __post_init__(self) -> None:
        Message.__post_init__(self)
        if type(self.reason_code) is not RejectReason:
            coerce_enum(self, "reason_code", RejectReason)


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderFilled(Message):
    """The order is completely filled; ``quantity`` is this fill's size (the last one)."""

    client_order_id: ClientOrderId
    strategy_id: StrategyId
    symbol: str
    side: Side
    price: float
    quantity: float
    fee: float = 0.0
    trade_id: str = ""

    def __post_init__(self) -> None:
        Message.__post_init__(self)
        if type(self.side) is not Side:
            coerce_enum(self, "side", Side)
        check_positive(self, "price", self.price)
        check_positive(self, "quantity", self.quantity)
        check_non_negative(self, "fee", self.fee)


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderPartiallyFilled(Message):
    """Part of the order filled; ``remaining`` is still working."""

    client_order_id: ClientOrderId
    strategy_id: StrategyId
    symbol: str
    side: Side
    price: float
    quantity: float
    remaining: float
    fee: float = 0.0
    trade_id: str = ""

    def __post_init__(self) -> None:
        Message.__post_init__(self)
        if type(self.side) is not Side:
            coerce_enum(self, "side", Side)
        check_positive(self, "price", self.price)
        check_positive(self, "quantity", self.quantity)
        check_positive(self, "remaining", self.remaining)
        check_non_negative(self, "fee", self.fee)


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderCanceled(Message):
    """The order left the book on request (or IOC/FOK remainder)."""

    client_order_id: ClientOrderId
    strategy_id: StrategyId
    symbol: str
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderExpired(Message):
    """A DAY order reached the end of its session unfilled."""

    client_order_id: ClientOrderId
    strategy_id: StrategyId
    symbol: str


OrderCommand = SubmitOrder | CancelOrder | ModifyOrder
OrderEvent = (
    OrderAccepted
    | OrderModified
    | OrderRejected
    | OrderFilled
    | OrderPartiallyFilled
    | OrderCanceled
    | OrderExpired
)
Fill = OrderFilled | OrderPartiallyFilled
