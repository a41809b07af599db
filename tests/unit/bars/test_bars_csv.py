"""CSV import: every kind of bad row is reported with file and line, never used."""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actors.data.bars import (
    BarSeries,
    InvalidBarDataError,
    Timeframe,
    read_bars_csv,
    write_bars_csv,
)
from ferrotrade.errors import DataFormatError, InvalidParameterError

DAY_NS = 86_400 * 10**9
EPOCH_2024 = 1_704_067_200 * 10**9  # 2024-01-01T00:00Z
HEADER = "timestamp,open,high,low,close,volume\n"
GOOD_DAILY = [
    "2024-01-02,10,11,9,10.5,100",
    "2024-01-03,10.5,12,10,11,200",
    "2024-01-04,11,11.5,10.5,11.2,300",
]


def write(tmp_path: Path, rows: list[str], name: str = "TEST.csv", header: str = HEADER) -> Path:
    path = tmp_path / name
    path.write_text(header + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_reads_daily_dates_as_midnight_utc(tmp_path: Path) -> None:
    s = read_bars_csv(write(tmp_path, GOOD_DAILY))
    assert s.symbol == "TEST"
    assert s.timeframe is Timeframe.DAY_1
    assert s.ts[0] == 1_704_153_600 * 10**9  # 2024-01-02T00:00Z
    assert s.close.tolist() == [10.5, 11.0, 11.2]
    assert s.volume.tolist() == [100.0, 200.0, 300.0]


def test_reads_intraday_offsets_and_z_as_utc(tmp_path: Path) -> None:
    rows = [
        "2019-11-05T09:30:00-05:00,1,2,1,2,0",
        "2019-11-05T14:31:00Z,2,2,1,1,0",
        "2019-11-05T14:32:00+00:00,1,1,1,1,0",
    ]
    s = read_bars_csv(write(tmp_path, rows), symbol="SPX")
    start = 1_572_964_200 * 10**9  # 2019-11-05T14:30:00Z
    assert s.ts.tolist() == [start, start + 60 * 10**9, start + 120 * 10**9]
    assert s.symbol == "SPX"
    assert s.timeframe is Timeframe.MIN_1


def test_naive_times_need_a_zone(tmp_path: Path) -> None:
    path = write(tmp_path, ["2024-07-01T09:30:00,1,1,1,1,0", "2024-07-01T09:31:00,1,1,1,1,0"])
    with pytest.raises(InvalidBarDataError, match=r"TEST.csv:2: timestamp .* has no UTC offset"):
        read_bars_csv(path)
    s = read_bars_csv(path, tz="America/New_York")
    assert s.ts[0] == 1_719_840_600 * 10**9  # 13:30Z (EDT is UTC-4)


@pytest.mark.parametrize(
    ("bad_row", "reason"),
    [
        ("2024-01-03,nan,12,10,11,200", "price is NaN or infinite"),
        ("2024-01-03,10.5,inf,10,11,200", "price is NaN or infinite"),
        ("2024-01-03,10.5,12,10,11,NaN", "volume is NaN or infinite"),
        ("2024-01-03,,12,10,11,200", "open is empty"),
        ("2024-01-03,10.5,12,10,11,", "volume is empty"),
        ("2024-01-03,10.5,abc,10,11,200", "high 'abc' is not a number"),
        ("2024-01-03,10.5,9,10,9.5,200", "high < low"),
        ("2024-01-03,13,12,10,11,200", "open outside [low, high]"),
        ("2024-01-03,10.5,12,10,9,200", "close outside [low, high]"),
        ("2024-01-03,10.5,12,10,11,-1", "volume is negative"),
        ("2024-01-03,0,12,0,11,200", "price is not positive"),
        ("2024-01-02,10.5,12,10,11,200", "duplicate timestamp"),
        ("2024-01-01,10.5,12,10,11,200", "timestamp out of order"),
        ("2024-13-03,10.5,12,10,11,200", "'2024-13-03' is not a date or time"),
        (",10.5,12,10,11,200", "timestamp is empty"),
        ("2300-01-03,10.5,12,10,11,200", "is outside 1678..2261"),
        ("2024-01-03,10.5,12,10,11", "expected 6 fields, got 5"),
        ("2024-01-03T10:00:00Z,10.5,12,10,11,200", "is not a date"),
    ],
)
def test_each_bad_row_is_reported_with_file_and_line(
    tmp_path: Path, bad_row: str, reason: str
) -> None:
    rows = [GOOD_DAILY[0], bad_row, GOOD_DAILY[2]]
    path = write(tmp_path, rows)
    with pytest.raises(InvalidBarDataError) as info:
        read_bars_csv(path)
    assert isinstance(info.value, DataFormatError)
    assert f"{path}:3: " in str(info.value)  # header is line 1, the bad row line 3
    assert reason in str(info.value)
    assert [(p.file, p.line) for p in info.value.problems] == [(str(path), 3)]
    assert reason in info.value.problems[0].reason

    series, problems = read_bars_csv(path, on_error="skip")
    assert [str(p) for p in problems] == [str(info.value.problems[0])]
    assert series.ts.tolist() == [1_704_153_600 * 10**9, 1_704_326_400 * 10**9]  # rows 2 and 4


def test_a_row_with_a_bad_value_still_counts_for_duplicates(tmp_path: Path) -> None:
    rows = ["2024-01-02,10,11,9,nan,100", "2024-01-02,10,11,9,10,100"]
    _, problems = read_bars_csv(write(tmp_path, rows), on_error="skip")
    assert [(p.line, p.reason.split(" (")[0]) for p in problems] == [
        (2, "price is NaN or infinite"),
        (3, "duplicate timestamp"),
    ]


def test_out_of_order_rows_are_judged_against_every_earlier_row(tmp_path: Path) -> None:
    rows = ["2024-01-05,1,1,1,1,0", "2024-01-03,1,1,1,1,0", "2024-01-04,1,1,1,1,0"]
    series, problems = read_bars_csv(write(tmp_path, rows), on_error="skip")
    assert [p.line for p in problems] == [3, 4]
    assert len(series) == 1  # what is kept is strictly increasing


def test_message_lists_the_first_n_problems(tmp_path: Path) -> None:
    rows = [f"2024-01-{d:02d},1,1,2,1,0" for d in range(1, 11)]  # high < low on all ten
    with pytest.raises(InvalidBarDataError) as info:
        read_bars_csv(write(tmp_path, rows), max_errors=3)
    text = str(info.value)
    assert text.splitlines()[0].startswith("10 bad rows in ")
    assert "TEST.csv:4: high < low" in text
    assert "TEST.csv:5:" not in text
    assert "... and 7 more" in text
    assert len(info.value.problems) == 10


def test_header_problems_are_format_errors(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD_DAILY, header="date,open,high,low,close\n")
    with pytest.raises(DataFormatError, match=r"TEST.csv:1: missing column\(s\) timestamp, volume"):
        read_bars_csv(path)
    empty = tmp_path / "EMPTY.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"EMPTY\.csv:1: empty file"):
        read_bars_csv(empty)


def test_header_order_case_and_extra_columns(tmp_path: Path) -> None:
    header = "Volume,Close,Low,High,Open,Timestamp,note\n"
    path = write(tmp_path, ["100,10.5,9,11,10,2024-01-02,x"], header=header)
    assert read_bars_csv(path).to_rows()[0][1:] == (10.0, 11.0, 9.0, 10.5, 100.0)


def test_blank_lines_are_skipped_and_line_numbers_stay_true(tmp_path: Path) -> None:
    rows = [GOOD_DAILY[0], "", GOOD_DAILY[1], "2024-01-04,1,1,2,1,0"]
    with pytest.raises(InvalidBarDataError, match=r"TEST.csv:5: high < low"):
        read_bars_csv(write(tmp_path, rows))


def test_timeframe_inference_and_override(tmp_path: Path) -> None:
    rows = ["2024-01-02T00:00:00Z,1,1,1,1,0", "2024-01-02T00:05:00Z,1,1,1,1,0"]
    path = write(tmp_path, rows)
    assert read_bars_csv(path).timeframe is Timeframe.MIN_5
    assert read_bars_csv(path, timeframe="1Hour").timeframe is Timeframe.HOUR_1
    odd = write(tmp_path, ["2024-01-02T00:00:00Z,1,1,1,1,0", "2024-01-02T00:07:00Z,1,1,1,1,0"])
    with pytest.raises(DataFormatError, match="cannot infer the timeframe"):
        read_bars_csv(odd)


def test_bad_options_are_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD_DAILY)
    with pytest.raises(InvalidParameterError, match="on_error"):
        read_bars_csv(path, on_error="ignore")  # type: ignore[call-overload]
    with pytest.raises(InvalidParameterError, match="time zone"):
        read_bars_csv(path, tz="Nowhere/Land")


@pytest.mark.parametrize("tf", ["1Min", "1Day"])
def test_write_then_read_round_trips_exactly(tmp_path: Path, tf: str) -> None:
    step = 60 * 10**9 if tf == "1Min" else 86_400 * 10**9
    ts = 1_704_153_600 * 10**9 + np.arange(4) * step
    close = np.array([0.1 + 0.2, 1 / 3, 2.0, 1e-7])
    s = BarSeries("Z", tf, ts, close, close * 1.5, close / 2, close, [0.0, 1.5, 2e9, 1 / 7])
    path = tmp_path / "Z.csv"
    write_bars_csv(s, path)
    assert read_bars_csv(path, timeframe=tf) == s
    first = path.read_text(encoding="utf-8").splitlines()[1].split(",")[0]
    assert first == ("2024-01-02" if tf == "1Day" else "2024-01-02T00:00:00+00:00")


_CORRUPTIONS = {
    "ok": "10,12,9,11,100",
    "nan": "10,12,9,nan,100",
    "high_below_low": "10,8,9,11,100",
    "negative_volume": "10,12,9,11,-5",
    "empty": "10,,9,11,100",
    "open_outside": "13,12,9,11,100",
}


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(min_value=0, max_value=40), st.sampled_from(sorted(_CORRUPTIONS))),
        max_size=40,
    )
)
def test_exactly_the_bad_rows_are_reported_and_dropped(rows: list[tuple[int, str]]) -> None:
    base = date(2024, 1, 1)
    lines = [f"{(base + timedelta(days=d)).isoformat()},{_CORRUPTIONS[k]}" for d, k in rows]
    with tempfile.TemporaryDirectory() as tmp:
        path = write(Path(tmp), lines)
        series, problems = read_bars_csv(path, on_error="skip")
    expected_bad: list[int] = []
    kept: list[int] = []
    latest = -1
    for i, (day, kind) in enumerate(rows):
        if kind != "ok" or day <= latest:
            expected_bad.append(i + 2)
        else:
            kept.append(day)
        latest = max(latest, day)
    assert sorted({p.line for p in problems}) == expected_bad
    assert [(t - EPOCH_2024) // DAY_NS for t in series.ts.tolist()] == kept
