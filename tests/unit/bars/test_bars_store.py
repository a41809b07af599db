"""BarStore: idempotent upserts, counted updates, range queries, coverage and missing ranges."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from actors.data.bars import SCHEMA_VERSION, BarSeries, BarStore, Timeframe
from ferrotrade.errors import DataFormatError

DAY = 86_400 * 10**9
T0 = 1_704_153_600 * 10**9  # 2024-01-02


def bars(symbol: str = "AAA", n: int = 10, start: int = 0, tf: str = "1Day") -> BarSeries:
    i = np.arange(start, start + n)
    close = 100.0 + i
    return BarSeries(symbol, tf, T0 + i * DAY, close - 1, close + 2, close - 2, close, i * 10.0)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[BarStore]:
    with BarStore(tmp_path / "bars.db") as s:
        yield s


def content_hash(path: Path) -> str:
    con = sqlite3.connect(path)
    try:
        rows = con.execute("SELECT * FROM bars ORDER BY symbol, timeframe, ts").fetchall()
        changes = con.execute("PRAGMA data_version").fetchone()
    finally:
        con.close()
    return hashlib.sha256(repr((rows, changes)).encode()).hexdigest()


def test_write_then_read_round_trips(store: BarStore) -> None:
    s = bars()
    assert store.write(s) == (10, 0, 0)
    assert store.read("AAA", "1Day") == s
    assert store.read("AAA", Timeframe.DAY_1).timeframe is Timeframe.DAY_1


def test_reimporting_the_same_range_changes_nothing(tmp_path: Path, store: BarStore) -> None:
    store.write(bars())
    before = (content_hash(tmp_path / "bars.db"), store.count())
    changes = store._conn.total_changes
    assert store.write(bars()) == (0, 0, 10)
    assert store.write(bars(n=5, start=2)) == (0, 0, 5)
    assert store._conn.total_changes == changes  # not one row rewritten
    assert (content_hash(tmp_path / "bars.db"), store.count()) == before


def test_changed_bars_are_updated_and_counted(store: BarStore) -> None:
    store.write(bars(n=5))
    s = bars(n=7)  # 5 stored (2 of them changed below) + 2 new
    close = s.close.copy()
    close[1] += 0.5
    vol = s.volume.copy()
    vol[3] = 999.0
    changed = BarSeries("AAA", "1Day", s.ts, s.open, s.high, s.low, close, vol)
    assert store.write(changed) == (2, 2, 3)
    assert store.read("AAA", "1Day") == changed
    assert store.count() == 7


def test_range_queries_are_half_open_and_ordered(store: BarStore) -> None:
    store.write(bars(n=5, start=5))
    store.write(bars(n=5, start=0))  # written out of order
    r = store.read("AAA", "1Day", T0 + 3 * DAY, T0 + 6 * DAY)
    assert r.ts.tolist() == [T0 + 3 * DAY, T0 + 4 * DAY, T0 + 5 * DAY]
    assert store.read("AAA", "1Day", start_ns=T0 + 8 * DAY).ts.tolist() == [
        T0 + 8 * DAY,
        T0 + 9 * DAY,
    ]
    assert len(store.read("AAA", "1Day", end_ns=T0)) == 0
    assert len(store.read("ZZZ", "1Day")) == 0


def test_symbols_timeframes_and_coverage(store: BarStore) -> None:
    assert store.symbols() == []
    assert store.coverage("AAA", "1Day") is None
    store.write(bars("BBB"))
    store.write(bars("AAA", n=3))
    week = BarSeries("CCC", "1Week", [T0 - DAY], [1.0], [1.0], [1.0], [1.0], [0.0])
    store.write(week)
    assert store.symbols() == ["AAA", "BBB", "CCC"]
    assert store.symbols("1Day") == ["AAA", "BBB"]
    assert store.timeframes("CCC") == [Timeframe.WEEK_1]
    assert store.coverage("AAA", "1Day") == (T0, T0 + 2 * DAY, 3)
    assert store.coverage("AAA", "1Min") is None
    assert store.delete("AAA", "1Day") == 3
    assert store.symbols() == ["BBB", "CCC"]


def test_missing_ranges_only_at_the_edges(store: BarStore) -> None:
    assert store.missing_ranges("AAA", "1Day", T0, T0 + 5 * DAY) == [(T0, T0 + 5 * DAY)]
    s = bars(n=10, start=0)
    cols = (
        np.delete(getattr(s, c), [4, 5]) for c in ("ts", "open", "high", "low", "close", "volume")
    )
    store.write(BarSeries("AAA", "1Day", *cols))  # with an interior gap
    first, last = T0, T0 + 9 * DAY
    assert store.missing_ranges("AAA", "1Day", first, last + DAY) == []
    assert store.missing_ranges("AAA", "1Day", first - 3 * DAY, last + 3 * DAY) == [
        (first - 3 * DAY, first),
        (last + DAY, last + 3 * DAY),
    ]
    assert store.missing_ranges("AAA", "1Day", first - 3 * DAY, first - DAY) == [
        (first - 3 * DAY, first - DAY)
    ]
    assert store.missing_ranges("AAA", "1Day", last + 5 * DAY, last + 6 * DAY) == [
        (last + 5 * DAY, last + 6 * DAY)
    ]
    assert store.missing_ranges("AAA", "1Day", last, first) == []


def test_missing_ranges_use_calendar_months(store: BarStore) -> None:
    jan = 1_704_067_200 * 10**9  # 2024-01-01
    feb = 1_706_745_600 * 10**9  # 2024-02-01
    store.write(BarSeries("M", "1Month", [jan], [1.0], [1.0], [1.0], [1.0], [0.0]))
    assert store.missing_ranges("M", "1Month", jan, feb + DAY) == [(feb, feb + DAY)]


def test_schema_version_persistence_and_wal(tmp_path: Path) -> None:
    path = tmp_path / "b.db"
    with BarStore(path) as s:
        assert s.schema_version == SCHEMA_VERSION
        s.write(bars())
        mode = s._conn.execute("PRAGMA journal_mode").fetchone()[0]
        assert mode == "wal"
    with BarStore(path) as s:
        assert s.read("AAA", "1Day") == bars()


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    con = sqlite3.connect(path)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    con.close()
    with pytest.raises(DataFormatError, match="schema version 2 is newer"):
        BarStore(path)


def test_a_failed_write_leaves_nothing(store: BarStore, monkeypatch: pytest.MonkeyPatch) -> None:
    store.write(bars(n=2))

    class Boom(Exception):
        pass

    real = store._conn

    class Failing:
        def __getattr__(self, name: str) -> object:
            return getattr(real, name)

        def executemany(self, *args: object) -> None:
            real.executemany(*args)  # type: ignore[arg-type]
            raise Boom

    monkeypatch.setattr(store, "_conn", Failing())
    with pytest.raises(Boom):
        store.write(bars(n=5))
    monkeypatch.undo()
    assert store.count() == 2


def test_memory_store_and_close_is_idempotent() -> None:
    s = BarStore(":memory:")
    s.write(bars(n=1))
    assert s.count() == 1
    s.close()
    s.close()
