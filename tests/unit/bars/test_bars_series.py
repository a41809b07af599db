"""BarSeries: validation, immutability, slicing by time, rows and equality."""

from __future__ import annotations

import numpy as np
import pytest

from actors.data.bars import BarRow, BarSeries, Timeframe
from ferrotrade.errors import InvalidBarError

MIN = 60_000_000_000


def make(n: int = 5, symbol: str = "X") -> BarSeries:
    ts = np.arange(n, dtype=np.int64) * MIN
    close = 100.0 + np.arange(n)
    return BarSeries(symbol, "1Min", ts, close - 0.5, close + 1, close - 1, close, np.full(n, 10.0))


def test_columns_are_typed_read_only_copies() -> None:
    ts = np.array([0, MIN])
    o = np.array([1.0, 2.0])
    s = BarSeries("X", "1Min", ts, o, [1.5, 2.5], [0.5, 1.5], [1.0, 2.0], [0, 0])
    assert s.timeframe is Timeframe.MIN_1
    assert s.ts.dtype == np.int64
    assert s.open.dtype == np.float64
    assert s.volume.dtype == np.float64
    o[0] = 99.0  # the caller's array is not the series'
    assert s.open[0] == 1.0
    with pytest.raises(ValueError, match="read-only"):
        s.close[0] = 5.0
    with pytest.raises(AttributeError):
        s.symbol = "Y"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("open", np.nan, "NaN or infinite"),
        ("high", np.inf, "NaN or infinite"),
        ("volume", np.nan, "volume is NaN"),
        ("low", 0.0, "not positive"),
        ("high", 98.0, "high < low"),
        ("open", 110.0, "open outside"),
        ("close", 98.5, "close outside"),
        ("volume", -1.0, "volume is negative"),
    ],
)
def test_each_invalid_bar_is_rejected(column: str, value: float, reason: str) -> None:
    good = make(3)
    cols = {n: getattr(good, n).copy() for n in ("ts", "open", "high", "low", "close", "volume")}
    cols[column][1] = value
    with pytest.raises(InvalidBarError, match=rf"X: bar 1 .*{reason}"):
        BarSeries("X", "1Min", **cols)


@pytest.mark.parametrize("ts", [[0, MIN, MIN], [0, 2 * MIN, MIN]])
def test_timestamps_must_strictly_increase(ts: list[int]) -> None:
    with pytest.raises(InvalidBarError, match=r"bar 2 .*not after the previous"):
        BarSeries("X", "1Min", ts, [1.0] * 3, [1.0] * 3, [1.0] * 3, [1.0] * 3, [0.0] * 3)


def test_shape_errors() -> None:
    with pytest.raises(InvalidBarError, match="'open' has 1 values, ts has 2"):
        BarSeries("X", "1Min", [0, 1], [1.0], [1.0, 1.0], [1.0, 1.0], [1.0, 1.0], [0.0, 0.0])
    with pytest.raises(InvalidBarError, match="one-dimensional"):
        BarSeries("X", "1Min", [[0]], [1.0], [1.0], [1.0], [1.0], [0.0])
    with pytest.raises(InvalidBarError, match="symbol"):
        BarSeries("", "1Min", [0], [1.0], [1.0], [1.0], [1.0], [0.0])


def test_between_is_half_open_and_a_view() -> None:
    s = make(5)
    part = s.between(1 * MIN, 3 * MIN)
    assert part.ts.tolist() == [MIN, 2 * MIN]
    assert np.shares_memory(part.close, s.close)
    assert s.between(None, None) == s
    assert len(s.between(10 * MIN)) == 0
    assert len(s.between(3 * MIN, 1 * MIN)) == 0
    assert s.between(end_ns=MIN).ts.tolist() == [0]


def test_len_rows_slicing_and_equality() -> None:
    s = make(3)
    assert len(s) == 3
    assert s.to_rows()[0] == BarRow(0, 99.5, 101.0, 99.0, 100.0, 10.0)
    assert isinstance(s.to_rows()[0].ts, int)
    assert s[1:].ts.tolist() == [MIN, 2 * MIN]
    assert s == make(3)
    assert s != make(3, symbol="Y")
    assert s != make(4)
    assert s.with_symbol("Y") == make(3, symbol="Y")
    assert (s.first_ts, s.last_ts) == (0, 2 * MIN)
    with pytest.raises(TypeError):
        s[0]  # type: ignore[index]
    with pytest.raises(ValueError, match="step"):
        s[::2]
    with pytest.raises(TypeError):
        hash(s)


def test_empty_series() -> None:
    e = BarSeries.empty("X", "1Day")
    assert len(e) == 0
    assert e.first_ts is None
    assert e.to_rows() == []
    assert "empty" in repr(e)
