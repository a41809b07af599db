"""Test and benchmark helpers: scripted market data, sample strategies, fault injection.

Shipped with the package so tests, benchmarks and examples share one definition. Nothing here
reads the wall clock or global random state: data comes from a seeded ``random.Random``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from actors.clock import Clock
from actors.component import Component
from actors.ids import StrategyId
from actors.messages import (
    Bar,
    MarketSnapshot,
    Message,
    OrderType,
    QuoteTick,
    Signal,
    SignalAction,
)
from strategies.base import Strategy

__all__ = [
    "NS_PER_MIN",
    "T0",
    "FaultInjector",
    "FlipStrategy",
    "TargetStrategy",
    "sample_registry",
    "scripted_bars",
    "scripted_quotes",
]

NS_PER_MIN = 60_000_000_000
T0 = 1_700_000_000_000_000_000  # 2023-11-14T22:13:20Z


def scripted_bars(
    n: int, symbols: Sequence[str] = ("AAA",), seed: int = 7, start_ns: int = T0
) -> list[Bar]:
    """``n`` minute bars per symbol, a seeded random walk; equal timestamps across symbols."""
    rng = random.Random(seed)
    price = {s: 100.0 + 10.0 * i for i, s in enumerate(symbols)}
    out: list[Bar] = []
    for k in range(n):
        ts = start_ns + (k + 1) * NS_PER_MIN
        for s in symbols:
            o = price[s]
            c = max(1.0, round(o * (1.0 + rng.gauss(0.0, 0.004)), 4))
            hi = round(max(o, c) * (1.0 + abs(rng.gauss(0.0, 0.001))), 4)
            lo = round(min(o, c) * (1.0 - abs(rng.gauss(0.0, 0.001))), 4)
            vol = float(rng.randint(100, 10_000))
            out.append(
                Bar(ts_event=ts, ts_init=ts, symbol=s, open=o, high=hi, low=lo, close=c, volume=vol)
            )
            price[s] = c
    return out


def scripted_quotes(
    n: int, symbol: str = "AAA", seed: int = 11, start_ns: int = T0
) -> list[QuoteTick]:
    rng = random.Random(seed)
    mid = 100.0
    out = []
    for k in range(n):
        mid = max(1.0, mid + rng.choice((-0.01, 0.0, 0.01)))
        ts = start_ns + (k + 1) * 1_000_000
        out.append(
            QuoteTick(
                ts_event=ts,
                ts_init=ts,
                symbol=symbol,
                bid=round(mid - 0.01, 2),
                ask=round(mid + 0.01, 2),
                bid_size=100.0,
                ask_size=100.0,
            )
        )
    return out


class FlipStrategy(Strategy):
    """Every ``period`` snapshots of a symbol: BUY ``qty``, then next time SELL ``qty``."""

    bounded_state = True  # a count and a side per symbol

    def __init__(self, strategy_id: StrategyId, params: Mapping[str, Any] | None = None) -> None:
        super().__init__(strategy_id, params)
        self.period = int(self.params.get("period", 3))
        self.qty = float(self.params.get("qty", 10))
        self._count: dict[str, int] = {}
        self._long: dict[str, bool] = {}

    def generate_signals(self, snapshot: MarketSnapshot) -> Sequence[Signal]:
        sym = snapshot.symbol
        n = self._count.get(sym, 0) + 1
        self._count[sym] = n
        if n % self.period:
            return ()
        long = self._long.get(sym, False)
        self._long[sym] = not long
        action = SignalAction.SELL if long else SignalAction.BUY
        return (Signal(symbol=sym, action=action, quantity=self.qty, reason=f"flip #{n}"),)


class TargetStrategy(Strategy):
    """Targets +``size`` when the close is above the previous close, else -``size``; every
    third target is a LIMIT at the last price."""

    bounded_state = True  # the previous close per symbol and a counter

    def __init__(self, strategy_id: StrategyId, params: Mapping[str, Any] | None = None) -> None:
        super().__init__(strategy_id, params)
        self.size = float(self.params.get("size", 5))
        self._prev: dict[str, float] = {}
        self._n = 0

    def generate_signals(self, snapshot: MarketSnapshot) -> Sequence[Signal]:
        sym = snapshot.symbol
        prev = self._prev.get(sym)
        self._prev[sym] = snapshot.last_price
        if prev is None:
            return ()
        self._n += 1
        target = self.size if snapshot.last_price > prev else -self.size
        limit = self._n % 3 == 0
        return (
            Signal(
                symbol=sym,
                action=SignalAction.BUY if target > 0 else SignalAction.SELL,
                target_position=target,
                order_type=OrderType.LIMIT if limit else OrderType.MARKET,
                price=snapshot.last_price if limit else None,
                confidence=0.5,
            ),
        )


def sample_registry() -> dict[str, Callable[[StrategyId, Mapping[str, Any]], Strategy]]:
    return {"flip": FlipStrategy, "target": TargetStrategy}


class FaultInjector:
    """Wraps a component factory so the ``at``-th handled message (counted across restarts)
    raises ``RuntimeError`` once. Counting is shared by all instances the factory builds."""

    def __init__(self, factory: Callable[[str, Clock], Component], at: int) -> None:
        self.factory = factory
        self.at = at
        self.seen = 0
        self.fired = False

    def __call__(self, name: str, clock: Clock) -> Component:
        inner = self.factory(name, clock)
        injector = self
        original = inner.handle

        def handle(message: object) -> Sequence[Message]:
            injector.seen += 1
            if not injector.fired and injector.seen == injector.at:
                injector.fired = True
                raise RuntimeError(f"injected fault in {name} at message {injector.at}")
            return original(message)

        inner.handle = handle  # type: ignore[method-assign]
        return inner
