"""ReportingComponent: collects the equity curve and builds the run report.

It is sent every :class:`PortfolioState` (the equity curve) and :class:`RiskAssessment`; the
orchestrator hands it the final snapshots and the trade history in :meth:`build_report` (a
component never blocks on another). The report is plain JSON types; the backtest and live layers
render it. ``equity_curve`` is ``[[ts_ns, equity], ...]`` with strictly increasing timestamps (one
point per timestamp, the last state wins), ready for ``actors.reporting.analytics``, which owns
the richer statistics; ``max_drawdown`` follows its convention (<= 0).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from actors.clock import Clock
from actors.component import Component
from actors.messages import Message, PortfolioState, RiskAssessment, to_dict

__all__ = ["ReportingComponent"]


class ReportingComponent(Component):
    subscriptions = (PortfolioState, RiskAssessment)

    def __init__(self, name: str, clock: Clock, initial_cash: float = 100_000.0) -> None:
        super().__init__(name, clock)
        self.initial_cash = initial_cash
        self.equity_curve: list[tuple[int, float]] = []
        #: gross exposure (sum of |quantity x last price|) at each equity point
        self.exposure_curve: list[float] = []
        self.last_portfolio: PortfolioState | None = None
        self.last_risk: RiskAssessment | None = None

    def on_portfolio_state(self, state: PortfolioState) -> None:
        self.last_portfolio = state
        curve = self.equity_curve
        gross = 0.0
        for p in state.positions:
            gross += abs(p.quantity * p.last_price)
        if curve and curve[-1][0] == state.ts_event:
            curve[-1] = (state.ts_event, state.equity)
            self.exposure_curve[-1] = gross
        else:
            curve.append((state.ts_event, state.equity))
            self.exposure_curve.append(gross)

    def on_risk_assessment(self, assessment: RiskAssessment) -> None:
        self.last_risk = assessment

    def build_report(
        self,
        portfolio: PortfolioState | None = None,
        risk: RiskAssessment | None = None,
        trades: Sequence[dict[str, Any]] = (),
    ) -> dict[str, Any]:
        """The report as a JSON-able dict (keys: metrics, portfolio, risk, trades, equity_curve)."""
        portfolio = portfolio or self.last_portfolio
        risk = risk or self.last_risk
        peak = self.initial_cash
        max_dd = 0.0  # <= 0, a fraction below the running peak (analytics' convention)
        for _, eq in self.equity_curve:
            peak = max(peak, eq)
            if peak > 0:
                max_dd = min(max_dd, eq / peak - 1.0)
        final = portfolio.equity if portfolio is not None else self.initial_cash
        metrics: dict[str, Any] = {
            "initial_cash": self.initial_cash,
            "final_equity": final,
            "total_return": final / self.initial_cash - 1.0 if self.initial_cash else 0.0,
            "max_drawdown": max_dd,
            "realized_pnl": portfolio.realized_pnl if portfolio else 0.0,
            "unrealized_pnl": portfolio.unrealized_pnl if portfolio else 0.0,
            "fees": portfolio.fees if portfolio else 0.0,
            "fills": len(trades),
        }
        return {
            "metrics": metrics,
            "portfolio": to_dict(portfolio) if portfolio is not None else None,
            "risk": to_dict(risk) if risk is not None else None,
            "trades": list(trades),
            "equity_curve": [[ts, eq] for ts, eq in self.equity_curve],
        }

    def on_stop(self) -> Sequence[Message]:
        return ()
