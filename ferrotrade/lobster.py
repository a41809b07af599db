"""LOBSTER sample files: locate the message and orderbook files and replay them in Rust.

A sample arrives as a zip (as LOBSTER ships it) or as the two CSV files. The number of levels
is read from the file names (``..._message_5.csv``) unless given. The replay itself, and the
check of every orderbook row, run in the Rust core; see ``rust_core/src/lobster.rs``.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ferrotrade._ferrotrade_core import lobster_replay
from ferrotrade.errors import DataFormatError, InvalidParameterError

__all__ = ["LobsterSample", "load_sample", "replay_sample"]

_LEVELS = re.compile(r"_(message|orderbook)_(\d+)\.csv$")


@dataclass(frozen=True, slots=True)
class LobsterSample:
    """The raw bytes of one sample, with its name and depth."""

    name: str
    levels: int
    messages: bytes
    orderbook: bytes


def _levels_from_name(name: str) -> int | None:
    match = _LEVELS.search(name)
    return int(match.group(2)) if match else None


def _from_zip(path: Path) -> tuple[str, bytes, bytes, int | None]:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            messages = [n for n in names if "_message_" in n and n.endswith(".csv")]
            books = [n for n in names if "_orderbook_" in n and n.endswith(".csv")]
            if len(messages) != 1 or len(books) != 1:
                raise DataFormatError(
                    f"{path}: expected one *_message_N.csv and one *_orderbook_N.csv, "
                    f"found {sorted(messages + books)}"
                )
            return (
                messages[0],
                archive.read(messages[0]),
                archive.read(books[0]),
                _levels_from_name(messages[0]),
            )
    except zipfile.BadZipFile as exc:
        raise DataFormatError(f"{path}: not a zip file ({exc})") from exc


def load_sample(
    path: str | Path, orderbook: str | Path | None = None, levels: int | None = None
) -> LobsterSample:
    """Reads a sample from a zip, or from a message CSV plus its orderbook CSV."""
    first = Path(path)
    if not first.exists():
        raise FileNotFoundError(f"{first}: no such file")
    if orderbook is None:
        if first.suffix.lower() != ".zip":
            raise InvalidParameterError(
                f"{first}: give a LOBSTER zip, or the message CSV and the orderbook CSV"
            )
        name, messages, book, found = _from_zip(first)
    else:
        second = Path(orderbook)
        if not second.exists():
            raise FileNotFoundError(f"{second}: no such file")
        name, messages, book = first.name, first.read_bytes(), second.read_bytes()
        found = _levels_from_name(first.name) or _levels_from_name(second.name)
    depth = levels if levels is not None else found
    if depth is None:
        raise InvalidParameterError(
            f"{name}: cannot read the number of levels from the file name; pass --levels"
        )
    if depth < 1:
        raise InvalidParameterError(f"levels must be at least 1, got {depth}")
    return LobsterSample(name=name, levels=depth, messages=messages, orderbook=book)


def replay_sample(sample: LobsterSample) -> dict[str, Any]:
    """Replays a sample and returns the statistics (see ``lobster_replay`` in the stubs)."""
    stats: dict[str, Any] = lobster_replay(sample.messages, sample.orderbook, sample.levels)
    stats["file"] = sample.name
    return stats
