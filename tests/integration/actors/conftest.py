"""Runtime fixtures: every runtime a test builds is stopped, even when the test fails."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from actors.config import RuntimeConfig, StrategySpec
from actors.runtime import Runtime
from actors.testing import sample_registry

MakeRuntime = Callable[..., Runtime]


@pytest.fixture
def make_runtime() -> Iterator[MakeRuntime]:
    built: list[Runtime] = []

    def make(mapping: dict[str, Any] | None = None, **overrides: Any) -> Runtime:
        if mapping is not None:  # the seed API: initialize(config) from plain data
            rt = Runtime.initialize(mapping)
            built.append(rt)
            return rt
        kw: dict[str, Any] = {
            "strategy_registry": sample_registry(),
            "strategies": (
                StrategySpec("flip", {"period": 3}, strategy_id="flip-a"),
                StrategySpec("target", {"size": 5}, strategy_id="target-b"),
            ),
        }
        kw.update(overrides)
        rt = Runtime(RuntimeConfig(**kw))
        built.append(rt)
        return rt

    yield make
    for rt in reversed(built):
        rt.stop()
