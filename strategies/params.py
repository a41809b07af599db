"""Typed, validated strategy parameters.

Invariant: a strategy built from a :class:`ParamSchema` only ever sees a complete dict of
checked values: every declared parameter present (defaults filled in), each of its declared
type, inside its bounds, and every cross-parameter constraint (such as ``fast < slow``) holding.
Anything else raises a :class:`StrategyParameterError` that names the strategy and the parameter:

- an undeclared name -> :class:`UnknownParameterError` (lists the known names);
- a wrong type -> :class:`ParameterTypeError` (also a ``TypeError``);
- a value out of range or a failed constraint -> :class:`ParameterValueError`.

Types are strict: ``int`` refuses ``bool`` and ``float`` (``fast=12.0`` is a bug upstream, not
something to round), ``float`` accepts ``int``, ``bool`` accepts only ``bool``. Text from a
command line (``--param fast=12``) goes through :meth:`ParamSchema.parse` first, which converts
strings by the declared type.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from actors.errors import ConfigurationError

__all__ = [
    "Constraint",
    "Param",
    "ParamSchema",
    "ParameterTypeError",
    "ParameterValueError",
    "StrategyParameterError",
    "UnknownParameterError",
]


class StrategyParameterError(ConfigurationError):
    """A strategy parameter is unknown, of the wrong type or out of range."""

    def __init__(self, strategy: str, parameter: str, value: object, reason: str) -> None:
        self.strategy = strategy
        self.parameter = parameter
        self.value = value
        self.reason = reason
        super().__init__(f"strategy {strategy!r}: parameter {parameter!r}={value!r}: {reason}")


class UnknownParameterError(StrategyParameterError):
    """A parameter name the strategy does not declare."""


class ParameterTypeError(StrategyParameterError, TypeError):
    """A parameter value of the wrong type."""


class ParameterValueError(StrategyParameterError):
    """A parameter value out of range, not among the choices, or failing a constraint."""


_TYPE_NAMES: dict[type, str] = {int: "int", float: "float", bool: "bool", str: "str", tuple: "list"}


@dataclass(frozen=True, slots=True)
class Param:
    """One parameter: ``kind`` is ``int``, ``float``, ``bool``, ``str`` or ``tuple`` (a list of
    strings, e.g. a symbol universe; a comma-separated string is accepted too). Bounds
    ``ge``/``gt``/``le``/``lt`` apply to numbers; ``choices`` to strings."""

    name: str
    kind: type
    default: Any
    doc: str = ""
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None
    choices: tuple[str, ...] | None = None

    def check(self, strategy: str, value: Any) -> Any:
        """Return ``value`` normalized (int -> float for floats, list -> tuple); raise if bad."""
        kind = self.kind
        type_error = ParameterTypeError(
            strategy,
            self.name,
            value,
            f"must be {_TYPE_NAMES[kind]}, got {type(value).__name__}",
        )
        if kind is bool:
            if not isinstance(value, bool):
                raise type_error
        elif kind is int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise type_error
            value = int(value)
        elif kind is float:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise type_error
            value = float(value)
            if not math.isfinite(value):
                raise ParameterValueError(strategy, self.name, value, "must be finite")
        elif kind is str:
            if not isinstance(value, str):
                raise type_error
        elif kind is tuple:
            if isinstance(value, str):  # "AAA,BBB": messages and CLIs carry only scalars
                value = tuple(s.strip() for s in value.split(",") if s.strip())
            if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
                raise type_error
            value = tuple(value)
        if kind is int or kind is float:
            self._check_bounds(strategy, value)
        if self.choices is not None and value not in self.choices:
            raise ParameterValueError(
                strategy, self.name, value, f"must be one of {', '.join(self.choices)}"
            )
        return value

    def _check_bounds(self, strategy: str, value: float) -> None:
        checks: tuple[tuple[float | None, str], ...] = (
            (self.ge, ">="),
            (self.gt, ">"),
            (self.le, "<="),
            (self.lt, "<"),
        )
        for bound, op in checks:
            if bound is None:
                continue
            ok = {
                ">=": value >= bound,
                ">": value > bound,
                "<=": value <= bound,
                "<": value < bound,
            }[op]
            if not ok:
                raise ParameterValueError(strategy, self.name, value, f"must be {op} {bound:g}")

    def parse(self, strategy: str, text: str) -> Any:
        """Convert command-line text by the declared type, then :meth:`check` it."""
        value: Any = text
        try:
            if self.kind is int:
                value = int(text)
            elif self.kind is float:
                value = float(text)
            elif self.kind is bool:
                lowered = text.strip().lower()
                if lowered not in ("true", "false", "1", "0", "yes", "no"):
                    raise ValueError(text)
                value = lowered in ("true", "1", "yes")
            elif self.kind is tuple:
                value = tuple(s.strip() for s in text.split(",") if s.strip())
        except ValueError:
            raise ParameterTypeError(
                strategy, self.name, text, f"cannot parse as {_TYPE_NAMES[self.kind]}"
            ) from None
        return self.check(strategy, value)

    def describe(self) -> dict[str, Any]:
        """JSON-able description (type, default, bounds, choices, doc)."""
        out: dict[str, Any] = {"type": _TYPE_NAMES[self.kind], "default": self.default}
        if isinstance(self.default, tuple):
            out["default"] = list(self.default)
        for key in ("ge", "gt", "le", "lt"):
            bound = getattr(self, key)
            if bound is not None:
                out[key] = bound
        if self.choices is not None:
            out["choices"] = list(self.choices)
        if self.doc:
            out["doc"] = self.doc
        return out


@dataclass(frozen=True, slots=True)
class Constraint:
    """A rule across parameters; on failure the error names ``parameter`` and says ``text``
    (formatted with the parameter values, e.g. ``"must be < slow ({slow})"``)."""

    parameter: str
    text: str
    holds: Callable[[Mapping[str, Any]], bool]


@dataclass(frozen=True, slots=True)
class ParamSchema:
    """The declared parameters of one strategy class, in declaration order."""

    params: tuple[Param, ...]
    constraints: tuple[Constraint, ...] = ()

    def __post_init__(self) -> None:
        for p in self.params:  # the defaults themselves must be valid
            p.check("<defaults>", p.default)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)

    def get(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def _unknown(self, strategy: str, raw: Mapping[str, Any]) -> None:
        known = self.names
        for key in raw:
            if key not in known:
                raise UnknownParameterError(
                    strategy, str(key), raw[key], f"unknown parameter; known: {', '.join(known)}"
                )

    def validate(self, strategy: str, raw: Mapping[str, Any] | None) -> dict[str, Any]:
        """Defaults filled in, every value checked; raises :class:`StrategyParameterError`."""
        raw = raw or {}
        self._unknown(strategy, raw)
        out = {
            p.name: p.check(strategy, raw[p.name]) if p.name in raw else p.default
            for p in self.params
        }
        for c in self.constraints:
            if not c.holds(out):
                raise ParameterValueError(
                    strategy, c.parameter, out[c.parameter], c.text.format(**out)
                )
        return out

    def parse(self, strategy: str, raw: Mapping[str, str]) -> dict[str, Any]:
        """Like :meth:`validate` for command-line text values (``{"fast": "12"}``)."""
        self._unknown(strategy, raw)
        typed = {k: self.get(k).parse(strategy, v) for k, v in raw.items()}
        return self.validate(strategy, typed)

    def describe(self) -> dict[str, Any]:
        """JSON-able: ``{"params": {name: {...}}, "constraints": [text, ...]}``."""
        return {
            "params": {p.name: p.describe() for p in self.params},
            "constraints": [f"{c.parameter} {c.text.split(' ({', 1)[0]}" for c in self.constraints],
        }
