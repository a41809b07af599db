"""What both hosts share: the :class:`Host` protocol and feed-message stamping."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol, TypeVar

from actors.ids import IdSequence
from actors.messages import Message, restamp

__all__ = ["FeedStamper", "Host"]

T = TypeVar("T")
M = TypeVar("M", bound=Message)


class Host(Protocol):
    """A runtime that delivers messages to components (deterministic or Pykka)."""

    def start(self) -> None: ...

    def feed(self, message: Message) -> None: ...

    def feed_many(self, messages: Iterable[Message]) -> None: ...

    def run_until_idle(self) -> None: ...

    def query(self, name: str, fn: Callable[[Any], T]) -> T: ...

    def stop(self) -> None: ...


class FeedStamper:
    """Gives external messages without an id one from the ``feed`` sequence (deterministic)."""

    def __init__(self, prefix: str = "feed") -> None:
        self._ids = IdSequence(prefix)

    def __call__(self, message: M) -> M:
        if message.message_id:
            return message
        return restamp(
            message,
            message_id=self._ids.next_message_id(),
            source=message.source or "feed",
            ts_init=message.ts_init or message.ts_event,
        )
