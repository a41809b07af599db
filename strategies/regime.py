"""RegimeStrategy: per-symbol long/flat/short regimes, emitted as intent only on changes.

Invariant: a subclass sees each bar of each symbol exactly once, in the order the snapshots
arrive, and only through :meth:`RegimeStrategy.on_bar` — the bar of the snapshot it was given.
Nothing later exists yet, so no look-ahead is possible by construction. Snapshots without a bar
(quotes, trades) and snapshots repeating a bar already seen are ignored.

Signals are intent, not size: each carries ``target_weight`` = the new regime (+1 long, 0 flat,
-1 short) and risk sizes it. A signal is emitted only when the regime changes (the first regime
other than flat counts as a change from flat), with ``action`` BUY when the target rises and SELL
when it falls. Signals leave the envelope empty; the strategy component stamps it with the
snapshot's timestamp and ids.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence

from actors.ids import StrategyId
from actors.messages import Bar, MarketSnapshot, Signal, SignalAction
from strategies.base import Strategy, StrategyParams

__all__ = ["RegimeStrategy"]


class RegimeStrategy(Strategy):
    """Subclass and implement :meth:`on_bar` returning the wanted regime or ``None`` (keep).

    The built-in subclasses keep streaming indicators per symbol (``bounded_state``); a subclass
    that stores a growing history must set ``bounded_state = False``.
    """

    bounded_state = True

    def __init__(self, strategy_id: StrategyId, params: StrategyParams | None = None) -> None:
        super().__init__(strategy_id, params)
        self._regimes: dict[str, int] = {}
        self._last_bar_ts: dict[str, int] = {}

    def regime(self, symbol: str) -> int:
        """The current regime of ``symbol``: +1 long, 0 flat, -1 short."""
        return self._regimes.get(symbol, 0)

    @abstractmethod
    def on_bar(self, symbol: str, bar: Bar) -> tuple[int | None, str]:
        """Update per-symbol indicators with ``bar``; return (regime or None to keep, reason)."""

    def generate_signals(self, snapshot: MarketSnapshot) -> Sequence[Signal]:
        bar = snapshot.bar
        symbol = snapshot.symbol
        if bar is None:
            return ()
        last = self._last_bar_ts.get(symbol)
        if last is not None and bar.ts_event <= last:
            return ()
        self._last_bar_ts[symbol] = bar.ts_event
        wanted, reason = self.on_bar(symbol, bar)
        current = self._regimes.get(symbol, 0)
        if wanted is None or wanted == current:
            return ()
        self._regimes[symbol] = wanted
        action = SignalAction.BUY if wanted > current else SignalAction.SELL
        return (Signal(symbol=symbol, action=action, target_weight=float(wanted), reason=reason),)
