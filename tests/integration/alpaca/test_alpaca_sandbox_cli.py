"""Tape files and the ``run_sandbox`` entry point behind ``ferrotrade sandbox``."""

from __future__ import annotations

import io
import json
import re
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alpaca.trading.client import TradingClient

from ferrotrade.sandbox import (
    Tape,
    TapeError,
    TapeQuote,
    format_rfc3339,
    parse_time_ns,
    run_sandbox,
)


class _Lines(io.TextIOBase):
    """A text sink that signals when a line matching ``pattern`` was written."""

    def __init__(self, pattern: str) -> None:
        self.text = ""
        self.pattern = re.compile(pattern)
        self.seen = threading.Event()

    def write(self, s: str) -> int:
        self.text += s
        if self.pattern.search(self.text):
            self.seen.set()
        return len(s)


def test_time_parsing_keeps_nanoseconds() -> None:
    ns = parse_time_ns("2024-01-02T15:00:00.123456789Z")
    assert ns == 1_704_207_600_123_456_789
    assert format_rfc3339(ns) == "2024-01-02T15:00:00.123456789Z"
    assert parse_time_ns("2024-01-02T10:00:00-05:00") == parse_time_ns("2024-01-02T15:00:00")
    assert parse_time_ns(5) == 5


def test_tape_orders_by_time_then_file_order(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text(
        "# comment\n"
        '{"type": "trade", "symbol": "B", "t": "2024-01-02T14:31:00Z", "p": 2}\n'
        '{"type": "quote", "symbol": "A", "t": "2024-01-02T14:30:00Z", "bp": 1, "ap": 1.1}\n'
        '{"type": "trade", "symbol": "C", "t": "2024-01-02T14:31:00Z", "p": 3}\n'
    )
    tape = Tape.load(path)
    assert [e.symbol for e in tape.events] == ["A", "B", "C"]
    assert isinstance(tape.events[0], TapeQuote)
    doc = tmp_path / "t.json"
    doc.write_text(json.dumps({"cash": 5000, "events": []}))
    assert Tape.load(doc).cash == 5000.0


@pytest.mark.parametrize(
    ("line", "names"),
    [
        ('{"type": "quote", "symbol": "A", "t": "2024-01-02T14:30:00Z", "bp": "x", "ap": 1}',
         "'bp'"),
        ('{"type": "tick", "symbol": "A", "t": 0}', "'type'"),
        ('{"type": "trade", "symbol": "A", "p": 1}', "'t'"),
        ('{"type": "trade", "symbol": "A", "t": "yesterday", "p": 1}', "RFC 3339"),
        ("not json", "invalid JSON"),
    ],
)  # fmt: skip
def test_bad_tape_lines_name_the_problem(tmp_path: Path, line: str, names: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(line + "\n")
    with pytest.raises(TapeError, match=re.escape(names)):
        Tape.load(path)


def test_run_sandbox_serves_plays_the_tape_and_stops(tmp_path: Path) -> None:
    path = tmp_path / "day.jsonl"
    path.write_text(
        '{"type": "quote", "symbol": "AAPL", "t": "2024-01-02T14:30:00Z", "bp": 1, "ap": 1.1}\n'
        '{"type": "quote", "symbol": "AAPL", "t": "2024-01-02T14:31:00Z", "bp": 2, "ap": 2.1}\n'
    )
    out = _Lines("tape finished")
    stop = threading.Event()
    result: list[int] = []
    runner = threading.Thread(
        target=lambda: result.append(
            run_sandbox(0, path, pace_s=0.0, wait_for_client=False, stop_event=stop, out=out)
        )
    )
    runner.start()
    try:
        assert out.seen.wait(10), out.text
        port = int(re.search(r"127\.0\.0\.1:(\d+)", out.text).group(1))  # type: ignore[union-attr]
        client = TradingClient(
            "sandbox-key", "sandbox-secret", url_override=f"http://127.0.0.1:{port}"
        )
        assert client.get_clock().timestamp == datetime(2024, 1, 2, 14, 31, tzinfo=UTC)
    finally:
        stop.set()
        runner.join(10)
    assert not runner.is_alive()
    assert result == [0]
    assert "sandbox stopped" in out.text


def test_run_sandbox_refuses_a_bad_tape(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_sandbox(0, tmp_path / "missing.jsonl", stop_event=threading.Event()) == 2
    assert "cannot read tape" in capsys.readouterr().err
