"""Real daily bars for the indicator tests, read from the shared data set beside the repo.

Imported by the test modules of this folder (a plain module, not a conftest, so the `Bars`
type can be imported by name).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pytest
from numpy.typing import NDArray

SHARED_DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"
AAPL_DAILY = SHARED_DATA / "bars" / "daily" / "AAPL.csv"


class Bars(NamedTuple):
    high: NDArray[np.float64]
    low: NDArray[np.float64]
    close: NDArray[np.float64]


def load_aapl() -> Bars:
    """AAPL daily OHLCV (header: timestamp,open,high,low,close,volume)."""
    if not AAPL_DAILY.is_file():
        pytest.skip(f"real data set not found at {AAPL_DAILY} (../shared is missing)")
    with AAPL_DAILY.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) > 1000, "expected years of daily bars"

    def column(name: str) -> NDArray[np.float64]:
        return np.array([float(row[name]) for row in rows], dtype=np.float64)

    return Bars(column("high"), column("low"), column("close"))
