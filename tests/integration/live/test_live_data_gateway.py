"""AlpacaDataGateway against the sandbox: the bar cache, pagination, clock, calendar, stream."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from live_harness import KEY, SECRET, WAIT

from actors.data.alpaca import (
    AlpacaDataAuthError,
    AlpacaDataConfig,
    AlpacaDataError,
    AlpacaDataGateway,
)
from actors.messages import Bar, MarketData, QuoteTick, TradeTick
from ferrotrade.sandbox import AlpacaSandbox, TapeQuote, TapeTrade, parse_time_ns

T = datetime(2024, 1, 2, 14, 30, tzinfo=UTC)
MIN = 60 * 1_000_000_000


def _gateway(sandbox: AlpacaSandbox, path: Path, **kw: object) -> AlpacaDataGateway:
    settings: dict[str, object] = {"timeout_s": 2.0, "backoff_s": 0.0, **kw}
    cfg = AlpacaDataConfig(
        api_key=str(settings.pop("api_key", KEY)),
        secret_key=SECRET,
        data_url=sandbox.base_url,
        trading_url=sandbox.base_url,
        stream_url=sandbox.data_stream_url(),
        **settings,  # type: ignore[arg-type]
    )
    return AlpacaDataGateway(cfg, path / "bars.sqlite")


@pytest.fixture
def gateway(sandbox: AlpacaSandbox, tmp_path: Path) -> Iterator[AlpacaDataGateway]:
    gw = _gateway(sandbox, tmp_path)
    try:
        yield gw
    finally:
        gw.close()


def test_second_call_for_the_same_range_makes_no_request(
    sandbox: AlpacaSandbox, gateway: AlpacaDataGateway
) -> None:
    t0 = parse_time_ns("2024-01-02T14:30:00Z")
    first = gateway.fetch_bars("AAPL", "1Min", t0, t0 + 10 * MIN)
    assert len(first) == 10
    pages = sandbox.requests("GET", "/v2/stocks/bars")
    assert len(pages) == 2  # page size 5: the SDK followed next_page_token
    sandbox.clear_requests()
    again = gateway.fetch_bars("AAPL", "1Min", t0, t0 + 10 * MIN)
    assert again == first
    assert sandbox.requests("GET", "/v2/stocks/bars") == []
    inner = gateway.fetch_bars("AAPL", "1Min", t0 + 2 * MIN, t0 + 5 * MIN)
    assert len(inner) == 3
    assert sandbox.requests("GET", "/v2/stocks/bars") == []


def test_wider_range_fetches_only_what_is_missing(
    sandbox: AlpacaSandbox, gateway: AlpacaDataGateway
) -> None:
    t0 = parse_time_ns("2024-01-02T14:30:00Z")
    gateway.fetch_bars("AAPL", "1Min", t0 + 4 * MIN, t0 + 8 * MIN)
    sandbox.clear_requests()
    wide = gateway.fetch_bars("AAPL", "1Min", t0, t0 + 12 * MIN)
    assert [int(t) for t in wide.ts] == [t0 + i * MIN for i in range(12)]
    starts = [
        r.params["start"]
        for r in sandbox.requests("GET", "/v2/stocks/bars")
        if "page_token" not in r.params
    ]
    assert starts == ["2024-01-02T14:30:00+00:00", "2024-01-02T14:38:00+00:00"]
    ends = [
        r.params["end"]
        for r in sandbox.requests("GET", "/v2/stocks/bars")
        if "page_token" not in r.params
    ]
    assert all(e.startswith(("2024-01-02T14:33:59", "2024-01-02T14:41:59")) for e in ends)
    # an empty stretch (no bars at Alpaca) is remembered too
    sandbox.clear_requests()
    late = parse_time_ns("2024-01-02T18:00:00Z")
    assert len(gateway.fetch_bars("AAPL", "1Min", late, late + 30 * MIN)) == 0
    assert len(gateway.fetch_bars("AAPL", "1Min", late, late + 30 * MIN)) == 0
    assert len(sandbox.requests("GET", "/v2/stocks/bars")) == 1


def test_cache_survives_a_new_gateway_on_the_same_file(
    sandbox: AlpacaSandbox, tmp_path: Path
) -> None:
    t0 = parse_time_ns("2024-01-02T14:30:00Z")
    gw = _gateway(sandbox, tmp_path)
    try:
        gw.fetch_bars("AAPL", "1Min", t0, t0 + 6 * MIN)
    finally:
        gw.close()
    sandbox.clear_requests()
    gw2 = _gateway(sandbox, tmp_path)
    try:
        assert len(gw2.fetch_bars("AAPL", "1Min", t0, t0 + 6 * MIN)) == 6
    finally:
        gw2.close()
    assert sandbox.requests("GET", "/v2/stocks/bars") == []


def test_transient_errors_retry_and_bad_keys_are_fatal(
    sandbox: AlpacaSandbox, tmp_path: Path, gateway: AlpacaDataGateway
) -> None:
    t0 = parse_time_ns("2024-01-02T14:30:00Z")
    sandbox.inject_http_error(503, method="GET", path="/v2/stocks/bars", times=1)
    assert len(gateway.fetch_bars("AAPL", "1Min", t0, t0 + 3 * MIN)) == 3
    assert gateway.stats["retries"] == 1
    sandbox.inject_http_error(500, method="GET", path="/v2/stocks/bars", times=5)
    with pytest.raises(AlpacaDataError, match="HTTP 500"):
        gateway.fetch_bars("AAPL", "1Min", t0 + 20 * MIN, t0 + 25 * MIN)
    sandbox.clear_faults()
    bad = _gateway(sandbox, tmp_path / "bad", api_key="wrong-key")
    try:
        with pytest.raises(AlpacaDataAuthError) as err:
            bad.fetch_bars("AAPL", "1Min", t0, t0 + 3 * MIN)
        assert "wrong-key" not in str(err.value)
        assert SECRET not in str(err.value)
    finally:
        bad.close()


def test_clock_and_calendar(gateway: AlpacaDataGateway) -> None:
    clock = gateway.market_clock()
    assert clock.timestamp_ns == parse_time_ns("2024-01-02T14:30:00Z")
    assert clock.is_open
    days = gateway.calendar(date(2024, 1, 1), date(2024, 1, 7))
    assert [d.date.isoformat() for d in days][:2] == ["2024-01-01", "2024-01-02"]
    assert days[0].open == "09:30"


def test_stream_delivers_bars_on_its_own_thread(
    sandbox: AlpacaSandbox, gateway: AlpacaDataGateway
) -> None:
    got: list[MarketData] = []
    cond = threading.Condition()

    def on_data(item: MarketData) -> None:
        with cond:
            got.append(item)
            cond.notify_all()

    gateway.start_stream(["AAPL"], on_data, quotes=True, trades=True)
    assert sandbox.wait_for("data_subscribed", 1, WAIT)
    sandbox.advance(3)
    with cond:
        assert cond.wait_for(lambda: len(got) >= 3, WAIT)
    bars = [b for b in got if isinstance(b, Bar)]
    assert bars[0].ts_event == parse_time_ns("2024-01-02T14:31:00Z")  # close of the 14:30 bar
    assert bars[0].close == 100.0
    t = parse_time_ns("2024-01-02T14:33:00.123456789Z")
    sandbox.publish(
        TapeQuote(symbol="AAPL", ts=t, bid=101.0, bid_size=3, ask=101.5, ask_size=4),
        TapeTrade(symbol="AAPL", ts=t + 1, price=101.25, size=7),
    )
    with cond:
        assert cond.wait_for(lambda: len(got) >= 5, WAIT)
    quote = next(q for q in got if isinstance(q, QuoteTick))
    trade = next(x for x in got if isinstance(x, TradeTick))
    assert (quote.ts_event, quote.bid, quote.ask, quote.bid_size, quote.ask_size) == (
        t, 101.0, 101.5, 3.0, 4.0,
    )  # fmt: skip
    assert (trade.ts_event, trade.price, trade.size) == (t + 1, 101.25, 7.0)
    assert gateway.stream_connected
    gateway.stop_stream()
    assert not gateway.stream_connected


def test_a_hung_server_times_out(sandbox: AlpacaSandbox, tmp_path: Path) -> None:
    t0 = parse_time_ns("2024-01-02T14:30:00Z")
    gw = _gateway(sandbox, tmp_path, timeout_s=0.3, max_attempts=2)
    try:
        sandbox.inject_delay(5.0, method="GET", path="/v2/stocks/bars", times=2)
        with pytest.raises(AlpacaDataError, match="ReadTimeout"):
            gw.fetch_bars("AAPL", "1Min", t0, t0 + 3 * MIN)
        assert gw.stats["retries"] == 1
        assert gw.missing_ranges("AAPL", "1Min", t0, t0 + 3 * MIN) == [(t0, t0 + 3 * MIN)]
    finally:
        gw.close()
        sandbox.clear_faults()
