"""A strategy for the live tests, resolved as ``live_testkit:EveryBarLong`` (this directory is on
``sys.path`` while the tests run): it asks for the same long target on every bar."""

from __future__ import annotations

from collections.abc import Sequence

from actors.messages import MarketSnapshot, Signal, SignalAction
from strategies.base import Strategy


class EveryBarLong(Strategy):
    def generate_signals(self, snapshot: MarketSnapshot) -> Sequence[Signal]:
        if snapshot.bar is None:
            return ()
        return (Signal(symbol=snapshot.symbol, action=SignalAction.BUY, target_weight=1.0),)
