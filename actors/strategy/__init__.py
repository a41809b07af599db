"""Strategy actor: hosts several strategies, each with its own id and lifecycle."""

from actors.strategy.component import StrategyComponent
from actors.strategy.runner import StrategyFactory, StrategyRegistry, StrategyRunner

__all__ = ["StrategyComponent", "StrategyFactory", "StrategyRegistry", "StrategyRunner"]
