"""The scripted tape: market events the sandbox streams and fills orders against.

A tape is an ordered sequence of events, each stamped with integer nanoseconds since the Unix
epoch (UTC). Events are ordered by ``(ts, position in the file)``; playing an event advances the
sandbox clock to its timestamp, so nothing in the sandbox reads the wall clock.

File formats (chosen by suffix):

* ``.jsonl``: one JSON object per line (blank lines and lines starting with ``#`` are skipped);
* ``.json``: either a list of events or ``{"events": [...], "cash": 100000.0}``.

Each event has ``type`` (``quote``, ``trade``, ``bar`` or ``status``), ``symbol`` and ``t``
(an RFC 3339 string such as ``"2024-01-02T14:30:00Z"`` or integer nanoseconds), plus the fields
Alpaca uses on the wire:

* quote: ``bp``, ``bs``, ``ap``, ``as`` (optional ``bx``, ``ax``, ``c``, ``z``);
* trade: ``p``, ``s`` (optional ``x``, ``i``, ``c``, ``z``);
* bar: ``o``, ``h``, ``l``, ``c``, ``v`` (optional ``n``, ``vw``, ``timeframe`` default
  ``"1Min"``; bars are also served by ``GET /v2/stocks/bars``);
* status: ``sc`` (e.g. ``"H"`` halted, ``"T"`` trading), optional ``sm``, ``rc``, ``rm``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = [
    "Tape",
    "TapeBar",
    "TapeError",
    "TapeEvent",
    "TapeQuote",
    "TapeStatus",
    "TapeTrade",
    "format_rfc3339",
    "parse_time_ns",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class TapeError(ValueError):
    """A tape file or event is malformed; the message names the event and the field."""


def parse_time_ns(value: object, where: str = "t") -> int:
    """Integer ns, or an RFC 3339 / ISO 8601 string (naive means UTC), to ns since the epoch."""
    if isinstance(value, bool):
        raise TapeError(f"{where}: expected a time, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        frac_ns = 0
        # datetime.fromisoformat keeps microseconds only: split off the fraction ourselves.
        if "." in text:
            head, _, rest = text.partition(".")
            digits = ""
            for ch in rest:
                if not ch.isdigit():
                    break
                digits += ch
            tail = rest[len(digits) :]
            frac_ns = int((digits + "000000000")[:9]) if digits else 0
            text = head + tail
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            dt = datetime.fromisoformat(text)
        except ValueError as exc:
            raise TapeError(f"{where}: not an RFC 3339 time: {value!r}") from exc
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
        delta = dt - _EPOCH
        return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + frac_ns
    raise TapeError(f"{where}: expected a time, got {value!r}")


def format_rfc3339(ts_ns: int) -> str:
    """``2024-01-02T14:30:00.123456789Z`` style (fraction trimmed; none when whole seconds)."""
    secs, frac = divmod(ts_ns, 1_000_000_000)
    dt = datetime.fromtimestamp(secs, tz=UTC)
    base = dt.strftime("%Y-%m-%dT%H:%M:%S")
    if frac:
        base += "." + f"{frac:09d}".rstrip("0")
    return base + "Z"


@dataclass(frozen=True, slots=True, kw_only=True)
class TapeQuote:
    symbol: str
    ts: int
    bid: float
    bid_size: float
    ask: float
    ask_size: float
    bid_exchange: str = "V"
    ask_exchange: str = "V"
    conditions: tuple[str, ...] = ("R",)
    tape: str = "C"


@dataclass(frozen=True, slots=True, kw_only=True)
class TapeTrade:
    symbol: str
    ts: int
    price: float
    size: float
    exchange: str = "V"
    trade_id: int = 0
    conditions: tuple[str, ...] = ("@",)
    tape: str = "C"


@dataclass(frozen=True, slots=True, kw_only=True)
class TapeBar:
    symbol: str
    ts: int
    open: float
    high: float
    low: float
    close: float
    volume: float
    trade_count: int | None = None
    vwap: float | None = None
    timeframe: str = "1Min"


@dataclass(frozen=True, slots=True, kw_only=True)
class TapeStatus:
    symbol: str
    ts: int
    status_code: str
    status_message: str = ""
    reason_code: str = ""
    reason_message: str = ""
    tape: str = "C"


TapeEvent = TapeQuote | TapeTrade | TapeBar | TapeStatus


def _num(raw: Mapping[str, Any], key: str, where: str, default: float | None = None) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TapeError(f"{where}: field {key!r} must be a number, got {value!r}")
    return float(value)


def _strs(raw: Mapping[str, Any], key: str, default: tuple[str, ...]) -> tuple[str, ...]:
    value = raw.get(key)
    if value is None:
        return default
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def event_from_dict(raw: Mapping[str, Any], where: str = "event") -> TapeEvent:
    """One tape event from its JSON form (see the module docstring)."""
    if not isinstance(raw, Mapping):
        raise TapeError(f"{where}: expected an object, got {raw!r}")
    kind = raw.get("type")
    symbol = raw.get("symbol", raw.get("S"))
    if not isinstance(symbol, str) or not symbol:
        raise TapeError(f"{where}: field 'symbol' must be a non-empty string")
    if "t" not in raw:
        raise TapeError(f"{where}: field 't' is required")
    ts = parse_time_ns(raw["t"], f"{where}.t")
    if kind == "quote":
        return TapeQuote(
            symbol=symbol,
            ts=ts,
            bid=_num(raw, "bp", where),
            bid_size=_num(raw, "bs", where, 100.0),
            ask=_num(raw, "ap", where),
            ask_size=_num(raw, "as", where, 100.0),
            bid_exchange=str(raw.get("bx", "V")),
            ask_exchange=str(raw.get("ax", "V")),
            conditions=_strs(raw, "c", ("R",)),
            tape=str(raw.get("z", "C")),
        )
    if kind == "trade":
        return TapeTrade(
            symbol=symbol,
            ts=ts,
            price=_num(raw, "p", where),
            size=_num(raw, "s", where, 100.0),
            exchange=str(raw.get("x", "V")),
            trade_id=int(raw.get("i", 0)),
            conditions=_strs(raw, "c", ("@",)),
            tape=str(raw.get("z", "C")),
        )
    if kind == "bar":
        n = raw.get("n")
        vw = raw.get("vw")
        return TapeBar(
            symbol=symbol,
            ts=ts,
            open=_num(raw, "o", where),
            high=_num(raw, "h", where),
            low=_num(raw, "l", where),
            close=_num(raw, "c", where),
            volume=_num(raw, "v", where, 0.0),
            trade_count=None if n is None else int(n),
            vwap=None if vw is None else float(vw),
            timeframe=str(raw.get("timeframe", "1Min")),
        )
    if kind == "status":
        return TapeStatus(
            symbol=symbol,
            ts=ts,
            status_code=str(raw.get("sc", "T")),
            status_message=str(raw.get("sm", "")),
            reason_code=str(raw.get("rc", "")),
            reason_message=str(raw.get("rm", "")),
            tape=str(raw.get("z", "C")),
        )
    raise TapeError(f"{where}: field 'type' must be quote, trade, bar or status, got {kind!r}")


@dataclass(frozen=True, slots=True)
class Tape:
    """An immutable, time-ordered sequence of :data:`TapeEvent` (stable for equal times)."""

    events: tuple[TapeEvent, ...] = ()
    cash: float = 100_000.0
    _bars: tuple[TapeBar, ...] = field(default=(), init=False, repr=False)

    def __post_init__(self) -> None:
        ordered = tuple(
            ev for _, ev in sorted(enumerate(self.events), key=lambda p: (p[1].ts, p[0]))
        )
        object.__setattr__(self, "events", ordered)
        object.__setattr__(self, "_bars", tuple(e for e in ordered if isinstance(e, TapeBar)))

    @classmethod
    def of(cls, events: Iterable[TapeEvent], cash: float = 100_000.0) -> Tape:
        return cls(tuple(events), cash)

    @classmethod
    def from_dicts(cls, raws: Sequence[Mapping[str, Any]], cash: float = 100_000.0) -> Tape:
        return cls(tuple(event_from_dict(r, f"event {i}") for i, r in enumerate(raws)), cash)

    @classmethod
    def load(cls, path: str | Path) -> Tape:
        """Read a ``.json`` or ``.jsonl`` tape file (see the module docstring)."""
        p = Path(path)
        text = p.read_text(encoding="utf-8")
        if p.suffix == ".jsonl":
            raws: list[Any] = []
            for n, line in enumerate(text.splitlines(), 1):
                s = line.strip()
                if not s or s.startswith("#"):
                    continue
                try:
                    raws.append(json.loads(s))
                except json.JSONDecodeError as exc:
                    raise TapeError(f"{p}:{n}: invalid JSON: {exc.msg}") from exc
            return cls.from_dicts(raws)
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise TapeError(f"{p}: invalid JSON: {exc.msg}") from exc
        if isinstance(doc, list):
            return cls.from_dicts(doc)
        if isinstance(doc, dict) and isinstance(doc.get("events"), list):
            cash = doc.get("cash", 100_000.0)
            if isinstance(cash, bool) or not isinstance(cash, int | float):
                raise TapeError(f"{p}: field 'cash' must be a number")
            return cls.from_dicts(doc["events"], float(cash))
        raise TapeError(f"{p}: expected a list of events or an object with 'events'")

    @property
    def bars(self) -> tuple[TapeBar, ...]:
        return self._bars

    @property
    def start_ns(self) -> int | None:
        return self.events[0].ts if self.events else None

    def __len__(self) -> int:
        return len(self.events)
