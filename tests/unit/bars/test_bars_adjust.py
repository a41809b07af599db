"""Split and dividend back-adjustment: the math by hand, and the corporate-actions file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from actors.data.bars import (
    BarSeries,
    CorporateAction,
    InvalidBarDataError,
    adjust,
    read_corporate_actions,
)
from ferrotrade.errors import InvalidParameterError

DAY = 86_400 * 10**9
T0 = 1_704_153_600 * 10**9  # 2024-01-02


def four_days() -> BarSeries:
    # A 2:1 split on day 2: the raw price halves.
    return BarSeries(
        "X",
        "1Day",
        [T0 + i * DAY for i in range(4)],
        [100.0, 102.0, 51.0, 52.0],
        [104.0, 104.0, 53.0, 54.0],
        [98.0, 100.0, 50.0, 51.0],
        [102.0, 100.0, 52.0, 53.0],
        [10.0, 20.0, 40.0, 50.0],
    )


def test_split_divides_earlier_prices_and_multiplies_volume() -> None:
    s = four_days()
    out = adjust(s, [CorporateAction("X", T0 + 2 * DAY, split=2.0)])
    assert out.close.tolist() == [51.0, 50.0, 52.0, 53.0]
    assert out.open.tolist() == [50.0, 51.0, 51.0, 52.0]
    assert out.high.tolist() == [52.0, 52.0, 53.0, 54.0]
    assert out.volume.tolist() == [20.0, 40.0, 40.0, 50.0]
    assert out.ts is s.ts or np.array_equal(out.ts, s.ts)


def test_dividend_factor_uses_the_previous_close() -> None:
    s = four_days()
    # $2 dividend, ex day 3: previous (raw) close 52 -> factor 1 - 2/52 = 0.9615...
    out = adjust(s, [CorporateAction("X", T0 + 3 * DAY, dividend=2.0)], splits=True, dividends=True)
    f = 1 - 2.0 / 52.0
    assert out.close.tolist() == [102.0 * f, 100.0 * f, 52.0 * f, 53.0]
    assert out.volume.tolist() == s.volume.tolist()
    # Not asked for: untouched (and the very same object).
    assert adjust(s, [CorporateAction("X", T0 + 3 * DAY, dividend=2.0)]) is s


def test_factors_of_several_actions_multiply() -> None:
    s = four_days()
    actions = [
        CorporateAction("X", T0 + 2 * DAY, split=2.0),
        CorporateAction("X", T0 + 1 * DAY, dividend=1.02),  # prev close 102 -> factor 0.99
        CorporateAction("Y", T0 + 1 * DAY, split=10.0),  # another symbol: ignored
    ]
    out = adjust(s, actions, dividends=True)
    assert out.close.tolist() == pytest.approx([102.0 * 0.99 / 2, 50.0, 52.0, 53.0], rel=1e-15)
    assert out.volume.tolist() == [20.0, 40.0, 40.0, 50.0]


def test_actions_outside_the_series_do_nothing() -> None:
    s = four_days()
    assert adjust(s, [CorporateAction("X", T0, split=2.0)]) is s  # ex on the first bar
    assert adjust(s, [CorporateAction("X", T0 + 10 * DAY, split=2.0)]) is s  # after the last
    assert adjust(s, [], dividends=True) is s


def test_ex_date_between_bars_applies_to_the_bars_before_it() -> None:
    s = four_days()
    out = adjust(s, [CorporateAction("X", T0 + 2 * DAY - DAY // 2, split=2.0)])
    assert out.close[:2].tolist() == [51.0, 50.0]


def test_dividend_not_below_the_previous_close_is_refused() -> None:
    with pytest.raises(InvalidParameterError, match=r"dividend 200.0 .* previous close 102.0"):
        adjust(four_days(), [CorporateAction("X", T0 + DAY, dividend=200.0)], dividends=True)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"dividend": -1.0}, "dividend"), ({"split": 0.0}, "split"), ({"split": np.nan}, "split")],
)
def test_corporate_action_validation(kwargs: dict[str, float], match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        CorporateAction("X", T0, **kwargs)


def test_read_corporate_actions(tmp_path: Path) -> None:
    path = tmp_path / "ca.csv"
    path.write_text(
        "symbol,ex_date,dividend_amount,split_coefficient\n"
        "B,2020-01-02,0.5,1.0\n"
        "A,2014-06-09,0.0,7.00000700001\n",
        encoding="utf-8",
    )
    actions = read_corporate_actions(path)
    assert [(a.symbol, a.ex_date.isoformat(), a.dividend, a.split) for a in actions] == [
        ("A", "2014-06-09", 0.0, 7.00000700001),
        ("B", "2020-01-02", 0.5, 1.0),
    ]


def test_bad_corporate_action_rows_name_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "ca.csv"
    path.write_text(
        "symbol,ex_date,dividend_amount,split_coefficient\n"
        "A,2014-06-09,0.0,7\n"
        "A,2014-06-31,0.0,2\n"
        "A,2015-01-01,-1,1\n",
        encoding="utf-8",
    )
    with pytest.raises(InvalidBarDataError) as info:
        read_corporate_actions(path)
    assert [p.line for p in info.value.problems] == [3, 4]
    assert f"{path}:3: bad corporate action" in str(info.value)
