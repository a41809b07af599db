"""Timeframe parsing and bucket boundaries (UTC intraday, local dates, Monday weeks, months)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actors.data.bars import Timeframe
from actors.data.bars.timeframe import DAY_NS, HOUR_NS, MINUTE_NS, utc_offsets_ns
from ferrotrade.errors import InvalidParameterError


def ns(text: str) -> int:
    dt = datetime.fromisoformat(text)
    return int(dt.timestamp()) * 1_000_000_000


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1Min", Timeframe.MIN_1),
        ("5Min", Timeframe.MIN_5),
        ("15Min", Timeframe.MIN_15),
        ("30Min", Timeframe.MIN_30),
        ("1Hour", Timeframe.HOUR_1),
        ("4Hour", Timeframe.HOUR_4),
        ("1Day", Timeframe.DAY_1),
        ("1Week", Timeframe.WEEK_1),
        ("1Month", Timeframe.MONTH_1),
        ("1day", Timeframe.DAY_1),
        (" 1MONTH ", Timeframe.MONTH_1),
        (Timeframe.HOUR_1, Timeframe.HOUR_1),
    ],
)
def test_parse_accepts_canonical_names(text: str, expected: Timeframe) -> None:
    assert Timeframe.parse(text) is expected


@pytest.mark.parametrize("text", ["1m", "1M", "2Day", "", "1 Min", "minute", "60Min"])
def test_parse_rejects_unknown_names_listing_valid_ones(text: str) -> None:
    with pytest.raises(InvalidParameterError, match=r"unknown timeframe .*1Min, 5Min.*1Month"):
        Timeframe.parse(text)


def test_parse_rejects_non_strings() -> None:
    with pytest.raises(InvalidParameterError):
        Timeframe.parse(5)  # type: ignore[arg-type]


def test_rank_and_lengths() -> None:
    assert [tf.rank for tf in Timeframe] == list(range(9))
    assert Timeframe.HOUR_4.nanos == 4 * HOUR_NS
    assert Timeframe.WEEK_1.nanos == 7 * DAY_NS
    assert Timeframe.MONTH_1.nanos is None
    assert Timeframe.HOUR_4.is_intraday
    assert not Timeframe.DAY_1.is_intraday


def test_can_resample_up_only_and_not_weeks_to_months() -> None:
    assert Timeframe.MIN_1.can_resample_to(Timeframe.MONTH_1)
    assert Timeframe.DAY_1.can_resample_to(Timeframe.DAY_1)
    assert not Timeframe.DAY_1.can_resample_to(Timeframe.HOUR_1)
    assert not Timeframe.WEEK_1.can_resample_to(Timeframe.MONTH_1)


def test_intraday_buckets_are_utc_epoch_aligned() -> None:
    ts = np.array([ns("2024-01-02T03:59:59+00:00"), ns("2024-01-02T04:00:00+00:00")])
    assert Timeframe.HOUR_4.bucket_starts(ts).tolist() == [
        ns("2024-01-02T00:00:00+00:00"),
        ns("2024-01-02T04:00:00+00:00"),
    ]
    # An offset in the input changes nothing: buckets are UTC.
    t = np.array([ns("2024-01-02T09:47:00-05:00")])
    assert Timeframe.MIN_15.bucket_starts(t).tolist() == [ns("2024-01-02T14:45:00+00:00")]


def test_day_bucket_is_utc_date_or_local_date_with_tz() -> None:
    # 2024-01-02 01:30 UTC is 2024-01-01 20:30 in New York (after-hours of Jan 1).
    ts = np.array([ns("2024-01-02T01:30:00+00:00")])
    assert Timeframe.DAY_1.bucket_starts(ts).tolist() == [ns("2024-01-02T00:00:00+00:00")]
    local = Timeframe.DAY_1.bucket_starts(ts, source=Timeframe.MIN_1, tz="America/New_York")
    assert local.tolist() == [ns("2024-01-01T00:00:00+00:00")]
    # Daily labels are dates, not instants: tz does not move them.
    daily = np.array([ns("2024-01-02T00:00:00+00:00")])
    same = Timeframe.WEEK_1.bucket_starts(daily, source=Timeframe.DAY_1, tz="America/New_York")
    assert same.tolist() == [ns("2024-01-01T00:00:00+00:00")]  # Monday of that week


def test_week_buckets_start_on_monday() -> None:
    # 2024-01-07 is a Sunday, 2024-01-08 a Monday.
    days = ["2024-01-01", "2024-01-05", "2024-01-07", "2024-01-08", "1970-01-01"]
    ts = np.array([ns(f"{d}T12:00:00+00:00") for d in days])
    expected = ["2024-01-01", "2024-01-01", "2024-01-01", "2024-01-08", "1969-12-29"]
    assert Timeframe.WEEK_1.bucket_starts(ts).tolist() == [
        ns(f"{d}T00:00:00+00:00") for d in expected
    ]


def test_month_buckets_and_next_start() -> None:
    ts = np.array([ns("2024-02-29T23:59:00+00:00"), ns("2024-03-01T00:00:00+00:00")])
    assert Timeframe.MONTH_1.bucket_starts(ts).tolist() == [
        ns("2024-02-01T00:00:00+00:00"),
        ns("2024-03-01T00:00:00+00:00"),
    ]
    assert Timeframe.MONTH_1.next_start(ns("2023-12-15T00:00:00+00:00")) == ns(
        "2024-01-01T00:00:00+00:00"
    )
    assert Timeframe.MIN_5.next_start(ns("2024-01-01T00:07:00+00:00")) == ns(
        "2024-01-01T00:10:00+00:00"
    )
    assert Timeframe.DAY_1.floor(ns("2024-01-01T23:00:00+00:00")) == ns("2024-01-01T00:00:00+00:00")


def test_utc_offsets_across_dst_transitions() -> None:
    # New York springs forward at 2024-03-10 07:00 UTC (-05:00 -> -04:00).
    ts = np.array(
        [
            ns("2024-03-10T06:59:59+00:00"),
            ns("2024-03-10T07:00:00+00:00"),
            ns("2024-03-10T06:30:00+00:00"),
        ]
    )
    assert utc_offsets_ns(ts, "America/New_York").tolist() == [
        -5 * HOUR_NS,
        -4 * HOUR_NS,
        -5 * HOUR_NS,
    ]
    # Adelaide changes at a half hour in UTC (+10:30 -> +09:30 on 2024-04-06 16:30 UTC).
    ts = np.array([ns("2024-04-06T16:29:00+00:00"), ns("2024-04-06T16:31:00+00:00")])
    assert utc_offsets_ns(ts, "Australia/Adelaide").tolist() == [
        630 * MINUTE_NS,
        570 * MINUTE_NS,
    ]


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=2_000_000_000), min_size=1, max_size=50),
    st.sampled_from(["America/New_York", "Europe/London", "Australia/Adelaide", "Asia/Tokyo"]),
)
def test_utc_offsets_match_zoneinfo(seconds: list[int], tz: str) -> None:
    ts = np.array(sorted(seconds), dtype=np.int64) * 1_000_000_000
    zone = ZoneInfo(tz)
    expected = []
    for s in sorted(seconds):
        off = datetime.fromtimestamp(s, tz=UTC).astimezone(zone).utcoffset()
        assert off is not None
        expected.append(int(off.total_seconds()) * 1_000_000_000)
    assert utc_offsets_ns(ts, tz).tolist() == expected


def test_unknown_time_zone_is_a_clear_error() -> None:
    with pytest.raises(InvalidParameterError, match="unknown time zone 'Mars/Olympus'"):
        Timeframe.DAY_1.bucket_starts(np.array([0]), tz="Mars/Olympus")
