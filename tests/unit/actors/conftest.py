"""Fixtures for component unit tests (no threads: components are plain objects)."""

from __future__ import annotations

import pytest

from actors.clock import SimulatedClock


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock(1_000)
