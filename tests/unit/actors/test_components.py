"""Each component's logic, driven directly (no host)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from actors.clock import SimulatedClock
from actors.component import Component, handler_name
from actors.data import DataComponent, ScriptedSource
from actors.errors import ReconciliationError
from actors.execution import ExecutionComponent, FillModel, SimulatedVenue, VenueConfig
from actors.ids import ClientOrderId, StrategyId
from actors.logger import LoggingComponent
from actors.messages import (
    Bar,
    CancelOrder,
    ComponentFailed,
    ComponentStarted,
    DeadLetter,
    HaltTrading,
    LoadStrategy,
    LogEntry,
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
    PauseStrategy,
    PortfolioState,
    Position,
    QuoteTick,
    RejectReason,
    ResumeTrading,
    RiskAssessment,
    Side,
    Signal,
    SignalAction,
    StartStrategy,
    StopStrategy,
    StrategyStatusChanged,
    SubmitOrder,
    TimeInForce,
    restamp,
)
from actors.portfolio import PortfolioComponent
from actors.reporting import ReportingComponent
from actors.risk import RiskComponent, RiskLimits
from actors.strategy import StrategyComponent, StrategyRegistry
from strategies.base import Strategy

DAY = 86_400 * 10**9


def bar(ts: int, o: float, h: float, lo: float, c: float, v: float = 1000.0, sym: str = "A") -> Bar:
    return Bar(
        message_id=f"b{ts}", ts_event=ts, symbol=sym, open=o, high=h, low=lo, close=c, volume=v
    )


def snap(b: Bar) -> MarketSnapshot:
    return MarketSnapshot(
        message_id=f"s{b.ts_event}", ts_event=b.ts_event, symbol=b.symbol, last_price=b.close, bar=b
    )


def order(cid: str = "s-1", side: Side = Side.BUY, qty: float = 10.0, **kw: Any) -> SubmitOrder:
    return SubmitOrder(
        message_id=f"o{cid}",
        ts_event=kw.pop("ts_event", 1),
        client_order_id=cid,
        strategy_id="s",
        symbol="A",
        side=side,
        quantity=qty,
        **kw,
    )


def signal(action: SignalAction = SignalAction.BUY, **kw: Any) -> Signal:
    kw.setdefault("quantity", 10.0)
    return Signal(message_id="sig", symbol="A", action=action, strategy_id="s", **kw)


def only(out: Sequence[Message], kind: type) -> list[Any]:
    return [o for o in out if isinstance(o, kind)]


# -- dispatch ---------------------------------------------------------------------------------
class Echo(Component):
    subscriptions = (Bar,)

    def on_bar(self, b: Bar) -> Sequence[Message]:
        return (self.log(LogLevel.INFO, "bar", b),)


def test_handler_names_are_snake_case() -> None:
    assert handler_name(OrderPartiallyFilled) == "on_order_partially_filled"
    assert handler_name(QuoteTick) == "on_quote_tick"


def test_unknown_and_malformed_messages_become_dead_letters(clock: SimulatedClock) -> None:
    c = Echo("echo", clock)
    (dl,) = c.handle(HaltTrading(reason="x"))
    assert isinstance(dl, DeadLetter)
    assert dl.original_type == "HaltTrading"
    assert "no handler" in dl.reason
    (dl2,) = c.handle({"not": "a message"})
    assert isinstance(dl2, DeadLetter)
    assert dl2.original_type == "dict"
    (entry,) = c.handle(bar(5, 1, 1, 1, 1))  # still works afterwards
    assert isinstance(entry, LogEntry)
    assert entry.causation_id == "b5"
    assert entry.correlation_id == "b5"
    assert entry.message_id == "echo-3"


# -- data -------------------------------------------------------------------------------------
def test_data_publishes_snapshots_and_drops_out_of_order(clock: SimulatedClock) -> None:
    d = DataComponent("data", clock)
    (s1,) = d.handle(bar(10, 1, 2, 1, 2))
    assert isinstance(s1, MarketSnapshot)
    assert s1.last_price == 2
    assert s1.bar is not None
    assert s1.ts_event == 10
    (s2,) = d.handle(QuoteTick(ts_event=11, symbol="A", bid=1.0, ask=3.0))
    assert isinstance(s2, MarketSnapshot)
    assert s2.last_price == 2.0
    assert s2.quote is not None
    assert s2.bar is not None
    (warn,) = d.handle(bar(9, 1, 1, 1, 1))
    assert isinstance(warn, LogEntry)
    assert warn.level is LogLevel.WARNING
    assert d.dropped == 1


def test_scripted_source_is_stable_sorted() -> None:
    b1, b2, b3 = bar(5, 1, 1, 1, 1, sym="X"), bar(5, 1, 1, 1, 1, sym="Y"), bar(3, 1, 1, 1, 1)
    assert [m.symbol for m in ScriptedSource([b1, b2, b3])] == ["A", "X", "Y"]


# -- risk -------------------------------------------------------------------------------------
def test_risk_turns_signals_into_orders_with_strategy_sequenced_ids(clock: SimulatedClock) -> None:
    r = RiskComponent("risk", clock)
    (o1,) = r.handle(signal())
    (o2,) = r.handle(signal(SignalAction.SELL, quantity=3.0))
    assert isinstance(o1, SubmitOrder)
    assert isinstance(o2, SubmitOrder)
    assert (o1.client_order_id, o1.side, o1.quantity) == ("s-1", Side.BUY, 10.0)
    assert (o2.client_order_id, o2.side) == ("s-2", Side.SELL)
    assert o1.correlation_id == "sig"
    assert r.handle(signal(SignalAction.HOLD, quantity=None)) == ()


def test_risk_target_position_uses_last_portfolio_state(clock: SimulatedClock) -> None:
    r = RiskComponent("risk", clock)
    r.handle(
        PortfolioState(
            cash=0.0,
            equity=100.0,
            realized_pnl=0.0,
            unrealized_pnl=0.0,
            fees=0.0,
            positions=(
                Position(symbol="A", quantity=4.0, avg_cost=1.0, realized_pnl=0.0, last_price=1.0),
            ),
        )
    )
    (o,) = r.handle(signal(quantity=None, target_position=-2.0))
    assert isinstance(o, SubmitOrder)
    assert (o.side, o.quantity) == (Side.SELL, 6.0)
    assert r.handle(signal(quantity=None, target_position=4.0)) == ()


@pytest.mark.parametrize(
    ("limits", "sig", "code"),
    [
        (RiskLimits(max_order_quantity=5), signal(), RejectReason.MAX_ORDER_QUANTITY),
        (RiskLimits(max_position=5), signal(), RejectReason.MAX_POSITION),
        (
            RiskLimits(max_notional=50),
            signal(order_type=OrderType.LIMIT, price=10.0),
            RejectReason.MAX_NOTIONAL,
        ),
        (RiskLimits(max_notional=50), signal(), RejectReason.NO_PRICE),
    ],
)
def test_risk_rejections_carry_reason_codes(
    clock: SimulatedClock, limits: RiskLimits, sig: Signal, code: RejectReason
) -> None:
    (rej,) = RiskComponent("risk", clock, limits).handle(sig)
    assert isinstance(rej, OrderRejected)
    assert rej.reason_code is code


def test_circuit_breaker_halts_on_failure_and_resumes_on_restart(clock: SimulatedClock) -> None:
    r = RiskComponent("risk", clock)
    (a,) = r.handle(ComponentFailed(component="execution", error="boom", policy="RESTART"))
    assert isinstance(a, RiskAssessment)
    assert a.halted
    assert a.halt_reasons == ("component:execution",)
    (rej,) = r.handle(signal())
    assert isinstance(rej, OrderRejected)
    assert rej.reason_code is RejectReason.CIRCUIT_BREAKER
    assert r.handle(ComponentFailed(component="strategy", error="x", policy="RESTART")) == ()
    (b,) = r.handle(ComponentStarted(component="execution", restarted=True))
    assert isinstance(b, RiskAssessment)
    assert not b.halted
    r.handle(HaltTrading(reason="manual"))
    assert r.halted
    r.handle(ResumeTrading(reason="manual"))
    assert isinstance(r.handle(signal())[0], SubmitOrder)


def test_drawdown_trips_the_breaker(clock: SimulatedClock) -> None:
    r = RiskComponent("risk", clock, RiskLimits(max_drawdown=0.1))

    def state(eq: float) -> PortfolioState:
        return PortfolioState(cash=eq, equity=eq, realized_pnl=0, unrealized_pnl=0, fees=0)

    assert r.handle(state(100.0)) == ()
    assert r.handle(state(95.0)) == ()
    (a,) = r.handle(state(89.0))
    assert isinstance(a, RiskAssessment)
    assert a.halt_reasons == ("drawdown",)
    assert a.drawdown == pytest.approx(0.11)


# -- execution --------------------------------------------------------------------------------
def test_market_order_fills_at_next_bar_open_never_on_its_own_bar(clock: SimulatedClock) -> None:
    ex = ExecutionComponent("execution", clock)
    ex.handle(snap(bar(1, 10, 11, 9, 10)))
    (acc,) = ex.handle(order())
    assert isinstance(acc, OrderAccepted)
    (fill,) = ex.handle(snap(bar(2, 12, 13, 11, 12)))
    assert isinstance(fill, OrderFilled)
    assert (fill.price, fill.quantity, fill.side) == (12.0, 10.0, Side.BUY)
    assert fill.correlation_id == "s2"


def test_limit_and_stop_rules(clock: SimulatedClock) -> None:
    ex = ExecutionComponent("execution", clock)
    ex.handle(order("l1", order_type=OrderType.LIMIT, price=9.5))
    ex.handle(order("l2", Side.SELL, order_type=OrderType.LIMIT, price=9.0))
    ex.handle(order("st", order_type=OrderType.STOP, trigger_price=10.5))
    ex.handle(order("far", order_type=OrderType.LIMIT, price=1.0))
    fills = {f.client_order_id: f.price for f in ex.handle(snap(bar(2, 10, 11, 9, 10)))}
    assert fills == {"l1": 9.5, "l2": 10.0, "st": 10.5}


def test_stop_limit_triggers_then_rests(clock: SimulatedClock) -> None:
    ex = ExecutionComponent("execution", clock)
    ex.handle(order("sl", order_type=OrderType.STOP_LIMIT, trigger_price=10.5, price=10.2))
    assert not ex.handle(snap(bar(2, 10, 11, 9.8, 10)))  # triggered at 10.5 > limit 10.2
    (f,) = ex.handle(snap(bar(3, 10.4, 10.6, 10.0, 10.1)))
    assert isinstance(f, OrderFilled)
    assert f.price == 10.2


def test_volume_cap_partial_fills_and_tif(clock: SimulatedClock) -> None:
    venue_cfg = VenueConfig(max_volume_pct=0.1, fee_bps=10.0)
    ex = ExecutionComponent("execution", clock, lambda: SimulatedVenue(venue_cfg))
    ex.handle(order("gtc", qty=15.0))
    ex.handle(order("ioc", qty=15.0, time_in_force=TimeInForce.IOC))
    ex.handle(order("fok", qty=15.0, time_in_force=TimeInForce.FOK))
    out = ex.handle(snap(bar(2, 10, 11, 9, 10, v=100.0)))
    kinds = [(type(o).__name__, o.client_order_id) for o in out]
    assert kinds == [
        ("OrderPartiallyFilled", "gtc"),
        ("OrderPartiallyFilled", "ioc"),
        ("OrderCanceled", "ioc"),
        ("OrderCanceled", "fok"),
    ]
    part = out[0]
    assert isinstance(part, OrderPartiallyFilled)
    assert (part.quantity, part.remaining, part.fee) == (10.0, 5.0, pytest.approx(0.1))
    (rest,) = ex.handle(snap(bar(3, 10, 11, 9, 10, v=100.0)))
    assert isinstance(rest, OrderFilled)
    assert rest.quantity == 5.0


def test_day_orders_expire_and_cancel_modify(clock: SimulatedClock) -> None:
    ex = ExecutionComponent("execution", clock)
    ex.handle(order("d", order_type=OrderType.LIMIT, price=1.0, time_in_force=TimeInForce.DAY))
    ex.handle(order("g", order_type=OrderType.LIMIT, price=1.0))
    (mod,) = ex.handle(
        ModifyOrder(client_order_id="g", strategy_id="s", symbol="A", quantity=20.0, price=2.0)
    )
    assert isinstance(mod, OrderModified)
    assert (mod.quantity, mod.price) == (20.0, 2.0)
    (exp,) = ex.handle(snap(bar(DAY + 5, 10, 11, 9, 10)))
    assert isinstance(exp, OrderExpired)
    assert exp.client_order_id == "d"
    (can,) = ex.handle(CancelOrder(client_order_id="g", strategy_id="s", symbol="A"))
    assert isinstance(can, OrderCanceled)
    (rej,) = ex.handle(CancelOrder(client_order_id="g", strategy_id="s", symbol="A"))
    assert isinstance(rej, OrderRejected)
    assert rej.reason_code is RejectReason.UNKNOWN_ORDER
    (dup,) = ex.handle(order("g"))
    assert isinstance(dup, OrderRejected)
    assert dup.reason_code is RejectReason.VENUE_REJECTED


def test_day_orders_live_for_the_new_york_session_not_the_utc_date(clock: SimulatedClock) -> None:
    def utc_ns(text: str) -> int:
        return int(datetime.fromisoformat(text).timestamp()) * 10**9

    ex = ExecutionComponent("execution", clock)
    placed = utc_ns("2024-03-05T20:30:00+00:00")  # 15:30 in New York
    ex.handle(
        order(
            "d",
            order_type=OrderType.LIMIT,
            price=1.0,
            time_in_force=TimeInForce.DAY,
            ts_event=placed,
        )
    )
    # 00:30 UTC on the 6th is 19:30 on the 5th in New York: the same session
    assert (
        only(ex.handle(snap(bar(utc_ns("2024-03-06T00:30:00+00:00"), 10, 11, 9, 10))), OrderExpired)
        == []
    )
    # 09:30 on the 6th in New York: a new session, the order has expired
    (exp,) = ex.handle(snap(bar(utc_ns("2024-03-06T14:30:00+00:00"), 10, 11, 9, 10)))
    assert isinstance(exp, OrderExpired)
    assert exp.client_order_id == "d"


def test_immediate_fill_model_fills_at_given_or_last_price(clock: SimulatedClock) -> None:
    venue = SimulatedVenue(VenueConfig(fill_model=FillModel.IMMEDIATE, slippage_bps=100.0))
    ex = ExecutionComponent("execution", clock, lambda: venue)
    ex.handle(snap(bar(1, 10, 11, 9, 10)))
    acc, fill = ex.handle(order())
    assert isinstance(acc, OrderAccepted)
    assert isinstance(fill, OrderFilled)
    assert fill.price == pytest.approx(10.1)
    _, fill2 = ex.handle(order("s-2", Side.SELL, price=20.0))
    assert isinstance(fill2, OrderFilled)
    assert fill2.price == pytest.approx(19.8)
    assert venue.statuses[ClientOrderId("s-2")].value == "FILLED"


# -- portfolio --------------------------------------------------------------------------------
def fill(side: Side, qty: float, price: float, fee: float = 0.0, sym: str = "A") -> OrderFilled:
    return OrderFilled(
        client_order_id="c",
        strategy_id="s",
        symbol=sym,
        side=side,
        price=price,
        quantity=qty,
        fee=fee,
    )


def test_portfolio_average_cost_realized_pnl_and_flip(clock: SimulatedClock) -> None:
    p = PortfolioComponent("portfolio", clock, initial_cash=1000.0)
    p.handle(fill(Side.BUY, 10, 10.0, fee=1.0))
    p.handle(fill(Side.BUY, 10, 12.0))
    (s,) = p.handle(fill(Side.SELL, 15, 13.0))
    assert isinstance(s, PortfolioState)
    (pos,) = s.positions
    assert pos.quantity == 5
    assert pos.avg_cost == 11.0
    assert s.realized_pnl == pytest.approx(30.0)
    assert s.fees == 1.0
    (s2,) = p.handle(fill(Side.SELL, 10, 14.0))  # through zero: short 5 @ 14
    assert isinstance(s2, PortfolioState)
    assert s2.position("A") == -5
    assert s2.positions[0].avg_cost == 14.0
    assert s2.realized_pnl == pytest.approx(45.0)
    (s3,) = p.handle(snap(bar(5, 13, 13, 12, 12)))
    assert isinstance(s3, PortfolioState)
    assert s3.unrealized_pnl == pytest.approx(10.0)
    assert s3.equity == pytest.approx(1000.0 - 1.0 + 45.0 + 10.0)
    assert p.handle(snap(bar(5, 13, 13, 12, 12))) == ()  # same bar: no new mark
    p.reconcile()
    p.book.cash += 1.0
    with pytest.raises(ReconciliationError):
        p.reconcile()


# -- logger / reporting -----------------------------------------------------------------------
def test_logger_buffers_flushes_on_cadence_and_at_stop(tmp_path: Path) -> None:
    clock = SimulatedClock(0)
    lg = LoggingComponent("logger", clock, run_dir=tmp_path, flush_every=3, flush_interval_ns=100)
    path = tmp_path / "messages.jsonl"
    lg.handle(bar(1, 1, 1, 1, 1))
    lg.handle(fill(Side.BUY, 1, 1.0))
    assert not path.exists()
    lg.log_event("INFO", "hello", {"b": 2, "a": 1})
    assert len(path.read_bytes().splitlines()) == 3
    clock.set_ns(150)
    lg.log_signal(signal())
    assert len(path.read_bytes().splitlines()) == 4
    lg.log_trade(
        OrderFilled(
            ts_event=200,
            client_order_id="c",
            strategy_id="s",
            symbol="A",
            side=Side.SELL,
            price=2.0,
            quantity=1.0,
        )
    )
    lg.on_stop()
    rows = LoggingComponent.read_jsonl(path)
    assert [r["type"] for r in rows] == ["Bar", "OrderFilled", "LogEntry", "Signal", "OrderFilled"]
    assert rows[2]["data"]["details"] == [["a", 1], ["b", 2]]
    assert len(lg.get_trade_history()) == 2
    assert [t["ts_event"] for t in lg.get_trade_history(100, None)] == [200]
    assert lg.get_trade_history(0, 200)[0]["side"] == "BUY"


def test_logger_in_memory_and_non_messages(clock: SimulatedClock) -> None:
    lg = LoggingComponent("logger", clock)
    assert lg.handle(42) == ()
    lg.flush()
    assert orjson.loads(lg.lines[0])["type"] == "DeadLetter"


def test_reporting_builds_json_report(clock: SimulatedClock) -> None:
    rep = ReportingComponent("reporting", clock, initial_cash=100.0)
    for ts, eq in [(1, 100.0), (2, 120.0), (3, 90.0), (3, 96.0)]:
        rep.handle(
            PortfolioState(
                ts_event=ts, cash=eq, equity=eq, realized_pnl=0.0, unrealized_pnl=0.0, fees=0.0
            )
        )
    rep.handle(RiskAssessment(equity=96.0, peak_equity=120.0, drawdown=0.2, halted=False))
    report = rep.build_report(trades=({"price": 1.0},))
    orjson.dumps(report)
    assert report["equity_curve"] == [[1, 100.0], [2, 120.0], [3, 96.0]]
    assert report["metrics"]["max_drawdown"] == pytest.approx(-0.2)
    assert report["metrics"]["total_return"] == pytest.approx(-0.04)
    assert report["risk"]["drawdown"] == 0.2
    assert report["metrics"]["fills"] == 1


def test_strategy_id_typing_is_distinct() -> None:
    assert StrategyId("a") == "a"


# -- strategy component -----------------------------------------------------------------------
class _Bad(Strategy):
    def generate_signals(self, snapshot: MarketSnapshot) -> Sequence[Signal]:
        if snapshot.last_price > 5:
            return ("not a signal",)  # type: ignore[return-value]
        raise ZeroDivisionError("oops")


class _Good(Strategy):
    def generate_signals(self, snapshot: MarketSnapshot) -> Sequence[Signal]:
        return (Signal(symbol=snapshot.symbol, action=SignalAction.BUY, quantity=1.0),)


def test_a_failing_strategy_goes_to_error_alone(clock: SimulatedClock) -> None:
    comp = StrategyComponent("strategy", clock, StrategyRegistry({"bad": _Bad, "good": _Good}))
    for name in ("bad", "good"):
        (changed,) = comp.handle(LoadStrategy(strategy_id=name, name=name))
        assert isinstance(changed, StrategyStatusChanged)
        comp.handle(StartStrategy(strategy_id=name))
    out = comp.handle(snap(bar(5, 1, 1, 1, 1)))
    assert [type(o) for o in out] == [StrategyStatusChanged, Signal]
    failed = out[0]
    assert isinstance(failed, StrategyStatusChanged)
    assert (failed.strategy_id, failed.status, failed.error) == (
        "bad",
        "ERROR",
        "ZeroDivisionError: oops",
    )
    sig = out[1]
    assert isinstance(sig, Signal)
    assert (sig.strategy_id, sig.causation_id, sig.source) == ("good", "s5", "strategy")
    comp.handle(StopStrategy(strategy_id="bad"))
    comp.handle(StartStrategy(strategy_id="bad"))
    (err, _) = comp.handle(snap(bar(6, 9, 9, 9, 9)))
    assert isinstance(err, StrategyStatusChanged)
    assert err.error.startswith("TypeError: generate_signals must return Signal")
    (refused,) = comp.handle(PauseStrategy(strategy_id="bad"))
    assert isinstance(refused, LogEntry)
    assert refused.level is LogLevel.ERROR
    (unknown,) = comp.handle(LoadStrategy(strategy_id="x", name="missing"))
    assert isinstance(unknown, LogEntry)
    assert "missing" in unknown.message


def test_stamped_copy_equals_restamp_with_the_stamp_envelope(clock: SimulatedClock) -> None:
    """The strategy hot path's single copy gives exactly what ``restamp(m, **stamp(cause))``
    gives (same id sequence, causal chain, clock), with extra envelope fields applied."""
    clock.set_ns(7_000)
    cause = snap(bar(5_000, 10.0, 11.0, 9.0, 10.5))
    chained = MarketSnapshot(
        message_id="s2", ts_event=6_000, correlation_id="root", symbol="A", last_price=10.0
    )
    raw = Signal(symbol="A", action=SignalAction.SELL, quantity=3.0, reason="why", price=9.5)
    for c in (cause, chained):
        fast, slow = Echo("strategy", clock), Echo("strategy", clock)
        copied = fast.stamped_copy(raw, c, strategy_id=StrategyId("sid"))
        expected = restamp(raw, **slow.stamp(c), strategy_id=StrategyId("sid"))
        assert copied == expected
        assert type(copied) is Signal
        assert copied.correlation_id == (c.correlation_id or c.message_id)
        assert copied.ts_init == 7_000
        assert copied.ts_event == c.ts_event
    assert raw.message_id == ""  # the original is untouched
    assert raw.strategy_id == ""
