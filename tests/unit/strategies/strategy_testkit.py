"""Helpers for strategy tests: bars from closes, and running a strategy over them."""

from __future__ import annotations

from collections.abc import Sequence

from actors.messages import Bar, MarketSnapshot, Signal, SignalAction
from strategies.base import Strategy

DAY_NS = 86_400_000_000_000
T0 = 1_600_000_000_000_000_000


def bar(close: float, i: int, symbol: str = "AAA", spread: float = 0.0) -> Bar:
    ts = T0 + (i + 1) * DAY_NS
    return Bar(
        ts_event=ts,
        ts_init=ts,
        symbol=symbol,
        open=close,
        high=close + spread,
        low=close - spread,
        close=close,
        volume=1000.0,
    )


def snapshot(b: Bar) -> MarketSnapshot:
    return MarketSnapshot(ts_event=b.ts_event, symbol=b.symbol, last_price=b.close, bar=b)


def run(
    strategy: Strategy, closes: Sequence[float], symbol: str = "AAA"
) -> list[tuple[int, str, float]]:
    """(bar index, action, target weight) of every signal, in order."""
    out: list[tuple[int, str, float]] = []
    for i, c in enumerate(closes):
        for sig in strategy.generate_signals(snapshot(bar(c, i, symbol))):
            assert sig.symbol == symbol
            assert sig.target_weight is not None
            out.append((i, sig.action.value, sig.target_weight))
    return out


def actions(signals: Sequence[Signal]) -> list[tuple[str, SignalAction, float | None]]:
    return [(s.symbol, s.action, s.target_weight) for s in signals]
