"""Resampling up: hand-worked buckets, then a property check against a plain-Python oracle."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actors.data.bars import BarSeries, Timeframe, resample
from ferrotrade.errors import InvalidParameterError

MIN = 60 * 10**9
DAY = 86_400 * 10**9
T0 = 1_704_067_200 * 10**9  # 2024-01-01T00:00Z, a Monday


def series(
    tf: str, ts: list[int], ohlcv: list[tuple[float, float, float, float, float]]
) -> BarSeries:
    cols = list(zip(*ohlcv, strict=True))
    return BarSeries("X", tf, ts, *cols)


def test_minutes_to_five_minutes_by_hand() -> None:
    s = series(
        "1Min",
        [T0, T0 + MIN, T0 + 4 * MIN, T0 + 5 * MIN, T0 + 12 * MIN],
        [
            (10, 12, 9, 11, 1),
            (11, 15, 10, 14, 2),
            (14, 14, 8, 9, 3),
            (9, 10, 9, 10, 4),
            (10, 10, 7, 8, 5),
        ],
    )
    r = resample(s, "5Min")
    assert r.timeframe is Timeframe.MIN_5
    assert r.to_rows() == [
        (T0, 10, 15, 8, 9, 6),
        (T0 + 5 * MIN, 9, 10, 9, 10, 4),
        (T0 + 10 * MIN, 10, 10, 7, 8, 5),  # the empty bucket at 00:05..00:10 gets no bar
    ]


def daily(days: list[str]) -> BarSeries:
    ts = [(date.fromisoformat(d).toordinal() - date(1970, 1, 1).toordinal()) * DAY for d in days]
    rows = [(10.0 + i, 20.0 + i, 5.0 + i, 11.0 + i, float(i + 1)) for i in range(len(days))]
    return series("1Day", ts, rows)


def test_days_to_weeks_start_monday() -> None:
    # Thu, Fri | Mon, Wed | Mon
    s = daily(["2024-01-04", "2024-01-05", "2024-01-08", "2024-01-10", "2024-01-15"])
    r = resample(s, "1Week")
    monday = (date(2024, 1, 1).toordinal() - date(1970, 1, 1).toordinal()) * DAY
    assert r.to_rows() == [
        (monday, 10, 21, 5, 12, 3),
        (monday + 7 * DAY, 12, 23, 7, 14, 7),
        (monday + 14 * DAY, 14, 24, 9, 15, 5),
    ]


def test_days_to_calendar_months() -> None:
    s = daily(["2024-01-30", "2024-01-31", "2024-02-01", "2024-02-29", "2024-03-01"])
    r = resample(s, "1Month")
    epoch = date(1970, 1, 1).toordinal()
    firsts = [(date(2024, m, 1).toordinal() - epoch) * DAY for m in (1, 2, 3)]
    assert r.ts.tolist() == firsts
    assert r.open.tolist() == [10, 12, 14]
    assert r.close.tolist() == [12, 14, 15]
    assert r.volume.tolist() == [3, 7, 5]


def test_intraday_to_day_by_utc_or_exchange_local_date() -> None:
    # New York, January (UTC-5): Jan 1 20:00 ET (after hours) is Jan 2 01:00 UTC.
    jan2 = T0 + DAY
    s = series(
        "1Hour",
        [T0 + 15 * 3600 * 10**9, jan2 + 3600 * 10**9, jan2 + 15 * 3600 * 10**9],
        [(1, 2, 1, 2, 1), (2, 3, 2, 3, 1), (3, 4, 3, 4, 1)],
    )
    assert resample(s, "1Day").to_rows() == [(T0, 1, 2, 1, 2, 1), (jan2, 2, 4, 2, 4, 2)]
    assert resample(s, "1Day", tz="America/New_York").to_rows() == [
        (T0, 1, 3, 1, 3, 2),
        (jan2, 3, 4, 3, 4, 1),
    ]


def test_same_timeframe_is_identity_and_finer_is_refused() -> None:
    s = daily(["2024-01-02", "2024-01-03"])
    assert resample(s, Timeframe.DAY_1) == s
    with pytest.raises(InvalidParameterError, match="cannot resample 1Day bars to 1Hour"):
        resample(s, "1Hour")
    weeks = resample(s, "1Week")
    with pytest.raises(InvalidParameterError, match="cannot resample 1Week bars to 1Month"):
        resample(weeks, "1Month")
    assert len(resample(BarSeries.empty("X", "1Min"), "1Day")) == 0


def test_volume_sum_is_correctly_rounded() -> None:
    # 0.1 + 0.2 + 0.3 sums to 0.6000000000000001 left to right; the exact sum rounds to 0.6.
    s = series(
        "1Min",
        [T0, T0 + MIN, T0 + 2 * MIN],
        [(1, 1, 1, 1, 0.1), (1, 1, 1, 1, 0.2), (1, 1, 1, 1, 0.3)],
    )
    assert resample(s, "5Min").volume.tolist() == [math.fsum([0.1, 0.2, 0.3])] == [0.6]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.integers(min_value=0, max_value=60 * 24 * 70), min_size=1, max_size=300, unique=True
    ),
    st.sampled_from(["5Min", "15Min", "1Hour", "4Hour", "1Day", "1Week", "1Month"]),
    st.integers(min_value=0, max_value=2**32 - 1),
)
def test_matches_a_plain_python_group_by(minutes: list[int], tf: str, seed: int) -> None:
    minutes.sort()
    rng = np.random.default_rng(seed)
    n = len(minutes)
    o = rng.uniform(50, 150, n)
    c = rng.uniform(50, 150, n)
    h = np.maximum(o, c) + rng.uniform(0, 5, n)
    lo = np.minimum(o, c) - rng.uniform(0, 5, n)
    v = rng.uniform(0, 1e6, n)
    ts = [T0 + m * MIN for m in minutes]
    s = BarSeries("X", "1Min", ts, o, h, lo, c, v)
    target = Timeframe.parse(tf)

    def key(t: int) -> int:
        if target.is_intraday:
            step = target.nanos
            assert step is not None
            return t // step * step
        d = date.fromordinal(t // DAY + date(1970, 1, 1).toordinal())
        if target is Timeframe.WEEK_1:
            d = date.fromordinal(d.toordinal() - d.weekday())
        elif target is Timeframe.MONTH_1:
            d = d.replace(day=1)
        return (d.toordinal() - date(1970, 1, 1).toordinal()) * DAY

    groups: dict[int, list[int]] = {}
    for i, t in enumerate(ts):
        groups.setdefault(key(t), []).append(i)
    expected = [
        (
            k,
            o[idx[0]],
            max(h[i] for i in idx),
            min(lo[i] for i in idx),
            c[idx[-1]],
            math.fsum(v[i] for i in idx),
        )
        for k, idx in sorted(groups.items())
    ]
    assert resample(s, tf).to_rows() == expected
