"""DataComponent: the entry point of market data.

Accepts :class:`Bar`, :class:`QuoteTick` and :class:`TradeTick` from a feed (a host ``feed`` call
or a :class:`ScriptedSource`), drops data older than the last accepted item of the same symbol and
kind (with a WARNING log entry), and publishes one :class:`MarketSnapshot` per accepted item.
Strategies, execution and portfolio all see the same snapshot, so they agree on "the last price".
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from actors.clock import Clock
from actors.component import Component
from actors.messages import (
    Bar,
    LogLevel,
    MarketData,
    MarketSnapshot,
    Message,
    QuoteTick,
    TradeTick,
)

__all__ = ["DataComponent", "ScriptedSource"]


class ScriptedSource:
    """A fixed, replayable stream of market data in (ts_event, input order).

    Sorting is stable, so items with equal timestamps keep their scripted order: the sequence
    number that breaks ties on every host.
    """

    def __init__(self, items: Iterable[MarketData]) -> None:
        self._items: tuple[MarketData, ...] = tuple(sorted(items, key=lambda m: m.ts_event))

    def __iter__(self) -> Iterator[MarketData]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


class DataComponent(Component):
    subscriptions = (Bar, QuoteTick, TradeTick)
    journal_types = (Bar, QuoteTick, TradeTick)
    checkpoint_every = 10_000  # state: the last bar, quote and trade per symbol

    def __init__(self, name: str, clock: Clock) -> None:
        super().__init__(name, clock)
        self._bars: dict[str, Bar] = {}
        self._quotes: dict[str, QuoteTick] = {}
        self._trades: dict[str, TradeTick] = {}
        self.accepted = 0
        self.dropped = 0

    def _stale(self, last: Message | None, item: Message) -> bool:
        return last is not None and item.ts_event < last.ts_event

    def _snapshot(self, item: MarketData, last_price: float) -> MarketSnapshot:
        sym = item.symbol
        self.accepted += 1
        return MarketSnapshot(
            **self.stamp(item),
            symbol=sym,
            last_price=last_price,
            bar=self._bars.get(sym),
            quote=self._quotes.get(sym),
            trade=self._trades.get(sym),
        )

    def _drop(self, item: MarketData) -> Sequence[Message]:
        self.dropped += 1
        return (
            self.log(
                LogLevel.WARNING,
                "out-of-order market data dropped",
                item,
                (("symbol", item.symbol), ("ts_event", item.ts_event)),
            ),
        )

    def on_bar(self, bar: Bar) -> Sequence[Message]:
        if self._stale(self._bars.get(bar.symbol), bar):
            return self._drop(bar)
        self._bars[bar.symbol] = bar
        return (self._snapshot(bar, bar.close),)

    def on_quote_tick(self, quote: QuoteTick) -> Sequence[Message]:
        if self._stale(self._quotes.get(quote.symbol), quote):
            return self._drop(quote)
        self._quotes[quote.symbol] = quote
        return (self._snapshot(quote, (quote.bid + quote.ask) / 2.0),)

    def on_trade_tick(self, trade: TradeTick) -> Sequence[Message]:
        if self._stale(self._trades.get(trade.symbol), trade):
            return self._drop(trade)
        self._trades[trade.symbol] = trade
        return (self._snapshot(trade, trade.price),)
