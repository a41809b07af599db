"""The generated message constructors and copiers (actors/messages/compiled.py) are the
dataclass's own, only faster: same parameters, same objects, same errors."""

from __future__ import annotations

import dataclasses
import inspect
import math
from typing import Any, cast

import pytest

import actors.backtest.engine
import actors.bench
import actors.execution.bar_venue
import actors.live.components  # noqa: F401  (defines message classes of its own)
from actors.errors import InvalidMessageError
from actors.ids import MessageId
from actors.messages import (
    Bar,
    Message,
    OrderAccepted,
    OrderFilled,
    QuoteTick,
    Side,
    Signal,
    SignalAction,
    SubmitOrder,
)
from actors.messages.base import _generic_restamp, restamp


def _all_message_classes() -> list[type[Message]]:
    seen: list[type[Message]] = []
    todo: list[type[Message]] = [Message]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            if sub not in seen:
                seen.append(sub)
                todo.append(sub)
    return sorted(seen, key=lambda c: (c.__module__, c.__qualname__))


def _params(fn: Any) -> list[tuple[str, Any, Any]]:
    return [(p.name, p.kind, p.default) for p in inspect.signature(fn).parameters.values()]


def test_every_slotted_message_class_is_compiled_with_the_dataclass_signature() -> None:
    compiled = 0
    for cls in _all_message_classes():
        if "__slots__" not in cls.__dict__ or not dataclasses.is_dataclass(cls):
            continue  # the pre-slots copy dataclass(slots=True) leaves behind
        original = cls.__dict__.get("__dataclass_init__")
        assert original is not None, f"{cls.__qualname__} was not compiled"
        assert _params(cls.__init__) == _params(original), cls.__qualname__
        compiled += 1
    assert compiled >= 35  # every message of the runtime, not a handful


ORDER = {"client_order_id": "s-1", "strategy_id": "s", "symbol": "A"}
ORDER = {"client_order_id": "s-1", "strategy_id": "s", "symbol": "A"}
SAMPLES: list[tuple[type[Message], dict[str, Any]]] = [
    (Signal, {"symbol": "A", "action": SignalAction.BUY, "quantity": 2.0, "ts_event": 5}),
    (Signal, {"symbol": "A", "action": "SELL", "target_weight": -0.5, "reason": "r"}),
    (QuoteTick, {"symbol": "A", "bid": 1.0, "ask": 1.1, "ts_event": 7, "message_id": "q"}),
    (Bar, {"symbol": "A", "open": 1.0, "high": 2.0, "low": 0.5, "close": 1.5, "volume": 10.0}),
    (SubmitOrder, {**ORDER, "side": Side.BUY, "quantity": 3.0}),
    (OrderFilled, {**ORDER, "side": "BUY", "price": 10.0, "quantity": 3.0, "fee": 0.1}),
    (OrderAccepted, {**ORDER, "venue_order_id": "V-1"}),
]


@pytest.mark.parametrize(("cls", "kwargs"), SAMPLES)
def test_compiled_and_dataclass_constructors_build_equal_messages(
    cls: type[Message], kwargs: dict[str, Any]
) -> None:
    fast = cls(**kwargs)
    slow = object.__new__(cls)
    cls.__dataclass_init__(slow, **kwargs)  # type: ignore[attr-defined]
    assert fast == slow
    assert repr(fast) == repr(slow)
    assert hash(fast) == hash(slow)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.ts_event = 1  # type: ignore[misc]


BAD: list[tuple[type[Message], dict[str, Any]]] = [
    (Signal, {"symbol": "A", "action": SignalAction.BUY, "quantity": math.nan}),
    (Signal, {"symbol": "A", "action": "JUMP", "quantity": 1.0}),
    (Signal, {"symbol": "A", "action": SignalAction.BUY, "quantity": 1.0, "ts_event": -1}),
    (Bar, {"symbol": "A", "open": 1.0, "high": 0.5, "low": 1.0, "close": 1.0, "volume": 1.0}),
]


@pytest.mark.parametrize(("cls", "kwargs"), BAD)
def test_validation_errors_are_the_same(cls: type[Message], kwargs: dict[str, Any]) -> None:
    with pytest.raises(InvalidMessageError) as fast:
        cls(**kwargs)
    with pytest.raises(InvalidMessageError) as slow:
        cls.__dataclass_init__(object.__new__(cls), **kwargs)  # type: ignore[attr-defined]
    assert str(fast.value) == str(slow.value)


def test_missing_required_and_unknown_fields_are_type_errors() -> None:
    with pytest.raises(TypeError, match="action"):
        Signal(symbol="A", quantity=1.0)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="colour"):
        Signal(symbol="A", action=SignalAction.BUY, quantity=1.0, colour=1)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        cast(Any, Signal)("A", SignalAction.BUY)  # keyword-only, as before


def test_compiled_restamp_equals_the_field_by_field_copy() -> None:
    sig = Signal(symbol="A", action=SignalAction.BUY, quantity=2.0, reason="why")
    changes = {"message_id": "strategy-1", "ts_event": 9, "correlation_id": "bar-1",
               "strategy_id": "s-1"}  # fmt: skip
    assert restamp(sig, **changes) == _generic_restamp(Signal)(sig, **changes)
    quote = QuoteTick(symbol="A", bid=1.0, ask=1.1)
    # strategy_id is an envelope name a quote does not have: ignored, as it always was
    new = restamp(quote, message_id="feed-1", strategy_id="s")
    assert new == dataclasses.replace(quote, message_id=MessageId("feed-1"))
    with pytest.raises(TypeError, match=r"not \['bid'\]"):
        restamp(quote, bid=2.0)
