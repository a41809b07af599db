"""Running totals of working orders equal a walk over the orders, and return to exactly zero."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from actors.ids import ClientOrderId, StrategyId
from actors.risk.working import Working, WorkingOrders

A, B = StrategyId("a"), StrategyId("b")


def test_totals_by_symbol_book_and_reserved_cash() -> None:
    orders = WorkingOrders()
    orders.put(ClientOrderId("a-1"), Working(A, "AAPL", 10.0, 100.0))
    orders.put(ClientOrderId("b-1"), Working(B, "AAPL", -4.0, 101.0))
    orders.put(ClientOrderId("a-2"), Working(A, "MSFT", 3.0, 20.0))
    assert orders.symbol_total("AAPL") == 6.0
    assert orders.book_total(A, "AAPL") == 10.0
    assert orders.book_total(B, "AAPL") == -4.0
    assert orders.reserved() == 10.0 * 100.0 + 3.0 * 20.0  # sells reserve no cash
    orders.put(ClientOrderId("a-1"), Working(A, "AAPL", 2.5, 100.0))  # partial fill
    assert orders.symbol_total("AAPL") == -1.5
    assert orders.reserved() == 2.5 * 100.0 + 60.0
    assert orders.by_symbol() == {"AAPL": -1.5, "MSFT": 3.0}
    assert len(orders) == 3


order_specs = st.lists(
    st.tuples(
        st.sampled_from([A, B]),
        st.sampled_from(["X", "Y", "Z"]),
        st.floats(-1e6, 1e6, allow_nan=False).filter(lambda q: q != 0),
        st.floats(0.01, 1e4),
    ),
    max_size=40,
)


@given(order_specs, st.data())
def test_totals_match_a_walk_and_vanish_when_the_last_order_leaves(
    specs: list[tuple[StrategyId, str, float, float]], data: st.DataObject
) -> None:
    orders = WorkingOrders()
    live: dict[ClientOrderId, Working] = {}
    for i, (sid, symbol, qty, price) in enumerate(specs):
        coid = ClientOrderId(f"o-{i}")
        live[coid] = Working(sid, symbol, qty, price)
        orders.put(coid, live[coid])
        if live and data.draw(st.booleans()):
            gone = data.draw(st.sampled_from(sorted(live)))
            assert orders.pop(gone) == live.pop(gone)
    for symbol in ["X", "Y", "Z"]:
        walked = math.fsum(w.remaining for w in live.values() if w.symbol == symbol)
        assert math.isclose(orders.symbol_total(symbol), walked, rel_tol=1e-9, abs_tol=1e-6)
    for coid in sorted(live):
        orders.pop(coid)
    assert orders.by_symbol() == {}
    assert orders.reserved() == 0.0
    assert orders.symbol_total("X") == 0.0
    assert orders.book_total(A, "X") == 0.0
