"""``ferrotrade backtest``: argument parsing, data loading, the run, the summary and the files.

Settings come from three layers, later ones winning: built-in defaults, ``--config FILE``
(YAML, the keys of ``config/backtest.yaml``), then flags given on the command line.

Exit status: 0 on success; 2 on bad input (unknown strategy, symbol or parameter, a bar file
with a broken row, negative capital, end before start...), with one ``error: ...`` line on
stderr naming the problem. Nothing is written unless the run succeeds: ``--out`` is built in a
temporary sibling directory and renamed into place at the end, ``--json`` is written to a
temporary file and renamed.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any

import numpy as np
import orjson
import yaml

from actors.backtest.config import BacktestConfig
from actors.backtest.engine import BacktestEngine
from actors.data.bars import (
    BarSeries,
    BarStore,
    Timeframe,
    demo_symbols,
    load_demo_bars,
    read_bars_csv,
    resample,
)
from actors.errors import ActorRuntimeError
from actors.reporting.html import write_report
from ferrotrade.errors import FerrotradeError

__all__ = ["BacktestInputError", "add_backtest_arguments", "run_backtest_command"]

log = logging.getLogger("ferrotrade.backtest")

_DAY_NS = 86_400 * 1_000_000_000

#: config-file key -> (argparse dest, type); the YAML file uses these keys.
_CONFIG_KEYS: dict[str, str] = {
    "symbols": "symbol",
    "symbol": "symbol",
    "start": "start",
    "end": "end",
    "timeframe": "timeframe",
    "capital": "capital",
    "position_size": "position_size",
    "slippage_bps": "slippage",
    "commission_bps": "commission",
    "fill_at": "fill_at",
    "max_volume_pct": "max_volume_pct",
    "strategy": "strategy",
    "params": "param",
    "data": "data",
    "host": "host",
    "out": "out",
    "json": "json",
}

_DEFAULTS: dict[str, Any] = {
    "symbol": "AAPL",
    "start": None,
    "end": None,
    "timeframe": "1Day",
    "capital": 100_000.0,
    "position_size": 0.1,
    "slippage": 0.0,
    "commission": 0.0,
    "fill_at": "open",
    "max_volume_pct": None,
    "strategy": "sma_cross",
    "param": None,
    "data": None,
    "host": "deterministic",
    "out": None,
    "json": None,
}


class BacktestInputError(ValueError):
    """Bad command-line or configuration input (exit status 2)."""


def add_backtest_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``backtest`` flags to ``parser`` (every default is None: see the module doc)."""
    a = parser.add_argument
    a("--symbol", help="symbol, or several comma-separated (default AAPL)")
    a("--start", help="first date, YYYY-MM-DD (inclusive)")
    a("--end", help="last date, YYYY-MM-DD (inclusive)")
    a("--timeframe", help="bar timeframe, e.g. 1Day, 1Hour, 1Min (finer data is resampled)")
    a("--capital", type=float, help="initial capital (default 100000)")
    a("--position-size", type=float, help="fraction of equity per position (default 0.1)")
    a("--slippage", type=float, help="slippage in basis points against each fill (default 0)")
    a("--commission", type=float, help="commission in basis points of notional (default 0)")
    a(
        "--fill-at",
        choices=("open", "close", "vwap"),
        help="open (default): fill at the NEXT bar's open; close: fill at the close of the bar "
        "the strategy just saw (trading on the observed bar)",
    )
    a("--max-volume-pct", type=float, help="cap each bar's fills at this share of its volume")
    a("--strategy", help="registered strategy name (default sma_cross)")
    a(
        "--param",
        action="append",
        metavar="KEY=VALUE",
        help="strategy parameter (repeatable), e.g. --param fast=12",
    )
    a("--data", help="CSV file, directory of SYMBOL.csv, or a .sqlite bar store (default: demo)")
    a("--host", choices=("deterministic", "actors"), help="deterministic (default) or actors")
    a("--out", help="directory for report.html and report.json")
    a("--json", help="write {'results': ..., 'run': ...} to this file")
    a("--config", help="YAML file of settings (see config/backtest.yaml)")
    a("-v", "--verbose", action="store_true", help="more detail on stderr")


# -- settings ----------------------------------------------------------------------------------


def _load_config(path: str) -> dict[str, Any]:
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BacktestInputError(f"config file {path} does not exist") from None
    except yaml.YAMLError as exc:
        raise BacktestInputError(f"config file {path} is not valid YAML: {exc}") from None
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise BacktestInputError(f"config file {path}: expected a mapping of settings")
    unknown = sorted(set(raw) - set(_CONFIG_KEYS))
    if unknown:
        raise BacktestInputError(
            f"config file {path}: unknown keys {unknown}; known: {sorted(_CONFIG_KEYS)}"
        )
    out: dict[str, Any] = {}
    for key, value in raw.items():
        dest = _CONFIG_KEYS[key]
        if dest == "symbol" and isinstance(value, list):
            value = ",".join(str(v) for v in value)
        if dest == "param":
            if value is None:
                value = {}
            if not isinstance(value, Mapping):
                raise BacktestInputError(f"config file {path}: params must be a mapping")
            value = dict(value)
        if dest in ("start", "end") and isinstance(value, date):
            value = value.isoformat()
        out[dest] = value
    return out


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    s = dict(_DEFAULTS)
    if getattr(args, "config", None):
        s.update(_load_config(args.config))
    for key in _DEFAULTS:
        v = getattr(args, key, None)
        if v is not None:
            if key == "param":
                base = s.get("param") or {}
                s["param"] = {**(base if isinstance(base, Mapping) else {}), **_parse_kv(v)}
            else:
                s[key] = v
    return s


def _parse_kv(items: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise BacktestInputError(f"--param {item!r}: expected KEY=VALUE")
        out[key.strip()] = value.strip()
    return out


def _date_ns(text: Any, flag: str) -> int:
    try:
        d = date.fromisoformat(str(text))
    except ValueError:
        raise BacktestInputError(f"{flag} {text!r}: expected a date YYYY-MM-DD") from None
    return int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp()) * 1_000_000_000


def _strategy_params(name: str, raw: Mapping[str, Any] | None) -> dict[str, Any]:
    from strategies import registry

    raw = dict(raw or {})
    if all(isinstance(v, str) for v in raw.values()):
        return registry.parse_params(name, raw)
    return registry.default_registry.validate_params(name, raw)


# -- data --------------------------------------------------------------------------------------


def _load_bars(
    data: str | None, symbols: list[str], timeframe: Timeframe, start: int | None, end: int | None
) -> dict[str, BarSeries]:
    series: dict[str, BarSeries] = {}
    if data is None:
        available = demo_symbols()
        unknown = [s for s in symbols if s not in available]
        if unknown:
            raise BacktestInputError(
                f"unknown symbol {', '.join(unknown)}: the demo data has {', '.join(available)}"
            )
        series = load_demo_bars(symbols)
    else:
        path = Path(data)
        if not path.exists():
            raise BacktestInputError(f"--data {data}: no such file or directory")
        if path.is_dir():
            for sym in symbols:
                f = path / f"{sym}.csv"
                if not f.is_file():
                    have = sorted(p.stem for p in path.glob("*.csv"))
                    raise BacktestInputError(
                        f"unknown symbol {sym}: no {f.name} in {path} (have: {', '.join(have)})"
                    )
                series[sym] = read_bars_csv(f, sym)
        elif path.suffix.lower() in (".sqlite", ".sqlite3", ".db"):
            with BarStore(path) as store:
                for sym in symbols:
                    tfs = store.timeframes(sym)
                    if not tfs:
                        raise BacktestInputError(f"unknown symbol {sym}: not in bar store {path}")
                    tf = timeframe if timeframe in tfs else min(tfs, key=lambda t: t.rank)
                    series[sym] = store.read(sym, tf, start, end)
        else:
            if len(symbols) != 1:
                raise BacktestInputError(f"--data {data} is one CSV file: give exactly one symbol")
            series[symbols[0]] = read_bars_csv(path, symbols[0])
    out: dict[str, BarSeries] = {}
    for sym, s in series.items():
        if s.timeframe is not timeframe:
            if not s.timeframe.can_resample_to(timeframe):
                raise BacktestInputError(
                    f"{sym}: data is {s.timeframe.value}, cannot make {timeframe.value} bars"
                )
            s = resample(s, timeframe)
        s = s.between(start, end)
        if len(s) == 0:
            raise BacktestInputError(f"{sym}: no bars between the requested dates")
        out[sym] = s
    return out


# -- output ------------------------------------------------------------------------------------


class _ProgressBar:
    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.last = -1

    def __call__(self, done: int, total: int) -> None:
        pct = int(100 * done / total) if total else 100
        if pct == self.last:
            return
        self.last = pct
        filled = pct * 30 // 100
        self.stream.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {pct:3d}% {done:,}/{total:,}")
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()


def _summary(results: Mapping[str, Any], run: Mapping[str, Any]) -> str:
    m = results.get("metrics") or {}

    def pct(v: Any) -> str:
        return "n/a" if v is None else f"{v * 100:.2f}%"

    def num(v: Any, fmt: str = ",.2f") -> str:
        return "n/a" if v is None else format(v, fmt)

    rows = [
        ("Strategy", f"{results['strategy']} {results['params']}"),
        ("Symbols", results["symbol"]),
        ("Period", f"{results['start'][:10]} .. {results['end'][:10]} ({results['timeframe']})"),
        ("Bars", f"{results['bar_count']:,}"),
        ("Execution", results["execution"]["timing"]),
        ("Initial capital", num(results["initial_capital"])),
        ("Final value", num(results["final_value"])),
        ("Total return", f"{results['total_return_pct']:.2f}%"),
        ("Annualized return", pct(m.get("annualized_return"))),
        ("Sharpe / Sortino", f"{num(m.get('sharpe'), '.2f')} / {num(m.get('sortino'), '.2f')}"),
        ("Max drawdown", pct(m.get("max_drawdown"))),
        ("Trades (round trips)", str(results["total_trades"])),
        ("Win rate", pct(m.get("win_rate"))),
        ("Profit factor", num(m.get("profit_factor"), ".2f")),
        ("Fees", num(results["fees"])),
        ("Host", f"{run['host']} ({run['engine_path']} path)"),
        ("Wall time", f"{run['run_seconds']:.2f} s ({run['bars_per_second']:,.0f} bars/s)"),
    ]
    width = max(len(k) for k, _ in rows)
    line = "-" * (width + 50)
    body = "\n".join(f"{k:<{width}}  {v}" for k, v in rows)
    return f"{line}\n{body}\n{line}"


def _versions() -> dict[str, str]:
    from ferrotrade import __version__

    return {
        "ferrotrade": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "platform": platform.platform(),
    }


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _atomic_dir(
    final: Path,
    results: Mapping[str, Any],
    run: Mapping[str, Any],
    extra_files: Sequence[Path] = (),
) -> None:
    """Write the report (and move ``extra_files`` in) under a temporary name, then rename:
    ``final`` is either the old directory or the complete new one, never a part."""
    final = final.resolve()
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-", dir=final.parent))
    try:
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes it private; the result is not
        write_report(results, tmp, run)
        for path in extra_files:
            shutil.move(path, tmp / path.name)
        old: Path | None = None
        if final.exists():
            old = final.with_name(f".{final.name}.old-{os.getpid()}")
            os.replace(final, old)
        os.replace(tmp, final)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _atomic_file(final: Path, payload: bytes) -> None:
    final = final.resolve()
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{final.name}.tmp-", dir=final.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.chmod(name, 0o666 & ~_umask())
        os.replace(name, final)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


# -- the command -------------------------------------------------------------------------------


def _prepare(args: argparse.Namespace) -> tuple[dict[str, Any], BacktestConfig]:
    s = _settings(args)
    symbols = [x.strip().upper() for x in str(s["symbol"]).split(",") if x.strip()]
    if not symbols:
        raise BacktestInputError("--symbol: give at least one symbol")
    if len(set(symbols)) != len(symbols):
        raise BacktestInputError(f"--symbol {s['symbol']}: a symbol is repeated")
    start = _date_ns(s["start"], "--start") if s["start"] is not None else None
    end = _date_ns(s["end"], "--end") if s["end"] is not None else None
    if start is not None and end is not None and end < start:
        raise BacktestInputError(f"--end {s['end']} is before --start {s['start']}")
    try:
        timeframe = Timeframe.parse(str(s["timeframe"]))
    except (ValueError, FerrotradeError) as exc:
        raise BacktestInputError(f"--timeframe {s['timeframe']!r}: {exc}") from None
    capital = float(s["capital"])
    if not capital > 0:
        raise BacktestInputError(f"--capital {s['capital']}: must be a positive amount")
    params = _strategy_params(str(s["strategy"]), s["param"])
    config = BacktestConfig(
        strategy=str(s["strategy"]),
        params=params,
        initial_capital=capital,
        position_size=float(s["position_size"]),
        slippage_bps=float(s["slippage"]),
        fee_bps=float(s["commission"]),
        fill_at=s["fill_at"],
        max_volume_pct=None if s["max_volume_pct"] is None else float(s["max_volume_pct"]),
        host=s["host"],
    )
    prep = {
        "settings": s,
        "symbols": symbols,
        "start": start,
        "end": None if end is None else end + _DAY_NS,  # inclusive end date
        "timeframe": timeframe,
    }
    return prep, config


def run_backtest_command(args: argparse.Namespace) -> int:
    """Run ``ferrotrade backtest``; returns the exit status (0 ok, 2 bad input)."""
    verbose = bool(getattr(args, "verbose", False))
    if verbose:
        logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    t0 = time.perf_counter()
    log_dirs: list[Path] = []  # the actor host's message log, moved into --out at the end
    try:
        return _run_backtest(args, t0, verbose, log_dirs)
    finally:
        for log_dir in log_dirs:
            shutil.rmtree(log_dir, ignore_errors=True)


def _run_backtest(args: argparse.Namespace, t0: float, verbose: bool, log_dirs: list[Path]) -> int:
    try:
        prep, config = _prepare(args)
        s = prep["settings"]
        bars = _load_bars(s["data"], prep["symbols"], prep["timeframe"], prep["start"], prep["end"])
        t_load = time.perf_counter()
        if s["out"] and config.host == "actors":
            log_dirs.append(Path(tempfile.mkdtemp(prefix="ferrotrade-messages-")))
            config = dataclasses.replace(config, message_log_dir=str(log_dirs[0]))
        engine = BacktestEngine(config)
        total = sum(len(b) for b in bars.values())
        progress = _ProgressBar(sys.stderr) if sys.stderr.isatty() and total >= 20_000 else None
        results = engine.run(bars, progress)
    except (
        BacktestInputError,
        ActorRuntimeError,  # unknown strategy, bad parameters, bad config values
        FerrotradeError,  # bad bar files (file and line named), bad data parameters
        ValueError,
        OSError,
    ) as exc:
        msg = str(exc).strip("'\"") if isinstance(exc, KeyError) else str(exc)
        print(f"error: {msg}", file=sys.stderr)
        return 2
    t_run = time.perf_counter()
    run = {
        "host": config.host,
        "engine_path": engine.last_path,
        "load_seconds": t_load - t0,
        "run_seconds": t_run - t_load,
        "bars_per_second": results["bar_count"] / max(t_run - t_load, 1e-9),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "argv": sys.argv[1:],
        "settings": {k: v for k, v in s.items() if k not in ("out", "json")},
        "versions": _versions(),
    }
    try:
        if s["out"]:
            logs = [d / "messages.jsonl" for d in log_dirs if (d / "messages.jsonl").exists()]
            _atomic_dir(Path(s["out"]), results, run, logs)
        if s["json"]:
            payload = orjson.dumps(
                {"results": results, "run": run}, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS
            )
            _atomic_file(Path(s["json"]), payload)
    except OSError as exc:
        print(f"error: cannot write output: {exc}", file=sys.stderr)
        return 2
    print(_summary(results, run))
    if verbose:
        rec = results["reconciliation"]
        log.info("reconciliation: %s (%d fills)", "ok" if rec["ok"] else rec["drift"], rec["fills"])
        if s["out"]:
            log.info("report: %s", Path(s["out"]) / "report.html")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry point (``python -m actors.backtest.cli``) until the CLI wires it."""
    parser = argparse.ArgumentParser(prog="ferrotrade backtest", description=__doc__)
    add_backtest_arguments(parser)
    return run_backtest_command(parser.parse_args(argv))


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
