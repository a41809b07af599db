"""The ``ferrotrade`` command line.

Exit status: 0 on success, 1 when a check failed (e.g. LOBSTER mismatches), 2 on bad input
(the message names the problem; nothing is written).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from ferrotrade.errors import FerrotradeError

__all__ = ["main"]


def _print_json(payload: Any) -> None:
    sys.stdout.write(orjson.dumps(payload, option=orjson.OPT_INDENT_2).decode() + "\n")


def _lobster_replay(args: argparse.Namespace) -> int:
    from ferrotrade.lobster import load_sample, replay_sample

    sample = load_sample(args.paths[0], args.paths[1] if len(args.paths) > 1 else None, args.levels)
    stats = replay_sample(sample)
    if args.json:
        _print_json(stats)
    else:
        print(f"LOBSTER replay of {stats['file']} ({stats['levels']} levels)")
        print(f"  messages          {stats['messages']:>12,}")
        print(f"  rows checked      {stats['rows_checked']:>12,}")
        print(f"  rows matched      {stats['rows_matched']:>12,}")
        print(f"  levels revealed   {stats['levels_revealed']:>12,}")
        print(f"  mismatches        {stats['mismatches']:>12,}")
        print(f"  replay + check    {stats['msgs_per_s']:>12,.0f} msgs/s")
        print(f"  with CSV parsing  {stats['end_to_end_msgs_per_s']:>12,.0f} msgs/s")
        if stats["first_mismatch"] is not None:
            print(f"  first mismatch    {stats['first_mismatch']}")
    return 0 if stats["mismatches"] == 0 else 1


def _bench_matching(args: argparse.Namespace) -> int:
    from ferrotrade.bench_matching import run_matching_benchmark

    if args.ops < 1000:
        raise SystemExit("ferrotrade: --ops must be at least 1000")
    result = run_matching_benchmark(ops=args.ops, seed=args.seed, repeats=args.repeats)
    if args.json:
        _print_json(result)
        return 0
    print(
        f"Matching benchmark: {result['ops']:,} ops, seed {result['seed']}, {result['statistic']}"
    )
    for label, key in [
        ("native (Rust)", "native_ops_per_s"),
        ("batch API", "batch_ops_per_s"),
        ("per-call API", "per_call_ops_per_s"),
        ("baseline (pure Python)", "baseline_ops_per_s"),
    ]:
        ratio = result[key] / result["baseline_ops_per_s"]
        print(f"  {label:<24}{result[key]:>14,.0f} ops/s  {ratio:>7.1f}x baseline")
    lat = result["latency_ns"]
    print(f"  native latency p50 {lat['p50']} ns, p99 {lat['p99']} ns, p99.9 {lat['p999']} ns")
    machine = result["machine"]
    print(
        f"  machine: {machine['cpu']}, {machine['cores']} cores, {machine['rustc']}, "
        f"Python {machine['python']}"
    )
    return 0


def _bench_actors(args: argparse.Namespace) -> int:
    from actors.bench import run_actor_benchmark
    from ferrotrade.machine import describe_machine

    if args.messages < 100 or args.latency_samples < 10:
        raise SystemExit("ferrotrade: --messages must be >= 100 and --latency-samples >= 10")
    result = run_actor_benchmark(messages=args.messages, latency_samples=args.latency_samples)
    result["machine"] = describe_machine()
    if args.json:
        _print_json(result)
        return 0
    print("Actor pipeline benchmark (data -> strategy -> risk -> execution -> portfolio)")
    bare = result["bare_pykka_msgs_per_s"]
    calls = result["function_calls_per_s"]
    for label, key in [
        ("deterministic host", "deterministic_msgs_per_s"),
        ("actor host", "actor_msgs_per_s"),
        ("actor host, lockstep", "actor_lockstep_msgs_per_s"),
        ("forwarding job: actor host", "actor_host_forwarding_msgs_per_s"),
        ("forwarding job: determ. host", "deterministic_forwarding_msgs_per_s"),
        ("forwarding job: bare Pykka", "bare_pykka_msgs_per_s"),
    ]:
        print(f"  {label:<30}{result[key]:>14,.0f} msgs/s   {result[key] / bare:.2f}x bare Pykka")
    print(f"  {'plain function calls':<30}{calls:>14,.0f} msgs/s   {calls / bare:.0f}x bare Pykka")
    bare_p50 = result["bare_pykka_tick_to_order_us"]["p50"]
    for label, key in [
        ("tick-to-order, actor host", "tick_to_order_us"),
        ("forwarding, actor host", "actor_host_forwarding_latency_us"),
        ("bare Pykka, 4 hops (baseline)", "bare_pykka_tick_to_order_us"),
    ]:
        lat = result[key]
        print(
            f"  {label:<30}p50 {lat['p50']:>5.0f} us  p99 {lat['p99']:>5.0f} us  "
            f"p99.9 {lat['p999']:>5.0f} us   p50 {lat['p50'] / bare_p50:.2f}x bare Pykka"
        )
    ratios = result["ratios"]
    print(
        f"  deterministic / actor host: {ratios['deterministic_over_actor_throughput']:.2f}x "
        f"(real components), {ratios['deterministic_over_actor_forwarding_throughput']:.2f}x "
        "(forwarding job)"
    )
    return 0


def _backtest(args: argparse.Namespace) -> int:
    from actors.backtest.cli import run_backtest_command

    return run_backtest_command(args)


def _bench_backtest(args: argparse.Namespace) -> int:
    from actors.backtest.bench import run_backtest_benchmark
    from ferrotrade.machine import describe_machine

    if args.bars < 1000:
        raise SystemExit("ferrotrade: --bars must be at least 1000")
    small = min(args.bars, 200_000)
    result = run_backtest_benchmark(
        bars=args.bars,
        runtime_bars=min(small, 100_000),
        actor_bars=min(small, 20_000),
        per_bar_bars=small,
        peer_bars=small,
    )
    if args.portfolio_data is not None:
        from actors.backtest.portfolio_bench import run_portfolio_benchmark

        result["portfolio"] = run_portfolio_benchmark(
            args.portfolio_data, symbols=args.portfolio_symbols
        )
    result["machine"] = describe_machine()
    if args.json:
        _print_json(result)
        return 0
    print(f"Backtest benchmark: SMA crossover over {result['bars']:,} seeded 1-minute bars")
    rows = [
        ("deterministic host", result.get("deterministic_bars_per_s")),
        ("per-bar fast path", result.get("per_bar_bars_per_s")),
        ("full runtime, deterministic", result.get("runtime_path_bars_per_s")),
        ("actor host", result.get("actor_bars_per_s")),
    ]
    rows += [(f"peer: {name}", rate) for name, rate in result["peers"].items()]
    for label, rate in rows:
        if rate is not None:
            print(f"  {label:<30}{rate:>14,.0f} bars/s")
    print(f"  peak memory {result['peak_rss_mib']:.0f} MiB; {result['trades']:,} round trips")
    for name, check in result.get("peer_trades", {}).items():
        verdict = "same" if check["peer"] == check["ferrotrade"] else "DIFFERENT"
        print(
            f"  {name} on the first {check['bars']:,} bars: {check['peer']:,} trades, "
            f"ferrotrade {check['ferrotrade']:,} ({verdict})"
        )
    if "portfolio" in result:
        p = result["portfolio"]
        print(
            f"Portfolio: {p['symbols']} symbols, {p['bars']:,} daily bars "
            f"({p['first_date']} .. {p['last_date']}): load {p['load_seconds']:.1f} s, "
            f"run {p['run_seconds']:.1f} s ({p['bars_per_s']:,.0f} bars/s), "
            f"peak memory {p['peak_rss_mib']:.0f} MiB"
        )
    return 0


def _live(args: argparse.Namespace) -> int:
    from actors.live.cli import run_live_command

    return run_live_command(args)


def _bench_live(args: argparse.Namespace) -> int:
    from actors.live.bench import run_live_benchmark
    from ferrotrade.machine import describe_machine

    if args.orders < 10:
        raise SystemExit("ferrotrade: --orders must be at least 10")
    result = run_live_benchmark(args.orders)
    result["machine"] = describe_machine()
    if args.json:
        _print_json(result)
        return 0
    print(f"Live pipeline benchmark: {result['orders']:,} orders, paper mode, local sandbox")
    for label, key in [
        ("tick -> POST /v2/orders", "tick_to_order_ms"),
        ("bare alpaca-py submit", "bare_submit_ms"),
        ("bare submit -> received", "bare_submit_to_receive_ms"),
    ]:
        lat = result[key]
        print(
            f"  {label:<26} p50 {lat['p50']:.2f} ms  p99 {lat['p99']:.2f} ms  "
            f"p99.9 {lat['p999']:.2f} ms"
        )
    return 0


def _sandbox(args: argparse.Namespace) -> int:
    from ferrotrade.sandbox import run_sandbox

    return run_sandbox(args.port, args.tape, pace_s=args.pace)


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ferrotrade", description="Actor-based algorithmic trading with a Rust core."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    from actors.backtest.cli import add_backtest_arguments

    backtest = commands.add_parser(
        "backtest", help="run a bar backtest through the actor pipeline and write a report"
    )
    add_backtest_arguments(backtest)
    backtest.set_defaults(handler=_backtest)

    from actors.live.cli import add_live_arguments

    live = commands.add_parser("live", help="live engine: dry-run replay, paper or live trading")
    add_live_arguments(live)
    live.set_defaults(handler=_live)

    lobster = commands.add_parser("lobster", help="LOBSTER order-book files")
    lobster_cmds = lobster.add_subparsers(dest="lobster_command", required=True)
    replay = lobster_cmds.add_parser(
        "replay", help="rebuild the book from messages and check every orderbook row"
    )
    replay.add_argument("paths", nargs="+", metavar="ZIP | MESSAGE_CSV ORDERBOOK_CSV")
    replay.add_argument("--levels", type=int, default=None, help="levels (default: from name)")
    replay.add_argument("--json", action="store_true", help="print one JSON object")
    replay.set_defaults(handler=_lobster_replay)

    bench = commands.add_parser("bench", help="benchmarks, each beside a baseline")
    bench_cmds = bench.add_subparsers(dest="bench_command", required=True)
    matching = bench_cmds.add_parser("matching", help="order book and matching throughput")
    matching.add_argument("--ops", type=int, default=1_000_000)
    matching.add_argument("--seed", type=int, default=42)
    matching.add_argument("--repeats", type=int, default=5)
    matching.add_argument("--json", action="store_true", help="print one JSON object")
    matching.set_defaults(handler=_bench_matching)
    bench_backtest = bench_cmds.add_parser(
        "backtest", help="bar backtest throughput on each host, beside peers when installed"
    )
    bench_backtest.add_argument("--bars", type=int, default=1_000_000)
    bench_backtest.add_argument(
        "--portfolio-data",
        type=Path,
        default=None,
        help="also run the multi-symbol daily portfolio backtest on DIR/bars/daily/*.csv",
    )
    bench_backtest.add_argument("--portfolio-symbols", type=int, default=100)
    bench_backtest.add_argument("--json", action="store_true", help="print one JSON object")
    bench_backtest.set_defaults(handler=_bench_backtest)
    live_bench = bench_cmds.add_parser(
        "live", help="tick-to-order latency of the live pipeline against the local sandbox"
    )
    live_bench.add_argument("--orders", type=int, default=1000)
    live_bench.add_argument("--json", action="store_true", help="print one JSON object")
    live_bench.set_defaults(handler=_bench_live)
    actors = bench_cmds.add_parser("actors", help="actor pipeline throughput and latency")
    actors.add_argument("--messages", type=int, default=20_000)
    actors.add_argument("--latency-samples", type=int, default=2_000)
    actors.add_argument("--json", action="store_true", help="print one JSON object")
    actors.set_defaults(handler=_bench_actors)

    sandbox = commands.add_parser(
        "sandbox", help="local Alpaca-compatible server (REST and both streams) on 127.0.0.1"
    )
    sandbox.add_argument("--port", type=int, default=0, help="0 picks a free port")
    sandbox.add_argument("--tape", type=Path, default=None, help="JSONL/JSON tape to play")
    sandbox.add_argument("--pace", type=float, default=1.0, help="seconds between tape events")
    sandbox.set_defaults(handler=_sandbox)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "paths", None) is not None and len(args.paths) > 2:
        parser.error("give a LOBSTER zip, or the message CSV and the orderbook CSV")
    try:
        code: int = args.handler(args)
    except (FerrotradeError, FileNotFoundError) as exc:
        print(f"ferrotrade: error: {exc}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
