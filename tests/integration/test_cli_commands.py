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


def test_actor_host_backtest_logs_every_message_identically_and_matches_deterministic(
    tmp_path: Path,
) -> None:
    """The main job's path: the actor pipeline with the logging actor attached. Its message
    log lands in --out with the report, is the same bytes on a re-run, and the results equal
    the deterministic host's."""
    args = ["backtest", "--symbol", "AAPL,MSFT", "--start", "2010-01-01", "--end", "2011-06-30"]
    args += ["--strategy", "sma_cross"]
    runs = []
    for name in ("a", "b"):
        out = tmp_path / name
        assert main([*args, "--host", "actors", "--out", str(out)]) == 0
        runs.append(out)
    log = (runs[0] / "messages.jsonl").read_bytes()
    assert log == (runs[1] / "messages.jsonl").read_bytes()
    kinds = [orjson.loads(line)["type"] for line in log.splitlines()]
    for kind in ("Bar", "Signal", "SubmitOrder", "OrderAccepted", "OrderFilled", "PortfolioState"):
        assert kind in kinds, kind
    det = tmp_path / "det"
    assert main([*args, "--out", str(det)]) == 0
    assert not (det / "messages.jsonl").exists()  # the fast path has no message flow to log
    actors_report = orjson.loads((runs[0] / "report.json").read_bytes())
    det_report = orjson.loads((det / "report.json").read_bytes())
    assert actors_report["results"] == det_report["results"]


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
