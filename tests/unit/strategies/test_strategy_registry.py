"""Strategy registry: names, schemas, creation, user registration and precise errors."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence

import pytest

from actors.clock import SimulatedClock
from actors.errors import ConfigurationError, UnknownStrategyError
from actors.ids import StrategyId
from actors.lifecycle import StrategyStatus
from actors.messages import LoadStrategy, LogEntry, LogLevel, MarketSnapshot, Signal
from actors.strategy import StrategyComponent, StrategyRegistry, StrategyRunner
from strategies import registry as reg
from strategies.base import Strategy
from strategies.params import (
    Param,
    ParameterTypeError,
    ParameterValueError,
    ParamSchema,
    StrategyParameterError,
    UnknownParameterError,
)
from strategies.sma_cross import SMACrossStrategy


class Breakout(Strategy):
    """A user strategy declared outside the package."""

    parameters = ParamSchema((Param("window", int, 20, ge=2),))

    def generate_signals(self, snapshot: MarketSnapshot) -> Sequence[Signal]:
        return ()


@pytest.fixture
def user_name() -> Iterator[str]:
    yield "test_breakout"
    if "test_breakout" in reg.default_registry:
        reg.default_registry.unregister("test_breakout")


def test_builtin_names_and_schemas() -> None:
    assert {"sma_cross", "macd", "momentum", "alpha"} <= set(reg.names())
    schemas = reg.schemas()
    json.dumps(schemas)  # JSON-able
    assert list(schemas["sma_cross"]["params"]) == ["fast", "slow", "allow_short"]
    assert list(schemas["macd"]["params"]) == ["fast", "slow", "signal", "allow_short"]
    assert list(schemas["momentum"]["params"]) == ["lookback", "threshold", "allow_short"]
    assert list(schemas["alpha"]["params"])[:3] == ["factor", "top_k", "rebalance_every"]
    assert schemas["sma_cross"]["params"]["fast"] == {
        "type": "int",
        "default": 10,
        "ge": 1,
        "doc": "bars in the fast SMA",
    }
    assert schemas["sma_cross"]["constraints"] == ["fast must be < slow"]
    assert schemas["alpha"]["params"]["factor"]["choices"] == ["momentum", "low_volatility"]


def test_create_fills_defaults_and_uses_the_name_as_id() -> None:
    s = reg.create("sma_cross", {"fast": 5})
    assert isinstance(s, SMACrossStrategy)
    assert s.params == {"fast": 5, "slow": 30, "allow_short": False}
    assert s.strategy_id == "sma_cross"
    assert reg.create("sma_cross", None, "mine").strategy_id == "mine"


def test_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(UnknownStrategyError, match="'smacross'; known: alpha, macd") as exc:
        reg.create("smacross")
    assert isinstance(exc.value, KeyError)


@pytest.mark.parametrize(
    ("name", "params", "error", "parameter", "text"),
    [
        ("sma_cross", {"fats": 5}, UnknownParameterError, "fats", "known: fast, slow, allow_short"),
        ("sma_cross", {"fast": 2.5}, ParameterTypeError, "fast", "must be int, got float"),
        ("sma_cross", {"fast": True}, ParameterTypeError, "fast", "must be int, got bool"),
        ("sma_cross", {"allow_short": "yes"}, ParameterTypeError, "allow_short", "must be bool"),
        ("sma_cross", {"fast": 0}, ParameterValueError, "fast", "must be >= 1"),
        ("sma_cross", {"fast": 30, "slow": 20}, ParameterValueError, "fast", r"< slow \(20\)"),
        ("macd", {"slow": 1}, ParameterValueError, "slow", "must be >= 2"),
        ("momentum", {"threshold": float("nan")}, ParameterValueError, "threshold", "finite"),
        ("momentum", {"lookback": 0}, ParameterValueError, "lookback", "must be >= 1"),
        ("alpha", {"top_k": 0}, ParameterValueError, "top_k", "must be >= 1"),
        ("alpha", {"factor": 1}, ParameterTypeError, "factor", "must be str"),
    ],
)
def test_parameter_errors_name_the_parameter(
    name: str, params: dict[str, object], error: type[Exception], parameter: str, text: str
) -> None:
    with pytest.raises(error, match=text) as exc:
        reg.create(name, params)
    err = exc.value
    assert isinstance(err, StrategyParameterError)
    assert isinstance(err, ConfigurationError)
    assert (err.strategy, err.parameter) == (name, parameter)
    assert f"parameter {parameter!r}" in str(err)


def test_type_errors_are_type_errors_and_ranges_value_errors() -> None:
    with pytest.raises(TypeError):
        reg.create("sma_cross", {"fast": "5"})
    with pytest.raises(ValueError, match="fast"):
        reg.create("sma_cross", {"fast": 50})


def test_direct_construction_validates_too() -> None:
    with pytest.raises(ParameterValueError, match="'SMACrossStrategy': parameter 'fast'"):
        SMACrossStrategy(StrategyId("x"), {"fast": 9, "slow": 9})


def test_params_must_be_a_mapping() -> None:
    with pytest.raises(ConfigurationError, match="params must be a mapping"):
        reg.create("sma_cross", [("fast", 5)])  # type: ignore[arg-type]


def test_parse_params_from_command_line_text() -> None:
    assert reg.parse_params("sma_cross", {"fast": "12", "allow_short": "true"}) == {
        "fast": 12,
        "slow": 30,
        "allow_short": True,
    }
    assert reg.parse_params("alpha", {"universe": "AAA, BBB", "top_k": "2"})["universe"] == (
        "AAA",
        "BBB",
    )
    with pytest.raises(ParameterTypeError, match=r"'fast'='12\.5': cannot parse as int"):
        reg.parse_params("sma_cross", {"fast": "12.5"})
    with pytest.raises(ParameterTypeError, match="'allow_short'='maybe'"):
        reg.parse_params("sma_cross", {"allow_short": "maybe"})
    with pytest.raises(UnknownParameterError, match="'speed'"):
        reg.parse_params("sma_cross", {"speed": "1"})


def test_user_registration_by_decorator(user_name: str) -> None:
    decorated = reg.register(user_name)(Breakout)
    assert decorated is Breakout
    assert user_name in reg.names()
    s = reg.create(user_name, {"window": 55})
    assert isinstance(s, Breakout)
    assert s.params == {"window": 55}
    assert reg.schemas()[user_name]["params"]["window"]["ge"] == 2
    with pytest.raises(ParameterValueError, match=f"'{user_name}': parameter 'window'=1"):
        reg.create(user_name, {"window": 1})
    with pytest.raises(ConfigurationError, match="already registered"):
        reg.register(user_name, Breakout)
    # a runtime registry inherits what was registered globally
    assert isinstance(StrategyRegistry().create(user_name), Breakout)


def test_builtin_names_cannot_be_taken() -> None:
    with pytest.raises(ConfigurationError, match="'sma_cross' is already registered"):
        reg.register("sma_cross", Breakout)
    with pytest.raises(ConfigurationError, match="'sma_cross' is already registered"):
        StrategyRegistry({"sma_cross": Breakout})
    with pytest.raises(ConfigurationError, match="without ':'"):
        reg.register("a:b", Breakout)


def test_module_path_names_import_on_demand() -> None:
    s = reg.create("test_strategy_registry:Breakout", {"window": 3})
    assert isinstance(s, Breakout)
    assert s.strategy_id == "Breakout"
    with pytest.raises(UnknownStrategyError, match="cannot import"):
        reg.create("no_such_module_xyz:Thing")
    with pytest.raises(UnknownStrategyError, match="not a Strategy subclass"):
        reg.create("json:dumps")


def test_local_registry_without_schema_passes_params_through() -> None:
    class Loose(Strategy):
        def generate_signals(self, snapshot: MarketSnapshot) -> Sequence[Signal]:
            return ()

    local = StrategyRegistry({"loose": Loose}, parent=None)
    assert local.names() == ("loose",)
    assert local.schema("loose") is None
    assert local.create("loose", {"anything": 1}).params == {"anything": 1}
    assert local.schemas()["loose"]["params"] is None
    with pytest.raises(UnknownStrategyError):
        local.create("sma_cross")  # no parent: built-ins are not visible


def test_runner_loads_builtins_by_name_with_validation() -> None:
    runner = StrategyRunner()
    sid = runner.load_strategy("sma_cross", {"fast": 3, "slow": 7})
    assert sid == "sma_cross-1"
    assert runner.slot(sid).strategy.params["slow"] == 7
    with pytest.raises(ParameterValueError, match="'fast'"):
        runner.load_strategy("sma_cross", {"fast": 7, "slow": 3})


def test_component_reports_a_bad_parameter_as_an_error_log() -> None:
    comp = StrategyComponent("strategy", SimulatedClock(0))
    (log,) = comp.handle(
        LoadStrategy(strategy_id=StrategyId("s1"), name="macd", params=(("fast", 30),))
    )
    assert isinstance(log, LogEntry)
    assert log.level is LogLevel.ERROR
    assert "parameter 'fast'=30: must be < slow (26)" in log.message
    (ok,) = comp.handle(
        LoadStrategy(strategy_id=StrategyId("s2"), name="macd", params=(("fast", 3),))
    )
    assert comp.runner.status(StrategyId("s2")) is StrategyStatus.STOPPED
    assert not isinstance(ok, LogEntry)


def test_runtime_load_strategy_names_the_bad_parameter_in_the_callers_thread() -> None:
    from actors.config import RuntimeConfig
    from actors.runtime import Runtime
    from strategies.params import ParameterValueError

    with Runtime(RuntimeConfig(host="deterministic")) as runtime:
        with pytest.raises(ParameterValueError, match="fast"):
            runtime.load_strategy("sma_cross", {"fast": 30, "slow": 20})
        assert runtime.strategy_statuses() == {}
