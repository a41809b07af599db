"""RiskComponent wiring: signals -> sized SubmitOrder or OrderRejected with the code; stops;
daily stop; configuration from plain mappings; an end-to-end run on the deterministic host."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import pytest

from actors.clock import SimulatedClock
from actors.config import DEFAULT_COMPONENTS, RuntimeConfig, StrategySpec
from actors.ids import ClientOrderId, StrategyId
from actors.messages import (
    Bar,
    MarketSnapshot,
    Message,
    OrderFilled,
    OrderModified,
    OrderPartiallyFilled,
    OrderRejected,
    OrderType,
    PortfolioState,
    Position,
    RejectReason,
    RiskAssessment,
    Side,
    Signal,
    SignalAction,
    SubmitOrder,
)
from actors.risk import FixedSizer, PercentSizer, RiskComponent, RiskLimits
from actors.risk.manager import NS_PER_DAY
from actors.runtime import Runtime
from actors.testing import scripted_bars

SID = StrategyId("strat")
T = 5 * NS_PER_DAY + 1


def sig(weight: float | None = 1.0, ts: int = T, sym: str = "A", **kw: Any) -> Signal:
    action = SignalAction.BUY if (weight or 0) > 0 else SignalAction.SELL
    return Signal(
        message_id="sig",
        ts_event=ts,
        symbol=sym,
        action=action,
        strategy_id=SID,
        target_weight=weight,
        **kw,
    )


def snap(price: float, ts: int = T, sym: str = "A") -> MarketSnapshot:
    return MarketSnapshot(ts_event=ts, symbol=sym, last_price=price)


def state(
    cash: float,
    equity: float | None = None,
    ts: int = T,
    pos: Sequence[tuple[str, float, float]] = (),
) -> PortfolioState:
    return PortfolioState(
        ts_event=ts,
        cash=cash,
        equity=cash if equity is None else equity,
        realized_pnl=0.0,
        unrealized_pnl=0.0,
        fees=0.0,
        fill_count=0,
        positions=tuple(
            Position(symbol=s, quantity=q, avg_cost=c, realized_pnl=0.0, last_price=c)
            for s, q, c in pos
        ),
    )


def one(out: Sequence[Message]) -> Message:
    assert len(out) == 1, out
    return out[0]


@pytest.fixture
def risk() -> RiskComponent:
    r = RiskComponent("risk", SimulatedClock(0), sizer=PercentSizer(0.1))
    r.handle(state(100_000.0))
    r.handle(snap(150.0))
    return r


def test_target_weight_is_sized_by_the_sizer(risk: RiskComponent) -> None:
    o = one(risk.handle(sig(1.0)))
    assert isinstance(o, SubmitOrder)
    # 10% of 100,000 at 150 -> 66 whole units
    assert (o.side, o.quantity, o.client_order_id, o.strategy_id) == (Side.BUY, 66, "strat-1", SID)
    assert o.correlation_id == "sig"


def test_half_and_short_weights(risk: RiskComponent) -> None:
    o = one(risk.handle(sig(0.5)))
    assert isinstance(o, SubmitOrder)
    assert o.quantity == 33
    r2 = RiskComponent("risk", SimulatedClock(0), sizer=PercentSizer(0.1))
    r2.handle(state(100_000.0))
    r2.handle(snap(150.0))
    o = one(r2.handle(sig(-1.0)))
    assert isinstance(o, SubmitOrder)
    assert (o.side, o.quantity) == (Side.SELL, 66)


def test_flat_weight_when_flat_does_nothing(risk: RiskComponent) -> None:
    assert risk.handle(sig(0.0)) == ()


def test_working_orders_are_netted(risk: RiskComponent) -> None:
    buy = one(risk.handle(sig(1.0)))
    assert isinstance(buy, SubmitOrder)
    assert risk.handle(sig(1.0)) == ()  # already on its way: not doubled
    assert risk.effective_position("A") == 66
    # next bar, before the fill is seen, the strategy goes flat: the working buy is undone
    sell = one(risk.handle(sig(0.0)))
    assert isinstance(sell, SubmitOrder)
    assert (sell.side, sell.quantity) == (Side.SELL, 66)
    fill = OrderFilled(
        client_order_id=buy.client_order_id,
        strategy_id=SID,
        symbol="A",
        side=Side.BUY,
        price=150.0,
        quantity=66,
    )
    risk.handle(fill)
    risk.handle(state(90_100.0, 100_000.0, pos=[("A", 66, 150.0)]))
    assert risk.effective_position("A") == 0  # 66 held, 66 being sold


def test_target_position_keeps_its_portfolio_contract(risk: RiskComponent) -> None:
    o = one(risk.handle(sig(None, target_position=10.0)))
    assert isinstance(o, SubmitOrder)
    assert o.quantity == 10
    o2 = one(risk.handle(sig(None, target_position=10.0)))  # relative to the portfolio: again
    assert isinstance(o2, SubmitOrder)


def test_zero_size_and_no_price_rejections() -> None:
    r = RiskComponent("risk", SimulatedClock(0), sizer=PercentSizer(0.1))
    rej = one(r.handle(sig(1.0)))
    assert isinstance(rej, OrderRejected)
    assert rej.reason_code is RejectReason.NO_PRICE
    r.handle(snap(150.0))
    rej = one(r.handle(sig(1.0)))  # no portfolio state and no initial equity
    assert isinstance(rej, OrderRejected)
    assert rej.reason_code is RejectReason.ZERO_SIZE
    assert rej.reason == "no equity to size from (equity=0.0)"
    seeded = RiskComponent("risk", SimulatedClock(0), initial_equity=1_000.0)
    seeded.handle(snap(150.0))
    rej = one(seeded.handle(sig(1.0)))  # 10% of 1,000 = 100 < one unit at 150
    assert isinstance(rej, OrderRejected)
    assert rej.reason == "percent: 0.666667 units is below one increment (1)"
    seeded.handle(snap(50.0))
    o = one(seeded.handle(sig(1.0)))
    assert isinstance(o, SubmitOrder)
    assert o.quantity == 2
    assert seeded.signals_rejected == 1


def _fixed60(validation: dict[str, Any], cash: float = 10_000.0) -> RiskComponent:
    r = RiskComponent(
        "risk", SimulatedClock(0), sizer={"method": "fixed", "quantity": 60}, validation=validation
    )
    r.handle(state(cash))
    r.handle(snap(100.0))
    r.handle(snap(100.0, sym="B"))
    return r


def _code(out: Sequence[Message]) -> RejectReason | None:
    msg = one(out)
    if isinstance(msg, SubmitOrder):
        return None
    assert isinstance(msg, OrderRejected)
    assert msg.strategy_id == SID
    return msg.reason_code


def test_rate_limit_global_through_the_component() -> None:
    r = _fixed60({"max_orders_global": 1})
    assert _code(r.handle(sig(1.0, sym="B"))) is None
    assert _code(r.handle(sig(1.0, sym="A"))) is RejectReason.RATE_LIMIT_GLOBAL
    assert _code(r.handle(sig(1.0, sym="A", ts=T + 10**9))) is None  # the window moved on


def test_rate_limit_symbol_through_the_component() -> None:
    r = _fixed60({"max_orders_per_symbol": 1})
    assert _code(r.handle(sig(1.0, sym="A"))) is None
    assert _code(r.handle(sig(1.0, sym="B"))) is None
    assert _code(r.handle(sig(0.0, sym="A", ts=T + 1))) is RejectReason.RATE_LIMIT_SYMBOL


@pytest.mark.parametrize(
    ("validation", "cash", "code"),
    [
        ({"check_capital": True}, 5_999.0, RejectReason.INSUFFICIENT_CAPITAL),
        ({"check_capital": True}, 6_000.0, None),
        ({"max_position_size": 59}, 10_000.0, RejectReason.POSITION_SIZE_LIMIT),
        ({"max_position_size": 60}, 10_000.0, None),
        ({"max_position_value": 5_999}, 10_000.0, RejectReason.POSITION_VALUE_LIMIT),
        ({"max_position_pct": 0.6}, 10_000.0, None),
        ({"max_position_pct": 0.59}, 10_000.0, RejectReason.POSITION_VALUE_LIMIT),
    ],
)
def test_capital_and_position_codes_through_the_component(
    validation: dict[str, Any], cash: float, code: RejectReason | None
) -> None:
    r = _fixed60(validation, cash)
    assert _code(r.handle(sig(1.0, sym="A"))) is code  # 60 units x 100 = 6,000


def test_total_exposure_counts_working_orders_of_other_symbols() -> None:
    r = _fixed60({"max_total_exposure": 12_000})
    assert _code(r.handle(sig(1.0, sym="B"))) is None  # 6,000
    assert _code(r.handle(sig(1.0, sym="A"))) is None  # 12,000
    r.handle(snap(100.0, sym="C"))
    assert _code(r.handle(sig(1.0, sym="C"))) is RejectReason.TOTAL_EXPOSURE_LIMIT
    lev = _fixed60({"max_leverage": 1.0})
    assert _code(lev.handle(sig(1.0, sym="B"))) is None
    assert _code(lev.handle(sig(1.0, sym="A"))) is RejectReason.TOTAL_EXPOSURE_LIMIT


def test_position_limits_count_this_symbols_working_orders_not_other_symbols() -> None:
    """Without exposure limits risk reads only the order's own symbol; working orders there
    count (of every strategy), those in other symbols do not."""
    r = _fixed60({"max_position_size": 80})
    assert _code(r.handle(sig(0.5, sym="A"))) is None  # 30 working in A
    assert _code(r.handle(sig(1.0, sym="B"))) is None  # 60 working in B: not A's concern
    other = dataclasses.replace(sig(1.0, sym="A"), strategy_id=StrategyId("other"))
    rejected = one(r.handle(other))  # 30 + 60 > 80
    assert isinstance(rejected, OrderRejected)
    assert rejected.reason_code is RejectReason.POSITION_SIZE_LIMIT
    assert r.effective_position("A") == 30.0


def test_capital_check_reserves_cash_for_working_buys() -> None:
    r = RiskComponent(
        "risk", SimulatedClock(0), sizer=FixedSizer(40), validation={"check_capital": True}
    )
    r.handle(state(10_000.0))
    r.handle(snap(100.0))
    r.handle(snap(100.0, sym="B"))
    r.handle(snap(100.0, sym="C"))
    assert isinstance(one(r.handle(sig(1.0, sym="A"))), SubmitOrder)  # 4,000
    assert isinstance(one(r.handle(sig(1.0, sym="B"))), SubmitOrder)  # 8,000
    rej = one(r.handle(sig(1.0, sym="C")))  # 12,000 > 10,000 once the two are counted
    assert isinstance(rej, OrderRejected)
    assert rej.reason_code is RejectReason.INSUFFICIENT_CAPITAL
    assert rej.reason == "cost 4000.00 > available cash 2000.00"


def test_a_modified_order_moves_the_working_quantity_and_reserved_cash() -> None:
    r = RiskComponent(
        "risk", SimulatedClock(0), sizer=FixedSizer(40), validation={"check_capital": True}
    )
    r.handle(state(10_000.0))
    r.handle(snap(100.0))
    buy = one(r.handle(sig(1.0, order_type=OrderType.LIMIT, price=100.0)))
    assert isinstance(buy, SubmitOrder)
    coid = buy.client_order_id
    part = OrderPartiallyFilled(
        client_order_id=coid,
        strategy_id=SID,
        symbol="A",
        side=Side.BUY,
        price=100.0,
        quantity=10,
        remaining=30,
    )
    r.handle(part)
    assert r.effective_position("A", SID) == 40  # 10 filled + 30 working
    assert r.effective_position("A") == 30  # no portfolio state yet: working only
    # new total 25 at 120: 15 left to fill, reserving 15 * 120
    r.handle(
        OrderModified(client_order_id=coid, strategy_id=SID, symbol="A", quantity=25, price=120.0)
    )
    assert r.effective_position("A", SID) == 25
    assert r.effective_position("A") == 15
    assert r._free_cash() == 10_000.0 - 15 * 120.0
    # a modify of an order risk does not know (already done) changes nothing
    unknown = ClientOrderId("x-9")
    r.handle(OrderModified(client_order_id=unknown, strategy_id=SID, symbol="A", quantity=5))
    assert r.effective_position("A", SID) == 25


def test_stop_loss_sends_a_risk_exit_even_while_halted() -> None:
    r = RiskComponent("risk", SimulatedClock(0), {"stop_loss_pct": 0.05})
    r.handle(state(10_000.0, pos=[("A", 10, 100.0)]))
    assert r.handle(snap(96.0)) == ()
    r.manager.halt("manual")
    exit_order = one(r.handle(snap(94.0)))
    assert isinstance(exit_order, SubmitOrder)
    assert (exit_order.strategy_id, exit_order.client_order_id) == ("risk", "risk-1")
    assert (exit_order.side, exit_order.quantity, exit_order.symbol) == (Side.SELL, 10, "A")
    assert r.handle(snap(93.0)) == ()  # once
    # the venue refuses the exit: the stop may fire again
    r.handle(
        OrderRejected(
            client_order_id=ClientOrderId("risk-1"),
            strategy_id=StrategyId("risk"),
            symbol="A",
            reason_code=RejectReason.VENUE_REJECTED,
        )
    )
    again = one(r.handle(snap(92.0)))
    assert isinstance(again, SubmitOrder)
    assert again.client_order_id == "risk-2"


def test_daily_stop_publishes_assessments_and_blocks_then_resumes() -> None:
    r = RiskComponent(
        "risk", SimulatedClock(0), RiskLimits(max_daily_loss=0.02), sizer=FixedSizer(1)
    )
    assert r.handle(state(10_000.0, ts=T)) == ()
    a = one(r.handle(state(9_799.0, ts=T + 1)))
    assert isinstance(a, RiskAssessment)
    assert (a.halted, a.halt_reasons, a.daily_pnl) == (True, ("daily_loss",), -201.0)
    r.handle(snap(10.0))
    rej = one(r.handle(sig(1.0)))
    assert isinstance(rej, OrderRejected)
    assert rej.reason_code is RejectReason.CIRCUIT_BREAKER
    assert rej.reason == "halted: daily_loss"
    b = one(r.handle(state(9_799.0, ts=T + NS_PER_DAY)))
    assert isinstance(b, RiskAssessment)
    assert not b.halted
    assert isinstance(one(r.handle(sig(1.0, ts=T + NS_PER_DAY))), SubmitOrder)
    m = r.metrics()
    assert (m["signals_checked"], m["signals_rejected"]) == (2, 1)


def test_configured_from_plain_mappings() -> None:
    r = RiskComponent(
        "risk",
        SimulatedClock(0),
        {"max_drawdown": 0.1, "trailing_stop_pct": 0.2},
        sizer={"method": "volatility", "risk_fraction": 0.02, "atr_period": 2},
        validation={"max_leverage": 1.5, "rate_window_s": 60},
        initial_equity=50_000.0,
    )
    assert r.limits.trailing_stop_pct == 0.2
    assert r.validator.limits.max_leverage == 1.5
    assert r.sizer.name == "volatility"
    for i, (hi, lo) in enumerate([(101.0, 99.0), (102.0, 100.0)]):
        b = Bar(ts_event=i + 1, symbol="A", open=100, high=hi, low=lo, close=100.0)
        r.handle(MarketSnapshot(ts_event=i + 1, symbol="A", last_price=100.0, bar=b))
    o = one(r.handle(sig(1.0, ts=3)))
    # ATR(2) = 2; 2% of 50,000 = 1,000 per 2 ATRs (4.00) -> 250 units
    assert isinstance(o, SubmitOrder)
    assert o.quantity == 250


def _runtime(host: str = "deterministic") -> Runtime:
    comps = tuple(
        dataclasses.replace(
            c,
            params={
                "limits": {"stop_loss_pct": 0.006, "max_drawdown": 0.5},
                "sizer": {"method": "percent", "fraction": 0.3},
                "validation": {"check_capital": True, "max_leverage": 1.0},
                "initial_equity": 100_000.0,
            },
        )
        if c.name == "risk"
        else c
        for c in DEFAULT_COMPONENTS
    )
    return Runtime(
        RuntimeConfig(
            host=host,  # type: ignore[arg-type]
            components=comps,
            strategies=(
                StrategySpec("sma_cross", {"fast": 3, "slow": 8}, strategy_id="sma"),
                StrategySpec("momentum", {"lookback": 5, "threshold": 0.004}, strategy_id="mom"),
            ),
        )
    )


def _end_to_end(host: str) -> tuple[tuple[Any, ...], PortfolioState, RiskAssessment, bytes]:
    with _runtime(host) as rt:
        rt.run(scripted_bars(300, ("AAA", "BBB")))
        rt.reconcile()
        return rt.ledger(), rt.portfolio_state(), rt.risk_assessment(), rt.log_bytes()


def test_end_to_end_builtin_strategies_sized_validated_stopped_and_filled() -> None:
    ledger, state_, assessment, log = _end_to_end("deterministic")
    assert len(ledger) > 20
    by_strategy = {f.strategy_id for f in ledger}
    assert by_strategy == {"sma", "mom", "risk"}  # both strategies traded; stops fired
    for fill in ledger:
        assert fill.quantity == int(fill.quantity)  # whole units from the sizer
    assert state_.cash >= 0.0  # the capital check held
    assert b'"reason_code":"INSUFFICIENT_CAPITAL"' in log  # 4 x 30% of equity > 100%
    assert assessment.signals_checked > assessment.signals_rejected > 0
    assert assessment.leverage <= 1.0 + 1e-9


def test_end_to_end_is_identical_on_the_actor_host() -> None:
    det = _end_to_end("deterministic")
    act = _end_to_end("pykka")
    assert det[0] == act[0]
    assert det[1].equity == act[1].equity
    assert det[2].signals_rejected == act[2].signals_rejected


def _fill(order: Message, price: float = 100.0) -> OrderFilled:
    assert isinstance(order, SubmitOrder)
    return OrderFilled(
        client_order_id=order.client_order_id,
        strategy_id=order.strategy_id,
        symbol=order.symbol,
        side=order.side,
        price=price,
        quantity=order.quantity,
    )


def test_each_strategy_reaches_its_own_target_on_a_shared_symbol() -> None:
    r = RiskComponent("risk", SimulatedClock(0), sizer=FixedSizer(10))
    r.handle(state(100_000.0))
    r.handle(snap(100.0))
    other = StrategyId("other")
    a = one(r.handle(sig(1.0)))
    b = one(r.handle(dataclasses.replace(sig(1.0), strategy_id=other)))
    assert isinstance(b, SubmitOrder)
    assert (b.side, b.quantity, b.client_order_id) == (Side.BUY, 10, "other-1")
    r.handle(_fill(a))
    r.handle(_fill(b))
    r.handle(state(98_000.0, 100_000.0, pos=[("A", 20, 100.0)]))
    assert (r.effective_position("A", SID), r.effective_position("A", other)) == (10, 10)
    flat = one(r.handle(sig(0.0)))  # SID goes flat: sells its 10, not the 20 held in all
    assert isinstance(flat, SubmitOrder)
    assert (flat.side, flat.quantity) == (Side.SELL, 10)
    assert r.effective_position("A") == 10


def test_a_filled_stop_exit_flattens_every_strategy_book() -> None:
    r = RiskComponent("risk", SimulatedClock(0), {"stop_loss_pct": 0.1}, sizer=FixedSizer(10))
    r.handle(state(100_000.0))
    r.handle(snap(100.0))
    r.handle(_fill(one(r.handle(sig(1.0)))))
    r.handle(state(99_000.0, 100_000.0, pos=[("A", 10, 100.0)]))
    exit_order = one(r.handle(snap(89.0)))
    r.handle(_fill(exit_order, 89.0))
    r.handle(state(99_890.0, pos=[]))
    assert r.effective_position("A", SID) == 0
    again = one(r.handle(sig(1.0)))  # the strategy's next long is a fresh entry
    assert isinstance(again, SubmitOrder)
    assert (again.side, again.quantity) == (Side.BUY, 10)
