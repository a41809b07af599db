"""Risk actor: pre-trade checks, order ids, and the circuit breaker."""

from actors.risk.component import RiskComponent, RiskLimits

__all__ = ["RiskComponent", "RiskLimits"]
