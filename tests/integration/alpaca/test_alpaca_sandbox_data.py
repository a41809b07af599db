"""StockHistoricalDataClient against the sandbox: bars with pagination, latest quote/trade."""

from __future__ import annotations

from datetime import UTC, datetime

from alpaca.data.historical import StockHistoricalDataClient
from alpaca.data.models import Bar, Quote, Trade
from alpaca.data.requests import (
    StockBarsRequest,
    StockLatestQuoteRequest,
    StockLatestTradeRequest,
)
from alpaca.data.timeframe import TimeFrame

from ferrotrade.sandbox import AlpacaSandbox


def test_bars_follow_next_page_token_to_the_end(
    sandbox: AlpacaSandbox, data_client: StockHistoricalDataClient
) -> None:
    bars = data_client.get_stock_bars(
        StockBarsRequest(
            symbol_or_symbols="AAPL",
            timeframe=TimeFrame.Minute,
            start=datetime(2024, 1, 2, tzinfo=UTC),
            end=datetime(2024, 1, 3, tzinfo=UTC),
        )
    )["AAPL"]
    assert len(bars) == 30
    assert all(isinstance(b, Bar) for b in bars)
    assert bars[0].timestamp == datetime(2024, 1, 2, 14, 30, tzinfo=UTC)
    assert bars[-1].timestamp == datetime(2024, 1, 2, 14, 59, tzinfo=UTC)
    assert (bars[0].open, bars[0].volume, bars[0].trade_count) == (185.0, 1000, 10)
    assert [b.timestamp for b in bars] == sorted(b.timestamp for b in bars)
    pages = sandbox.requests("GET", "/v2/stocks/bars")
    assert len(pages) == 5  # page size 7: 7+7+7+7+2
    assert "page_token" not in pages[0].params
    tokens = [p.params.get("page_token") for p in pages[1:]]
    assert all(tokens)
    assert len(set(tokens)) == 4
    assert pages[0].params["symbols"] == "AAPL"
    assert pages[0].params["timeframe"] == "1Min"
    assert pages[0].params["start"] == "2024-01-02T00:00:00+00:00"


def test_bars_respect_limit_range_and_timeframe(
    sandbox: AlpacaSandbox, data_client: StockHistoricalDataClient
) -> None:
    limited = data_client.get_stock_bars(
        StockBarsRequest(symbol_or_symbols=["AAPL", "MSFT"], timeframe=TimeFrame.Minute, limit=10)
    )
    assert len(limited["AAPL"]) == 10
    window = data_client.get_stock_bars(
        StockBarsRequest(
            symbol_or_symbols="AAPL",
            timeframe=TimeFrame.Minute,
            start=datetime(2024, 1, 2, 14, 40, tzinfo=UTC),
            end=datetime(2024, 1, 2, 14, 44, tzinfo=UTC),
        )
    )["AAPL"]
    assert [b.timestamp.minute for b in window] == [40, 41, 42, 43, 44]
    daily = data_client.get_stock_bars(
        StockBarsRequest(symbol_or_symbols="AAPL", timeframe=TimeFrame.Day)
    )
    assert daily.data == {}  # the tape has minute bars only: no resampling


def test_latest_quote_and_trade_as_of_the_tape_cursor(
    sandbox: AlpacaSandbox, data_client: StockHistoricalDataClient
) -> None:
    before = data_client.get_stock_latest_quote(StockLatestQuoteRequest(symbol_or_symbols="AAPL"))
    assert before == {}  # nothing played yet
    sandbox.advance(34)  # through the 15:00:01 quote
    quotes = data_client.get_stock_latest_quote(
        StockLatestQuoteRequest(symbol_or_symbols=["AAPL", "MSFT"])
    )
    assert isinstance(quotes["AAPL"], Quote)
    assert (quotes["AAPL"].bid_price, quotes["AAPL"].ask_price) == (183.9, 184.0)
    assert quotes["MSFT"].ask_price == 370.2
    trade = data_client.get_stock_latest_trade(StockLatestTradeRequest(symbol_or_symbols="AAPL"))
    assert isinstance(trade["AAPL"], Trade)
    assert (trade["AAPL"].price, trade["AAPL"].size, trade["AAPL"].id) == (184.0, 50, 7)
    assert trade["AAPL"].timestamp == datetime(2024, 1, 2, 15, 0, 0, 123456, tzinfo=UTC)
