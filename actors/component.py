"""Component base: the logic of one actor, free of threads, pykka and the wall clock.

``handle(message)`` dispatches on the exact message type to ``on_<snake_case_type>`` and returns
the messages it causes. An unknown type yields a :class:`DeadLetter` instead of raising, so one
bad input never stops a component. Components stamp outgoing envelopes with :meth:`stamp` so
ids, timestamps and the causal chain are filled in one way everywhere.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, TypeVar

from actors.clock import Clock
from actors.ids import IdSequence, MessageId
from actors.messages import DeadLetter, LogEntry, LogLevel, Message, restamper

__all__ = ["Component", "Handler", "handler_name"]

Handler = Callable[[Any, Any], Sequence[Message] | None]

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")
_EMPTY: tuple[Message, ...] = ()


class _SelfMarker:
    """Stands for the component inside its own checkpoint (see ``Component.checkpoint``)."""

    __slots__ = ()


_SELF = _SelfMarker()
M = TypeVar("M", bound=Message)


def handler_name(message_type: type) -> str:
    """``OrderFilled`` -> ``on_order_filled``."""
    return "on_" + _CAMEL.sub("_", message_type.__name__).lower()


class Component:
    """Base class of the seven components.

    Subclasses declare ``subscriptions`` (message types the host routes to them) and one
    ``on_<type>`` method per type. Handlers may return ``None`` for "no output".
    """

    subscriptions: ClassVar[tuple[type[Message], ...]] = ()
    #: Message types replayed to rebuild state after a supervised restart (None: all handled).
    journal_types: ClassVar[tuple[type[Message], ...] | None] = None
    #: Instance attributes a :meth:`checkpoint` leaves out: identity and infrastructure a fresh
    #: instance gets from its factory (its name, the shared clock, instrumentation wrapping
    #: ``handle``). A subclass adds e.g. a live venue connection.
    checkpoint_exclude: ClassVar[frozenset[str]] = frozenset({"name", "clock", "handle"})
    #: Journaled messages between supervision checkpoints when the spec says ``"auto"``:
    #: ``None`` (keep the whole journal) unless the component's state is small and bounded.
    checkpoint_every: ClassVar[int | None] = None
    _dispatch_cache: ClassVar[dict[type, Handler | None]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._dispatch_cache = {}

    def __init__(self, name: str, clock: Clock) -> None:
        self.name = name
        self.clock = clock
        self._ids = IdSequence(name)

    # -- dispatch -------------------------------------------------------------------------
    def handle(self, message: object) -> Sequence[Message]:
        """Run the handler for ``message``; a DeadLetter when there is none."""
        cls = type(self)
        try:
            fn = cls._dispatch_cache[type(message)]
        except KeyError:
            fn = getattr(cls, handler_name(type(message)), None)
            if not isinstance(message, Message):
                fn = None
            cls._dispatch_cache[type(message)] = fn
        if fn is None:
            return (self.dead_letter(message, "no handler for this message type"),)
        out = fn(self, message)
        return _EMPTY if out is None else out

    # -- helpers for subclasses --------------------------------------------------------------
    def resume_ids_after(self, previous: Component) -> None:
        """Continue the message id sequence after ``previous``'s (used by supervised restarts)."""
        if previous._ids.last > self._ids.last:
            self._ids = IdSequence(self.name, previous._ids.last)

    def next_id(self) -> MessageId:
        return self._ids.next_message_id()

    def stamp(self, cause: Message | None, ts_event: int | None = None) -> dict[str, Any]:
        """Envelope kwargs for a message caused by ``cause`` (``None``: a new root)."""
        now = self.clock.now_ns()
        if cause is None:
            return {
                "message_id": self._ids.next_message_id(),
                "ts_event": now if ts_event is None else ts_event,
                "ts_init": now,
                "source": self.name,
            }
        return {
            "message_id": self._ids.next_message_id(),
            "ts_event": cause.ts_event if ts_event is None else ts_event,
            "ts_init": now,
            "source": self.name,
            "correlation_id": cause.correlation_id or cause.message_id,
            "causation_id": cause.message_id,
        }

    def stamped_copy(self, message: M, cause: Message, **envelope: Any) -> M:
        """``message`` (built without an envelope, e.g. by a strategy) with the envelope
        :meth:`stamp` gives a message caused by ``cause``, plus ``envelope`` fields such as
        ``strategy_id``: one generated copy, no intermediate dict (the signal hot path)."""
        copier = restamper(type(message))
        return copier(
            message,
            message_id=self._ids.next_message_id(),
            ts_event=cause.ts_event,
            ts_init=self.clock.now_ns(),
            source=self.name,
            correlation_id=cause.correlation_id or cause.message_id,
            causation_id=cause.message_id,
            **envelope,
        )

    def dead_letter(self, message: object, reason: str, error: str = "") -> DeadLetter:
        """A DeadLetter for ``message`` addressed to this component."""
        cause = message if isinstance(message, Message) else None
        return DeadLetter(
            **self.stamp(cause),
            target=self.name,
            original_type=type(message).__name__,
            original_id=cause.message_id if cause is not None else "",
            reason=reason,
            error=error,
            original_repr=repr(message)[:500],
        )

    def log(
        self,
        level: LogLevel,
        text: str,
        cause: Message | None = None,
        details: tuple[tuple[str, str | int | float | bool | None], ...] = (),
    ) -> LogEntry:
        return LogEntry(**self.stamp(cause), level=level, message=text, details=details)

    def checkpoint(self) -> dict[str, Any]:
        """This component's state, deep-copied: independent of the live instance.

        Supervision takes one every ``SupervisionSpec.checkpoint_every`` journaled messages and
        drops the journal up to it, so a restart restores the checkpoint and replays only what
        came after -- memory stays bounded in a long live session. Every instance attribute is
        state except :attr:`checkpoint_exclude` (what a fresh instance gets from its factory);
        a back-reference to the component itself is re-pointed at the restored instance.
        Messages are immutable and shared, not copied. Raises (``TypeError``, ``copy.Error``)
        when some state cannot be copied: supervision then keeps the full journal.
        """
        exclude = self.checkpoint_exclude
        state = {k: v for k, v in vars(self).items() if k not in exclude}
        return copy.deepcopy(state, {id(self): _SELF, id(self.clock): self.clock})

    def checkpoint_ready(self) -> bool:
        """Whether a checkpoint now is worthwhile (default yes). A component whose state may
        grow with the run answers no while it does; supervision then keeps the journal and
        asks again ``checkpoint_every`` messages later."""
        return True

    def restore(self, state: Mapping[str, Any]) -> None:
        """Take over a :meth:`checkpoint` (copied again, so one checkpoint serves several
        restarts)."""
        vars(self).update(copy.deepcopy(dict(state), {id(_SELF): self, id(self.clock): self.clock}))

    def inherit(self, previous: Component) -> None:
        """After a supervised restart: take over state that survives the failure.

        Called on the fresh instance before the journal replay. The default takes nothing (the
        journal rebuilds everything); the logger takes over its unwritten buffer and open file,
        which no replay could rebuild.
        """

    def on_start(self) -> Sequence[Message]:
        """Called by the host when the component starts; may emit messages."""
        return _EMPTY

    def on_stop(self) -> Sequence[Message]:
        """Called by the host at shutdown, after inboxes are drained."""
        return _EMPTY
