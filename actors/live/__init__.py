"""Live trading: configuration, the engine (dry-run, paper, live) and its CLI.

- :mod:`actors.live.config`: :class:`LiveEngineConfig` and its sections (YAML and environment);
- :mod:`actors.live.engine`: :class:`LiveTradingEngine` on the actor host;
- :mod:`actors.live.components`: the live strategy gate (breaker skip, dedup), the audit trail,
  the JSONL log and the venue poll;
- :mod:`actors.live.reconcile`: start-up reconciliation with the broker;
- :mod:`actors.live.cli`: ``ferrotrade live``.

Importing this package has no side effects (the SDK is imported by the modules that use it).
"""

from actors.live.config import (
    AlpacaConfig,
    LiveConfigError,
    LiveEngineConfig,
    RiskConfig,
    StopLossConfig,
    TradingConfig,
)

__all__ = [
    "AlpacaConfig",
    "LiveConfigError",
    "LiveEngineConfig",
    "RiskConfig",
    "StopLossConfig",
    "TradingConfig",
]
