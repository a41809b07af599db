"""The message envelope, the shared enums and field validators.

Invariant: every message is a frozen, slotted dataclass holding only immutable values (scalars,
str enums, tuples, other messages); time is integer nanoseconds since the Unix epoch, UTC.
Fields are keyword-only so adding an envelope field never shifts positional arguments.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any, TypeVar

from actors.errors import InvalidMessageError
from actors.ids import MessageId
from actors.messages.compiled import compile_init, compile_restamp

__all__ = [
    "Message",
    "OrderType",
    "Side",
    "SignalAction",
    "TimeInForce",
    "check_finite",
    "check_non_negative",
    "check_positive",
    "check_ts",
    "coerce_enum",
    "restamp",
]


class Side(StrEnum):
    """Order side."""

    BUY = "BUY"
    SELL = "SELL"


class OrderType(StrEnum):
    """Order types the runtime understands (the venue decides how each one fills)."""

    MARKET = "MARKET"
    LIMIT = "LIMIT"
    STOP = "STOP"
    STOP_LIMIT = "STOP_LIMIT"


class TimeInForce(StrEnum):
    """How long an order stays working."""

    GTC = "GTC"
    IOC = "IOC"
    FOK = "FOK"
    DAY = "DAY"


class SignalAction(StrEnum):
    """What a strategy asks for."""

    BUY = "BUY"
    SELL = "SELL"
    HOLD = "HOLD"


NO_ID: MessageId = MessageId("")


@dataclass(frozen=True, slots=True, kw_only=True)
class Message:
    """Envelope carried by every message.

    ``correlation_id`` is the id of the root message of a causal chain (a bar, a signal...);
    ``causation_id`` is the id of the message that directly caused this one. Both are empty for
    a root. Strategies may leave the envelope empty: the hosting component stamps it.
    """

    message_id: MessageId = NO_ID
    ts_event: int = 0
    ts_init: int = 0
    source: str = ""
    correlation_id: MessageId = NO_ID
    causation_id: MessageId = NO_ID

    def __post_init__(self) -> None:
        ts_event, ts_init = self.ts_event, self.ts_init
        # the fast path of check_ts for both, inline: every message on the hot path runs this
        if type(ts_event) is int and type(ts_init) is int and ts_event >= 0 and ts_init >= 0:
            return
        check_ts(self, "ts_event", ts_event)
        check_ts(self, "ts_init", ts_init)

    def __copy__(self) -> Message:
        return self  # immutable (frozen, no mutable fields): a copy would be equal and useless

    def __deepcopy__(self, memo: dict[int, Any]) -> Message:
        return self  # so checkpoints of component state share messages instead of copying them

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # not ``super()``: slots=True rebuilt Message, its methods' ``__class__`` is the old one
        super(Message, cls).__init_subclass__(**kwargs)
        # ``@dataclass(slots=True)`` builds a second class with the slots and the dataclass's
        # __init__ already in its namespace: that is the class to compile (see compiled.py)
        namespace = cls.__dict__
        if "__dataclass_fields__" in namespace and "__slots__" in namespace:
            init = compile_init(cls)
            if init is not None:
                cls.__dataclass_init__ = namespace["__init__"]  # type: ignore[attr-defined]
                cls.__init__ = init  # type: ignore[method-assign]


_INF = math.inf
_ENVELOPE = frozenset(
    ("message_id", "ts_event", "ts_init", "source", "correlation_id", "causation_id", "strategy_id")
)
_RESTAMP: dict[type, Callable[..., Any]] = {}

M = TypeVar("M", bound=Message)


def restamper(cls: type[M]) -> Callable[..., M]:
    """The envelope copier of ``cls``: ``restamper(cls)(message, **changes)`` is
    :func:`restamp` without the per-call lookup and its error translation (hot paths)."""
    copier = _RESTAMP.get(cls)
    if copier is None:
        copier = compile_restamp(cls, _ENVELOPE) or _generic_restamp(cls)
        _RESTAMP[cls] = copier
    return copier


def restamp(message: M, **changes: Any) -> M:
    """A copy of ``message`` with envelope fields (and ``strategy_id``) replaced.

    Skips ``__post_init__``: the payload was validated when ``message`` was built, and only
    envelope values produced by the runtime (clock ints, id strings) change. The copier is
    generated once per class (:func:`~actors.messages.compiled.compile_restamp`): about 2.7x
    cheaper than a loop over the fields, 10x cheaper than ``dataclasses.replace``.
    """
    copier = restamper(type(message))
    try:
        result: M = copier(message, **changes)
    except TypeError:
        unknown = changes.keys() - _ENVELOPE
        if unknown:
            raise TypeError(
                f"restamp changes only envelope fields, not {sorted(unknown)}"
            ) from None
        raise
    return result


def _generic_restamp(cls: type) -> Callable[..., Any]:
    """The copier for a class whose fields are not all slots."""
    names = tuple(f.name for f in fields(cls))

    def copy(message: Any, **changes: Any) -> Any:
        if changes.keys() - _ENVELOPE:
            raise TypeError("unexpected field")
        new: Any = object.__new__(cls)
        for name in names:
            value = changes[name] if name in changes else getattr(message, name)
            object.__setattr__(new, name, value)
        return new

    return copy


def _name(obj: object) -> str:
    return type(obj).__name__


# Each check has a fast path (one type test and one chained comparison, which NaN fails) and a
# slow path that works out the precise error: messages are built on the hot path.


def check_ts(obj: object, field: str, value: int) -> None:
    """Timestamps are non-negative ``int`` nanoseconds (``bool`` and floats are refused)."""
    if type(value) is int and value >= 0:
        return
    if type(value) is not int:
        raise InvalidMessageError(_name(obj), field, value, "timestamp must be int nanoseconds")
    raise InvalidMessageError(_name(obj), field, value, "timestamp must be >= 0")


def _check_real(obj: object, field: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidMessageError(_name(obj), field, value, "must be a real number")
    if not math.isfinite(value):
        raise InvalidMessageError(_name(obj), field, value, "must be finite")


def check_finite(obj: object, field: str, value: float) -> None:
    """Reject NaN, +/-inf and non-numbers."""
    t = type(value)
    if (t is float or t is int) and -_INF < value < _INF:
        return
    _check_real(obj, field, value)


def check_positive(obj: object, field: str, value: float) -> None:
    """Finite and strictly greater than zero (prices, quantities)."""
    t = type(value)
    if (t is float or t is int) and 0 < value < _INF:
        return
    _check_real(obj, field, value)
    raise InvalidMessageError(_name(obj), field, value, "must be > 0")


E = TypeVar("E", bound=StrEnum)


def coerce_enum(obj: object, field: str, enum_cls: type[E]) -> None:
    """Accept the enum or its string value (then store the member); reject anything else.

    Handlers compare members with ``is``, so a bare ``"BUY"`` must not slip through.
    """
    value = getattr(obj, field)
    if type(value) is enum_cls:
        return
    try:
        member = enum_cls(value)
    except ValueError:
        allowed = ", ".join(m.value for m in enum_cls)
        raise InvalidMessageError(_name(obj), field, value, f"must be one of {allowed}") from None
    object.__setattr__(obj, field, member)


def check_non_negative(obj: object, field: str, value: float) -> None:
    """Finite and >= 0 (volumes, fees)."""
    t = type(value)
    if (t is float or t is int) and 0 <= value < _INF:
        return
    _check_real(obj, field, value)
    raise InvalidMessageError(_name(obj), field, value, "must be >= 0")
