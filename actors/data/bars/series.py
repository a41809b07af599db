"""BarSeries: an immutable, columnar run of OHLCV bars of one symbol and timeframe.

Invariant (checked on construction): ``ts`` (int64 ns since the epoch, UTC, bar start) is
strictly increasing; prices are finite and positive; ``low <= min(open, close)`` and
``high >= max(open, close)``; volume is finite and non-negative. The six columns are numpy arrays
of equal length, read-only, so a series can be shared between threads and sliced without copies.

Columns, not per-bar objects: a backtest over a million bars reads the arrays directly;
:meth:`BarSeries.to_rows` exists for small uses (tests, printing).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from actors.data.bars.timeframe import Timeframe
from ferrotrade.errors import InvalidBarError

__all__ = ["BarRow", "BarSeries"]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

_PRICE_COLUMNS = ("open", "high", "low", "close")


class BarRow(NamedTuple):
    """One bar as plain Python values (``ts`` is the bar start, ns UTC)."""

    ts: int
    open: float
    high: float
    low: float
    close: float
    volume: float


def _frozen(values: Any, dtype: type[np.generic], name: str) -> Any:
    arr = np.array(values, dtype=dtype, copy=True, order="C")
    if arr.ndim != 1:
        raise InvalidBarError(f"column {name!r} must be one-dimensional, got shape {arr.shape}")
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, eq=False, slots=True, init=False, repr=False)
class BarSeries:
    """Bars of one ``symbol`` and ``timeframe`` as read-only numpy columns.

    The constructor copies its inputs (so later changes to the caller's arrays cannot leak in)
    and validates every bar, raising :class:`~ferrotrade.errors.InvalidBarError` with the index
    of the first bad bar. Equality compares symbol, timeframe and every value exactly.
    """

    symbol: str
    timeframe: Timeframe
    ts: I64
    open: F64
    high: F64
    low: F64
    close: F64
    volume: F64

    def __init__(
        self,
        symbol: str,
        timeframe: Timeframe | str,
        ts: npt.ArrayLike,
        open: npt.ArrayLike,
        high: npt.ArrayLike,
        low: npt.ArrayLike,
        close: npt.ArrayLike,
        volume: npt.ArrayLike,
    ) -> None:
        if not isinstance(symbol, str) or not symbol:
            raise InvalidBarError(f"symbol must be a non-empty string, got {symbol!r}")
        columns = {
            "ts": _frozen(ts, np.int64, "ts"),
            "open": _frozen(open, np.float64, "open"),
            "high": _frozen(high, np.float64, "high"),
            "low": _frozen(low, np.float64, "low"),
            "close": _frozen(close, np.float64, "close"),
            "volume": _frozen(volume, np.float64, "volume"),
        }
        n = len(columns["ts"])
        for name, arr in columns.items():
            if len(arr) != n:
                raise InvalidBarError(f"column {name!r} has {len(arr)} values, ts has {n}")
        _validate(symbol, columns)
        object.__setattr__(self, "symbol", symbol)
        object.__setattr__(self, "timeframe", Timeframe.parse(timeframe))
        for name, arr in columns.items():
            object.__setattr__(self, name, arr)

    @classmethod
    def empty(cls, symbol: str, timeframe: Timeframe | str) -> BarSeries:
        e = np.empty(0)
        return cls(symbol, timeframe, np.empty(0, dtype=np.int64), e, e, e, e, e)

    @classmethod
    def _trusted(
        cls, symbol: str, timeframe: Timeframe, ts: I64, o: F64, h: F64, lo: F64, c: F64, v: F64
    ) -> BarSeries:
        """Wrap arrays already known to be valid, read-only and owned (slices, internal use)."""
        self = object.__new__(cls)
        for name, value in (
            ("symbol", symbol),
            ("timeframe", timeframe),
            ("ts", ts),
            ("open", o),
            ("high", h),
            ("low", lo),
            ("close", c),
            ("volume", v),
        ):
            object.__setattr__(self, name, value)
        return self

    def __len__(self) -> int:
        return len(self.ts)

    def __getitem__(self, index: slice) -> BarSeries:
        """A positional slice (a view, no copy). Steps other than 1 are refused."""
        if not isinstance(index, slice):
            raise TypeError("BarSeries supports slices only; use to_rows() or the columns")
        if index.step not in (None, 1):
            raise ValueError("BarSeries slices must have step 1")
        return BarSeries._trusted(
            self.symbol,
            self.timeframe,
            self.ts[index],
            self.open[index],
            self.high[index],
            self.low[index],
            self.close[index],
            self.volume[index],
        )

    def between(self, start_ns: int | None = None, end_ns: int | None = None) -> BarSeries:
        """Bars with ``start_ns <= ts < end_ns`` (either bound may be ``None``); a view."""
        lo = 0 if start_ns is None else int(np.searchsorted(self.ts, start_ns, side="left"))
        hi = len(self) if end_ns is None else int(np.searchsorted(self.ts, end_ns, side="left"))
        return self[lo : max(lo, hi)]

    @property
    def first_ts(self) -> int | None:
        """Start of the first bar; ``None`` when empty."""
        return int(self.ts[0]) if len(self) else None

    @property
    def last_ts(self) -> int | None:
        """Start of the last bar (not its end); ``None`` when empty."""
        return int(self.ts[-1]) if len(self) else None

    def to_rows(self) -> list[BarRow]:
        """Every bar as a :class:`BarRow` of Python scalars (for small series)."""
        return [
            BarRow(*row)
            for row in zip(
                self.ts.tolist(),
                self.open.tolist(),
                self.high.tolist(),
                self.low.tolist(),
                self.close.tolist(),
                self.volume.tolist(),
                strict=True,
            )
        ]

    def with_symbol(self, symbol: str) -> BarSeries:
        """The same bars under another symbol (no copy)."""
        if not symbol:
            raise InvalidBarError("symbol must be a non-empty string")
        return BarSeries._trusted(
            symbol, self.timeframe, self.ts, self.open, self.high, self.low, self.close, self.volume
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BarSeries):
            return NotImplemented
        return (
            self.symbol == other.symbol
            and self.timeframe is other.timeframe
            and all(
                np.array_equal(getattr(self, n), getattr(other, n))
                for n in ("ts", "open", "high", "low", "close", "volume")
            )
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        span = f"{self.first_ts}..{self.last_ts}" if len(self) else "empty"
        return f"BarSeries({self.symbol!r}, {self.timeframe.value}, {len(self)} bars, ts {span})"


def bar_problems(
    ts: I64, o: F64, h: F64, lo: F64, c: F64, v: F64
) -> list[tuple[npt.NDArray[np.bool_], str]]:
    """Masks of bad bars, each with its reason (order is not checked here)."""
    with np.errstate(invalid="ignore"):
        finite = np.isfinite(o) & np.isfinite(h) & np.isfinite(lo) & np.isfinite(c)
        vol_finite = np.isfinite(v)
        return [
            (~finite, "price is NaN or infinite"),
            (~vol_finite, "volume is NaN or infinite"),
            (finite & ((o <= 0) | (h <= 0) | (lo <= 0) | (c <= 0)), "price is not positive"),
            (finite & (h < lo), "high < low"),
            (finite & (h >= lo) & ((o < lo) | (o > h)), "open outside [low, high]"),
            (finite & (h >= lo) & ((c < lo) | (c > h)), "close outside [low, high]"),
            (vol_finite & (v < 0), "volume is negative"),
        ]


def _validate(symbol: str, cols: dict[str, Any]) -> None:
    ts = cols["ts"]
    bad_at: list[tuple[int, str]] = []
    for mask, reason in bar_problems(
        ts, cols["open"], cols["high"], cols["low"], cols["close"], cols["volume"]
    ):
        idx = np.flatnonzero(mask)
        if idx.size:
            bad_at.append((int(idx[0]), reason))
    if len(ts) > 1:
        idx = np.flatnonzero(np.diff(ts) <= 0)
        if idx.size:
            bad_at.append((int(idx[0]) + 1, "timestamp not after the previous bar's"))
    if bad_at:
        i, reason = min(bad_at)
        raise InvalidBarError(f"{symbol}: bar {i} (ts={int(ts[i])}): {reason}")
