"""StrategyRunner: load strategies by name and drive their lifecycle through one table.

The legal transitions are :data:`actors.lifecycle.STRATEGY_TRANSITIONS`; anything else raises
:class:`IllegalTransitionError`. Strategies run in load order, so several strategies reacting to
one snapshot always emit their signals in the same order.

Names resolve through :class:`strategies.registry.StrategyRegistry` (the one registry; built-in
and user-registered names are inherited from ``strategies.registry.default_registry``), and
parameters are validated against the strategy's schema before it is built.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from actors.errors import ConfigurationError, UnknownStrategyError
from actors.ids import StrategyId
from actors.lifecycle import STRATEGY_TRANSITIONS, StrategyStatus
from strategies.base import Strategy
from strategies.registry import StrategyFactory, StrategyRegistry

__all__ = ["StrategyFactory", "StrategyRegistry", "StrategyRunner", "StrategySlot"]


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
        self._running: tuple[StrategySlot, ...] = ()  # kept by _apply: read on every snapshot

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
        strategy = self.registry.create(name, params, sid)
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
        self._running = tuple(s for s in self._slots.values() if s.status is StrategyStatus.RUNNING)
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
        return self._running

    def all(self) -> tuple[StrategySlot, ...]:
        return tuple(self._slots.values())
