"""Fixtures for the live engine tests (helpers live in ``live_harness``): a started sandbox
with the bar tape, a runner that always stops the engines it started, and a thread-leak check.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest
from live_harness import KEY, SECRET, WAIT, EngineThread, make_tape

from actors.live.engine import LiveTradingEngine
from ferrotrade.sandbox import AlpacaSandbox


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    leaked = [t for t in threading.enumerate() if t not in before]
    for t in leaked:
        t.join(WAIT)
    alive = [t.name for t in leaked if t.is_alive()]
    assert not alive, f"threads left running: {alive}"


@pytest.fixture
def sandbox() -> Iterator[AlpacaSandbox]:
    sb = AlpacaSandbox(make_tape(), key_id=KEY, secret_key=SECRET, bars_page_size=5)
    sb.start()
    try:
        yield sb
    finally:
        sb.stop()


@pytest.fixture
def run_engine() -> Iterator[Callable[[LiveTradingEngine], EngineThread]]:
    started: list[EngineThread] = []

    def start(engine: LiveTradingEngine) -> EngineThread:
        et = EngineThread(engine)
        started.append(et)
        return et.start()

    yield start
    for et in started:
        if et.thread.is_alive():
            et.stop()
