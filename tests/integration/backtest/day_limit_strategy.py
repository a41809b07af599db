"""A test strategy that trades with DAY limit orders: the ``sma_cross`` regime, each signal a
DAY LIMIT at the decision bar's close moved ``OFFSET`` in the trader's favour (buy below, sell
above). Many of its orders are not reached on their session and expire.

It brings its own batch adapter (``batch_signals``), so the engine's vector path runs it too,
and it records the time of each :class:`OrderExpired` event it is sent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from actors.backtest.vectorized import batch_signals
from actors.data.bars import BarSeries
from actors.ids import StrategyId
from actors.messages import (
    MarketSnapshot,
    OrderEvent,
    OrderExpired,
    OrderType,
    Signal,
    SignalAction,
    TimeInForce,
)
from strategies.registry import StrategyRegistry
from strategies.sma_cross import SMACrossStrategy

OFFSET = 0.004


def _day_limit(sig: Signal, close: float) -> Signal:
    factor = 1.0 - OFFSET if sig.action is SignalAction.BUY else 1.0 + OFFSET
    return Signal(
        symbol=sig.symbol,
        action=sig.action,
        target_weight=sig.target_weight,
        reason=sig.reason,
        order_type=OrderType.LIMIT,
        price=close * factor,
        time_in_force=TimeInForce.DAY,
    )


class DayLimitSMA(SMACrossStrategy):
    """``sma_cross`` with DAY limit orders (see the module docstring)."""

    def __init__(self, strategy_id: StrategyId, params: Mapping[str, Any] | None = None) -> None:
        super().__init__(strategy_id, params)
        self.expired: list[int] = []  # ts_event of each expiry

    def generate_signals(self, snapshot: MarketSnapshot) -> Sequence[Signal]:
        sigs = super().generate_signals(snapshot)
        assert snapshot.bar is not None or not sigs
        return [_day_limit(s, snapshot.bar.close) for s in sigs] if sigs else sigs  # type: ignore[union-attr]

    def batch_signals(self, series: BarSeries) -> list[tuple[int, Signal]]:
        plain = SMACrossStrategy(self.strategy_id, self.params)
        close = series.close
        return [(i, _day_limit(s, float(close[i]))) for i, s in batch_signals(plain, series)]

    def on_order_event(self, event: OrderEvent) -> None:
        if isinstance(event, OrderExpired):
            self.expired.append(event.ts_event)


def day_limit_registry(made: list[DayLimitSMA]) -> StrategyRegistry:
    """A registry with ``day_limit_sma``; every instance built is appended to ``made``."""

    def factory(sid: StrategyId, params: Mapping[str, Any]) -> DayLimitSMA:
        made.append(DayLimitSMA(sid, params))
        return made[-1]

    registry = StrategyRegistry()
    registry.register("day_limit_sma", factory)
    return registry
