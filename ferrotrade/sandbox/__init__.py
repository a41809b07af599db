"""A local Alpaca-compatible sandbox: REST and both websocket protocols on 127.0.0.1.

The real ``alpaca-py`` clients talk to it through ``url_override``; it fills orders against a
scripted :class:`Tape` like Alpaca paper, records every request, and injects faults. Used by
``ferrotrade sandbox`` (rehearse a live deployment offline) and by the integration tests.

Start here: :class:`AlpacaSandbox` (server), :class:`Tape` (events), :func:`run_sandbox` (CLI).
"""

from __future__ import annotations

import logging

from ferrotrade.sandbox.broker import BrokerError, SandboxBroker, SandboxOrder, TradeUpdate
from ferrotrade.sandbox.cli import run_sandbox
from ferrotrade.sandbox.faults import HttpFault, RecordedRequest
from ferrotrade.sandbox.server import AlpacaSandbox, SandboxError
from ferrotrade.sandbox.tape import (
    Tape,
    TapeBar,
    TapeError,
    TapeEvent,
    TapeQuote,
    TapeStatus,
    TapeTrade,
    format_rfc3339,
    parse_time_ns,
)

__all__ = [
    "AlpacaSandbox",
    "BrokerError",
    "HttpFault",
    "RecordedRequest",
    "SandboxBroker",
    "SandboxError",
    "SandboxOrder",
    "Tape",
    "TapeBar",
    "TapeError",
    "TapeEvent",
    "TapeQuote",
    "TapeStatus",
    "TapeTrade",
    "TradeUpdate",
    "format_rfc3339",
    "parse_time_ns",
    "run_sandbox",
]

logging.getLogger(__name__).addHandler(logging.NullHandler())
