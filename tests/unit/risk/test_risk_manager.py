"""RiskManager: seed validate_order, stops, trailing stop, daily stop, drawdown, breaker."""

from __future__ import annotations

import pytest

from actors.errors import ConfigurationError
from actors.messages import PortfolioState, Position, RejectReason
from actors.risk import RiskLimits, RiskManager
from actors.risk.manager import NS_PER_DAY

DAY = NS_PER_DAY


def state(
    equity: float, ts: int = 0, positions: tuple[tuple[str, float, float, float], ...] = ()
) -> PortfolioState:
    return PortfolioState(
        ts_event=ts,
        cash=equity,
        equity=equity,
        realized_pnl=0.0,
        unrealized_pnl=0.0,
        fees=0.0,
        positions=tuple(
            Position(symbol=s, quantity=q, avg_cost=c, realized_pnl=0.0, last_price=p)
            for s, q, c, p in positions
        ),
    )


# -- validate_order (seed API) ---------------------------------------------------------------
def test_validate_order_returns_is_valid_and_error() -> None:
    rm = RiskManager(RiskLimits(max_order_quantity=100, max_position=150, max_notional=10_000))
    assert rm.validate_order("A", 100, 50.0, {"A": 0}) == (True, "")
    assert rm.validate_order("A", -101, 50.0, {}) == (False, "MAX_ORDER_QUANTITY: 101 > 100")
    assert rm.validate_order("A", 60, 50.0, {"A": 100}) == (False, "MAX_POSITION: |160| > 150")
    assert rm.validate_order("A", 60, 50.0, {"A": -100}) == (True, "")  # reduces a short
    ok, err = rm.validate_order("A", 100, 101.0, {})
    assert (ok, err) == (False, "MAX_NOTIONAL: 10100.0 > 10000")
    assert rm.validate_order("A", 1, None, {})[1] == "NO_PRICE: no price to value the order"
    assert rm.validate_order("A", 0, 1.0, {})[1] == "INVALID_QUANTITY: quantity 0"
    assert rm.validate_order("A", float("nan"), 1.0, {})[0] is False


def test_halted_manager_refuses_every_order() -> None:
    rm = RiskManager()
    assert rm.halt("manual")
    assert not rm.halt("manual")  # already set
    ok, err = rm.validate_order("A", 1, 10.0, {})
    assert (ok, err) == (False, "CIRCUIT_BREAKER: halted: manual")
    assert rm.check_order("A", -1, 10.0, {"A": 5}).code is RejectReason.CIRCUIT_BREAKER
    assert rm.resume("manual")
    assert not rm.resume("manual")
    assert rm.validate_order("A", 1, 10.0, {}) == (True, "")


# -- stops ---------------------------------------------------------------------------------------
def test_position_stop_long_and_short() -> None:
    rm = RiskManager(RiskLimits(stop_loss_pct=0.05))
    rm.assess_portfolio_risk(state(1e4, positions=(("L", 10, 100.0, 100.0), ("S", -4, 50.0, 50.0))))
    assert rm.update_price("L", 95.01) is None
    hit = rm.update_price("L", 95.0)  # 100 x (1 - 5%)
    assert hit is not None
    assert (hit.symbol, hit.quantity, hit.kind, hit.level) == ("L", -10, "stop_loss", 95.0)
    assert hit.reason == "stop_loss: L at 95 crossed 95"
    assert rm.update_price("S", 52.49) is None
    hit = rm.update_price("S", 52.5)  # 50 x (1 + 5%)
    assert hit is not None
    assert (hit.quantity, hit.kind) == (4, "stop_loss")
    assert rm.update_price("FLAT", 1.0) is None


def test_a_stop_fires_once_until_the_position_closes_or_the_exit_fails() -> None:
    rm = RiskManager(RiskLimits(stop_loss_pct=0.1))
    rm.assess_portfolio_risk(state(1e4, positions=(("A", 10, 100.0, 100.0),)))
    assert rm.update_price("A", 89.0) is not None
    assert rm.update_price("A", 88.0) is None  # exit already sent
    rm.exit_failed("A")
    assert rm.update_price("A", 87.0) is not None
    rm.assess_portfolio_risk(state(1e4))  # flat now
    rm.assess_portfolio_risk(state(1e4, positions=(("A", 5, 80.0, 80.0),)))  # a new position
    assert rm.update_price("A", 79.0) is None
    assert rm.update_price("A", 72.0) is not None  # 80 x 0.9


def test_trailing_stop_follows_the_high_water_mark() -> None:
    rm = RiskManager(RiskLimits(trailing_stop_pct=0.1))
    rm.assess_portfolio_risk(state(1e4, positions=(("A", 10, 100.0, 100.0),)))
    assert rm.mark("A") == 100.0
    for p in (105.0, 120.0, 110.0):  # mark 120; the stop sits at 108
        assert rm.update_price("A", p) is None
    assert rm.mark("A") == 120.0
    hit = rm.update_price("A", 108.0)
    assert hit is not None
    assert (hit.kind, hit.level, hit.quantity) == ("trailing_stop", pytest.approx(108.0), -10)


def test_trailing_stop_for_a_short_uses_the_low_water_mark() -> None:
    rm = RiskManager(RiskLimits(trailing_stop_pct=0.1))
    rm.assess_portfolio_risk(state(1e4, positions=(("A", -10, 100.0, 100.0),)))
    for p in (90.0, 80.0, 87.9):  # mark 80; the stop sits at 88
        assert rm.update_price("A", p) is None
    hit = rm.update_price("A", 88.0)
    assert hit is not None
    assert (hit.kind, hit.quantity) == ("trailing_stop", 10)


def test_flip_restarts_the_trailing_mark() -> None:
    rm = RiskManager(RiskLimits(trailing_stop_pct=0.5))
    rm.assess_portfolio_risk(state(1e4, positions=(("A", 10, 100.0, 100.0),)))
    rm.update_price("A", 150.0)
    rm.assess_portfolio_risk(state(1e4, positions=(("A", -10, 140.0, 140.0),)))
    assert rm.mark("A") == 140.0


# -- daily stop ----------------------------------------------------------------------------------
def test_daily_loss_halts_and_resumes_the_next_day() -> None:
    rm = RiskManager(RiskLimits(max_daily_loss=0.03))
    rm.assess_portfolio_risk(state(100_000, ts=DAY + 1))
    rm.assess_portfolio_risk(state(97_500, ts=DAY + 2))  # -2.5%
    assert not rm.halted
    a = rm.assess_portfolio_risk(state(96_999, ts=DAY + 3))  # -3.001%
    assert rm.halt_reasons == ("daily_loss",)
    assert a.halted
    assert a.daily_pnl == -3_001
    assert a.day_start_equity == 100_000
    assert rm.validate_order("A", 1, 1.0, {})[1] == "CIRCUIT_BREAKER: halted: daily_loss"
    b = rm.assess_portfolio_risk(state(96_000, ts=2 * DAY + 1))  # next day: start 96,999
    assert not b.halted
    assert b.day_start_equity == 96_999
    assert b.daily_pnl == -999


def test_session_offset_moves_the_day_boundary() -> None:
    hour = 3_600_000_000_000
    rm = RiskManager(RiskLimits(max_daily_loss=0.01, session_offset_ns=5 * hour))
    rm.assess_portfolio_risk(state(100.0, ts=DAY + 6 * hour))
    rm.assess_portfolio_risk(state(98.0, ts=2 * DAY + 4 * hour))  # still the same session
    assert rm.halt_reasons == ("daily_loss",)


# -- drawdown and the breaker ---------------------------------------------------------------
def test_max_drawdown_halts_until_manual_resume_which_restarts_the_peak() -> None:
    rm = RiskManager(RiskLimits(max_drawdown=0.2))
    rm.assess_portfolio_risk(state(100.0))
    rm.assess_portfolio_risk(state(125.0))
    a = rm.assess_portfolio_risk(state(100.0))  # 20% below the 125 peak
    assert a.halt_reasons == ("drawdown",)
    assert a.drawdown == pytest.approx(0.2)
    rm.assess_portfolio_risk(state(130.0))  # recovering does not resume by itself
    assert rm.halted
    rm.assess_portfolio_risk(state(90.0))
    assert rm.resume("drawdown")
    assert rm.peak == 90.0  # measured afresh from the resume
    a = rm.assess_portfolio_risk(state(80.0))  # 11% below 90
    assert not a.halted
    assert a.max_drawdown == pytest.approx(1 - 90 / 130)


def test_several_reasons_all_must_clear() -> None:
    rm = RiskManager(RiskLimits(max_drawdown=0.1, max_daily_loss=0.05))
    rm.assess_portfolio_risk(state(100.0, ts=DAY))
    rm.halt("manual")
    rm.assess_portfolio_risk(state(90.0, ts=DAY + 1))
    assert rm.halt_reasons == ("manual", "drawdown", "daily_loss")
    rm.assess_portfolio_risk(state(90.0, ts=2 * DAY))  # new day clears daily_loss
    assert rm.halt_reasons == ("manual", "drawdown")
    rm.resume("manual")
    rm.resume("drawdown")
    assert not rm.halted


def test_assessment_and_metrics_report_exposure() -> None:
    rm = RiskManager()
    rm.assess_portfolio_risk(
        state(10_000.0, positions=(("A", 10, 100.0, 110.0), ("B", -20, 50.0, 50.0)))
    )
    rm.update_price("A", 120.0)
    a = rm.assessment(signals_checked=3, signals_rejected=1)
    assert (a.gross_exposure, a.net_exposure) == (2_200.0, 200.0)
    assert a.leverage == pytest.approx(0.22)
    assert (a.open_positions, a.signals_checked, a.signals_rejected) == (2, 3, 1)
    m = rm.metrics()
    assert m["gross_exposure"] == 2_200.0
    assert m["halt_reasons"] == []
    assert set(m) >= {"equity", "drawdown", "max_drawdown", "daily_pnl", "leverage", "halted"}


def test_limits_are_validated() -> None:
    with pytest.raises(ConfigurationError, match="stop_loss_pct must be in"):
        RiskLimits(stop_loss_pct=1.5)
    with pytest.raises(ConfigurationError, match=r"unknown risk limits: \['max_dd'\]"):
        RiskLimits.from_config({"max_dd": 0.1})
    assert RiskLimits.from_config({"halt_on_failure_of": ["data"]}).halt_on_failure_of == ("data",)
