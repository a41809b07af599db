"""Exception hierarchy of the actor runtime.

Every error raised by ``actors`` derives from :class:`ActorRuntimeError`, so a caller can catch
the whole family; input errors are also :class:`ValueError` so generic validation code still works.
"""

from __future__ import annotations

__all__ = [
    "ActorRuntimeError",
    "ComponentStoppedError",
    "ConfigurationError",
    "EscalatedFailureError",
    "IllegalTransitionError",
    "InvalidMessageError",
    "ReconciliationError",
    "UnknownStrategyError",
]


class ActorRuntimeError(Exception):
    """Base class of every error raised by the actor runtime."""


class InvalidMessageError(ActorRuntimeError, ValueError):
    """A message field holds a value that violates its contract (NaN, inf, non-positive...)."""

    def __init__(self, message_type: str, field: str, value: object, reason: str) -> None:
        self.message_type = message_type
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(f"{message_type}.{field}={value!r}: {reason}")


class IllegalTransitionError(ActorRuntimeError):
    """A lifecycle or order state machine was asked for a transition its table does not allow."""

    def __init__(self, machine: str, state: str, trigger: str) -> None:
        self.machine = machine
        self.state = state
        self.trigger = trigger
        super().__init__(f"{machine}: trigger {trigger!r} is illegal in state {state!r}")


class UnknownStrategyError(ActorRuntimeError, KeyError):
    """No strategy is registered (or loaded) under the given name or id."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown strategy"


class ConfigurationError(ActorRuntimeError, ValueError):
    """The runtime configuration is inconsistent (unknown component, dependency cycle...)."""


class ComponentStoppedError(ActorRuntimeError):
    """A message or query was addressed to a component that is stopped."""


class EscalatedFailureError(ActorRuntimeError):
    """A component failed under the ESCALATE policy; the host logs ``reports`` (the dead letter
    and ComponentFailed event) through its taps, then re-raises this in the driver."""

    def __init__(self, component: str, error: str, reports: tuple[object, ...] = ()) -> None:
        self.component = component
        self.error = error
        self.reports = reports
        super().__init__(f"component {component!r} failed and escalated: {error}")


class ReconciliationError(ActorRuntimeError):
    """Portfolio state differs from the state rebuilt by replaying the fill ledger."""
