"""Fixtures: a started sandbox, the real alpaca-py clients pointed at it, stream runners.

alpaca-py 0.44 imports ``websockets.legacy``, which warns ``DeprecationWarning`` at import; the
suite turns warnings into errors, so the SDK is imported once here with that warning ignored.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from alpaca.data.historical import StockHistoricalDataClient
    from alpaca.data.live import StockDataStream
    from alpaca.trading.client import TradingClient
    from alpaca.trading.stream import TradingStream

from ferrotrade.sandbox import AlpacaSandbox, Tape

KEY = "sandbox-key"
SECRET = "sandbox-secret"
WAIT = 10.0  # generous: every wait returns as soon as its event happens


def make_tape() -> Tape:
    """AAPL and MSFT: an opening quote each, then 30 one-minute AAPL bars, prints, quotes."""
    events: list[dict[str, Any]] = [
        {"type": "quote", "symbol": "AAPL", "t": "2024-01-02T14:30:00Z", "bp": 185.0,
         "bs": 200, "ap": 185.1, "as": 300},
        {"type": "quote", "symbol": "MSFT", "t": "2024-01-02T14:30:00Z", "bp": 370.0,
         "bs": 100, "ap": 370.2, "as": 100},
    ]  # fmt: skip
    for i in range(30):
        events.append(
            {
                "type": "bar",
                "symbol": "AAPL",
                "t": f"2024-01-02T14:{30 + i:02d}:00Z",
                "o": 185.0 + i / 10,
                "h": 185.5 + i / 10,
                "l": 184.5 + i / 10,
                "c": 185.2 + i / 10,
                "v": 1000 + i,
                "n": 10 + i,
                "vw": 185.1 + i / 10,
            }
        )
    events += [
        {"type": "trade", "symbol": "AAPL", "t": "2024-01-02T15:00:00.123456789Z", "p": 184.0,
         "s": 50, "i": 7},
        {"type": "quote", "symbol": "AAPL", "t": "2024-01-02T15:00:01Z", "bp": 183.9,
         "bs": 100, "ap": 184.0, "as": 40},
        {"type": "quote", "symbol": "AAPL", "t": "2024-01-02T15:00:02Z", "bp": 186.0,
         "bs": 100, "ap": 186.1, "as": 500},
    ]  # fmt: skip
    return Tape.from_dicts(events)


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Iterator[None]:
    """Every test stops what it started: sandbox loops and SDK stream threads included."""
    before = set(threading.enumerate())
    yield
    leaked = [t for t in threading.enumerate() if t not in before]
    for t in leaked:
        t.join(WAIT)
    alive = [t.name for t in leaked if t.is_alive()]
    assert not alive, f"threads left running: {alive}"


@pytest.fixture
def tape() -> Tape:
    return make_tape()


@pytest.fixture
def sandbox(tape: Tape) -> Iterator[AlpacaSandbox]:
    sb = AlpacaSandbox(tape, key_id=KEY, secret_key=SECRET, bars_page_size=7)
    sb.start()
    try:
        yield sb
    finally:
        sb.stop()


@pytest.fixture
def trading(sandbox: AlpacaSandbox) -> TradingClient:
    return TradingClient(KEY, SECRET, url_override=sandbox.base_url)


@pytest.fixture
def fast_retry(trading: TradingClient) -> TradingClient:
    """The same client without the SDK's 3 s sleep between its hidden 429/504 retries.

    TradingClient's constructor does not expose the retry settings that its RESTClient base
    has, so the instance attribute is set; the retry count and codes stay the SDK's.
    """
    trading._retry_wait = 0
    return trading


@pytest.fixture
def data_client(sandbox: AlpacaSandbox) -> StockHistoricalDataClient:
    return StockHistoricalDataClient(KEY, SECRET, url_override=sandbox.base_url)


class StreamThread:
    """Runs an SDK stream's ``run()`` in a thread; ``close()`` stops it and joins."""

    def __init__(self, stream: Any, sandbox: AlpacaSandbox) -> None:
        self.stream = stream
        self.sandbox = sandbox
        self.thread = threading.Thread(target=stream.run, name="sdk-stream", daemon=True)

    def start(self) -> StreamThread:
        self.thread.start()
        return self

    def close(self) -> None:
        if self.stream._loop is not None and self.thread.is_alive():
            self.stream.stop()
        # The SDK polls its stop flag only between receives (up to 5 s); closing the server
        # side wakes it at once.
        if self.sandbox.running:
            self.sandbox.drop_streams()
        self.thread.join(WAIT)
        assert not self.thread.is_alive(), "SDK stream thread did not stop"


class Collector:
    """An async handler that keeps what arrived and signals when ``n`` items are in."""

    def __init__(self) -> None:
        self.items: list[Any] = []
        self._cond = threading.Condition()

    async def handler(self, item: Any) -> None:
        """The coroutine function to give the SDK's ``subscribe_*``."""
        with self._cond:
            self.items.append(item)
            self._cond.notify_all()

    def wait(self, n: int, timeout: float = WAIT) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: len(self.items) >= n, timeout)

    def wait_until(self, pred: Callable[[list[Any]], bool], timeout: float = WAIT) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: pred(self.items), timeout)


class StreamHarness:
    """Makes SDK streams pointed at the sandbox, runs them in threads, always stops them."""

    def __init__(self, sandbox: AlpacaSandbox) -> None:
        self.sandbox = sandbox
        self.threads: list[StreamThread] = []

    def data(self, **kwargs: Any) -> StockDataStream:
        url = kwargs.pop("url_override", self.sandbox.data_stream_url())
        key = kwargs.pop("api_key", KEY)
        return StockDataStream(key, SECRET, url_override=url, **kwargs)

    def trading(self, **kwargs: Any) -> TradingStream:
        return TradingStream(KEY, SECRET, url_override=self.sandbox.trading_stream_url, **kwargs)

    def start(self, stream: Any) -> StreamThread:
        t = StreamThread(stream, self.sandbox).start()
        self.threads.append(t)
        return t

    def close(self) -> None:
        errors: list[BaseException] = []
        for t in self.threads:
            try:
                t.close()
            except BaseException as exc:
                errors.append(exc)
        if errors:
            raise errors[0]


@pytest.fixture
def streams(sandbox: AlpacaSandbox) -> Iterator[StreamHarness]:
    harness = StreamHarness(sandbox)
    try:
        yield harness
    finally:
        harness.close()


@pytest.fixture
def collector() -> Callable[[], Collector]:
    return Collector
