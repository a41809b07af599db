"""``ferrotrade backtest`` end to end (``actors.backtest.cli``): a good run writes the report,
the JSON and the summary; bad input exits with status 2, names the problem and writes nothing."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from actors.backtest.cli import add_backtest_arguments, run_backtest_command
from actors.data.bars import demo_data_dir

ROOT = Path(__file__).resolve().parents[2]


def _cli(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    add_backtest_arguments(parser)
    return run_backtest_command(parser.parse_args(list(argv)))


def test_a_good_run_writes_report_json_and_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, js = tmp_path / "run", tmp_path / "res.json"
    status = _cli(
        "--symbol", "AAPL,MSFT", "--start", "2009-01-01", "--end", "2012-12-31",
        "--timeframe", "1Day", "--capital", "100000", "--position-size", "0.1",
        "--slippage", "10", "--strategy", "macd", "--param", "fast=12",
        "--out", str(out), "--json", str(js), "-v",
    )  # fmt: skip
    assert status == 0
    summary = capsys.readouterr().out
    assert "Final value" in summary
    assert "Sharpe" in summary
    assert len(summary.splitlines()) < 25
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "report.json"]
    payload = orjson.loads(js.read_bytes())
    assert set(payload) == {"results", "run"}
    results = payload["results"]
    assert results["symbols"] == ["AAPL", "MSFT"]
    assert results["start"].startswith("2009-01-02")
    assert results["params"]["fast"] == 12
    assert results["execution"]["slippage_bps"] == 10.0
    assert payload["run"]["host"] == "deterministic"
    assert "versions" in payload["run"]
    assert orjson.loads((out / "report.json").read_bytes())["results"] == results
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "temp files left"


def test_the_default_config_file_runs(tmp_path: Path) -> None:
    js = tmp_path / "r.json"
    assert _cli("--config", str(ROOT / "config" / "backtest.yaml"), "--json", str(js)) == 0
    results = orjson.loads(js.read_bytes())["results"]
    assert results["strategy"] == "macd"
    assert results["symbol"] == "AAPL"


def test_json_results_are_identical_across_hosts(tmp_path: Path) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    assert _cli("--symbol", "IBM", "--json", str(a)) == 0
    assert _cli("--symbol", "IBM", "--json", str(b), "--host", "actors") == 0
    ra, rb = orjson.loads(a.read_bytes()), orjson.loads(b.read_bytes())
    assert ra["results"] == rb["results"]
    assert ra["run"]["host"] != rb["run"]["host"]


def _broken_csv_dir(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    lines = (demo_data_dir() / "AAPL.csv").read_text().splitlines()
    day = lines[10].split(",")[0]
    lines[10] = f"{day},165.23,NaN,159.61,161.36,79065900"  # line 11: a broken row
    (data / "AAPL.csv").write_text("\n".join(lines) + "\n")
    return data


def _yaml(tmp_path: Path, text: str) -> str:
    p = tmp_path / "bad.yaml"
    p.write_text(text)
    return str(p)


BAD = [
    ("broken_csv_row", lambda t: ["--data", str(_broken_csv_dir(t))], ["AAPL.csv:11", "NaN"]),
    ("unknown_strategy", lambda t: ["--strategy", "nope"], ["nope"]),
    ("negative_capital", lambda t: ["--capital", "-5"], ["--capital", "-5"]),
    ("unknown_symbol", lambda t: ["--symbol", "ZZZZ"], ["ZZZZ"]),
    ("end_before_start", lambda t: ["--start", "2012-01-01", "--end", "2011-01-01"], ["before"]),
    ("bad_param", lambda t: ["--param", "fast=abc"], ["fast"]),
    ("bad_date", lambda t: ["--start", "2012-13-40"], ["--start"]),
    (
        "config_unknown_strategy",
        lambda t: ["--config", _yaml(t, "strategy: no_such_strategy\n")],
        ["no_such_strategy"],
    ),
    (
        "config_negative_capital",
        lambda t: ["--config", _yaml(t, "capital: -100\n")],
        ["capital", "-100"],
    ),
    ("config_unknown_key", lambda t: ["--config", _yaml(t, "capitol: 5\n")], ["capitol"]),
]


@pytest.mark.parametrize(("name", "argv", "needles"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_exits_2_names_the_problem_and_writes_nothing(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    argv: object,
    needles: list[str],
) -> None:
    out, js = tmp_path / "out", tmp_path / "res.json"
    args = argv(tmp_path)  # type: ignore[operator]
    status = _cli(*args, "--out", str(out), "--json", str(js))
    err = capsys.readouterr().err
    assert status == 2
    assert err.startswith("error: ")
    assert len(err.strip().splitlines()) <= 25
    for needle in needles:
        assert needle in err, (needle, err)
    assert not out.exists()
    assert not js.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_as_a_process_the_exit_status_is_2(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "actors.backtest.cli",
            "--capital",
            "-1",
            "--out",
            str(tmp_path / "o"),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2
    assert "error:" in proc.stderr
    assert not (tmp_path / "o").exists()


def test_an_existing_out_dir_is_replaced_only_on_success(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("keep me on failure")
    assert _cli("--strategy", "nope", "--out", str(out)) == 2
    assert (out / "old.txt").exists()
    assert _cli("--out", str(out)) == 0
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "report.json"]
