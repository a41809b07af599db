"""The orchestrator (seed: ``initialize(config)``, ``start()``, ``stop()``).

Builds the component graph from a :class:`RuntimeConfig`, chooses the host, starts components in
dependency order and stops them in reverse order after draining. It is also the driver-side API
the CLI, backtests and tests use: feed data, control strategies, read portfolio/risk/trades and
build the report. Every method runs on the caller's thread; with the Pykka host, reads are
``ask``-ed to the owning actor (the caller is not an actor, so this cannot deadlock).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from actors.clock import Clock, LiveClock, SimulatedClock
from actors.component import Component
from actors.config import ComponentFactory, ComponentSpec, RuntimeConfig, start_order
from actors.data import DataComponent
from actors.errors import ConfigurationError, UnknownStrategyError
from actors.execution import ExecutionComponent
from actors.host.deterministic import DeterministicHost
from actors.host.pykka_host import PykkaHost
from actors.host.routing import RoutingTable
from actors.host.supervision import ComponentCell
from actors.ids import StrategyId
from actors.lifecycle import STRATEGY_TRANSITIONS, StrategyStatus
from actors.logger import LoggingComponent
from actors.messages import (
    Fill,
    LoadStrategy,
    Message,
    PauseStrategy,
    PortfolioState,
    ResumeStrategy,
    RiskAssessment,
    StartStrategy,
    StopStrategy,
)
from actors.portfolio import PortfolioComponent
from actors.reporting import ReportingComponent
from actors.risk import RiskComponent, RiskLimits
from actors.strategy import StrategyComponent, StrategyRegistry

__all__ = ["COMPONENT_KINDS", "Runtime"]

COMPONENT_KINDS: Mapping[str, type[Component]] = {
    "data": DataComponent,
    "strategy": StrategyComponent,
    "risk": RiskComponent,
    "execution": ExecutionComponent,
    "portfolio": PortfolioComponent,
    "logger": LoggingComponent,
    "reporting": ReportingComponent,
}


class Runtime:
    """One run: a host plus its components. Use as a context manager to always stop."""

    def __init__(self, config: RuntimeConfig | None = None) -> None:
        self.config = config = config or RuntimeConfig()
        self.clock: Clock = LiveClock() if config.live_clock else SimulatedClock(config.start_ns)
        self.registry = StrategyRegistry(config.strategy_registry)
        self._kinds = {s.name: s.kind for s in config.components}
        cells = [ComponentCell(s.name, self._factory(s), s.supervision) for s in config.components]
        self.routes = RoutingTable(
            ((c.name, type(c.component).subscriptions) for c in cells), config.taps
        )
        self.order = start_order(config.components, config.taps)
        self.host: DeterministicHost | PykkaHost
        if config.host == "deterministic":
            self.host = DeterministicHost(cells, self.routes, self.clock, self.order)
        elif config.host == "pykka":
            self.host = PykkaHost(
                cells,
                self.routes,
                self.clock,
                self.order,
                lockstep=config.lockstep,
                switch_interval_s=config.switch_interval_s,
                pin_cpu=config.pin_cpu,
                sched_batch=config.sched_batch,
            )
        else:
            raise ConfigurationError(f"unknown host {config.host!r}")
        self._strategy_seq = 0

    @classmethod
    def initialize(cls, config: RuntimeConfig | Mapping[str, Any] | None = None) -> Runtime:
        """Seed API: build a runtime from a config object or a plain mapping."""
        if isinstance(config, Mapping):
            config = RuntimeConfig.from_dict(config)
        return cls(config)

    def _factory(self, spec: ComponentSpec) -> Callable[[], Component]:
        clock = self.clock
        factory: ComponentFactory
        factory = spec.factory if spec.factory is not None else self._builtin(spec)
        if spec.wrapper is not None:
            factory = spec.wrapper(factory)
        final = factory
        return lambda: final(spec.name, clock)

    def _builtin(self, spec: ComponentSpec) -> ComponentFactory:
        cls = COMPONENT_KINDS.get(spec.kind)
        if cls is None:
            raise ConfigurationError(f"component {spec.name!r}: unknown kind {spec.kind!r}")
        params = dict(spec.params)
        if spec.kind == "strategy":
            params.setdefault("registry", self.registry)
        if spec.kind == "risk" and isinstance(params.get("limits"), Mapping):
            params["limits"] = RiskLimits(**params["limits"])
        if spec.kind == "logger" and self.config.run_dir is not None:
            params.setdefault("run_dir", self.config.run_dir)
        if spec.kind in ("portfolio", "reporting"):
            params.setdefault("initial_cash", self.config.initial_cash)
        return lambda name, clock: cls(name, clock, **params)

    def _name_of(self, kind: str) -> str:
        for name, k in self._kinds.items():
            if k == kind:
                return name
        raise ConfigurationError(f"no {kind!r} component configured")

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> None:
        self.host.start()
        for s in self.config.strategies:
            sid = self.load_strategy(s.name, s.params, s.strategy_id)
            if s.start:
                self.start_strategy(sid)

    def stop(self, drain: bool = True) -> None:
        """Stop in reverse dependency order after draining; ``drain=False`` drops external
        messages not yet delivered (the context manager does this when leaving on an error)."""
        self.host.stop(drain)

    def __enter__(self) -> Runtime:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop(drain=exc is None)

    # -- data ----------------------------------------------------------------------------------
    def feed(self, message: Message) -> None:
        self.host.feed(message)

    def run(self, messages: Iterable[Message]) -> None:
        """Feed a stream and process it to the end (each event's step completes in turn)."""
        self.host.feed_many(messages)
        self.host.run_until_idle()

    def run_until_idle(self) -> None:
        self.host.run_until_idle()

    def send(self, message: Message) -> None:
        """Deliver a command now (its step completes before this returns)."""
        self.host.run_until_idle()
        self.host.send(message)

    def _env(self) -> dict[str, Any]:
        ts = self.clock.now_ns()
        return {"ts_event": ts, "ts_init": ts, "source": "runtime"}

    # -- strategies ----------------------------------------------------------------------------
    def load_strategy(
        self, name: str, params: Mapping[str, Any] | None = None, strategy_id: str | None = None
    ) -> StrategyId:
        # Raise unknown-name and bad-parameter errors here, in the caller's thread, naming the
        # parameter, rather than as a load failure inside the strategy actor.
        self.registry.resolve(name)
        self.registry.validate_params(name, params)
        self._strategy_seq += 1
        sid = StrategyId(strategy_id or f"{name.rsplit(':', 1)[-1]}-{self._strategy_seq}")
        if sid in self.strategy_statuses():
            raise ConfigurationError(f"strategy id {sid!r} is already loaded")
        items = tuple(sorted((params or {}).items()))
        self.send(LoadStrategy(**self._env(), strategy_id=sid, name=name, params=items))
        if sid not in self.strategy_statuses():
            raise UnknownStrategyError(f"strategy {name!r} failed to load (see the log)")
        return sid

    def strategy_statuses(self) -> dict[StrategyId, StrategyStatus]:
        name = self._name_of("strategy")
        return self._read(name, lambda c: c.runner.statuses())  # type: ignore[no-any-return]

    def strategy_status(self, strategy_id: str) -> StrategyStatus:
        statuses = self.strategy_statuses()
        try:
            return statuses[StrategyId(strategy_id)]
        except KeyError:
            raise UnknownStrategyError(f"no strategy loaded with id {strategy_id!r}") from None

    def _control(self, strategy_id: str, trigger: str, cmd: Message) -> StrategyStatus:
        STRATEGY_TRANSITIONS.next(self.strategy_status(strategy_id), trigger)  # raises if illegal
        self.send(cmd)
        return self.strategy_status(strategy_id)

    def start_strategy(self, strategy_id: str) -> StrategyStatus:
        sid = StrategyId(strategy_id)
        return self._control(sid, "start", StartStrategy(**self._env(), strategy_id=sid))

    def pause_strategy(self, strategy_id: str) -> StrategyStatus:
        sid = StrategyId(strategy_id)
        return self._control(sid, "pause", PauseStrategy(**self._env(), strategy_id=sid))

    def resume_strategy(self, strategy_id: str) -> StrategyStatus:
        sid = StrategyId(strategy_id)
        return self._control(sid, "resume", ResumeStrategy(**self._env(), strategy_id=sid))

    def stop_strategy(self, strategy_id: str) -> StrategyStatus:
        sid = StrategyId(strategy_id)
        return self._control(sid, "stop", StopStrategy(**self._env(), strategy_id=sid))

    # -- reads ---------------------------------------------------------------------------------
    def _read(self, name: str, fn: Any) -> Any:
        """``fn(component)`` on the owning thread; directly once the host has stopped."""
        if self.host.running:
            return self.host.query(name, fn)
        return fn(self.host.cells[name].component)

    def portfolio_state(self) -> PortfolioState:
        return self._read(self._name_of("portfolio"), lambda c: c.state())  # type: ignore[no-any-return]

    def ledger(self) -> tuple[Fill, ...]:
        return self._read(self._name_of("portfolio"), lambda c: tuple(c.ledger))  # type: ignore[no-any-return]

    def reconcile(self) -> None:
        """Raise :class:`ReconciliationError` unless the ledger replay equals the live book."""
        self._read(self._name_of("portfolio"), lambda c: c.reconcile())

    def risk_assessment(self) -> RiskAssessment:
        return self._read(self._name_of("risk"), lambda c: c.assessment())  # type: ignore[no-any-return]

    def trade_history(
        self, start_ns: int | None = None, end_ns: int | None = None
    ) -> tuple[dict[str, Any], ...]:
        return self._read(  # type: ignore[no-any-return]
            self._name_of("logger"), lambda c: c.get_trade_history(start_ns, end_ns)
        )

    def log_event(
        self,
        level: str,
        message: str,
        details: Mapping[str, str | int | float | bool | None] | None = None,
    ) -> None:
        """Seed API: write a LogEntry through the logger (on its own thread)."""
        items = dict(details or {})
        self._read(self._name_of("logger"), lambda c: c.log_event(level, message, items))

    def component_status(self, name: str) -> str:
        return self.host.cells[name].status.value

    def log_bytes(self) -> bytes:
        """Everything the logger wrote so far (flushes first)."""
        name = self._name_of("logger")

        def read(c: LoggingComponent) -> bytes:
            c.flush()
            if c.path is not None and Path(c.path).exists():
                return Path(c.path).read_bytes()
            return b"".join(c.lines)

        return self._read(name, read)  # type: ignore[no-any-return]

    def report(self) -> dict[str, Any]:
        """The run report (JSON-able): portfolio, risk, trades and equity curve."""
        portfolio = self.portfolio_state()
        risk = self.risk_assessment()
        trades = self.trade_history()
        return self._read(  # type: ignore[no-any-return]
            self._name_of("reporting"), lambda c: c.build_report(portfolio, risk, trades)
        )
