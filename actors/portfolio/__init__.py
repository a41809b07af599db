"""Portfolio actor: cash, positions, P&L and equity, rebuilt from the fill ledger on demand."""

from actors.portfolio.component import PortfolioComponent
from actors.portfolio.ledger import Book, PositionState, apply_fill
from actors.portfolio.tree import PortfolioTree, StrategyGroup

__all__ = [
    "Book",
    "PortfolioComponent",
    "PortfolioTree",
    "PositionState",
    "StrategyGroup",
    "apply_fill",
]
