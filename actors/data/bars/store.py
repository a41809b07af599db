"""BarStore: a SQLite cache of bars with idempotent upserts and range queries.

Invariant: one row per (symbol, timeframe, ts); writing bars that are already stored with the
same values changes nothing (not even the file's change counter), so importing the same range
twice is harmless and a re-import reports ``(0, 0, n)``. A bar whose values differ is updated in
place and counted as updated.

Schema (version 1, kept in ``PRAGMA user_version``)::

    bars(symbol TEXT, timeframe TEXT, ts INTEGER, open REAL, high REAL, low REAL, close REAL,
         volume REAL, PRIMARY KEY (symbol, timeframe, ts)) WITHOUT ROWID

``ts`` is the bar start in ns since the epoch, UTC; REAL columns hold IEEE doubles, so values
round-trip exactly. The database runs in WAL mode (readers do not block the writer); each
:class:`BarStore` owns one connection, usable only from the thread that opened it (sqlite3's own
check): open one store per thread or process, and SQLite serializes the writers. Each ``write``
is one ``BEGIN IMMEDIATE`` transaction: all of it lands or none.

Speed (1,000,000 one-minute bars, this machine): read ~0.6 M bars/s (SQLite's per-row cursor
is the limit), first write ~0.2 M bars/s, re-writing unchanged bars ~0.4 M bars/s. A backtest
reads once and then replays the numpy columns.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from types import TracebackType

import numpy as np

from actors.data.bars.series import BarSeries
from actors.data.bars.timeframe import Timeframe
from ferrotrade.errors import DataFormatError

__all__ = ["SCHEMA_VERSION", "BarStore"]

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS bars (
    symbol    TEXT    NOT NULL,
    timeframe TEXT    NOT NULL,
    ts        INTEGER NOT NULL,
    open      REAL    NOT NULL,
    high      REAL    NOT NULL,
    low       REAL    NOT NULL,
    close     REAL    NOT NULL,
    volume    REAL    NOT NULL,
    PRIMARY KEY (symbol, timeframe, ts)
) WITHOUT ROWID
"""

_ROW = np.dtype(
    [
        ("ts", np.int64),
        ("open", np.float64),
        ("high", np.float64),
        ("low", np.float64),
        ("close", np.float64),
        ("volume", np.float64),
    ]
)


class BarStore:
    """Bars kept in one SQLite file (``":memory:"`` for a throwaway store).

    Opening creates the file and schema when missing and refuses a file written by a newer
    schema version (:class:`~ferrotrade.errors.DataFormatError`). Use as a context manager or
    call :meth:`close`.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path) if os.fspath(path) != ":memory:" else None
        self._conn = sqlite3.connect(os.fspath(path), isolation_level=None)
        try:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._migrate()
        except BaseException:
            self._conn.close()
            raise

    def _migrate(self) -> None:
        (version,) = self._conn.execute("PRAGMA user_version").fetchone()
        if version > SCHEMA_VERSION:
            raise DataFormatError(
                f"{self.path}: bar store schema version {version} is newer than this "
                f"ferrotrade's ({SCHEMA_VERSION})"
            )
        if version < SCHEMA_VERSION:
            with self._transaction():
                self._conn.execute(_SCHEMA)
                self._conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _transaction(self) -> _Transaction:
        return _Transaction(self._conn)

    # -- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        """Close the connection (idempotent)."""
        self._conn.close()

    def __enter__(self) -> BarStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    # -- writing ---------------------------------------------------------------------------

    def write(self, series: BarSeries) -> tuple[int, int, int]:
        """Upsert every bar of ``series``; returns ``(inserted, updated, unchanged)``.

        Compares with what is stored first, and writes only new and changed bars, in one
        transaction.
        """
        n = len(series)
        if n == 0:
            return (0, 0, 0)
        tf = series.timeframe.value
        with self._transaction():
            stored = self._select(series.symbol, tf, int(series.ts[0]), int(series.ts[-1]) + 1)
            pos = np.searchsorted(stored["ts"], series.ts)
            pos_c = np.minimum(pos, max(len(stored) - 1, 0))
            exists = (stored["ts"][pos_c] == series.ts) if len(stored) else np.zeros(n, dtype=bool)
            same = exists.copy()
            if len(stored):
                for name in ("open", "high", "low", "close", "volume"):
                    same &= stored[name][pos_c] == getattr(series, name)
            write = np.flatnonzero(~same)
            if write.size:
                cols = [series.ts[write].tolist()] + [
                    getattr(series, name)[write].tolist()
                    for name in ("open", "high", "low", "close", "volume")
                ]
                sym = series.symbol
                self._conn.executemany(
                    "INSERT INTO bars VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (symbol, timeframe, ts) DO UPDATE SET open = excluded.open, "
                    "high = excluded.high, low = excluded.low, close = excluded.close, "
                    "volume = excluded.volume",
                    ((sym, tf, *row) for row in zip(*cols, strict=True)),
                )
        inserted = int((~exists).sum())
        updated = int((exists & ~same).sum())
        return (inserted, updated, n - inserted - updated)

    def delete(self, symbol: str, timeframe: Timeframe | str) -> int:
        """Remove every bar of one symbol and timeframe; returns how many were removed."""
        with self._transaction():
            cur = self._conn.execute(
                "DELETE FROM bars WHERE symbol = ? AND timeframe = ?",
                (symbol, Timeframe.parse(timeframe).value),
            )
        return int(cur.rowcount)

    # -- reading ---------------------------------------------------------------------------

    def read(
        self,
        symbol: str,
        timeframe: Timeframe | str,
        start_ns: int | None = None,
        end_ns: int | None = None,
    ) -> BarSeries:
        """Bars with ``start_ns <= ts < end_ns`` (bounds optional), ordered by ts.

        An unknown symbol or an empty range gives an empty series.
        """
        tf = Timeframe.parse(timeframe)
        rows = self._select(symbol, tf.value, start_ns, end_ns)
        return BarSeries(
            symbol,
            tf,
            rows["ts"],
            rows["open"],
            rows["high"],
            rows["low"],
            rows["close"],
            rows["volume"],
        )

    def _select(
        self, symbol: str, tf: str, start_ns: int | None, end_ns: int | None
    ) -> np.ndarray[tuple[int], np.dtype[np.void]]:
        sql = (
            "SELECT ts, open, high, low, close, volume FROM bars WHERE symbol = ? AND timeframe = ?"
        )
        args: list[object] = [symbol, tf]
        if start_ns is not None:
            sql += " AND ts >= ?"
            args.append(int(start_ns))
        if end_ns is not None:
            sql += " AND ts < ?"
            args.append(int(end_ns))
        rows = self._conn.execute(sql + " ORDER BY ts", args).fetchall()
        return np.fromiter(rows, dtype=_ROW, count=len(rows))

    def symbols(self, timeframe: Timeframe | str | None = None) -> list[str]:
        """Stored symbols, sorted (only those with bars of ``timeframe`` when given)."""
        if timeframe is None:
            cur = self._conn.execute("SELECT DISTINCT symbol FROM bars ORDER BY symbol")
        else:
            cur = self._conn.execute(
                "SELECT DISTINCT symbol FROM bars WHERE timeframe = ? ORDER BY symbol",
                (Timeframe.parse(timeframe).value,),
            )
        return [r[0] for r in cur.fetchall()]

    def timeframes(self, symbol: str) -> list[Timeframe]:
        """Timeframes stored for ``symbol``, finest first."""
        cur = self._conn.execute("SELECT DISTINCT timeframe FROM bars WHERE symbol = ?", (symbol,))
        return sorted((Timeframe.parse(r[0]) for r in cur.fetchall()), key=lambda t: t.rank)

    def coverage(self, symbol: str, timeframe: Timeframe | str) -> tuple[int, int, int] | None:
        """``(first_ts, last_ts, count)`` of the stored bars, or ``None`` when there are none."""
        first, last, count = self._conn.execute(
            "SELECT MIN(ts), MAX(ts), COUNT(*) FROM bars WHERE symbol = ? AND timeframe = ?",
            (symbol, Timeframe.parse(timeframe).value),
        ).fetchone()
        return None if count == 0 else (int(first), int(last), int(count))

    def missing_ranges(
        self, symbol: str, timeframe: Timeframe | str, start_ns: int, end_ns: int
    ) -> list[tuple[int, int]]:
        """Half-open ``[start, end)`` ranges of ``[start_ns, end_ns)`` a gateway should fetch.

        Only the edges are inferred: the part before the first stored bar and the part from the
        bucket after the last stored bar on. Interior gaps are not reported: without an exchange
        calendar a gap (a weekend, a holiday, a halt, a quiet crypto minute) cannot be told from
        missing data. With nothing stored the whole range is missing.
        """
        tf = Timeframe.parse(timeframe)
        if end_ns <= start_ns:
            return []
        cov = self.coverage(symbol, tf)
        if cov is None:
            return [(start_ns, end_ns)]
        first, last, _ = cov
        out: list[tuple[int, int]] = []
        if start_ns < first:
            out.append((start_ns, min(first, end_ns)))
        after = tf.next_start(last)
        if end_ns > after:
            out.append((max(after, start_ns), end_ns))
        return out

    def count(self) -> int:
        """Number of bars stored, all symbols and timeframes."""
        return int(self._conn.execute("SELECT COUNT(*) FROM bars").fetchone()[0])


class _Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``, or ``ROLLBACK`` when the block raises."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def __enter__(self) -> None:
        self._conn.execute("BEGIN IMMEDIATE")

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._conn.execute("ROLLBACK" if exc_type is not None else "COMMIT")
