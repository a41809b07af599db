"""The shipped demo data set: present, valid, found from the package location."""

from __future__ import annotations

from pathlib import Path

import pytest

from actors.data.bars import Timeframe, demo_data_dir, demo_symbols, load_demo_bars
from ferrotrade.errors import InvalidParameterError


def test_demo_set_loads_every_symbol() -> None:
    bars = load_demo_bars()
    assert list(bars) == ["AAPL", "GOOG", "IBM", "MSFT"] == demo_symbols()
    for symbol, series in bars.items():
        assert series.symbol == symbol
        assert series.timeframe is Timeframe.DAY_1
        assert len(series) == 1259
        assert series.ts[0] == 1_199_232_000 * 10**9  # 2008-01-02
        assert series.ts[-1] == 1_356_912_000 * 10**9  # 2012-12-31


def test_demo_files_sit_in_config_beside_the_package_and_state_their_source() -> None:
    directory = demo_data_dir()
    assert directory.parts[-3:] == ("config", "data", "daily")
    readme = (directory.parent / "README.md").read_text(encoding="utf-8")
    assert "bokeh_sampledata" in readme
    assert "public domain" in readme.lower()


def test_selected_and_unknown_symbols() -> None:
    assert list(load_demo_bars(["MSFT", "AAPL"])) == ["MSFT", "AAPL"]
    with pytest.raises(InvalidParameterError, match="no demo data for TSLA"):
        load_demo_bars(["TSLA"])


def test_root_points_elsewhere(tmp_path: Path) -> None:
    daily = tmp_path / "config" / "data" / "daily"
    daily.mkdir(parents=True)
    (daily / "ZZZ.csv").write_text(
        "timestamp,open,high,low,close,volume\n2020-01-02,1,2,1,2,5\n", encoding="utf-8"
    )
    assert load_demo_bars(root=tmp_path)["ZZZ"].close.tolist() == [2.0]
    with pytest.raises(FileNotFoundError, match="demo data not found"):
        demo_symbols(tmp_path / "nowhere")
