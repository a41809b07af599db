"""The Strategy interface: market snapshots in, signals out.

A strategy is plain, single-threaded logic hosted by the strategy component. It never imports a
broker SDK, never reads the wall clock (use ``snapshot.ts_event``) and never sends messages
itself: it returns :class:`Signal` values and the host stamps and routes them. Signals may leave
the envelope (ids, timestamps) and ``strategy_id`` empty; the component fills them in.

A subclass that declares ``parameters`` (a :class:`strategies.params.ParamSchema`) gets its
``params`` validated in ``__init__``: defaults filled in, unknown names, wrong types and
out-of-range values refused with an error naming the parameter. Without a schema, ``params`` is
taken as given (the subclass checks it).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from actors.ids import StrategyId
from actors.messages import MarketSnapshot, OrderEvent, Signal
from strategies.params import ParamSchema

__all__ = ["Strategy", "StrategyParams"]

StrategyParams = Mapping[str, Any]


class Strategy(ABC):
    """Subclass and implement :meth:`generate_signals`; the other hooks are optional."""

    #: Declared parameters; ``None`` means "no schema, accept params as given".
    parameters: ClassVar[ParamSchema | None] = None
    #: True when the strategy's state stays bounded however long it runs (fixed windows,
    #: streaming indicators, per-symbol values). Supervision may then checkpoint the strategy
    #: component instead of journaling every snapshot for a restart; a strategy that keeps a
    #: growing history leaves it False, since a checkpoint would copy that history each time.
    bounded_state: ClassVar[bool] = False

    def __init__(self, strategy_id: StrategyId, params: StrategyParams | None = None) -> None:
        self.strategy_id = strategy_id
        schema = type(self).parameters
        if schema is None:
            self.params: dict[str, Any] = dict(params or {})
        else:
            self.params = schema.validate(type(self).__name__, params)

    @abstractmethod
    def generate_signals(self, snapshot: MarketSnapshot) -> Sequence[Signal]:
        """Signals caused by ``snapshot`` (empty when nothing to do)."""

    def on_start(self) -> None:  # noqa: B027 - optional hook
        """Called when the strategy enters RUNNING from STOPPED or ERROR."""

    def on_stop(self) -> None:  # noqa: B027 - optional hook
        """Called when the strategy enters STOPPED."""

    def on_order_event(self, event: OrderEvent) -> None:  # noqa: B027 - optional hook
        """Order events (accepted, fills, rejections...) for this strategy's orders."""
