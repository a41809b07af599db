"""CSV import and export of bars in the shared schema.

Schema: a header ``timestamp,open,high,low,close,volume`` (names matched case-insensitively, any
order, extra columns ignored), then one bar a line. ``timestamp`` is either a date
``YYYY-MM-DD`` (daily bars: labelled 00:00 UTC of that date) or an ISO-8601 time with an offset
(``2019-11-05T09:30:00-05:00``, ``...Z``), converted to UTC; it marks the bar start. A time
without an offset is read in the zone ``tz`` when given, and is a bad row otherwise: guessing a
zone is how a backtest silently shifts by hours.

Error policy: every bad row is reported with ``file:line: reason`` (the header is line 1) and
never used. A row is bad when a field is missing, empty, unparsable, NaN or infinite; a price is
not positive; ``high < low``; open or close is outside ``[low, high]``; volume is negative; or its
timestamp is not after every earlier row's (a duplicate or out of order). With ``on_error="raise"``
(the default) :class:`InvalidBarDataError` lists the problems; with ``on_error="skip"`` the valid
rows come back together with the problems, so the caller decides what to log.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Literal, overload
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt

from actors.data.bars.errors import BarProblem, InvalidBarDataError
from actors.data.bars.series import BarSeries, bar_problems
from actors.data.bars.timeframe import DAY_NS, Timeframe
from ferrotrade.errors import DataFormatError, InvalidParameterError

__all__ = ["COLUMNS", "read_bars_csv", "write_bars_csv"]

COLUMNS = ("timestamp", "open", "high", "low", "close", "volume")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_US = timedelta(microseconds=1)
_MIN_NS = -(2**63) + 1  # int64 nanoseconds cover 1677-09-21 .. 2262-04-11
_MAX_NS = 2**63 - 1

OnError = Literal["raise", "skip"]


@overload
def read_bars_csv(
    path: str | os.PathLike[str],
    symbol: str | None = ...,
    timeframe: Timeframe | str | None = ...,
    *,
    on_error: Literal["raise"] = ...,
    tz: str | None = ...,
    max_errors: int = ...,
) -> BarSeries: ...


@overload
def read_bars_csv(
    path: str | os.PathLike[str],
    symbol: str | None = ...,
    timeframe: Timeframe | str | None = ...,
    *,
    on_error: Literal["skip"],
    tz: str | None = ...,
    max_errors: int = ...,
) -> tuple[BarSeries, tuple[BarProblem, ...]]: ...


def read_bars_csv(
    path: str | os.PathLike[str],
    symbol: str | None = None,
    timeframe: Timeframe | str | None = None,
    *,
    on_error: OnError = "raise",
    tz: str | None = None,
    max_errors: int = 20,
) -> BarSeries | tuple[BarSeries, tuple[BarProblem, ...]]:
    """Read one CSV file of bars into a :class:`BarSeries`.

    ``symbol`` defaults to the file name without extension. ``timeframe`` defaults to ``1Day``
    for a file of dates; for intraday files it is inferred from the smallest gap between bars
    when that gap is a timeframe (``1Min`` ... ``4Hour``), else pass it. ``max_errors`` caps how
    many problems the error message lists (all of them are in ``error.problems``).

    Raises :class:`InvalidBarDataError` (``on_error="raise"``) for bad rows, and
    :class:`~ferrotrade.errors.DataFormatError` for a file that is not a bar CSV at all (missing
    columns, no header).
    """
    if on_error not in ("raise", "skip"):
        raise InvalidParameterError(f"on_error must be 'raise' or 'skip', got {on_error!r}")
    name = os.fspath(path)
    zone = _zone(tz) if tz is not None else None
    with open(path, newline="", encoding="utf-8") as fh:
        lines, ts, values, reported, problems, is_date = _parse(fh, name, zone)
    series, problems = _assemble(
        name,
        symbol if symbol is not None else Path(name).stem,
        timeframe,
        lines,
        ts,
        values,
        reported,
        problems,
        is_date,
    )
    if on_error == "raise":
        if problems:
            raise InvalidBarDataError(problems, max_listed=max_errors)
        return series
    return series, tuple(problems)


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidParameterError(f"unknown time zone {tz!r}") from exc


def _parse(
    fh: Iterable[str], name: str, zone: ZoneInfo | None
) -> tuple[list[int], list[int], list[list[float]], list[int], list[BarProblem], bool | None]:
    reader = csv.reader(fh)
    header = next(reader, None)
    if header is None:
        raise DataFormatError(f"{name}:1: empty file (expected header {','.join(COLUMNS)})")
    folded = [h.strip().casefold() for h in header]
    missing = [c for c in COLUMNS if c not in folded]
    if missing:
        raise DataFormatError(
            f"{name}:1: missing column(s) {', '.join(missing)} (expected header "
            f"{','.join(COLUMNS)}, got {','.join(header)})"
        )
    it, io, ih, il, ic, iv = (folded.index(c) for c in COLUMNS)
    width = len(header)
    lines: list[int] = []
    stamps: list[int] = []
    rows: list[list[float]] = []
    reported: list[int] = []  # positions (in rows) of rows already reported while parsing
    problems: list[BarProblem] = []
    is_date: bool | None = None  # the kind of the first readable timestamp decides the file's
    for row in reader:
        line = reader.line_num
        if not row or (len(row) == 1 and not row[0].strip()):
            continue  # a blank line holds no bar
        if len(row) != width:
            problems.append(BarProblem(name, line, f"expected {width} fields, got {len(row)}"))
            continue
        text = row[it].strip()
        if not text:
            problems.append(BarProblem(name, line, "timestamp is empty"))
            continue
        try:
            if len(text) == 10:
                row_is_date = True
                stamp = (date.fromisoformat(text).toordinal() - _EPOCH_ORDINAL) * DAY_NS
            else:
                row_is_date = False
                dt = datetime.fromisoformat(text)
                if dt.tzinfo is None:
                    if zone is None:
                        problems.append(
                            BarProblem(name, line, f"timestamp {text!r} has no UTC offset")
                        )
                        continue
                    dt = dt.replace(tzinfo=zone)
                stamp = ((dt - _EPOCH) // _US) * 1000
        except ValueError:
            problems.append(BarProblem(name, line, f"timestamp {text!r} is not a date or time"))
            continue
        if not _MIN_NS <= stamp <= _MAX_NS:
            problems.append(BarProblem(name, line, f"timestamp {text!r} is outside 1678..2261"))
            continue
        if is_date is None:
            is_date = row_is_date
        elif row_is_date is not is_date:
            kind = "a date" if is_date else "a time"
            problems.append(BarProblem(name, line, f"timestamp {text!r} is not {kind}"))
            continue
        fields: list[float] = []
        for col, idx in (("open", io), ("high", ih), ("low", il), ("close", ic), ("volume", iv)):
            raw = row[idx].strip()
            if not raw:
                problems.append(BarProblem(name, line, f"{col} is empty"))
                break
            try:
                fields.append(float(raw))
            except ValueError:
                problems.append(BarProblem(name, line, f"{col} {raw!r} is not a number"))
                break
        else:
            lines.append(line)
            stamps.append(stamp)
            rows.append(fields)
            continue
        # A row with a readable time but an unreadable value still counts for ordering, so a
        # later row repeating its timestamp is reported as the duplicate it is.
        reported.append(len(rows))
        lines.append(line)
        stamps.append(stamp)
        rows.append([1.0] * 5)
    return lines, stamps, rows, reported, problems, is_date


def _assemble(
    name: str,
    symbol: str,
    timeframe: Timeframe | str | None,
    lines_list: list[int],
    ts_list: list[int],
    rows: list[list[float]],
    reported: list[int],
    problems: list[BarProblem],
    is_date: bool | None,
) -> tuple[BarSeries, list[BarProblem]]:
    n = len(ts_list)
    lines = np.array(lines_list, dtype=np.int64)
    ts = np.array(ts_list, dtype=np.int64)
    values = np.array(rows, dtype=np.float64).reshape(n, 5)
    already = np.zeros(n, dtype=bool)
    already[reported] = True
    o, h, lo, c, v = (np.ascontiguousarray(values[:, k]) for k in range(5))
    bad = already.copy()
    found: list[tuple[int, str]] = []
    for mask, reason in bar_problems(ts, o, h, lo, c, v):
        mask = mask & ~already
        bad |= mask
        found.extend((int(i), reason) for i in np.flatnonzero(mask))
    if n > 1:
        prev_max = np.maximum.accumulate(ts)[:-1]
        dup = np.flatnonzero(ts[1:] == prev_max) + 1
        back = np.flatnonzero(ts[1:] < prev_max) + 1
        bad[dup] = True
        bad[back] = True
        found.extend((int(i), "duplicate timestamp (an earlier row has the same)") for i in dup)
        found.extend((int(i), "timestamp out of order (earlier than a previous row)") for i in back)
    problems = problems + [BarProblem(name, int(lines[i]), reason) for i, reason in found]
    problems.sort(key=lambda p: p.line)
    keep = ~bad
    tf = _timeframe(name, timeframe, is_date, ts[keep])
    series = BarSeries(symbol, tf, ts[keep], o[keep], h[keep], lo[keep], c[keep], v[keep])
    return series, problems


def _timeframe(
    name: str, timeframe: Timeframe | str | None, is_date: bool | None, ts: npt.NDArray[np.int64]
) -> Timeframe:
    if timeframe is not None:
        return Timeframe.parse(timeframe)
    if is_date is None or is_date:
        return Timeframe.DAY_1
    if len(ts) > 1:
        gap = int(np.diff(ts).min())
        for tf in Timeframe:
            if tf.is_intraday and tf.nanos == gap:
                return tf
    raise DataFormatError(
        f"{name}: cannot infer the timeframe of intraday bars; pass timeframe= explicitly"
    )


def write_bars_csv(series: BarSeries, path: str | os.PathLike[str]) -> None:
    """Write ``series`` in the shared schema: dates for ``1Day`` and coarser bars at midnight UTC,
    ISO-8601 UTC times (``+00:00``) otherwise. Floats use ``repr``, so reading back is exact."""
    dates = not series.timeframe.is_intraday and bool(np.all(series.ts % DAY_NS == 0))
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(COLUMNS)
        for row in series.to_rows():
            if dates:
                stamp = date.fromordinal(row.ts // DAY_NS + _EPOCH_ORDINAL).isoformat()
            else:
                stamp = (_EPOCH + timedelta(microseconds=row.ts // 1000)).isoformat()
            writer.writerow((stamp, *(repr(x) for x in row[1:])))
