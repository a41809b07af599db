"""Typed backtest configuration (the CLI, YAML files and code build the same object).

Every value is checked on construction; a bad one raises :class:`BacktestConfigError` (a
``ValueError``) naming the field, so nothing starts with a half-valid setup.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from actors.errors import ConfigurationError
from actors.execution.bar_venue import FillAt
from actors.risk import RiskLimits
from actors.risk.validation import ValidationLimits

__all__ = ["BacktestConfig", "BacktestConfigError", "HostName"]

HostName = Literal["deterministic", "actors"]


class BacktestConfigError(ConfigurationError, ValueError):
    """A backtest setting is invalid; the message names it."""


@dataclass(frozen=True)
class BacktestConfig:
    """One backtest's settings.

    Execution timing (``fill_at``): ``"open"`` (default) fills an order decided on bar ``t`` at
    bar ``t+1``'s open; ``"close"`` fills it at bar ``t``'s own close -- trading on the bar you
    just observed (opt-in; see :mod:`actors.execution.bar_venue`). ``"vwap"`` is like close at
    the bar's typical price.

    ``host``: ``"deterministic"`` (one thread; by default through the fast path, which drives
    the same components directly and gives identical results) or ``"actors"`` (each component
    in a Pykka actor, lockstep). ``fast_path=False`` forces the full Runtime message flow on
    the deterministic host. Within the fast path, ``vector_path`` lets strategies with a batch
    adapter (:mod:`actors.backtest.vectorized`) skip the bars where nothing happens.

    ``message_log_dir``: on the Runtime path (``host="actors"`` or ``fast_path=False``) the
    logging actor is attached and writes every message to ``<dir>/messages.jsonl``; the fast
    paths have no message flow to log and ignore it.
    """

    strategy: str = "sma_cross"
    params: Mapping[str, Any] = field(default_factory=dict)
    strategy_id: str | None = None
    initial_capital: float = 100_000.0
    position_size: float = 0.1
    sizer: Mapping[str, Any] | None = None
    fill_at: FillAt = "open"
    slippage_bps: float = 0.0
    fee_bps: float = 0.0
    fee_per_order: float = 0.0
    max_volume_pct: float | None = None
    size_increment: float = 1.0
    host: HostName = "deterministic"
    fast_path: bool = True
    vector_path: bool = True
    risk_limits: RiskLimits | Mapping[str, Any] | None = None
    validation: ValidationLimits | Mapping[str, Any] | None = None
    periods_per_year: float | None = None
    close_at_end: bool = True
    chunk_bars: int = 50_000
    message_log_dir: str | None = None

    def __post_init__(self) -> None:
        def bad(name: str, value: Any, why: str) -> BacktestConfigError:
            return BacktestConfigError(f"invalid {name} {value!r}: {why}")

        def finite(name: str) -> float:
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                raise bad(name, v, "must be a finite number")
            return float(v)

        if not isinstance(self.strategy, str) or not self.strategy:
            raise bad("strategy", self.strategy, "must be a non-empty name")
        if finite("initial_capital") <= 0:
            raise bad("initial_capital", self.initial_capital, "must be > 0")
        ps = finite("position_size")
        if not 0 < ps <= 1:
            raise bad("position_size", ps, "must be in (0, 1] (a fraction of equity)")
        if not 0 <= finite("slippage_bps") < 10_000:
            raise bad("slippage_bps", self.slippage_bps, "must be in [0, 10000)")
        if finite("fee_bps") < 0:
            raise bad("fee_bps", self.fee_bps, "must be >= 0")
        if finite("fee_per_order") < 0:
            raise bad("fee_per_order", self.fee_per_order, "must be >= 0")
        if finite("size_increment") <= 0:
            raise bad("size_increment", self.size_increment, "must be > 0")
        if self.max_volume_pct is not None and not 0 < finite("max_volume_pct") <= 1:
            raise bad("max_volume_pct", self.max_volume_pct, "must be in (0, 1] or None")
        if self.fill_at not in ("open", "close", "vwap"):
            raise bad("fill_at", self.fill_at, "must be open, close or vwap")
        if self.sizer is not None and not isinstance(self.sizer, Mapping):
            raise bad("sizer", self.sizer, "must be a mapping such as {'method': 'percent'}")
        if self.host not in ("deterministic", "actors"):
            raise bad("host", self.host, "must be deterministic or actors")
        if not isinstance(self.params, Mapping):
            raise bad("params", self.params, "must be a mapping")
        if self.chunk_bars < 1:
            raise bad("chunk_bars", self.chunk_bars, "must be >= 1")

    def sizer_config(self) -> dict[str, Any]:
        """The risk component's sizer: ``sizer`` when given, else ``position_size`` of equity
        per position in ``size_increment`` units (:class:`actors.risk.sizing.PercentSizer`)."""
        if self.sizer is not None:
            return dict(self.sizer)
        return {
            "method": "percent",
            "fraction": self.position_size,
            "increment": self.size_increment,
        }

    def limits(self) -> RiskLimits:
        if isinstance(self.risk_limits, RiskLimits):
            return self.risk_limits
        return RiskLimits(**dict(self.risk_limits or {}))

    def to_dict(self) -> dict[str, Any]:
        """JSON types (risk limits as a mapping)."""
        out: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            v = getattr(self, name)
            if name == "params":
                v = dict(sorted(v.items()))
            elif name in ("risk_limits", "validation") and v is not None:
                if not isinstance(v, Mapping):
                    v = {k: getattr(v, k) for k in v.__dataclass_fields__}
                v = {k: list(x) if isinstance(x, tuple) else x for k, x in v.items()}
            elif name == "sizer" and v is not None:
                v = dict(v)
            out[name] = v
        return out
