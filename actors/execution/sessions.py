"""Trading sessions: which trading day a timestamp belongs to.

A session is the calendar date in the exchange time zone (default America/New_York, DST
included), so a DAY order placed in the evening session and one placed the next morning belong
to different days wherever the process runs. Shared by the bar venue and the simulated venue.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = ["SESSION_TZ", "SessionClock"]

#: The exchange time zone whose calendar dates are the sessions of intraday bars.
SESSION_TZ = "America/New_York"

_S = 1_000_000_000
_DAY_NS = 86_400 * _S
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


class SessionClock:
    """The session (trading day) of a bar timestamp, as a date ordinal
    (:meth:`datetime.date.toordinal`): its calendar date in ``tz``, or with ``daily`` its UTC
    date (daily bars are labelled 00:00 UTC of their date, which is the previous evening in
    New York). The bounds of the last day looked up are kept: consecutive bars mostly share one,
    so the time zone is consulted about once per day."""

    __slots__ = ("_day", "_end", "_start", "daily", "tz")

    def __init__(self, tz: str = SESSION_TZ, daily: bool = False) -> None:
        self.tz = ZoneInfo(tz)
        self.daily = daily
        self._start = 1
        self._end = 0  # empty: the first lookup computes
        self._day = 0

    def day(self, ts: int) -> int:
        """The session of ``ts`` (ns since the epoch, UTC)."""
        if not self._start <= ts < self._end:
            self._locate(ts)
        return self._day

    def end(self, ts: int) -> int:
        """The first ns after the session of ``ts``."""
        if not self._start <= ts < self._end:
            self._locate(ts)
        return self._end

    def _locate(self, ts: int) -> None:
        if self.daily:
            d = ts // _DAY_NS
            self._start = d * _DAY_NS
            self._end = self._start + _DAY_NS
            self._day = d + _EPOCH_ORDINAL
            return
        # local midnights exist and are unique: DST switches happen at 02:00 in the US
        day = datetime.fromtimestamp(ts // _S, self.tz).date()
        start = datetime.combine(day, time(), self.tz)
        end = datetime.combine(day + timedelta(days=1), time(), self.tz)
        self._start = round(start.timestamp()) * _S
        self._end = round(end.timestamp()) * _S
        self._day = day.toordinal()
