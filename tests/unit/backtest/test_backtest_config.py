"""BacktestConfig validation and the HTML renderer's determinism."""

from __future__ import annotations

from typing import Any

import pytest

from actors.backtest import BacktestConfig, BacktestConfigError, BacktestEngine
from actors.data.bars import load_demo_bars
from actors.errors import UnknownStrategyError
from actors.reporting.html import render_html


@pytest.mark.parametrize(
    ("kw", "needle"),
    [
        ({"initial_capital": -1.0}, "initial_capital"),
        ({"initial_capital": float("nan")}, "initial_capital"),
        ({"position_size": 0.0}, "position_size"),
        ({"position_size": 1.5}, "position_size"),
        ({"slippage_bps": -1.0}, "slippage_bps"),
        ({"fee_bps": -0.1}, "fee_bps"),
        ({"max_volume_pct": 0.0}, "max_volume_pct"),
        ({"fill_at": "noon"}, "fill_at"),
        ({"host": "cluster"}, "host"),
        ({"strategy": ""}, "strategy"),
        ({"sizer": "percent"}, "sizer"),
    ],
)
def test_bad_settings_raise_naming_the_field(kw: dict[str, Any], needle: str) -> None:
    with pytest.raises(BacktestConfigError, match=needle):
        BacktestConfig(**kw)


def test_unknown_strategy_and_bad_parameters_fail_before_running() -> None:
    with pytest.raises(UnknownStrategyError, match="nope"):
        BacktestEngine(BacktestConfig(strategy="nope"))
    with pytest.raises(ValueError, match="fast"):
        BacktestEngine(BacktestConfig(strategy="sma_cross", params={"fast": 50, "slow": 10}))


def test_config_to_dict_is_plain_data() -> None:
    d = BacktestConfig(risk_limits={"max_drawdown": 0.2}).to_dict()
    assert d["risk_limits"] == {"max_drawdown": 0.2}
    assert d["strategy"] == "sma_cross"


def test_html_is_a_pure_function_of_the_results() -> None:
    r = BacktestEngine(BacktestConfig(params={"fast": 10, "slow": 30})).run(load_demo_bars(["IBM"]))
    page = render_html(r)
    assert page == render_html(r)
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page
    assert page.count('class="trade"') == r["total_trades"]
