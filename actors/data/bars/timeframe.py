"""Bar timeframes and their bucket boundaries.

Invariant: a bar's timestamp is the start of its bucket, in integer nanoseconds since the Unix
epoch, UTC. How a timestamp maps to its bucket:

- Intraday timeframes (``1Min`` ... ``4Hour``) have fixed lengths and buckets aligned to the
  Unix epoch in UTC: ``floor(ts / length) * length``. So ``4Hour`` buckets start at 00:00, 04:00,
  08:00 ... UTC whatever the exchange.
- ``1Day`` buckets are calendar dates, labelled 00:00 UTC of that date (the convention of daily
  CSV files, whose ``YYYY-MM-DD`` dates become midnight UTC). Which date an *intraday* bar
  belongs to is its UTC date by default, or its exchange-local date when a time zone is given
  (``tz="America/New_York"``). The UTC date is right for crypto and for US regular hours, but
  not for sessions that cross midnight UTC: Tokyo's 09:00 JST open is 00:00 UTC of the day
  before, and US after-hours bars (20:00 ET = 01:00 UTC) belong to the previous trading date.
  Bars that are already daily or coarser are labels, not instants: their UTC date is used and
  ``tz`` is ignored.
- ``1Week`` buckets start on Monday (of the date defined above), ``1Month`` on the first day of
  the calendar month; both labelled 00:00 UTC.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt

from ferrotrade.errors import InvalidParameterError

__all__ = ["DAY_NS", "HOUR_NS", "MINUTE_NS", "Timeframe"]

I64 = npt.NDArray[np.int64]

SECOND_NS = 1_000_000_000
MINUTE_NS = 60 * SECOND_NS
HOUR_NS = 60 * MINUTE_NS
DAY_NS = 24 * HOUR_NS
WEEK_NS = 7 * DAY_NS


class Timeframe(StrEnum):
    """The bar timeframes, finest first; the value is the canonical spelling (Alpaca's)."""

    MIN_1 = "1Min"
    MIN_5 = "5Min"
    MIN_15 = "15Min"
    MIN_30 = "30Min"
    HOUR_1 = "1Hour"
    HOUR_4 = "4Hour"
    DAY_1 = "1Day"
    WEEK_1 = "1Week"
    MONTH_1 = "1Month"

    @classmethod
    def parse(cls, value: str | Timeframe) -> Timeframe:
        """``"1Min"``, ``"1Day"`` ... (case-insensitive) or a :class:`Timeframe` as is.

        Raises :class:`~ferrotrade.errors.InvalidParameterError` naming the accepted spellings.
        """
        if isinstance(value, Timeframe):
            return value
        if isinstance(value, str):
            folded = value.strip().casefold()
            for tf in cls:
                if tf.value.casefold() == folded:
                    return tf
        names = ", ".join(tf.value for tf in cls)
        raise InvalidParameterError(f"unknown timeframe {value!r}: expected one of {names}")

    @property
    def rank(self) -> int:
        """Position from the finest (0 for ``1Min``); a coarser timeframe has a higher rank."""
        return list(Timeframe).index(self)

    @property
    def is_intraday(self) -> bool:
        return self.rank < Timeframe.DAY_1.rank

    @property
    def nanos(self) -> int | None:
        """Fixed bucket length in nanoseconds; ``None`` for ``1Month`` (calendar months vary)."""
        return _FIXED_NS.get(self)

    def can_resample_to(self, target: Timeframe) -> bool:
        """Whether bars of this timeframe can be aggregated into ``target`` bars.

        Only up (or to the same timeframe), and never weeks into months: a week can straddle two
        months, so its bar cannot be split between them.
        """
        if target.rank < self.rank:
            return False
        return not (self is Timeframe.WEEK_1 and target is Timeframe.MONTH_1)

    def bucket_starts(
        self, ts: I64, *, source: Timeframe | None = None, tz: str | None = None
    ) -> I64:
        """The start (label) of the bucket of this timeframe holding each timestamp of ``ts``.

        ``source`` is the timeframe of the bars ``ts`` belongs to; with ``tz`` it decides the date
        of intraday bars (see the module docstring). The result is non-decreasing when ``ts`` is.
        """
        ts = np.asarray(ts, dtype=np.int64)
        fixed = self.nanos
        if self.is_intraday:
            assert fixed is not None
            return (ts // fixed) * fixed
        if tz is not None and (source is None or source.is_intraday):
            days = (ts + utc_offsets_ns(ts, tz)) // DAY_NS
        else:
            days = ts // DAY_NS
        if self is Timeframe.DAY_1:
            pass
        elif self is Timeframe.WEEK_1:
            # 1970-01-01 (day 0) was a Thursday: Monday is 3 days before it.
            days = days - (days + 3) % 7
        else:
            months = days.astype("datetime64[D]").astype("datetime64[M]")
            days = months.astype("datetime64[D]").astype(np.int64)
        return days * DAY_NS

    def floor(self, ts: int) -> int:
        """The start of the (UTC) bucket holding one timestamp."""
        return int(self.bucket_starts(np.array([ts], dtype=np.int64))[0])

    def next_start(self, ts: int) -> int:
        """The start of the bucket after the one holding ``ts`` (UTC calendar for months)."""
        start = self.floor(ts)
        fixed = self.nanos
        if fixed is not None:
            return start + fixed
        month = np.array([start // DAY_NS], dtype="datetime64[D]").astype("datetime64[M]") + 1
        return int(month.astype("datetime64[D]").astype(np.int64)[0]) * DAY_NS


_FIXED_NS: dict[Timeframe, int] = {
    Timeframe.MIN_1: MINUTE_NS,
    Timeframe.MIN_5: 5 * MINUTE_NS,
    Timeframe.MIN_15: 15 * MINUTE_NS,
    Timeframe.MIN_30: 30 * MINUTE_NS,
    Timeframe.HOUR_1: HOUR_NS,
    Timeframe.HOUR_4: 4 * HOUR_NS,
    Timeframe.DAY_1: DAY_NS,
    Timeframe.WEEK_1: WEEK_NS,
}


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidParameterError(f"unknown time zone {tz!r}") from exc


def _offset_ns(zone: ZoneInfo, seconds: int) -> int:
    offset = datetime.fromtimestamp(seconds, tz=zone).utcoffset()
    assert offset is not None
    return (offset.days * 86_400 + offset.seconds) * SECOND_NS


def utc_offsets_ns(ts: I64, tz: str) -> I64:
    """The UTC offset of ``tz`` (local minus UTC, in ns) at each instant of ``ts``.

    Exact and vectorized: the offset is looked up once per distinct UTC hour, and per element only
    in the rare hours that hold a transition (offset changes happen on whole seconds).
    """
    zone = _zone(tz)
    ts = np.asarray(ts, dtype=np.int64)
    out = np.empty(ts.shape, dtype=np.int64)
    if ts.size == 0:
        return out
    hours, inverse = np.unique(ts // HOUR_NS, return_inverse=True)
    first = np.array([_offset_ns(zone, int(h) * 3600) for h in hours], dtype=np.int64)
    last = np.array([_offset_ns(zone, int(h) * 3600 + 3599) for h in hours], dtype=np.int64)
    out[:] = first[inverse]
    for k in np.flatnonzero(first != last):
        for i in np.flatnonzero(inverse == k):
            out[i] = _offset_ns(zone, int(ts[i] // SECOND_NS))
    return out
