"""Strategies: the :class:`Strategy` interface (``strategies.base``), validated parameters
(``strategies.params``), the registry that finds strategies by name (``strategies.registry``),
indicators (``strategies.features``) and the built-in strategies (``sma_cross``, ``macd``,
``momentum``, ``alpha``; imported lazily by the registry). Importing has no side effects."""

from __future__ import annotations

from strategies.base import Strategy, StrategyParams
from strategies.params import (
    Constraint,
    Param,
    ParameterTypeError,
    ParameterValueError,
    ParamSchema,
    StrategyParameterError,
    UnknownParameterError,
)
from strategies.registry import StrategyRegistry, create, register

__all__ = [
    "Constraint",
    "Param",
    "ParamSchema",
    "ParameterTypeError",
    "ParameterValueError",
    "Strategy",
    "StrategyParameterError",
    "StrategyParams",
    "StrategyRegistry",
    "UnknownParameterError",
    "create",
    "register",
]
