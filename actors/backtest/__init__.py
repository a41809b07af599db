"""Bar backtests through the actor components: the engine, its configuration, the
command line (``actors.backtest.cli``) and the HTML/JSON report (``actors.reporting.html``).

Nothing here does work at import time.
"""

from actors.backtest.config import BacktestConfig, BacktestConfigError
from actors.backtest.engine import BacktestEngine, Progress, run_backtest

__all__ = [
    "BacktestConfig",
    "BacktestConfigError",
    "BacktestEngine",
    "Progress",
    "run_backtest",
]
