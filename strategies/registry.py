"""The strategy registry: strategies found by name from configuration, parameters validated.

There is one registry class, :class:`StrategyRegistry` (the strategy actor's runner and the
runtime use it too, via ``actors.strategy``). A process-wide :data:`default_registry` holds the
built-in strategies and whatever users add with :func:`register`; every other registry falls
back to it, so a name registered once works in a runtime configuration, the CLI and tests.

Names resolve in this order: the registry's own entries, then its parent (the default registry),
then ``"package.module:Class"`` (imported on demand; must be a :class:`Strategy` subclass).
Built-ins are imported lazily on first lookup: importing this module has no side effects.

Built-in names: ``sma_cross``, ``macd``, ``momentum``, ``alpha``; see :func:`schemas` for their
parameters. Errors: an unknown name raises :class:`UnknownStrategyError` (a ``KeyError``) listing
the known names; bad parameters raise :class:`StrategyParameterError` naming the parameter.

Example::

    from strategies.registry import register, create

    @register("my_breakout")
    class Breakout(Strategy):
        parameters = ParamSchema((Param("window", int, 20, ge=2),))
        ...

    strat = create("my_breakout", {"window": 55})
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, overload

from actors.errors import ConfigurationError, UnknownStrategyError
from actors.ids import StrategyId
from strategies.base import Strategy
from strategies.params import ParamSchema

__all__ = [
    "BUILTIN_STRATEGIES",
    "StrategyFactory",
    "StrategyRegistry",
    "create",
    "default_registry",
    "names",
    "parse_params",
    "register",
    "schema",
    "schemas",
]

StrategyFactory = Callable[[StrategyId, Mapping[str, Any]], Strategy]
F = TypeVar("F", bound=StrategyFactory)

#: Built-in name -> "module:Class", imported on first use.
BUILTIN_STRATEGIES: dict[str, str] = {
    "sma_cross": "strategies.sma_cross:SMACrossStrategy",
    "macd": "strategies.macd:MACDStrategy",
    "momentum": "strategies.momentum:MomentumStrategy",
    "alpha": "strategies.alpha:AlphaStrategy",
}

_INHERIT: Any = object()


def _import_strategy(path: str) -> type[Strategy]:
    module_name, _, attr = path.partition(":")
    if not module_name or not attr:
        raise UnknownStrategyError(f"{path!r} is not of the form 'package.module:Class'")
    try:
        obj = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise UnknownStrategyError(f"cannot import strategy {path!r}: {exc}") from exc
    if not (isinstance(obj, type) and issubclass(obj, Strategy)):
        raise UnknownStrategyError(f"{path!r} is not a Strategy subclass")
    return obj


def _schema_of(factory: StrategyFactory) -> ParamSchema | None:
    if isinstance(factory, type) and issubclass(factory, Strategy):
        return factory.parameters
    return None


class StrategyRegistry:
    """Name -> factory (a :class:`Strategy` subclass or any ``(strategy_id, params)`` callable).

    ``parent`` defaults to :data:`default_registry` (pass ``None`` for a stand-alone registry).
    Names are unique across a registry and its parent: registering a taken name raises
    :class:`ConfigurationError`.
    """

    def __init__(
        self,
        factories: Mapping[str, StrategyFactory] | None = None,
        parent: StrategyRegistry | None = _INHERIT,
        *,
        builtins: Mapping[str, str] | None = None,
    ) -> None:
        self.parent: StrategyRegistry | None = default_registry if parent is _INHERIT else parent
        self._factories: dict[str, StrategyFactory] = {}
        self._lazy: dict[str, str] = dict(builtins or {})
        for name, factory in (factories or {}).items():
            self.register(name, factory)

    # -- registration ---------------------------------------------------------------------------
    @overload
    def register(self, name: str) -> Callable[[F], F]: ...

    @overload
    def register(self, name: str, factory: F) -> F: ...

    def register(self, name: str, factory: F | None = None) -> F | Callable[[F], F]:
        """``register(name, factory)``, or ``@register(name)`` on a class."""
        if not isinstance(name, str) or not name or ":" in name:
            raise ConfigurationError(f"strategy name must be a non-empty str without ':': {name!r}")

        def add(f: F) -> F:
            if self.contains(name):
                raise ConfigurationError(f"strategy name {name!r} is already registered")
            if not callable(f):
                raise ConfigurationError(f"strategy {name!r}: factory {f!r} is not callable")
            self._factories[name] = f
            return f

        return add if factory is None else add(factory)

    def unregister(self, name: str) -> None:
        """Remove a name registered here (tests; plugins being unloaded)."""
        if self._factories.pop(name, None) is None and self._lazy.pop(name, None) is None:
            raise UnknownStrategyError(f"no strategy registered as {name!r} in this registry")

    def contains(self, name: str) -> bool:
        if name in self._factories or name in self._lazy:
            return True
        return self.parent is not None and self.parent.contains(name)

    __contains__ = contains

    # -- lookup ----------------------------------------------------------------------------------
    def names(self) -> tuple[str, ...]:
        """Every registered name (own and inherited), sorted."""
        own = set(self._factories) | set(self._lazy)
        if self.parent is not None:
            own |= set(self.parent.names())
        return tuple(sorted(own))

    def _find(self, name: str) -> StrategyFactory | None:
        factory = self._factories.get(name)
        if factory is not None:
            return factory
        path = self._lazy.get(name)
        if path is not None:
            cls = _import_strategy(path)
            self._factories[name] = cls
            del self._lazy[name]
            return cls
        return self.parent._find(name) if self.parent is not None else None

    def resolve(self, name: str) -> StrategyFactory:
        """The factory for ``name``; raises :class:`UnknownStrategyError` naming the known names."""
        if not isinstance(name, str):
            raise UnknownStrategyError(f"strategy name must be a str, got {name!r}")
        factory = self._find(name)
        if factory is not None:
            return factory
        if ":" in name:
            return _import_strategy(name)
        known = ", ".join(self.names()) or "(none)"
        raise UnknownStrategyError(f"no strategy registered as {name!r}; known: {known}")

    def schema(self, name: str) -> ParamSchema | None:
        """The parameter schema of ``name`` (``None`` for a factory without one)."""
        return _schema_of(self.resolve(name))

    def schemas(self) -> dict[str, dict[str, Any]]:
        """JSON-able ``{name: {"doc", "params", "constraints"}}`` for every registered name."""
        out: dict[str, dict[str, Any]] = {}
        for name in self.names():
            factory = self.resolve(name)
            s = _schema_of(factory)
            described = s.describe() if s is not None else {"params": None, "constraints": []}
            doc = (getattr(factory, "__doc__", None) or "").strip().split("\n", 1)[0]
            out[name] = {"doc": doc, **described}
        return out

    def validate_params(self, name: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
        """``params`` checked against ``name``'s schema (as given when it has none)."""
        if params is not None and not isinstance(params, Mapping):
            raise ConfigurationError(f"strategy {name!r}: params must be a mapping, got {params!r}")
        s = self.schema(name)
        return dict(params or {}) if s is None else s.validate(name, params)

    def parse_params(self, name: str, raw: Mapping[str, str]) -> dict[str, Any]:
        """Command-line text values (``{"fast": "12"}``) converted by type and validated."""
        s = self.schema(name)
        return dict(raw) if s is None else s.parse(name, raw)

    def create(
        self,
        name: str,
        params: Mapping[str, Any] | None = None,
        strategy_id: StrategyId | str | None = None,
    ) -> Strategy:
        """A new strategy; parameters validated against its schema first (errors name them)."""
        factory = self.resolve(name)
        checked = self.validate_params(name, params)
        sid = StrategyId(strategy_id or name.rsplit(":", 1)[-1])
        strategy = factory(sid, checked)
        if not isinstance(strategy, Strategy):
            raise ConfigurationError(f"strategy {name!r}: factory returned {strategy!r}")
        return strategy


default_registry: StrategyRegistry = StrategyRegistry(parent=None, builtins=BUILTIN_STRATEGIES)


@overload
def register(name: str) -> Callable[[F], F]: ...


@overload
def register(name: str, factory: F) -> F: ...


def register(name: str, factory: F | None = None) -> F | Callable[[F], F]:
    """Add a strategy to the default registry: ``@register("name")`` on a class."""
    if factory is None:
        return default_registry.register(name)
    return default_registry.register(name, factory)


def create(
    name: str, params: Mapping[str, Any] | None = None, strategy_id: str | None = None
) -> Strategy:
    """Build a strategy from the default registry (``name`` or ``"pkg.mod:Class"``)."""
    return default_registry.create(name, params, strategy_id)


def names() -> tuple[str, ...]:
    """Names in the default registry, sorted."""
    return default_registry.names()


def schema(name: str) -> ParamSchema | None:
    return default_registry.schema(name)


def schemas() -> dict[str, dict[str, Any]]:
    """Every registered name with its parameter schema (JSON-able)."""
    return default_registry.schemas()


def parse_params(name: str, raw: Mapping[str, str]) -> dict[str, Any]:
    """``--param k=v`` text values converted and validated for strategy ``name``."""
    return default_registry.parse_params(name, raw)
