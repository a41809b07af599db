"""Strategies for the live tests, resolved as ``live_testkit:<Name>`` (this directory is on
``sys.path`` while the tests run, and on ``PYTHONPATH`` for the subprocess engines)."""

from __future__ import annotations

from collections.abc import Sequence

from actors.messages import MarketSnapshot, OrderType, Signal, SignalAction, TimeInForce
from strategies.base import Strategy

#: The limit of :class:`RestingLimitBuy`: below every low of the restart tape until its 10th
#: bar (close 98, low 97), which fills it there at the limit.
RESTING_LIMIT = 97.25


class EveryBarLong(Strategy):
    """Asks for the same long target on every bar."""

    def generate_signals(self, snapshot: MarketSnapshot) -> Sequence[Signal]:
        if snapshot.bar is None:
            return ()
        return (Signal(symbol=snapshot.symbol, action=SignalAction.BUY, target_weight=1.0),)


class RestingLimitBuy(Strategy):
    """Wants to be fully long through a GTC limit buy at ``limit`` (default
    :data:`RESTING_LIMIT`), on every bar: the order rests at the broker until the market comes
    down to it, so a session can end (or be killed) with it working."""

    def generate_signals(self, snapshot: MarketSnapshot) -> Sequence[Signal]:
        if snapshot.bar is None:
            return ()
        limit = float(self.params.get("limit", RESTING_LIMIT))
        return (
            Signal(
                symbol=snapshot.symbol,
                action=SignalAction.BUY,
                target_weight=1.0,
                order_type=OrderType.LIMIT,
                price=limit,
                time_in_force=TimeInForce.GTC,
            ),
        )
