"""The portfolio's composite tree: strategy groups under a root, FIFO trackers, reconciliation."""

from __future__ import annotations

import pytest

from actors.clock import SimulatedClock
from actors.messages import Bar, MarketSnapshot, OrderFilled, Side
from actors.portfolio import PortfolioComponent


def _fill(
    sid: str, side: Side, qty: float, price: float, ts: int, sym: str = "A", fee: float = 0.0
) -> OrderFilled:
    return OrderFilled(
        ts_event=ts,
        client_order_id=f"{sid}-{ts}",
        strategy_id=sid,
        symbol=sym,  # type: ignore[arg-type]
        side=side,
        price=price,
        quantity=qty,
        fee=fee,
    )


def _mark(sym: str, price: float, ts: int) -> MarketSnapshot:
    bar = Bar(ts_event=ts, symbol=sym, open=price, high=price, low=price, close=price)
    return MarketSnapshot(ts_event=ts, symbol=sym, last_price=price, bar=bar)


def test_groups_sum_to_the_root_and_fifo_differs_from_average_cost() -> None:
    p = PortfolioComponent("portfolio", SimulatedClock(), initial_cash=10_000.0)
    p.handle(_fill("x", Side.BUY, 10, 10.0, 1, fee=1.0))
    p.handle(_fill("x", Side.BUY, 10, 12.0, 2))
    p.handle(_fill("y", Side.SELL, 5, 11.0, 3))
    p.handle(_fill("x", Side.SELL, 15, 13.0, 4))
    p.handle(_mark("A", 14.0, 5))
    root = p.book
    assert root.positions["A"].quantity == 0.0  # x long 5, y short 5
    groups = {g.strategy_id: g for g in p.tree}
    assert groups["x"].book.positions["A"].quantity == 5
    assert groups["y"].book.positions["A"].quantity == -5
    assert root.cash == pytest.approx(10_000.0 + groups["x"].book.cash + groups["y"].book.cash)
    # average cost for x: 11 -> realized 15 * 2 = 30; FIFO: 10 * 3 + 5 * 1 = 35 (minus fee 1)
    assert groups["x"].book.realized_pnl() == pytest.approx(30.0)
    assert groups["x"].tracker.realized_pnl() == pytest.approx(35.0 - 1.0)
    attribution = {a["strategy_id"]: a for a in p.attribution()}
    x = attribution["x"]
    # both conventions add up to the same total P&L
    assert x["pnl"] == pytest.approx(x["realized_pnl_fifo"] + x["unrealized_pnl_fifo"])
    assert x["pnl"] == pytest.approx(x["realized_pnl_avg_cost"] - x["fees"] + 5 * (14.0 - 11.0))
    assert attribution["y"]["pnl"] == pytest.approx(5 * (11.0 - 14.0))
    trips = p.round_trips()
    assert [(t["strategy_id"], t["quantity"]) for t in trips] == [("x", 10.0), ("x", 5.0)]


def test_reconcile_report_names_the_drift() -> None:
    p = PortfolioComponent("portfolio", SimulatedClock(), initial_cash=1_000.0)
    p.handle(_fill("x", Side.BUY, 3, 10.0, 1, sym="B"))
    report = p.reconcile_report()
    assert report["ok"]
    assert report["drift"] == []
    assert report["positions"] == {"B": 3.0}
    p.book.positions["B"].quantity = 4.0  # corrupt the live book
    report = p.reconcile_report()
    assert not report["ok"]
    whats = [d["what"] for d in report["drift"]]
    assert "position[B]" in whats
    assert "sum of groups position[B]" in whats
    with pytest.raises(Exception, match=r"position\[B\]"):
        p.reconcile()
