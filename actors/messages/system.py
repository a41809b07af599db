"""Log entries, lifecycle/health events and strategy control commands."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from actors.ids import StrategyId
from actors.messages.base import Message, coerce_enum

__all__ = [
    "ComponentFailed",
    "ComponentStarted",
    "ComponentStopped",
    "DeadLetter",
    "HaltTrading",
    "LifecycleEvent",
    "LoadStrategy",
    "LogEntry",
    "LogLevel",
    "PauseStrategy",
    "ResumeStrategy",
    "ResumeTrading",
    "StartStrategy",
    "StopStrategy",
    "StrategyCommand",
    "StrategyStatusChanged",
]


class LogLevel(StrEnum):
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"


Detail = tuple[str, str | int | float | bool | None]


@dataclass(frozen=True, slots=True, kw_only=True)
class LogEntry(Message):
    """A human-readable line; ``details`` are (key, scalar) pairs, in a stable order."""

    level: LogLevel
    message: str
    details: tuple[Detail, ...] = ()

    def __post_init__(self) -> None:
        Message.__post_init__(self)
        if type(self.level) is not LogLevel:
            coerce_enum(self, "level", LogLevel)


@dataclass(frozen=True, slots=True, kw_only=True)
class DeadLetter(Message):
    """A message a component could not handle (unknown type, handler exception, stopped)."""

    target: str
    original_type: str
    original_id: str
    reason: str
    error: str = ""
    original_repr: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ComponentStarted(Message):
    """``component`` is running; ``restarted`` after a supervised restart."""

    component: str
    restarted: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ComponentStopped(Message):
    component: str
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ComponentFailed(Message):
    """A handler of ``component`` raised; ``policy`` tells what the supervisor does next."""

    component: str
    error: str
    policy: str


@dataclass(frozen=True, slots=True, kw_only=True)
class HaltTrading(Message):
    """Command to risk: reject new orders until :class:`ResumeTrading` with the same reason."""

    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ResumeTrading(Message):
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadStrategy(Message):
    """Command to the strategy component: instantiate registered strategy ``name``."""

    strategy_id: StrategyId
    name: str
    params: tuple[tuple[str, str | int | float | bool | None], ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class StartStrategy(Message):
    strategy_id: StrategyId


@dataclass(frozen=True, slots=True, kw_only=True)
class PauseStrategy(Message):
    strategy_id: StrategyId


@dataclass(frozen=True, slots=True, kw_only=True)
class ResumeStrategy(Message):
    strategy_id: StrategyId


@dataclass(frozen=True, slots=True, kw_only=True)
class StopStrategy(Message):
    strategy_id: StrategyId


@dataclass(frozen=True, slots=True, kw_only=True)
class StrategyStatusChanged(Message):
    strategy_id: StrategyId
    previous: str
    status: str
    error: str = ""


LifecycleEvent = ComponentStarted | ComponentStopped | ComponentFailed | DeadLetter
StrategyCommand = LoadStrategy | StartStrategy | PauseStrategy | ResumeStrategy | StopStrategy
