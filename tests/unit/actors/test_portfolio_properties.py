"""Property: any fill sequence leaves a book that the ledger replay reproduces exactly, with the
position equal to the signed sum of fills, cash conserved, and equity = initial - fees + P&L."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actors.clock import SimulatedClock
from actors.messages import OrderFilled, Side
from actors.portfolio import PortfolioComponent

fills = st.lists(
    st.tuples(
        st.sampled_from([Side.BUY, Side.SELL]),
        st.integers(min_value=1, max_value=50),
        st.integers(min_value=1, max_value=500),
        st.sampled_from(["A", "B"]),
    ),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(fills)
def test_ledger_replay_reproduces_the_book(seq: list[tuple[Side, int, int, str]]) -> None:
    p = PortfolioComponent("portfolio", SimulatedClock(), initial_cash=1_000.0)
    signed = {"A": 0.0, "B": 0.0}
    spent = 0.0
    for side, qty, price, sym in seq:
        p.handle(
            OrderFilled(
                client_order_id="c",
                strategy_id="s",
                symbol=sym,
                side=side,
                price=float(price),
                quantity=float(qty),
                fee=0.5,
            )
        )
        q = qty if side is Side.BUY else -qty
        signed[sym] += q
        spent += q * price + 0.5
    p.reconcile()
    state = p.state()
    for sym, q in signed.items():
        assert state.position(sym) == pytest.approx(q)
    assert state.cash == pytest.approx(1_000.0 - spent)
    assert state.fees == pytest.approx(0.5 * len(seq))
    # the accounting identity: equity = initial - fees + realized + unrealized
    expected = 1_000.0 - state.fees + state.realized_pnl + state.unrealized_pnl
    assert state.equity == pytest.approx(expected, abs=1e-6)
