"""JSON encoding of messages (orjson): one object per message, ``type`` first.

orjson serialises dataclasses (slotted too), str enums and tuples natively, in field order, so
the bytes depend only on the message values: the determinism proof compares them directly.
"""

from __future__ import annotations

from typing import Any

import orjson

from actors.messages.base import Message

__all__ = ["TIMING_FIELDS", "encode", "encode_line", "to_dict"]

#: Fields that hold measured wall-clock durations; excluded when logs are compared across hosts.
TIMING_FIELDS: frozenset[str] = frozenset({"wall_ns", "latency_ns"})


def to_dict(message: Message) -> dict[str, Any]:
    """The message as a JSON-ready dict with its class name under ``type``."""
    decoded: dict[str, Any] = orjson.loads(orjson.dumps(message))
    return {"type": type(message).__name__, **decoded}


def encode(message: Message) -> bytes:
    """``{"type": <class name>, "data": {fields...}}`` as compact JSON bytes."""
    return orjson.dumps({"type": type(message).__name__, "data": message})


def encode_line(message: Message) -> bytes:
    """:func:`encode` plus a trailing newline (one JSONL record)."""
    return orjson.dumps(
        {"type": type(message).__name__, "data": message}, option=orjson.OPT_APPEND_NEWLINE
    )
