"""Fixtures for the indicator tests."""

from __future__ import annotations

import pytest
from features_testdata import Bars, load_aapl


@pytest.fixture(scope="session")
def aapl() -> Bars:
    """AAPL daily bars; the test is skipped with the reason when ../shared is missing."""
    return load_aapl()
