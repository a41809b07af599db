"""AlphaStrategy: cross-sectional factor ranking across many symbols, holding the top k.

Invariant: a ranking at time T uses only bars with ``ts_event <= T``; every one of them was
delivered in an earlier or the current snapshot, so there is no look-ahead by construction.

How a period closes. Bars of many symbols arrive one snapshot at a time. The bars sharing a
``ts_event`` form one period. A period is complete

- when every symbol of ``universe`` has delivered its bar for it (when a universe is given:
  the ranking then happens on the snapshot of the last bar, so orders can fill at every
  symbol's next bar), or
- when the first bar of a later timestamp arrives (without a universe; that bar is held back
  from the ranking, which uses data up to the closed period only). Its own symbol's order
  then fills one bar later than the others: give ``universe`` to avoid that.

Factors, per symbol, from the last ``lookback + 1`` closes (a symbol with fewer is not ranked):

- ``momentum``: ``close[-1] / close[-1 - lookback] - 1`` (higher ranks first);
- ``low_volatility``: minus the population standard deviation of the ``lookback`` simple
  returns (calmer ranks first; needs ``lookback >= 2``).

Rebalancing: the first period in which at least one symbol can be ranked rebalances, then every
``rebalance_every``-th period after it. Symbols are sorted by (score descending, symbol
ascending) and the first ``top_k`` are the target book. Emitted, in this order: a SELL with
``target_weight=0`` for every held symbol leaving the book (by symbol), then a BUY with
``target_weight=1`` for every symbol entering it (by rank). Symbols staying get no signal (no
drift rebalancing). ``target_weight=1`` means one full position as the position sizer allots it,
so an equal-weight, fully invested book uses e.g. ``Percent(fraction=1/top_k)``.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence

from actors.ids import StrategyId
from actors.messages import MarketSnapshot, Signal, SignalAction
from strategies.base import Strategy, StrategyParams
from strategies.params import Constraint, Param, ParamSchema

__all__ = ["FACTORS", "AlphaStrategy", "factor_score"]

FACTORS = ("momentum", "low_volatility")


def factor_score(factor: str, closes: Sequence[float]) -> float:
    """The factor value of one symbol from its closes, oldest first (``lookback + 1`` of them)."""
    if factor == "momentum":
        return closes[-1] / closes[0] - 1.0
    if factor == "low_volatility":
        returns = [closes[i] / closes[i - 1] - 1.0 for i in range(1, len(closes))]
        mean = math.fsum(returns) / len(returns)
        var = math.fsum((r - mean) ** 2 for r in returns) / len(returns)
        return -math.sqrt(var)
    raise ValueError(f"unknown factor {factor!r}; known: {', '.join(FACTORS)}")


class AlphaStrategy(Strategy):
    """Cross-sectional factor ranking; rebalances to the top k symbols every N periods."""

    bounded_state = True  # closes: a deque of lookback + 1 per symbol

    parameters = ParamSchema(
        (
            Param("factor", str, "momentum", "ranking factor", choices=FACTORS),
            Param("top_k", int, 5, "number of symbols held", ge=1),
            Param("rebalance_every", int, 20, "periods (bar timestamps) between rebalances", ge=1),
            Param("lookback", int, 60, "bars the factor looks back over", ge=1),
            Param("universe", tuple, (), "symbols ranked; empty: every symbol seen"),
        ),
        (
            Constraint(
                "lookback",
                "must be >= 2 for factor low_volatility",
                lambda p: p["factor"] != "low_volatility" or p["lookback"] >= 2,
            ),
            Constraint(
                "top_k",
                "must be <= the number of universe symbols",
                lambda p: not p["universe"] or p["top_k"] <= len(p["universe"]),
            ),
        ),
    )

    def __init__(self, strategy_id: StrategyId, params: StrategyParams | None = None) -> None:
        super().__init__(strategy_id, params)
        self.factor: str = self.params["factor"]
        self.top_k: int = self.params["top_k"]
        self.rebalance_every: int = self.params["rebalance_every"]
        self.lookback: int = self.params["lookback"]
        self.universe: frozenset[str] = frozenset(self.params["universe"])
        self._closes: dict[str, deque[float]] = {}
        self._last_bar_ts: dict[str, int] = {}
        self._period_ts: int | None = None
        self._period_symbols: set[str] = set()
        self._rankable_periods = 0
        self.holdings: tuple[str, ...] = ()
        self.last_scores: dict[str, float] = {}

    def scores(self) -> dict[str, float]:
        """Factor value of every rankable symbol from the data seen so far."""
        n = self.lookback + 1
        return {
            sym: factor_score(self.factor, closes)
            for sym, closes in sorted(self._closes.items())
            if len(closes) == n
        }

    def generate_signals(self, snapshot: MarketSnapshot) -> Sequence[Signal]:
        bar = snapshot.bar
        sym = snapshot.symbol
        if bar is None or (self.universe and sym not in self.universe):
            return ()
        last = self._last_bar_ts.get(sym)
        if last is not None and bar.ts_event <= last:
            return ()
        self._last_bar_ts[sym] = bar.ts_event
        out: list[Signal] = []
        ts = bar.ts_event
        if self._period_ts is not None and ts > self._period_ts:
            out.extend(self._close_period())
        if self._period_ts is None or ts > self._period_ts:
            self._period_ts = ts
            self._period_symbols = set()
        closes = self._closes.get(sym)
        if closes is None:
            closes = self._closes[sym] = deque(maxlen=self.lookback + 1)
        closes.append(bar.close)
        if ts == self._period_ts:
            self._period_symbols.add(sym)
            if self.universe and self._period_symbols >= self.universe:
                out.extend(self._close_period())
        return tuple(out)

    def _close_period(self) -> list[Signal]:
        self._period_ts = None
        self._period_symbols = set()
        scores = self.scores()
        if not scores:
            return []
        index = self._rankable_periods
        self._rankable_periods += 1
        if index % self.rebalance_every:
            return []
        self.last_scores = scores
        ranked = sorted(scores, key=lambda s: (-scores[s], s))
        book = ranked[: self.top_k]
        held = set(self.holdings)
        out = [
            Signal(
                symbol=s,
                action=SignalAction.SELL,
                target_weight=0.0,
                reason=f"alpha: {s} left the top {self.top_k} ({self.factor})",
            )
            for s in sorted(held - set(book))
        ]
        out.extend(
            Signal(
                symbol=s,
                action=SignalAction.BUY,
                target_weight=1.0,
                reason=f"alpha: rank {rank} {self.factor} {scores[s]:.6g}",
            )
            for rank, s in enumerate(book, 1)
            if s not in held
        )
        self.holdings = tuple(book)
        return out
