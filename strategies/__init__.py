"""Strategies: the :class:`Strategy` interface (``strategies.base``), indicators
(``strategies.features``) and concrete strategies."""

from __future__ import annotations

from strategies.base import Strategy, StrategyParams

__all__ = ["Strategy", "StrategyParams"]
