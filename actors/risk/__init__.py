"""Risk actor: sizing, pre-trade validation, stops, the circuit breaker, post-trade risk.

- :mod:`actors.risk.sizing`: :class:`PositionSizer` and the Fixed, Percent, RiskBased, Kelly
  and Volatility sizers;
- :mod:`actors.risk.validation`: :class:`OrderValidator` (rate limits, capital, position size
  and value, total exposure, with the seed's failure codes);
- :mod:`actors.risk.manager`: :class:`RiskManager` (order limits, stops, daily stop, drawdown,
  circuit breaker, post-trade assessment);
- :mod:`actors.risk.component`: :class:`RiskComponent`, which wires them to messages.
"""

from actors.risk.component import RISK_STRATEGY_ID, RiskComponent
from actors.risk.manager import RiskCheck, RiskLimits, RiskManager, StopExit
from actors.risk.sizing import (
    SIZERS,
    FixedSizer,
    KellySizer,
    PercentSizer,
    PositionSizer,
    RiskBasedSizer,
    SizingResult,
    VolatilitySizer,
    sizer_from_config,
)
from actors.risk.validation import (
    OrderValidator,
    SlidingWindowCounter,
    ValidationLimits,
    ValidationResult,
)

__all__ = [
    "RISK_STRATEGY_ID",
    "SIZERS",
    "FixedSizer",
    "KellySizer",
    "OrderValidator",
    "PercentSizer",
    "PositionSizer",
    "RiskBasedSizer",
    "RiskCheck",
    "RiskComponent",
    "RiskLimits",
    "RiskManager",
    "SizingResult",
    "SlidingWindowCounter",
    "StopExit",
    "ValidationLimits",
    "ValidationResult",
    "VolatilitySizer",
    "sizer_from_config",
]
