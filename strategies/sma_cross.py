"""SMA crossover: long while the fast simple moving average is above the slow one.

Signal semantics (per symbol, from the bar closes, :class:`RegimeStrategy` emission rules):

- both averages must exist (``slow`` bars seen) before any signal;
- fast > slow  -> regime +1: a BUY with ``target_weight=1`` when not already long (so the first
  bar where both exist and fast > slow enters long, as does every cross up);
- fast < slow  -> regime 0 (SELL, ``target_weight=0``: close the long), or -1 (SELL,
  ``target_weight=-1``: reverse to short) when ``allow_short``;
- fast == slow -> keep the current regime (no signal);
- a signal is emitted only on a change of regime, never repeated.
"""

from __future__ import annotations

from actors.ids import StrategyId
from actors.messages import Bar
from strategies.base import StrategyParams
from strategies.features import SMA
from strategies.params import Constraint, Param, ParamSchema
from strategies.regime import RegimeStrategy

__all__ = ["SMACrossStrategy"]


class SMACrossStrategy(RegimeStrategy):
    """SMA crossover: long when SMA(fast) > SMA(slow); flat (or short) on the cross down."""

    parameters = ParamSchema(
        (
            Param("fast", int, 10, "bars in the fast SMA", ge=1),
            Param("slow", int, 30, "bars in the slow SMA", ge=2),
            Param("allow_short", bool, False, "go short (not flat) when fast < slow"),
        ),
        (Constraint("fast", "must be < slow ({slow})", lambda p: p["fast"] < p["slow"]),),
    )

    def __init__(self, strategy_id: StrategyId, params: StrategyParams | None = None) -> None:
        super().__init__(strategy_id, params)
        self.fast: int = self.params["fast"]
        self.slow: int = self.params["slow"]
        self.allow_short: bool = self.params["allow_short"]
        self._smas: dict[str, tuple[SMA, SMA]] = {}

    def on_bar(self, symbol: str, bar: Bar) -> tuple[int | None, str]:
        pair = self._smas.get(symbol)
        if pair is None:
            pair = self._smas[symbol] = (SMA(self.fast), SMA(self.slow))
        f = pair[0].update(bar.close)
        s = pair[1].update(bar.close)
        if f is None or s is None:
            return None, ""
        if f > s:
            return 1, f"sma_cross: fast {f:.6g} > slow {s:.6g}"
        if f < s:
            return (-1 if self.allow_short else 0), f"sma_cross: fast {f:.6g} < slow {s:.6g}"
        return None, ""
