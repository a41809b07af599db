"""Momentum strategy: long while the rate of change over ``lookback`` bars beats a threshold.

Signal semantics (per symbol, from the bar closes): ``roc = close[t] / close[t - lookback] - 1``,
defined from the ``lookback + 1``-th bar on.

- roc > threshold  -> regime +1 (BUY, ``target_weight=1``) when not already long;
- roc < -threshold -> regime 0 (SELL to flat), or -1 (SELL to short) when ``allow_short``;
- otherwise (inside the dead band [-threshold, threshold]) keep the current regime, so a small
  wobble around zero does not churn the position;
- a signal only on a change of regime.
"""

from __future__ import annotations

from collections import deque

from actors.ids import StrategyId
from actors.messages import Bar
from strategies.base import StrategyParams
from strategies.params import Param, ParamSchema
from strategies.regime import RegimeStrategy

__all__ = ["MomentumStrategy"]


class MomentumStrategy(RegimeStrategy):
    """Momentum: long when the lookback return beats +threshold; flat/short below -threshold."""

    parameters = ParamSchema(
        (
            Param("lookback", int, 20, "bars between the two closes compared", ge=1),
            Param("threshold", float, 0.0, "dead band half-width, as a return (0.02 = 2%)", ge=0.0),
            Param("allow_short", bool, False, "go short (not flat) when roc < -threshold"),
        )
    )

    def __init__(self, strategy_id: StrategyId, params: StrategyParams | None = None) -> None:
        super().__init__(strategy_id, params)
        self.lookback: int = self.params["lookback"]
        self.threshold: float = self.params["threshold"]
        self.allow_short: bool = self.params["allow_short"]
        self._closes: dict[str, deque[float]] = {}

    def on_bar(self, symbol: str, bar: Bar) -> tuple[int | None, str]:
        closes = self._closes.get(symbol)
        if closes is None:
            closes = self._closes[symbol] = deque(maxlen=self.lookback + 1)
        closes.append(bar.close)
        if len(closes) <= self.lookback:
            return None, ""
        roc = closes[-1] / closes[0] - 1.0
        text = f"momentum: roc({self.lookback}) {roc:.6g}"
        if roc > self.threshold:
            return 1, text
        if roc < -self.threshold:
            return (-1 if self.allow_short else 0), text
        return None, ""
