"""MACD strategy: long while the MACD line is above its signal line.

Signal semantics (per symbol, from the bar closes; MACD from :class:`strategies.features.MACD`,
which needs ``slow + signal - 1`` bars before its first value):

- histogram (line - signal) > 0 -> regime +1 (BUY, ``target_weight=1``) when not already long;
- histogram < 0 -> regime 0 (SELL to flat), or -1 (SELL to short) when ``allow_short``;
- histogram == 0 -> keep the current regime;
- a signal only on a change of regime.
"""

from __future__ import annotations

from actors.ids import StrategyId
from actors.messages import Bar
from strategies.base import StrategyParams
from strategies.features import MACD
from strategies.params import Constraint, Param, ParamSchema
from strategies.regime import RegimeStrategy

__all__ = ["MACDStrategy"]


class MACDStrategy(RegimeStrategy):
    """MACD: long when the MACD line is above its signal line; flat (or short) below it."""

    parameters = ParamSchema(
        (
            Param("fast", int, 12, "span of the fast EMA", ge=1),
            Param("slow", int, 26, "span of the slow EMA", ge=2),
            Param("signal", int, 9, "span of the signal-line EMA", ge=1),
            Param("allow_short", bool, False, "go short (not flat) when the histogram is < 0"),
        ),
        (Constraint("fast", "must be < slow ({slow})", lambda p: p["fast"] < p["slow"]),),
    )

    def __init__(self, strategy_id: StrategyId, params: StrategyParams | None = None) -> None:
        super().__init__(strategy_id, params)
        self.fast: int = self.params["fast"]
        self.slow: int = self.params["slow"]
        self.signal: int = self.params["signal"]
        self.allow_short: bool = self.params["allow_short"]
        self._macd: dict[str, MACD] = {}

    def on_bar(self, symbol: str, bar: Bar) -> tuple[int | None, str]:
        ind = self._macd.get(symbol)
        if ind is None:
            ind = self._macd[symbol] = MACD(self.fast, self.slow, self.signal)
        value = ind.update(bar.close)
        if value is None:
            return None, ""
        hist = value.histogram
        text = f"macd: line {value.line:.6g} signal {value.signal:.6g}"
        if hist > 0:
            return 1, text
        if hist < 0:
            return (-1 if self.allow_short else 0), text
        return None, ""
