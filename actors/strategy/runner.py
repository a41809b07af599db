"""StrategyRunner: load strategies by name and drive their lifecycle through one table.

The legal transitions are :data:`actors.lifecycle.STRATEGY_TRANSITIONS`; anything else raises
:class:`IllegalTransitionError`. Strategies run in load order, so several strategies reacting to
one snapshot always emit their signals in the same order.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from actors.errors import ConfigurationError, UnknownStrategyError
from actors.ids import StrategyId
from actors.lifecycle import STRATEGY_TRANSITIONS, StrategyStatus
from strategies.base import Strategy

__all__ = ["StrategyFactory", "StrategyRegistry", "StrategyRunner", "StrategySlot"]

StrategyFactory = Callable[[StrategyId, Mapping[str, Any]], Strategy]


class StrategyRegistry:
    """Name -> factory. Unregistered names of the form ``"package.module:Class"`` are imported."""

    def __init__(self, factories: Mapping[str, StrategyFactory] | None = None) -> None:
        self._factories: dict[str, StrategyFactory] = dict(factories or {})

    def register(self, name: str, factory: StrategyFactory) -> None:
        if name in self._factories:
            raise ConfigurationError(f"strategy name {name!r} is already registered")
        self._factories[name] = factory

    def names(self) -> tuple[str, ...]:
        return tuple(sorted(self._factories))

    def resolve(self, name: str) -> StrategyFactory:
        factory = self._factories.get(name)
        if factory is not None:
            return factory
        if ":" in name:
            module_name, _, attr = name.partition(":")
            try:
                obj = getattr(importlib.import_module(module_name), attr)
            except (ImportError, AttributeError) as exc:
                raise UnknownStrategyError(f"cannot import strategy {name!r}: {exc}") from exc
            if not (isinstance(obj, type) and issubclass(obj, Strategy)):
                raise UnknownStrategyError(f"{name!r} is not a Strategy subclass")
            cls: type[Strategy] = obj
            return lambda sid, params: cls(sid, params)
        raise UnknownStrategyError(f"no strategy registered as {name!r}")


@dataclass(slots=True)
class StrategySlot:
    """One loaded strategy and its status (mutable; owned by the runner)."""

    strategy_id: StrategyId
    name: str
    strategy: Strategy
    status: StrategyStatus = StrategyStatus.STOPPED
    error: str = ""


class StrategyRunner:
    """Holds loaded strategies; every status change goes through the transition table."""

    def __init__(self, registry: StrategyRegistry | None = None) -> None:
        self.registry = registry or StrategyRegistry()
        self._slots: dict[StrategyId, StrategySlot] = {}
        self._loaded = 0

    def load_strategy(
        self,
        name: str,
        params: Mapping[str, Any] | None = None,
        strategy_id: StrategyId | None = None,
    ) -> StrategyId:
        """Instantiate ``name`` in STOPPED; the id defaults to ``<name>-<n>``."""
        self._loaded += 1
        sid = strategy_id or StrategyId(f"{name.rsplit(':', 1)[-1]}-{self._loaded}")
        if sid in self._slots:
            raise ConfigurationError(f"strategy id {sid!r} is already loaded")
        strategy = self.registry.resolve(name)(sid, dict(params or {}))
        self._slots[sid] = StrategySlot(sid, name, strategy)
        return sid

    def slot(self, strategy_id: StrategyId) -> StrategySlot:
        try:
            return self._slots[strategy_id]
        except KeyError:
            raise UnknownStrategyError(f"no strategy loaded with id {strategy_id!r}") from None

    def status(self, strategy_id: StrategyId) -> StrategyStatus:
        return self.slot(strategy_id).status

    def statuses(self) -> dict[StrategyId, StrategyStatus]:
        return {sid: s.status for sid, s in self._slots.items()}

    def _apply(self, strategy_id: StrategyId, trigger: str) -> tuple[StrategyStatus, StrategySlot]:
        slot = self.slot(strategy_id)
        previous = slot.status
        slot.status = STRATEGY_TRANSITIONS.next(previous, trigger)
        return previous, slot

    def start_strategy(self, strategy_id: StrategyId) -> StrategyStatus:
        previous, slot = self._apply(strategy_id, "start")
        slot.error = ""
        slot.strategy.on_start()
        return previous

    def pause_strategy(self, strategy_id: StrategyId) -> StrategyStatus:
        return self._apply(strategy_id, "pause")[0]

    def resume_strategy(self, strategy_id: StrategyId) -> StrategyStatus:
        return self._apply(strategy_id, "resume")[0]

    def stop_strategy(self, strategy_id: StrategyId) -> StrategyStatus:
        previous, slot = self._apply(strategy_id, "stop")
        slot.strategy.on_stop()
        return previous

    def fail_strategy(self, strategy_id: StrategyId, error: str) -> StrategyStatus:
        previous, slot = self._apply(strategy_id, "fail")
        slot.error = error
        return previous

    def running(self) -> tuple[StrategySlot, ...]:
        """RUNNING strategies in load order."""
        return tuple(s for s in self._slots.values() if s.status is StrategyStatus.RUNNING)

    def all(self) -> tuple[StrategySlot, ...]:
        return tuple(self._slots.values())
