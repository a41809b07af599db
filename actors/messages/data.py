"""Market data messages (nouns): bars, ticks and the snapshot strategies see."""

from __future__ import annotations

from dataclasses import dataclass

from actors.errors import InvalidMessageError
from actors.messages.base import Message, check_non_negative, check_positive

__all__ = ["Bar", "MarketData", "MarketSnapshot", "QuoteTick", "TradeTick"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Bar(Message):
    """OHLCV bar; ``ts_event`` is the bar's close time."""

    symbol: str
    open: float
    high: float
    low: float
    close: float
    volume: float = 0.0

    def __post_init__(self) -> None:
        Message.__post_init__(self)
        for name in ("open", "high", "low", "close"):
            check_positive(self, name, getattr(self, name))
        check_non_negative(self, "volume", self.volume)
        if self.high < max(self.open, self.close, self.low):
            raise InvalidMessageError("Bar", "high", self.high, "must be >= open, low, close")
        if self.low > min(self.open, self.close):
            raise InvalidMessageError("Bar", "low", self.low, "must be <= open and close")


@dataclass(frozen=True, slots=True, kw_only=True)
class QuoteTick(Message):
    """Top of book."""

    symbol: str
    bid: float
    ask: float
    bid_size: float = 0.0
    ask_size: float = 0.0

    def __post_init__(self) -> None:
        Message.__post_init__(self)
        check_positive(self, "bid", self.bid)
        check_positive(self, "ask", self.ask)
        check_non_negative(self, "bid_size", self.bid_size)
        check_non_negative(self, "ask_size", self.ask_size)
        if self.bid > self.ask:
            raise InvalidMessageError("QuoteTick", "bid", self.bid, "crossed quote (bid > ask)")


@dataclass(frozen=True, slots=True, kw_only=True)
class TradeTick(Message):
    """One print on the tape."""

    symbol: str
    price: float
    size: float

    def __post_init__(self) -> None:
        Message.__post_init__(self)
        check_positive(self, "price", self.price)
        check_positive(self, "size", self.size)


@dataclass(frozen=True, slots=True, kw_only=True)
class MarketSnapshot(Message):
    """What the data component publishes after each accepted data message for ``symbol``.

    Holds the latest bar, quote and trade seen for the symbol (``None`` when not seen yet) and
    ``last_price``, the price a market order would be valued at now.
    """

    symbol: str
    last_price: float
    bar: Bar | None = None
    quote: QuoteTick | None = None
    trade: TradeTick | None = None

    def __post_init__(self) -> None:
        Message.__post_init__(self)
        check_positive(self, "last_price", self.last_price)


MarketData = Bar | QuoteTick | TradeTick
