"""State machines as tables: one entry per legal (state, trigger) -> state; anything else raises.

Components, strategies and orders share :class:`TransitionTable`, so every lifecycle in the
runtime is declared the same way and fails the same way (:class:`IllegalTransitionError`).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum, StrEnum
from typing import Generic, TypeVar

from actors.errors import IllegalTransitionError

__all__ = [
    "COMPONENT_TRANSITIONS",
    "STRATEGY_TRANSITIONS",
    "ComponentStatus",
    "StrategyStatus",
    "TransitionTable",
]

S = TypeVar("S", bound=Enum)


class TransitionTable(Generic[S]):
    """Immutable lookup of ``(state, trigger) -> next state``."""

    __slots__ = ("_table", "name")

    def __init__(self, name: str, table: Mapping[tuple[S, str], S]) -> None:
        self.name = name
        self._table = dict(table)

    def next(self, state: S, trigger: str) -> S:
        """The state after ``trigger``; raises :class:`IllegalTransitionError` if not legal."""
        try:
            return self._table[(state, trigger)]
        except KeyError:
            raise IllegalTransitionError(self.name, str(state.value), trigger) from None

    def allowed(self, state: S) -> tuple[str, ...]:
        """Triggers legal in ``state``, sorted (for error messages and docs)."""
        return tuple(sorted(t for (s, t) in self._table if s == state))


class StrategyStatus(StrEnum):
    STOPPED = "STOPPED"
    RUNNING = "RUNNING"
    PAUSED = "PAUSED"
    ERROR = "ERROR"


class ComponentStatus(StrEnum):
    STOPPED = "STOPPED"
    RUNNING = "RUNNING"
    ERROR = "ERROR"


_SS = StrategyStatus
STRATEGY_TRANSITIONS: TransitionTable[StrategyStatus] = TransitionTable(
    "strategy",
    {
        (_SS.STOPPED, "start"): _SS.RUNNING,
        (_SS.RUNNING, "pause"): _SS.PAUSED,
        (_SS.RUNNING, "stop"): _SS.STOPPED,
        (_SS.RUNNING, "fail"): _SS.ERROR,
        (_SS.PAUSED, "resume"): _SS.RUNNING,
        (_SS.PAUSED, "stop"): _SS.STOPPED,
        (_SS.PAUSED, "fail"): _SS.ERROR,
        (_SS.ERROR, "stop"): _SS.STOPPED,
        (_SS.ERROR, "start"): _SS.RUNNING,
    },
)

_CS = ComponentStatus
COMPONENT_TRANSITIONS: TransitionTable[ComponentStatus] = TransitionTable(
    "component",
    {
        (_CS.STOPPED, "start"): _CS.RUNNING,
        (_CS.RUNNING, "stop"): _CS.STOPPED,
        (_CS.RUNNING, "fail"): _CS.ERROR,
        (_CS.ERROR, "restart"): _CS.RUNNING,
        (_CS.ERROR, "stop"): _CS.STOPPED,
    },
)
