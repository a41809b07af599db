"""LOBSTER replay reproduces every orderbook row of the real NASDAQ samples; bad files fail
clearly. Reads ../shared/data/lobster (tests only; the product never depends on it)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import orjson
import pytest

from ferrotrade.cli import main
from ferrotrade.errors import DataFormatError, InvalidParameterError
from ferrotrade.lobster import load_sample, replay_sample

LOBSTER = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "lobster"
SAMPLES = sorted(LOBSTER.glob("LOBSTER_SampleFile_*.zip"))
needs_data = pytest.mark.skipif(not SAMPLES, reason=f"no LOBSTER samples in {LOBSTER}")


@needs_data
@pytest.mark.parametrize("zip_path", SAMPLES, ids=lambda p: p.stem)
def test_every_row_of_every_sample_matches(zip_path: Path) -> None:
    stats = replay_sample(load_sample(zip_path))
    assert stats["mismatches"] == 0, stats["first_mismatch"]
    assert stats["first_mismatch"] is None
    assert stats["rows_checked"] == stats["messages"] - 1
    assert stats["rows_matched"] == stats["rows_checked"]
    assert stats["anomalies"] == 0
    assert stats["levels_revealed"] > 0


@needs_data
def test_csv_pair_gives_the_same_result_as_the_zip(tmp_path: Path) -> None:
    zip_path = next(p for p in SAMPLES if p.stem.endswith("_5"))
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(tmp_path)
    messages = next(tmp_path.glob("*_message_5.csv"))
    book = next(tmp_path.glob("*_orderbook_5.csv"))
    from_zip = replay_sample(load_sample(zip_path))
    from_csv = replay_sample(load_sample(messages, book))
    keys = ["messages", "rows_matched", "levels_revealed", "mismatches"]
    assert [from_csv[k] for k in keys] == [from_zip[k] for k in keys]


@needs_data
def test_a_corrupted_row_is_reported_and_exit_status_is_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    zip_path = next(p for p in SAMPLES if p.stem.endswith("_1"))
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(tmp_path)
    book = next(tmp_path.glob("*_orderbook_1.csv"))
    lines = book.read_text().splitlines()
    fields = lines[1000].split(",")
    fields[1] = str(int(fields[1]) + 1)  # best ask size off by one share
    lines[1000] = ",".join(fields)
    book.write_text("\n".join(lines) + "\n")
    messages = next(tmp_path.glob("*_message_1.csv"))
    code = main(["lobster", "replay", str(messages), str(book), "--json"])
    report = orjson.loads(capsys.readouterr().out)
    assert code == 1
    # The bad row, then the next one: the replay re-seeds that side from the bad row.
    assert report["mismatches"] == 2
    assert report["first_mismatch"]["row"] == 1000
    assert report["first_mismatch"]["expected"]["asks"][0][1] == int(fields[1])


@needs_data
def test_cli_json_has_the_documented_keys(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lobster", "replay", str(SAMPLES[0]), "--json"]) == 0
    report = orjson.loads(capsys.readouterr().out)
    for key in [
        "messages",
        "rows_checked",
        "rows_matched",
        "levels_revealed",
        "mismatches",
        "first_mismatch",
        "msgs_per_s",
    ]:
        assert key in report


def test_malformed_message_file_names_the_line(tmp_path: Path) -> None:
    messages = tmp_path / "X_message_1.csv"
    book = tmp_path / "X_orderbook_1.csv"
    messages.write_text("34200.1,1,5,10,1000000,1\n34200.2,1,6,NaN,1000000,1\n")
    book.write_text("9999999999,0,1000000,10\n9999999999,0,1000000,20\n")
    with pytest.raises(DataFormatError, match="line 2"):
        replay_sample(load_sample(messages, book))


def test_unknown_levels_and_missing_files_are_clear_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    messages = tmp_path / "msgs.csv"
    book = tmp_path / "book.csv"
    messages.write_text("34200.1,1,5,10,1000000,1\n")
    book.write_text("9999999999,0,1000000,10\n")
    with pytest.raises(InvalidParameterError, match="--levels"):
        load_sample(messages, book)
    assert replay_sample(load_sample(messages, book, levels=1))["mismatches"] == 0
    assert main(["lobster", "replay", str(tmp_path / "missing.zip")]) == 2
    assert "no such file" in capsys.readouterr().err
    not_zip = tmp_path / "fake.zip"
    not_zip.write_text("hello")
    with pytest.raises(DataFormatError, match="not a zip"):
        load_sample(not_zip)
