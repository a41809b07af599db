"""Supervision shared by both hosts (Pykka has none).

A :class:`ComponentCell` owns one component instance, its factory, status and journal. Every
delivery goes through :meth:`ComponentCell.deliver`, which never lets a handler exception escape:

1. the failing message becomes a :class:`DeadLetter` carrying the exception text, and a
   :class:`ComponentFailed` event is emitted (risk halts trading if data or execution failed);
2. the :class:`RestartPolicy` decides: RESTART builds a fresh component from the factory,
   restores its last checkpoint and replays the journal since (every message it handled
   successfully, or ``journal_types``) to rebuild its state (memory: every
   ``checkpoint_every`` journaled messages the state is checkpointed and the journal emptied,
   so a long live session holds one copy of the state plus at most that many messages; STOP and
   ESCALATE keep neither) (after :meth:`Component.inherit` lets it take over what survives,
   e.g. the logger's buffer), emits :class:`ComponentStarted` (``restarted=True``; risk
   resumes) and retries the failed message once, so nothing already accepted is lost; STOP
   leaves the component STOPPED (later messages become dead letters); ESCALATE raises
   :class:`EscalatedFailureError` to the host. After ``max_restarts`` restarts a further
   failure escalates.

Running the same cell code on both hosts is what keeps their outputs identical under faults.
Supervisor messages use their own id sequence (``<name>.sup-<n>``) so a restarted component's
ids continue exactly as if it had never failed.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from actors.component import Component
from actors.errors import ConfigurationError, EscalatedFailureError
from actors.ids import IdSequence
from actors.lifecycle import COMPONENT_TRANSITIONS, ComponentStatus
from actors.messages import (
    ComponentFailed,
    ComponentStarted,
    ComponentStopped,
    DeadLetter,
    LogEntry,
    LogLevel,
    Message,
)

__all__ = ["ComponentCell", "RestartPolicy", "SupervisionSpec"]

# enum members bound once: ``ComponentStatus.RUNNING`` goes through EnumType's attribute hook
# (~70 ns on CPython 3.11) and ``deliver`` runs for every message
_RUNNING = ComponentStatus.RUNNING


class RestartPolicy(StrEnum):
    RESTART = "RESTART"
    STOP = "STOP"
    ESCALATE = "ESCALATE"


@dataclass(frozen=True, slots=True)
class SupervisionSpec:
    """``checkpoint_every``: RESTART only -- after this many journaled messages the component's
    state is checkpointed (:meth:`Component.checkpoint`) and the journal emptied, so memory is
    bounded by the state, not by the length of the run; ``None`` keeps the whole journal;
    ``"auto"`` takes the component's :attr:`Component.checkpoint_every` (set by the components
    whose state is small and bounded: a checkpoint copies the whole state, so one of a state
    that grows with the run -- every order ever, an equity history -- would stall its actor
    longer each time)."""

    policy: RestartPolicy = RestartPolicy.RESTART
    max_restarts: int = 3
    checkpoint_every: int | Literal["auto"] | None = "auto"

    def __post_init__(self) -> None:
        every = self.checkpoint_every
        if every is None or every == "auto":
            return
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ConfigurationError(
                f"checkpoint_every must be an int >= 1, null or 'auto', not {every!r}"
            )


class ComponentCell:
    """The host-side shell of one component: status, journal, restart logic."""

    def __init__(
        self,
        name: str,
        factory: Callable[[], Component],
        supervision: SupervisionSpec | None = None,
    ) -> None:
        self.name = name
        self.factory = factory
        self.supervision = supervision or SupervisionSpec()
        self.component = factory()
        self.status = ComponentStatus.STOPPED
        self.journal: list[Message] = []
        self.restarts = 0
        self.handled = 0
        self.failures: list[str] = []
        self._sup_ids = IdSequence(f"{name}.sup")
        jt = type(self.component).journal_types
        self._journal_types: frozenset[type] | None = None if jt is None else frozenset(jt)
        # only a RESTART policy ever replays: other policies keep no journal (no memory cost)
        self._journaling = self.supervision.policy is RestartPolicy.RESTART
        self._checkpoint: dict[str, Any] | None = None
        every = self.supervision.checkpoint_every
        if every == "auto":
            every = type(self.component).checkpoint_every
        self._checkpoint_every = sys.maxsize if every is None else int(every)
        self._checkpoint_at = self._checkpoint_every  # journal length that triggers the next
        self.checkpoints = 0
        self.checkpoint_error = ""

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> list[Message]:
        self.status = COMPONENT_TRANSITIONS.next(self.status, "start")
        out = list(self.component.on_start())
        out.append(ComponentStarted(**self._stamp(None), component=self.name))
        return out

    def stop(self, reason: str = "shutdown") -> list[Message]:
        if self.status is ComponentStatus.STOPPED:
            return []
        self.status = COMPONENT_TRANSITIONS.next(self.status, "stop")
        out = list(self.component.on_stop())
        out.append(ComponentStopped(**self._stamp(None), component=self.name, reason=reason))
        return out

    def _stamp(self, cause: Message | None) -> dict[str, Any]:
        now = self.component.clock.now_ns()
        env: dict[str, Any] = {
            "message_id": self._sup_ids.next_message_id(),
            "ts_event": now if cause is None else cause.ts_event,
            "ts_init": now,
            "source": self.name,
        }
        if cause is not None:
            env["correlation_id"] = cause.correlation_id or cause.message_id
            env["causation_id"] = cause.message_id
        return env

    def _dead(self, message: object, reason: str, error: str = "") -> DeadLetter:
        cause = message if isinstance(message, Message) else None
        return DeadLetter(
            **self._stamp(cause),
            target=self.name,
            original_type=type(message).__name__,
            original_id=cause.message_id if cause is not None else "",
            reason=reason,
            error=error,
            original_repr=repr(message)[:500],
        )

    # -- delivery ----------------------------------------------------------------------------
    def deliver(self, message: object) -> Sequence[Message]:
        """Handle ``message`` under supervision; never raises except on ESCALATE."""
        if self.status is not _RUNNING:
            return (self._dead(message, f"component {self.status.value.lower()}"),)
        self.handled += 1
        try:
            out = self.component.handle(message)
        except Exception as exc:
            return self._on_failure(message, exc)
        if self._journaling:  # inline: this runs for every message a component handles
            jt = self._journal_types
            if isinstance(message, Message) and (jt is None or type(message) in jt):
                journal = self.journal
                journal.append(message)
                if len(journal) >= self._checkpoint_at:
                    return self._take_checkpoint(message, out)
        return out

    def _take_checkpoint(self, cause: Message, out: Sequence[Message]) -> Sequence[Message]:
        """Checkpoint the component and empty the journal; if it is not ready, ask again
        ``checkpoint_every`` messages later; if its state cannot be copied, keep the whole
        journal from now on and say so once (a WARNING after ``out``)."""
        if not self.component.checkpoint_ready():
            self._checkpoint_at = len(self.journal) + self._checkpoint_every
            return out
        try:
            state = self.component.checkpoint()
        except Exception as exc:  # an uncopyable attribute (a lock, a socket...)
            self._checkpoint_at = sys.maxsize
            self.checkpoint_error = f"{type(exc).__name__}: {exc}"
            warning = LogEntry(
                **self._stamp(cause),
                level=LogLevel.WARNING,
                message="checkpoint failed: keeping the whole journal for restarts",
                details=(("component", self.name), ("error", self.checkpoint_error[:300])),
            )
            return (*out, warning)
        self._checkpoint = state
        self.journal.clear()
        self._checkpoint_at = self._checkpoint_every
        self.checkpoints += 1
        return out

    def absorb(self, message: object) -> None:
        """Deliver as a tap: outputs (a tap's own failure reports) go back into this tap, inline.

        Both hosts use this, so the log holds a tap's dead letters right after the message that
        caused them, whatever the host. Bounded: repeated failures exhaust restarts and escalate.
        """
        if self.status is not ComponentStatus.RUNNING:
            return  # a stopped tap has nowhere to write, not even a dead letter
        first = self.deliver(message)
        if not first:
            return
        pending: Sequence[object] = first
        while pending and self.status is ComponentStatus.RUNNING:
            out: list[Message] = []
            for m in pending:
                out.extend(self.deliver(m))
            pending = out

    def _journal(self, message: object) -> None:
        if not self._journaling:
            return
        jt = self._journal_types
        if isinstance(message, Message) and (jt is None or type(message) in jt):
            self.journal.append(message)

    def _on_failure(self, message: object, exc: Exception) -> list[Message]:
        error = f"{type(exc).__name__}: {exc}"
        self.failures.append(error)
        spec = self.supervision
        policy = spec.policy
        if policy is RestartPolicy.RESTART and self.restarts >= spec.max_restarts:
            policy = RestartPolicy.ESCALATE
        cause = message if isinstance(message, Message) else None
        self.status = COMPONENT_TRANSITIONS.next(self.status, "fail")
        out: list[Message] = [
            self._dead(message, "handler raised", error),
            ComponentFailed(
                **self._stamp(cause),
                component=self.name,
                error=error,
                policy=policy.value,
            ),
        ]
        if policy is RestartPolicy.ESCALATE:
            raise EscalatedFailureError(self.name, error, tuple(out)) from exc
        if policy is RestartPolicy.STOP:
            self.status = COMPONENT_TRANSITIONS.next(self.status, "stop")
            out.append(ComponentStopped(**self._stamp(cause), component=self.name, reason=error))
            return out
        self._restart()
        out.append(ComponentStarted(**self._stamp(cause), component=self.name, restarted=True))
        try:
            out.extend(self.component.handle(message))
        except Exception as retry_exc:  # a poison message: give up on it, keep running
            out.append(self._dead(message, "retry after restart raised", repr(retry_exc)))
        else:
            self._journal(message)
        return out

    def _restart(self) -> None:
        """Fresh component, state rebuilt from the last checkpoint (if any) and the journal
        since (replayed, outputs discarded); what survives the failure is inherited after the
        checkpoint is restored, so it wins."""
        self.restarts += 1
        old = self.component
        fresh = self.factory()
        if self._checkpoint is not None:
            fresh.restore(self._checkpoint)
        fresh.inherit(old)
        for past in self.journal:
            fresh.handle(past)
        # ids stay unique even if the failed call had already issued some
        fresh.resume_ids_after(old)
        self.component = fresh
        self.status = COMPONENT_TRANSITIONS.next(self.status, "restart")
