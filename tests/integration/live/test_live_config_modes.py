"""Configuration errors name their key; live needs both the config and the command line."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from actors.live.cli import add_live_arguments, run_live_command
from actors.live.config import LiveConfigError, LiveEngineConfig, TradingConfig
from actors.live.engine import LiveTradingEngine, LiveTradingRefused

ROOT = Path(__file__).resolve().parents[3]
LIVE_ENV = {
    "ALPACA_API_KEY": "k-live",
    "ALPACA_API_SECRET": "s-live",
    "TRADING_DRY_RUN": "false",
    "TRADING_PAPER_MODE": "false",
    "TRADING_ENABLE": "true",
}


def test_shipped_yaml_loads_as_dry_run() -> None:
    cfg = LiveEngineConfig.from_yaml(ROOT / "config" / "live_trading.yaml")
    assert cfg.mode == "dry-run"
    assert cfg.trading.symbols == ("AAPL", "MSFT")
    assert cfg.alpaca.api_key is None


def test_open_orders_are_adopted_at_restart_unless_configured_to_cancel(tmp_path: Path) -> None:
    assert LiveEngineConfig().trading.cancel_open_orders_on_start is False
    env = LiveEngineConfig.from_env({"TRADING_CANCEL_OPEN_ORDERS_ON_START": "true"})
    assert env.trading.cancel_open_orders_on_start is True
    path = tmp_path / "c.yaml"
    path.write_text("trading:\n  cancel_open_orders_on_start: true\n")
    assert LiveEngineConfig.from_yaml(path).trading.cancel_open_orders_on_start is True


@pytest.mark.parametrize(
    ("env", "key"),
    [
        ({"RISK_MAX_DRAWDOWN": "lots"}, "RISK_MAX_DRAWDOWN"),
        ({"RISK_MAX_DRAWDOWN": "1.5"}, "RISK_MAX_DRAWDOWN"),
        ({"RISK_MAXIMUM_FUN": "1"}, "RISK_MAXIMUM_FUN"),
        ({"TRADING_DRY_RUN": "maybe"}, "TRADING_DRY_RUN"),
        ({"STOPLOSS_STOP_LOSS_PCT": "-0.1"}, "STOPLOSS_STOP_LOSS_PCT"),
        ({"ALPACA_BASE_URL": "ftp://x"}, "ALPACA_BASE_URL"),
        ({"ALPACA_SOMETHING": "x"}, "ALPACA_SOMETHING"),
        ({"TRADING_REPLAY_DAYS": "0"}, "TRADING_REPLAY_DAYS"),
        (
            {"TRADING_CANCEL_OPEN_ORDERS_ON_START": "sometimes"},
            "TRADING_CANCEL_OPEN_ORDERS_ON_START",
        ),
    ],
)
def test_environment_errors_name_the_variable(env: dict[str, str], key: str) -> None:
    with pytest.raises(LiveConfigError) as err:
        LiveEngineConfig.from_env(env)
    assert str(err.value).startswith(key + ":")
    assert err.value.key == key


@pytest.mark.parametrize(
    ("yaml_text", "key"),
    [
        ("trading:\n  symbolz: [AAPL]\n", "trading.symbolz"),
        ("risk:\n  max_drawdown: 3\n", "risk.max_drawdown"),
        ("stop_loss:\n  trailing_stop_pct: abc\n", "stop_loss.trailing_stop_pct"),
        ("alpaca:\n  api_secret: hunter2\n", "alpaca.api_secret"),
        ("brokers: {}\n", "brokers"),
        ("trading:\n  fill_model: magic\n", "trading.fill_model"),
        ("trading:\n  cancel_open_orders_on_start: adopt\n", "trading.cancel_open_orders_on_start"),
    ],
)
def test_yaml_errors_name_the_key(tmp_path: Path, yaml_text: str, key: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(yaml_text)
    with pytest.raises(LiveConfigError) as err:
        LiveEngineConfig.from_yaml(path)
    assert str(err.value).startswith(key + ":")
    assert "hunter2" not in str(err.value)


def test_environment_overrides_and_secrets_stay_out_of_repr() -> None:
    cfg = LiveEngineConfig.from_env(
        {
            **LIVE_ENV,
            "ALPACA_DATA_STREAM_URL": "ws://127.0.0.1:1/v2/iex",
            "TRADING_SYMBOLS": "aapl, msft",
            "RISK_MAX_DRAWDOWN": "0.1",
            "TRADING_STRATEGY_PARAMS": "fast=3,slow=9",
        }
    )
    assert cfg.mode == "live"
    assert cfg.trading.symbols == ("AAPL", "MSFT")
    assert cfg.trading.strategy_params == (("fast", 3), ("slow", 9))
    assert cfg.risk.max_drawdown == 0.1
    assert cfg.alpaca.data_stream_url == "ws://127.0.0.1:1/v2/iex"
    text = repr(cfg) + str(cfg.to_public_dict())
    assert "k-live" not in text
    assert "s-live" not in text


def test_live_refuses_without_both_flags(tmp_path: Path) -> None:
    live_cfg = LiveEngineConfig.from_env(LIVE_ENV)
    with pytest.raises(LiveTradingRefused, match="--live"):
        LiveTradingEngine(live_cfg, out_dir=tmp_path)  # config yes, command line no
    paper_cfg = LiveEngineConfig.from_env({**LIVE_ENV, "TRADING_PAPER_MODE": "true"})
    with pytest.raises(LiveTradingRefused, match="configuration is not live"):
        LiveTradingEngine(paper_cfg, out_dir=tmp_path, live_confirmed=True)
    no_enable = LiveEngineConfig.from_env({**LIVE_ENV, "TRADING_ENABLE": "false"})
    assert no_enable.mode == "paper"  # not enabled: never live
    with pytest.raises(LiveTradingRefused):
        LiveTradingEngine(no_enable, out_dir=tmp_path, live_confirmed=True)
    no_keys = LiveEngineConfig(trading=TradingConfig(dry_run=False))
    with pytest.raises(LiveTradingRefused, match="ALPACA_API_KEY"):
        LiveTradingEngine(no_keys, out_dir=tmp_path)
    assert not (tmp_path / "health.json").exists()  # nothing started


def test_cli_live_refusal_exit_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for k, v in LIVE_ENV.items():
        monkeypatch.setenv(k, v)
    parser = argparse.ArgumentParser()
    add_live_arguments(parser)
    assert run_live_command(parser.parse_args(["--out", str(tmp_path)])) == 2
    assert "--live" in capsys.readouterr().err
    monkeypatch.setenv("TRADING_PAPER_MODE", "true")
    assert run_live_command(parser.parse_args(["--live", "--out", str(tmp_path)])) == 2
    monkeypatch.setenv("RISK_MAX_DRAWDOWN", "nope")
    assert run_live_command(parser.parse_args(["--dry-run", "--out", str(tmp_path)])) == 2
    assert "RISK_MAX_DRAWDOWN" in capsys.readouterr().err
