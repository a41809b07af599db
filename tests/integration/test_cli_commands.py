"""The top-level CLI reaches every command: backtest, live, and the backtest benchmark."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from ferrotrade.cli import main


def test_backtest_command_writes_report_and_json(tmp_path: Path) -> None:
    out, results = tmp_path / "run", tmp_path / "results.json"
    args = ["backtest", "--symbol", "AAPL", "--start", "2010-01-01", "--end", "2011-12-31"]
    assert main([*args, "--strategy", "sma_cross", "--out", str(out), "--json", str(results)]) == 0
    assert (out / "report.html").is_file()
    payload = orjson.loads(results.read_bytes())
    assert payload["results"]["bar_count"] > 400
    assert set(payload) == {"results", "run"}


def test_backtest_command_rejects_negative_capital_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert main(["backtest", "--capital", "-5", "--out", str(out)]) == 2
    assert not out.exists()


def test_live_refuses_live_mode_without_a_live_config(tmp_path: Path) -> None:
    assert main(["live", "--live", "--out", str(tmp_path / "live")]) == 2


def test_bench_backtest_json_has_every_key(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "backtest", "--bars", "3000", "--json"]) == 0
    result = orjson.loads(capsys.readouterr().out)
    for key in ["bars", "deterministic_bars_per_s", "actor_bars_per_s", "peers", "peak_rss_mib"]:
        assert key in result
    assert result["bars"] == 3000


def test_bench_backtest_text_names_each_peer_and_its_trade_check(
    capsys: pytest.CaptureFixture[str],
) -> None:
    pytest.importorskip("backtrader")
    assert main(["bench", "backtest", "--bars", "3000"]) == 0
    text = capsys.readouterr().out
    assert "peer: backtrader" in text
    # the cross-check line: backtrader's trade count beside ferrotrade's, and the verdict
    line = next(ln for ln in text.splitlines() if "backtrader on the first" in ln)
    assert line.endswith("(same)")
