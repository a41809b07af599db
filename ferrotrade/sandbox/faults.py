"""Fault rules for the sandbox's REST API, and the record of every request it received.

A :class:`HttpFault` matches requests by method and path pattern (``fnmatch`` style, on the path
without the query, e.g. ``"/v2/orders*"``), optionally lets ``skip`` matching requests through
first, then applies to the next ``times`` matching requests (``None``: every one): it waits
``delay_s`` (a slow or hung server), then answers ``status`` with Alpaca's error body
``{"code": ..., "message": ...}`` (or an HTML page with ``html=True``, as a proxy's 502 would).
``status=None`` only delays. With ``after_handling=True`` the request is carried out first (an
order is created) and the error replaces the response: a lost reply, so a client that retries
meets its own order.

A 429 carries ``X-RateLimit-Limit`` / ``-Remaining`` / ``-Reset`` headers (Reset in Unix seconds
of the sandbox clock plus 60, unless given).
"""

from __future__ import annotations

import fnmatch
import json
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["DEFAULT_ERRORS", "SECRET_HEADERS", "HttpFault", "RecordedRequest", "RequestLog"]

DEFAULT_ERRORS: Mapping[int, tuple[int, str]] = {
    400: (40010000, "request body format is invalid"),
    401: (40110000, "request is not authorized"),
    403: (40310000, "forbidden"),
    404: (40410000, "not found"),
    422: (42210000, "unprocessable entity"),
    429: (42910000, "rate limit exceeded"),
    500: (50010000, "internal server error"),
    502: (50210000, "bad gateway"),
    503: (50310000, "service unavailable"),
    504: (50410000, "gateway timeout"),
}

SECRET_HEADERS = frozenset({"apca-api-secret-key", "authorization", "cookie"})
REDACTED = "<redacted>"


@dataclass(slots=True)
class HttpFault:
    """One REST fault rule (see the module docstring). Thread-safe use is the sandbox's job."""

    status: int | None
    method: str | None = None
    path: str = "*"
    times: int | None = 1
    skip: int = 0
    code: int | None = None
    message: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    after_handling: bool = False
    html: bool = False
    hits: int = 0
    seen: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return fnmatch.fnmatchcase(path, self.path)

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.hits >= self.times

    def take(self, method: str, path: str) -> bool:
        """Count a matching request; True if this rule applies to it."""
        if self.exhausted or not self.matches(method, path):
            return False
        self.seen += 1
        if self.seen <= self.skip:
            return False
        self.hits += 1
        return True

    def body(self) -> tuple[str, str]:
        """(content type, body text) of the error answer."""
        assert self.status is not None
        code, message = DEFAULT_ERRORS.get(self.status, (self.status * 100_000, "error"))
        if self.html:
            return "text/html", f"<html><body><h1>{self.status} {message}</h1></body></html>"
        return "application/json", json.dumps(
            {
                "code": self.code if self.code is not None else code,
                "message": self.message or message,
            }
        )


@dataclass(slots=True)
class RecordedRequest:
    """One request as the sandbox saw it; secrets are replaced by ``"<redacted>"``.

    ``channel`` is ``"rest"``, ``"data_ws"`` or ``"trading_ws"``. For websocket messages
    ``method`` is the message's action (``auth``, ``subscribe``, ``authenticate``, ``listen``)
    and ``body`` the decoded message. ``status`` is the HTTP status once answered (``None`` while
    a slow request is pending, and for websocket messages). ``received_ns``: when it arrived,
    ``time.perf_counter_ns()`` in the sandbox's process (for in-process latency measurements;
    a REST request is stamped as the server starts handling it, before its body is read).
    """

    seq: int
    channel: str
    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    body: Any
    headers: tuple[tuple[str, str], ...]
    status: int | None = None
    received_ns: int = 0

    @property
    def params(self) -> dict[str, str]:
        return dict(self.query)

    def header(self, name: str) -> str | None:
        low = name.lower()
        for k, v in self.headers:
            if k.lower() == low:
                return v
        return None


def redact_headers(headers: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple((k, REDACTED if k.lower() in SECRET_HEADERS else v) for k, v in headers.items())


def redact_ws(message: Any) -> Any:
    """A websocket client message with its secrets replaced (both stream protocols)."""
    if not isinstance(message, dict):
        return message
    out = dict(message)
    for key in ("secret", "secret_key"):
        if key in out:
            out[key] = REDACTED
    data = out.get("data")
    if isinstance(data, dict) and "secret_key" in data:
        out["data"] = {**data, "secret_key": REDACTED}
    return out


class RequestLog:
    """Append-only, thread-safe list of :class:`RecordedRequest`."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._items: list[RecordedRequest] = []
        self._seq = 0

    def add(
        self,
        channel: str,
        method: str,
        path: str,
        query: tuple[tuple[str, str], ...],
        body: Any,
        headers: tuple[tuple[str, str], ...],
        received_ns: int | None = None,
    ) -> RecordedRequest:
        if received_ns is None:
            received_ns = time.perf_counter_ns()
        with self._lock:
            self._seq += 1
            rec = RecordedRequest(
                self._seq, channel, method, path, query, body, headers, received_ns=received_ns
            )
            self._items.append(rec)
            self._lock.notify_all()
            return rec

    def wait(
        self,
        method: str | None,
        path: str | None,
        channel: str | None,
        count: int,
        timeout: float,
    ) -> list[RecordedRequest]:
        """Block until ``count`` matching requests are recorded (or ``timeout``); return them."""
        with self._lock:
            self._lock.wait_for(
                lambda: len(self._match(self._items, method, path, channel)) >= count, timeout
            )
            return self._match(self._items, method, path, channel)

    def select(
        self, method: str | None = None, path: str | None = None, channel: str | None = "rest"
    ) -> list[RecordedRequest]:
        with self._lock:
            return self._match(self._items, method, path, channel)

    @staticmethod
    def _match(
        items: list[RecordedRequest], method: str | None, path: str | None, channel: str | None
    ) -> list[RecordedRequest]:
        return [
            r
            for r in items
            if (channel is None or r.channel == channel)
            and (method is None or r.method.upper() == method.upper())
            and (path is None or fnmatch.fnmatchcase(r.path, path))
        ]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
