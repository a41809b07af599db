"""Typed runtime configuration: which components, how they are wired, supervised and hosted.

``RuntimeConfig.from_dict`` accepts the plain mapping a YAML file gives; code may build the
dataclasses directly (and pass factories, which YAML cannot hold).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from actors.clock import Clock
from actors.component import Component
from actors.errors import ConfigurationError
from actors.host.affinity import CpuPin
from actors.host.supervision import RestartPolicy, SupervisionSpec

__all__ = [
    "DEFAULT_COMPONENTS",
    "ComponentFactory",
    "ComponentSpec",
    "RuntimeConfig",
    "StrategySpec",
    "start_order",
]

ComponentFactory = Callable[[str, Clock], Component]


@dataclass(frozen=True)
class ComponentSpec:
    """One component: ``kind`` names a built-in class, or ``factory`` builds it.

    ``depends_on`` lists components that must be started before this one (and stopped after).
    ``wrapper`` decorates the factory (fault injection, instrumentation) without replacing it.
    """

    name: str
    kind: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)
    depends_on: tuple[str, ...] = ()
    supervision: SupervisionSpec = field(default_factory=SupervisionSpec)
    factory: ComponentFactory | None = None
    wrapper: Callable[[ComponentFactory], ComponentFactory] | None = None


@dataclass(frozen=True)
class StrategySpec:
    name: str
    params: Mapping[str, Any] = field(default_factory=dict)
    strategy_id: str | None = None
    start: bool = True


#: Declared in pipeline order: that is the routing order (a message reaches the strategy before
#: portfolio), which both hosts follow; ``depends_on`` alone decides the start order.
DEFAULT_COMPONENTS: tuple[ComponentSpec, ...] = (
    ComponentSpec(
        "data", "data", depends_on=("strategy", "risk", "execution", "portfolio", "reporting")
    ),
    ComponentSpec("strategy", "strategy", depends_on=("risk",)),
    ComponentSpec("risk", "risk", depends_on=("execution", "portfolio")),
    ComponentSpec("execution", "execution", depends_on=("portfolio",)),
    ComponentSpec("portfolio", "portfolio"),
    ComponentSpec("reporting", "reporting"),
    ComponentSpec("logger", "logger"),
)


@dataclass(frozen=True)
class RuntimeConfig:
    """``host``: "deterministic" or "pykka"; ``lockstep`` (pykka only) gives backtest
    determinism; ``live_clock`` uses the wall clock instead of a simulated one. ``pin_cpu`` and
    ``sched_batch`` place the actor threads (see :mod:`actors.host.affinity`): one core, and no
    wake-up preemption, so a ``tell`` costs a same-core switch instead of a cross-core wake.
    The thread that calls ``start()`` (the driver, which feeds the actors) joins that core and
    policy until ``stop()`` -- and, as on Linux any thread does, so do threads it starts
    meanwhile; ``pin_cpu=None, sched_batch=False`` leaves every thread where it was."""

    host: Literal["deterministic", "pykka"] = "deterministic"
    lockstep: bool = True
    components: tuple[ComponentSpec, ...] = DEFAULT_COMPONENTS
    taps: tuple[str, ...] = ("logger",)
    run_dir: str | None = None
    start_ns: int = 0
    live_clock: bool = False
    switch_interval_s: float | None = None
    pin_cpu: CpuPin = "auto"
    sched_batch: bool = True
    strategies: tuple[StrategySpec, ...] = ()
    strategy_registry: Mapping[str, Any] = field(default_factory=dict)
    initial_cash: float = 100_000.0

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> RuntimeConfig:
        """Build from plain data (YAML/JSON); unknown keys raise :class:`ConfigurationError`."""
        known = set(cls.__dataclass_fields__)
        unknown = set(raw) - known
        if unknown:
            raise ConfigurationError(f"unknown runtime config keys: {sorted(unknown)}")
        kw: dict[str, Any] = dict(raw)
        if "components" in kw:
            comps = []
            for c in kw["components"]:
                c = dict(c)
                sup = c.pop("supervision", None)
                if sup is not None:
                    c["supervision"] = SupervisionSpec(
                        policy=RestartPolicy(sup.get("policy", "RESTART")),
                        max_restarts=int(sup.get("max_restarts", 3)),
                        checkpoint_every=sup.get("checkpoint_every", "auto"),
                    )
                c["depends_on"] = tuple(c.get("depends_on", ()))
                comps.append(ComponentSpec(**c))
            kw["components"] = tuple(comps)
        if "strategies" in kw:
            kw["strategies"] = tuple(StrategySpec(**s) for s in kw["strategies"])
        if "taps" in kw:
            kw["taps"] = tuple(kw["taps"])
        return cls(**kw)


def start_order(specs: tuple[ComponentSpec, ...], taps: tuple[str, ...]) -> tuple[str, ...]:
    """Topological order of ``depends_on`` (taps first), stable in declaration order."""
    names = [s.name for s in specs]
    if len(set(names)) != len(names):
        raise ConfigurationError(f"duplicate component names in {names}")
    deps: dict[str, set[str]] = {}
    for s in specs:
        d = set(s.depends_on) | ({t for t in taps if t != s.name} if s.name not in taps else set())
        missing = d - set(names)
        if missing:
            raise ConfigurationError(f"{s.name} depends on unknown {sorted(missing)}")
        deps[s.name] = d
    order: list[str] = []
    done: set[str] = set()
    while len(order) < len(names):
        ready = [n for n in names if n not in done and deps[n] <= done]
        if not ready:
            raise ConfigurationError(f"dependency cycle among {sorted(set(names) - done)}")
        order.append(ready[0])
        done.add(ready[0])
    return tuple(order)
