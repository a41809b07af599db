"""The bar layer on the real shared files (../shared/data/bars; tests only, never shipped).

Imports all of AAPL daily and the FTX BTC-PERP minutes, round-trips them through the store,
checks minute -> 1Hour resampling against pandas, and shows AAPL's splits vanish once adjusted.
"""

from __future__ import annotations

import math
import time
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from actors.data.bars import (
    BarStore,
    Timeframe,
    adjust,
    read_bars_csv,
    read_corporate_actions,
    resample,
)

BARS = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "bars"
pytestmark = pytest.mark.skipif(
    not BARS.is_dir(), reason=f"shared bar data not found at {BARS} (../shared/data is optional)"
)
AAPL = BARS / "daily" / "AAPL.csv"
FTX = BARS / "minute" / "FTX_BTC-PERP.csv"
DAY = 86_400 * 10**9


def data_rows(path: Path) -> int:
    with path.open(encoding="utf-8") as fh:
        return sum(1 for _ in fh) - 1


def day_ts(text: str) -> int:
    return (date.fromisoformat(text).toordinal() - date(1970, 1, 1).toordinal()) * DAY


def test_aapl_daily_imports_whole() -> None:
    s = read_bars_csv(AAPL)
    assert s.symbol == "AAPL"
    assert s.timeframe is Timeframe.DAY_1
    assert len(s) == data_rows(AAPL)
    assert s.ts[0] == day_ts("1999-11-01")
    assert s.to_rows()[0][1:] == (80.0, 80.69, 77.37, 77.62, 2487300.0)


def test_ftx_minutes_import_fast_and_whole() -> None:
    start = time.perf_counter()
    s = read_bars_csv(FTX)
    elapsed = time.perf_counter() - start
    assert s.timeframe is Timeframe.MIN_1
    assert len(s) == data_rows(FTX)
    assert s.ts[0] == 1_640_991_660 * 10**9  # 2021-12-31T23:01:00Z
    assert elapsed < 2.0, f"45k-row import took {elapsed:.2f} s"  # ~0.3 s here; slack for CI


def test_every_shared_bar_file_is_clean() -> None:
    files = sorted(BARS.glob("daily/[!_]*.csv")) + sorted(BARS.glob("minute/*.csv"))
    assert len(files) > 100
    for path in files:
        _, problems = read_bars_csv(path, on_error="skip")
        assert problems == (), path


@pytest.mark.parametrize("path", [AAPL, FTX], ids=["AAPL", "FTX_BTC-PERP"])
def test_store_round_trip_and_idempotent_reimport(tmp_path: Path, path: Path) -> None:
    s = read_bars_csv(path)
    with BarStore(tmp_path / "bars.db") as store:
        assert store.write(s) == (len(s), 0, 0)
        assert store.read(s.symbol, s.timeframe) == s
        assert store.write(s) == (0, 0, len(s))
        assert store.coverage(s.symbol, s.timeframe) == (int(s.ts[0]), int(s.ts[-1]), len(s))
        mid = int(s.ts[len(s) // 2])
        assert store.read(s.symbol, s.timeframe, mid) == s.between(mid)


def test_minute_to_hour_equals_pandas() -> None:
    pd = pytest.importorskip("pandas")
    s = read_bars_csv(FTX)
    ours = resample(s, "1Hour")
    frame = pd.DataFrame(
        {"open": s.open, "high": s.high, "low": s.low, "close": s.close, "volume": s.volume},
        index=pd.to_datetime(s.ts, utc=True),
    )
    grouped = frame.resample("1h", label="left", closed="left")
    theirs = grouped.agg(
        {
            "open": "first",
            "high": "max",
            "low": "min",
            "close": "last",
            # Our volume is the correctly rounded sum; pandas' own sum is a compensated running
            # sum that can differ in the last bit, so pandas aggregates with math.fsum here.
            "volume": lambda v: math.fsum(v.to_numpy()),
        }
    )[grouped.size() > 0]
    assert ours.ts.tolist() == theirs.index.as_unit("ns").asi8.tolist()
    for column in ("open", "high", "low", "close", "volume"):
        assert np.array_equal(getattr(ours, column), theirs[column].to_numpy()), column
    # pandas' plain sum agrees to within rounding.
    assert np.allclose(ours.volume, grouped.sum()["volume"][grouped.size() > 0], rtol=1e-15)


def test_aapl_splits_disappear_after_adjustment() -> None:
    s = read_bars_csv(AAPL)
    actions = read_corporate_actions(BARS / "daily" / "_corporate_actions.csv")
    aapl_splits = [(a.ex_date.isoformat(), a.split) for a in actions if a.symbol == "AAPL"]
    assert ("2014-06-09", 7.00000700001) in aapl_splits
    assert ("2020-08-31", 4.0) in aapl_splits

    def jump(series_close: np.ndarray, ex: str) -> float:
        i = int(np.searchsorted(s.ts, day_ts(ex)))
        return float(series_close[i] / series_close[i - 1])

    for ex, ratio in (("2014-06-09", 7.0), ("2020-08-31", 4.0), ("2005-02-28", 2.0)):
        assert jump(s.close, ex) < 1.2 / ratio  # raw data: the split shows as a crash

    adjusted = adjust(s, actions)
    for ex in ("2014-06-09", "2020-08-31", "2005-02-28", "2000-06-21"):
        assert 0.9 < jump(adjusted.close, ex) < 1.1, ex
    # The last bar is untouched; the first is divided by every split since (2*2*7*4 = 112).
    assert adjusted.close[-1] == s.close[-1]
    assert adjusted.close[0] == pytest.approx(s.close[0] / (2 * 2 * 7.00000700001 * 4))
    assert adjusted.volume[0] == pytest.approx(s.volume[0] * 2 * 2 * 7.00000700001 * 4)


def test_aapl_dividend_adjustment_matches_the_multiplicative_rule() -> None:
    s = read_bars_csv(AAPL)
    actions = read_corporate_actions(BARS / "daily" / "_corporate_actions.csv")
    split_only = adjust(s, actions)
    both = adjust(s, actions, dividends=True)
    i = int(np.searchsorted(s.ts, day_ts("2020-11-06")))  # $0.205 ex-dividend
    ratio_before = both.close[i - 1] / split_only.close[i - 1]
    ratio_after = both.close[i] / split_only.close[i]
    assert ratio_before / ratio_after == pytest.approx(1 - 0.205 / s.close[i - 1], rel=1e-12)
    assert both.close[-1] == s.close[-1]
