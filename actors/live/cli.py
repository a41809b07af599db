"""``ferrotrade live``: run the live engine from the command line.

``add_live_arguments(parser)`` adds the flags; ``run_live_command(args)`` runs and returns the
exit code (0 clean stop, 1 engine failure, 2 bad configuration or refused mode). Settings come
from ``--config`` (YAML), then the environment (``ALPACA_*``, ``TRADING_*``, ``RISK_*``,
``STOPLOSS_*``), then the flags. The mode flags are exclusive: ``--dry-run``, ``--paper``,
``--live``; without one the configuration decides, except that a live configuration still needs
``--live`` (and ``--live`` needs a live configuration). SIGINT and SIGTERM stop the engine
cleanly (orders audited, logs flushed, health marked stopped).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from types import FrameType

from actors.errors import ConfigurationError
from actors.live.config import LiveConfigError, LiveEngineConfig, Scalar, parse_scalar

__all__ = ["add_live_arguments", "main", "run_live_command"]

log = logging.getLogger(__name__)


def add_live_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``ferrotrade live`` flags to ``parser``."""
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--dry-run", action="store_true", help="historical replay, simulated fills")
    mode.add_argument("--paper", action="store_true", help="real-time data, Alpaca paper orders")
    mode.add_argument(
        "--live", action="store_true", help="real orders (the config must say live too)"
    )
    parser.add_argument(
        "--config", type=Path, default=None, help="YAML (e.g. config/live_trading.yaml)"
    )
    parser.add_argument("--symbols", default=None, help="comma-separated, e.g. AAPL,MSFT")
    parser.add_argument("--strategy", default=None, help="registered strategy name")
    parser.add_argument(
        "--param", action="append", default=[], metavar="K=V", help="strategy parameter (repeat)"
    )
    parser.add_argument("--replay-days", type=int, default=None, help="dry-run: days replayed")
    parser.add_argument("--store", type=Path, default=None, help="SQLite bar store (cache/replay)")
    parser.add_argument("--out", type=Path, default=Path("runs/live"), help="run directory")
    parser.add_argument("--duration", type=float, default=None, help="stop after SECONDS")


def _params(items: Sequence[str]) -> tuple[tuple[str, Scalar], ...]:
    out: list[tuple[str, Scalar]] = []
    for item in items:
        k, sep, v = item.partition("=")
        if not sep or not k.strip():
            raise LiveConfigError("--param", f"expected K=V, got {item!r}")
        out.append((k.strip(), parse_scalar(v.strip())))
    return tuple(out)


def build_config(args: argparse.Namespace) -> LiveEngineConfig:
    """Config file, then environment, then flags."""
    cfg = LiveEngineConfig.load(args.config)
    t = cfg.trading
    changes: dict[str, object] = {}
    if args.symbols:
        changes["symbols"] = tuple(s for s in args.symbols.split(",") if s.strip())
    if args.strategy:
        changes["strategy"] = args.strategy
        if not args.param:
            changes["strategy_params"] = ()
    if args.param:
        changes["strategy_params"] = _params(args.param)
    if args.replay_days is not None:
        changes["replay_days"] = args.replay_days
    if changes:
        t = replace(t, **changes)  # type: ignore[arg-type]
    cfg = replace(cfg, trading=t)
    if args.dry_run:
        cfg = cfg.with_mode("dry-run")
    elif args.paper:
        cfg = cfg.with_mode("paper")
    return cfg


def run_live_command(args: argparse.Namespace) -> int:
    """Run the engine as the flags say; returns the process exit code."""
    from actors.live.engine import LiveTradingEngine

    try:
        cfg = build_config(args)
        engine = LiveTradingEngine(
            cfg,
            out_dir=args.out,
            live_confirmed=bool(args.live),
            store_path=args.store,
            freeze_gc=True,  # this process is the engine's: keep start-up out of the GC
        )
    except (ConfigurationError, ValueError) as exc:
        print(f"ferrotrade live: {exc}", file=sys.stderr)
        return 2

    def on_signal(signum: int, frame: FrameType | None) -> None:
        engine.request_stop()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        print(f"ferrotrade live: {engine.mode} mode, run directory {args.out}", flush=True)
        code = engine.run(duration_s=args.duration)
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
    st = engine.stats
    print(f"ferrotrade live: stopped ({engine.status}) after {st.ticks} ticks", flush=True)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ferrotrade live", description=__doc__.split("\n")[0])
    add_live_arguments(parser)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    return run_live_command(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
