"""How a broker order left by an earlier session is tracked when adopted: exact where our
types cover it, and every approximation named for the log."""

from __future__ import annotations

import pytest

from actors.live.reconcile import adopted_terms
from actors.messages import OrderType, TimeInForce


@pytest.mark.parametrize(
    ("alpaca_type", "ours"),
    [
        ("market", OrderType.MARKET),
        ("limit", OrderType.LIMIT),
        ("stop", OrderType.STOP),
        ("stop_limit", OrderType.STOP_LIMIT),
    ],
)
def test_our_types_are_taken_exactly(alpaca_type: str, ours: OrderType) -> None:
    terms = adopted_terms(alpaca_type, "day", 10.0)
    assert (terms.order_type, terms.time_in_force, terms.approximations) == (
        ours,
        TimeInForce.DAY,
        (),
    )


def test_a_trailing_stop_is_tracked_as_the_stop_it_is_at_and_said_so() -> None:
    terms = adopted_terms("trailing_stop", "gtc", 97.5)
    assert terms.order_type is OrderType.STOP
    assert terms.approximations == ("trailing stop tracked as a stop at 97.5",)


def test_unknown_type_and_time_in_force_are_named_never_silent() -> None:
    terms = adopted_terms("pegged", "opg", None)
    assert (terms.order_type, terms.time_in_force) == (OrderType.MARKET, TimeInForce.GTC)
    assert terms.approximations == (
        "order type 'pegged' tracked as MARKET",
        "time in force 'opg' tracked as GTC",
    )
    assert adopted_terms("pegged", "gtc", 5.0).order_type is OrderType.STOP


def test_a_stop_without_a_stop_price_cannot_be_a_stop() -> None:
    terms = adopted_terms("stop", "gtc", None)
    assert terms.order_type is OrderType.MARKET
    assert terms.approximations == ("stop order without a stop price tracked as MARKET",)
