"""Messages are immutable, slotted, hold no mutable containers and validate their fields."""

from __future__ import annotations

import copy
import dataclasses
import math
import typing

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors import messages as m
from actors.errors import InvalidMessageError
from actors.ids import IdSequence, StrategyId, client_order_id


def _all_message_types() -> list[type]:
    """Every exported message class (and the Position value type)."""
    out = []
    for name in m.__all__:
        obj = getattr(m, name)
        if isinstance(obj, type) and (issubclass(obj, m.Message) or obj is m.Position):
            out.append(obj)
    return out


def _bar(**kw: typing.Any) -> m.Bar:
    base: dict[str, typing.Any] = {
        "symbol": "AAA",
        "open": 10.0,
        "high": 11.0,
        "low": 9.0,
        "close": 10.5,
        "volume": 5.0,
    }
    base.update(kw)
    return m.Bar(**base)


def test_every_message_is_frozen_slotted_and_holds_no_lists_or_dicts() -> None:
    types = _all_message_types()
    assert len(types) > 30
    for cls in types:
        params = cls.__dataclass_params__  # type: ignore[attr-defined]
        assert params.frozen, cls
        assert "__slots__" in cls.__dict__, cls
        for name, hint in typing.get_type_hints(cls).items():
            text = repr(hint)
            assert "list[" not in text, (cls, name, text)
            assert "dict[" not in text, (cls, name, text)
            assert hint not in (list, dict, set), (cls, name)


def test_message_cannot_be_mutated_or_given_new_attributes() -> None:
    bar = _bar()
    with pytest.raises(dataclasses.FrozenInstanceError):
        bar.close = 1.0  # type: ignore[misc]
    assert not hasattr(bar, "__dict__")


@pytest.mark.parametrize(
    ("field", "value"),
    [("open", math.nan), ("close", math.inf), ("low", -1.0), ("high", 0.0), ("volume", -1.0)],
)
def test_bar_rejects_bad_numbers_naming_the_field(field: str, value: float) -> None:
    with pytest.raises(InvalidMessageError) as info:
        _bar(**{field: value})
    assert info.value.field == field
    assert isinstance(info.value, ValueError)
    assert f"Bar.{field}" in str(info.value)


def test_timestamps_must_be_int_nanoseconds() -> None:
    with pytest.raises(InvalidMessageError, match="ts_event"):
        _bar(ts_event=1.5)
    with pytest.raises(InvalidMessageError, match="ts_init"):
        _bar(ts_init=True)
    with pytest.raises(InvalidMessageError, match=">= 0"):
        _bar(ts_event=-1)


def test_bar_high_low_consistency() -> None:
    with pytest.raises(InvalidMessageError, match="high"):
        _bar(high=9.5)
    with pytest.raises(InvalidMessageError, match="low"):
        _bar(low=10.2)


def test_crossed_quote_is_rejected() -> None:
    with pytest.raises(InvalidMessageError, match="crossed"):
        m.QuoteTick(symbol="A", bid=10.0, ask=9.0)


def test_signal_validation() -> None:
    with pytest.raises(InvalidMessageError, match="quantity"):
        m.Signal(symbol="A", action=m.SignalAction.BUY)
    with pytest.raises(InvalidMessageError, match="quantity"):
        m.Signal(symbol="A", action=m.SignalAction.BUY, quantity=0.0)
    with pytest.raises(InvalidMessageError, match="target_position"):
        m.Signal(symbol="A", action=m.SignalAction.BUY, quantity=1.0, target_position=2.0)
    with pytest.raises(InvalidMessageError, match="price"):
        m.Signal(symbol="A", action=m.SignalAction.BUY, quantity=1.0, order_type=m.OrderType.LIMIT)
    with pytest.raises(InvalidMessageError, match="confidence"):
        m.Signal(symbol="A", action=m.SignalAction.SELL, quantity=1.0, confidence=1.5)
    assert m.Signal(symbol="A", action=m.SignalAction.HOLD).quantity is None


def test_order_messages_validate_prices_by_type() -> None:
    common: dict[str, typing.Any] = {
        "client_order_id": "s-1",
        "strategy_id": "s",
        "symbol": "A",
        "side": m.Side.BUY,
        "quantity": 1.0,
    }
    with pytest.raises(InvalidMessageError, match="trigger_price"):
        m.SubmitOrder(**common, order_type=m.OrderType.STOP)
    with pytest.raises(InvalidMessageError, match="quantity"):
        m.SubmitOrder(**{**common, "quantity": -2.0})
    with pytest.raises(InvalidMessageError, match="fee"):
        m.OrderFilled(**common, price=1.0, fee=-0.1)


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_trade_tick_accepts_exactly_finite_positive_prices(price: float) -> None:
    if math.isfinite(price) and price > 0:
        assert m.TradeTick(symbol="A", price=price, size=1.0).price == price
    else:
        with pytest.raises(InvalidMessageError):
            m.TradeTick(symbol="A", price=price, size=1.0)


def test_codec_encodes_type_and_fields_deterministically() -> None:
    bar = _bar(ts_event=5, message_id="feed-1")
    snap = m.MarketSnapshot(symbol="AAA", last_price=10.5, bar=bar)
    raw = m.encode(snap)
    assert raw == m.encode(snap)
    doc = orjson.loads(raw)
    assert doc["type"] == "MarketSnapshot"
    assert doc["data"]["bar"]["message_id"] == "feed-1"
    assert m.encode_line(bar).endswith(b"\n")
    assert m.to_dict(bar)["type"] == "Bar"


def test_ids_are_sequential_and_client_order_ids_are_stable() -> None:
    ids = IdSequence("risk")
    assert [ids.next_message_id() for _ in range(3)] == ["risk-1", "risk-2", "risk-3"]
    assert client_order_id(StrategyId("flip-1"), 7) == "flip-1-7"


def test_enums_are_str_valued() -> None:
    assert m.OrderType.STOP_LIMIT == "STOP_LIMIT"
    assert {t.value for t in m.TimeInForce} == {"GTC", "IOC", "FOK", "DAY"}
    assert m.Side("BUY") is m.Side.BUY


def test_restamp_changes_only_the_envelope_and_keeps_the_payload() -> None:
    sig = m.Signal(symbol="A", action=m.SignalAction.BUY, quantity=2.0, reason="r")
    new = m.restamp(sig, message_id="strategy-1", ts_event=5, strategy_id="s-1")
    assert type(new) is m.Signal
    assert (new.message_id, new.ts_event, new.strategy_id) == ("strategy-1", 5, "s-1")
    assert (new.symbol, new.quantity, new.reason, new.ts_init) == ("A", 2.0, "r", 0)
    assert sig.message_id == ""
    with pytest.raises(TypeError, match="quantity"):
        m.restamp(sig, quantity=3.0)


def test_enum_fields_accept_their_string_values_and_reject_others() -> None:
    sig = m.Signal(symbol="A", action="SELL", quantity=1.0, time_in_force="IOC")  # type: ignore[arg-type]
    assert sig.action is m.SignalAction.SELL
    assert sig.time_in_force is m.TimeInForce.IOC
    assert m.LogEntry(level="INFO", message="x").level is m.LogLevel.INFO  # type: ignore[arg-type]
    with pytest.raises(InvalidMessageError, match="must be one of BUY, SELL"):
        m.OrderFilled(
            client_order_id="c",
            strategy_id="s",
            symbol="A",
            side="LONG",  # type: ignore[arg-type]
            price=1.0,
            quantity=1.0,
        )


def test_messages_are_shared_not_copied() -> None:
    """Immutable: a copy (e.g. inside a supervision checkpoint of component state) is the
    message itself, which is both correct and ~30 us cheaper than copying field by field."""
    quote = m.QuoteTick(ts_event=1, symbol="A", bid=1.0, ask=2.0, bid_size=1.0, ask_size=1.0)
    snap = m.MarketSnapshot(ts_event=1, symbol="A", last_price=1.5, quote=quote)
    state = {"last": snap, "seen": [snap]}
    copied = copy.deepcopy(state)
    assert copied["last"] is snap
    assert copied["seen"][0] is snap
    assert copied["seen"] is not state["seen"]
    assert copy.copy(snap) is snap
