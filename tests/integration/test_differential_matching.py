"""Differential tests: the Rust matching engine against the pure-Python reference engine.

Both engines get the same command rows; they must produce identical trades, events, error codes
and depth. Random streams (hypothesis and seeded fuzz) are compared after every row, the
benchmark stream from ``generate_stream`` chunk by chunk. Two regression tests at the end pin
stop-trigger rules the differential tests once caught the Rust engine breaking (sell-stop ties
by arrival; a sweep through a stop triggers it).
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ferrotrade._ferrotrade_core import MatchingEngine, generate_stream
from ferrotrade.reference import ReferenceMatchingEngine

Row = list[int]
Output = tuple[list[tuple[int, ...]], list[tuple[int, ...]], list[tuple[int, ...]]]

DEPTH_LEVELS = 12
FULL_DEPTH = 1_000_000
MAX_I64 = (1 << 63) - 1


def _tuples(arr: npt.NDArray[np.int64]) -> list[tuple[int, ...]]:
    return [tuple(r) for r in arr.tolist()]


def rust_apply(engine: MatchingEngine, rows: npt.NDArray[np.int64] | Sequence[Row]) -> Output:
    """Applies rows through the batch API; returns (trades, events, errors) as int tuples."""
    trades, events, errors = engine.apply_batch(np.asarray(rows, dtype=np.int64).reshape(-1, 9))
    return _tuples(trades), _tuples(events), _tuples(errors)


def ref_apply(
    engine: ReferenceMatchingEngine, rows: npt.NDArray[np.int64] | Sequence[Row]
) -> Output:
    errors = engine.apply_rows(rows)
    trades, events = engine.drain()
    return list(trades), list(events), list(errors)


def depths(
    rust: MatchingEngine, ref: ReferenceMatchingEngine, levels: int
) -> tuple[object, object]:
    return (
        (rust.depth_ticks("buy", levels), rust.depth_ticks("sell", levels), len(rust)),
        (ref.depth(0, levels), ref.depth(1, levels), len(ref)),
    )


def assert_same_per_row(rows: Sequence[Row], levels: int = DEPTH_LEVELS) -> int:
    """Feeds rows one at a time to both engines, comparing everything after each row.
    Returns the number of trades seen (so callers can check the stream exercised matching)."""
    rust = MatchingEngine(price_increment=1.0)  # so last_trade_price is in ticks
    ref = ReferenceMatchingEngine()
    ids = sorted({row[1] for row in rows if row[1] >= 0})
    n_trades = 0
    for i, row in enumerate(rows):
        got_rust = rust_apply(rust, [row])
        code = ref.apply_row(row)
        trades, events = ref.drain()
        got_ref = (trades, events, [(0, code)] if code else [])
        assert got_rust == got_ref, f"row {i}: {row}"
        rust_depth, ref_depth = depths(rust, ref, levels)
        assert rust_depth == ref_depth, f"depth after row {i}: {row}"
        assert rust.pending_stop_count == ref.pending_stop_count, f"stops after row {i}"
        ref_last = ref.last_trade_price
        assert rust.last_trade_price == (None if ref_last is None else float(ref_last))
        live = [oid for oid in ids if rust.is_live(oid)]
        assert live == [oid for oid in ids if ref.is_live(oid)], f"live ids after row {i}"
        n_trades += len(trades)
    return n_trades


# ------------------------------------------------------------------- random row strategies

# Mostly valid codes, with a sprinkle of out-of-range ones (malformed rows).
OPS = [0] * 10 + [1] * 4 + [2] * 4 + [3, 4, -1]
SIDES = [0] * 6 + [1] * 6 + [2]
ORDER_TYPES = [0] * 8 + [1] * 3 + [2] * 3 + [3] * 3 + [4]
TIFS = [0] * 5 + [1] * 3 + [2] * 3 + [3] * 3 + [-1]


def _price(draw_int: int, kind: int, band: int = 11) -> int:
    """Maps (uniform draw, bucket) to a price: mostly a narrow band so orders cross."""
    if kind < 85:
        return 100 - band // 2 + draw_int % band
    if kind < 93:
        return 0
    if kind < 97:
        return -(1 + draw_int % 3)
    return 1 + draw_int % 200


def _qty(draw_int: int, kind: int, qmax: int = 9) -> int:
    if kind < 90:
        return 1 + draw_int % qmax
    if kind < 95:
        return 0
    if kind < 98:
        return MAX_I64 - draw_int % 3  # overflow of a level total (u64) needs a few of these
    return -1


@st.composite
def rows_strategy(draw: st.DrawFn) -> Row:
    op = draw(st.sampled_from(OPS))
    oid = draw(st.sampled_from([*range(13), -1]))
    side = draw(st.sampled_from(SIDES))
    order_type = draw(st.sampled_from(ORDER_TYPES))
    tif = draw(st.sampled_from(TIFS))
    price = _price(draw(st.integers(0, 1000)), draw(st.integers(0, 99)))
    stop = _price(draw(st.integers(0, 1000)), draw(st.integers(0, 99)))
    qty = _qty(draw(st.integers(0, 1000)), draw(st.integers(0, 99)))
    ts = draw(st.integers(0, 10_000))
    return [op, oid, side, order_type, tif, price, stop, qty, ts]


def random_rows(
    rng: random.Random, n: int, ids: int = 40, band: int = 11, qmax: int = 9
) -> list[Row]:
    """The same mix as ``rows_strategy`` from a seeded ``random.Random`` (longer streams).
    Modifies keep their price half the time, so that queue-priority rules get exercised."""
    out: list[Row] = []
    for ts in range(n):
        op = rng.choice(OPS)
        oid = -1 if rng.random() < 0.01 else rng.randrange(ids)
        price = _price(rng.randrange(1001), rng.randrange(100), band)
        if op == 2 and rng.random() < 0.5:
            price = 0
        out.append(
            [
                op,
                oid,
                rng.choice(SIDES),
                rng.choice(ORDER_TYPES),
                rng.choice(TIFS),
                price,
                _price(rng.randrange(1001), rng.randrange(100), band),
                _qty(rng.randrange(1001), rng.randrange(100), qmax),
                ts,
            ]
        )
    return out


@settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.lists(rows_strategy(), min_size=1, max_size=80))
def test_random_rows_match_after_every_row(rows: list[Row]) -> None:
    assert_same_per_row(rows)


@pytest.mark.parametrize(
    ("seed", "ids", "band", "qmax"),
    [(0, 10, 11, 9), (1, 20, 11, 9), (2, 40, 21, 9), (3, 60, 31, 5), (4, 12, 5, 3), (5, 30, 3, 2)],
)
def test_seeded_fuzz_streams_match_after_every_row(
    seed: int, ids: int, band: int, qmax: int
) -> None:
    rows = random_rows(random.Random(seed), 8_000, ids=ids, band=band, qmax=qmax)
    n_trades = assert_same_per_row(rows)
    assert n_trades > 100


def test_hand_picked_edge_rows_match() -> None:
    """Rows aimed at the rarer branches: overflow on submit and on modify, crossing modifies,
    stop modifies that trigger, FOK stops, DAY stop-limits resting then expiring."""
    rows = [
        [0, 1, 0, 0, 0, 99, 0, MAX_I64, 0],
        [0, 2, 0, 0, 3, 99, 0, MAX_I64, 1],
        [0, 3, 0, 0, 0, 99, 0, 5, 2],  # accepted then cancelled: level total would overflow
        [0, 4, 0, 0, 0, 98, 0, 5, 3],
        [2, 4, 0, 0, 0, 99, 0, 5, 4],  # modify into the full level: error 7
        [0, 5, 1, 0, 0, 99, 0, 3, 5],  # sells into it
        [0, 6, 1, 2, 0, 0, 98, 2, 6],  # sell stop waiting at 98
        [0, 7, 1, 3, 3, 97, 99, 4, 7],  # sell stop-limit DAY, triggers at once (last 99)
        [2, 6, 0, 0, 0, 99, 0, 1, 8],  # stop modify that triggers
        [0, 8, 0, 2, 2, 0, 90, 50, 9],  # FOK buy stop triggers, cannot fill: cancelled
        [0, 9, 1, 0, 0, 101, 0, 2, 10],
        [2, 4, 0, 0, 0, 101, 0, 7, 11],  # crossing modify
        [3, 0, 0, 0, 0, 0, 0, 0, 12],
        [1, 7, 0, 0, 0, 0, 0, 0, 13],
    ]
    assert_same_per_row(rows)


# ------------------------------------------------------------------- the benchmark stream


@pytest.mark.parametrize("seed", [1, 2, 42, 2026])
def test_generated_stream_matches(seed: int) -> None:
    stream = generate_stream(100_000, seed=seed)
    rust = MatchingEngine()
    ref = ReferenceMatchingEngine()
    got_rust = rust_apply(rust, stream)
    got_ref = ref_apply(ref, stream)
    assert got_rust[2] == got_ref[2] == []
    assert len(got_rust[0]) > 1_000
    assert got_rust[0] == got_ref[0]
    assert got_rust[1] == got_ref[1]
    rust_depth, ref_depth = depths(rust, ref, FULL_DEPTH)
    assert rust_depth == ref_depth


@pytest.mark.slow
def test_million_op_stream_matches_chunk_by_chunk() -> None:
    stream = generate_stream(1_000_000, seed=7)
    rust = MatchingEngine()
    ref = ReferenceMatchingEngine()
    chunk = 10_000
    n_trades = 0
    for start in range(0, len(stream), chunk):
        block = stream[start : start + chunk]
        got_rust = rust_apply(rust, block)
        got_ref = ref_apply(ref, block)
        assert got_rust == got_ref, f"chunk at row {start}"
        rust_depth, ref_depth = depths(rust, ref, FULL_DEPTH)
        assert rust_depth == ref_depth, f"depth after chunk at row {start}"
        n_trades += len(got_rust[0])
    assert n_trades > 100_000


# ------------------------------------------------------- Rust code against its module doc


def _stop_triggers(rows: Sequence[Row]) -> list[int]:
    """Ids of TRIGGERED events, in order, when ``rows`` run through the Rust engine."""
    _, events, errors = rust_apply(MatchingEngine(), rows)
    assert errors == []
    return [e[1] for e in events if e[0] == 6]


def test_rust_sell_stops_at_the_same_price_trigger_in_arrival_order() -> None:
    rows = [
        [0, 1, 1, 0, 0, 150, 0, 1, 0],
        [0, 2, 0, 0, 0, 150, 0, 1, 0],  # last trade 150
        [0, 10, 1, 2, 0, 0, 120, 1, 1],  # sell stop 120, arrives first
        [0, 11, 1, 2, 0, 0, 120, 1, 2],  # sell stop 120, arrives second
        [0, 3, 0, 0, 0, 100, 0, 5, 3],
        [0, 4, 1, 0, 0, 100, 0, 1, 4],  # prints 100: both stops trigger
    ]
    assert _stop_triggers(rows) == [10, 11]


def test_rust_buy_stops_at_the_same_price_trigger_in_arrival_order() -> None:
    """The mirror case works: buy stops use first_key_value(), lowest (stop, seq) first."""
    rows = [
        [0, 1, 1, 0, 0, 150, 0, 1, 0],
        [0, 2, 0, 0, 0, 150, 0, 1, 0],
        [0, 10, 0, 2, 0, 0, 160, 1, 1],
        [0, 11, 0, 2, 0, 0, 160, 1, 2],
        [0, 3, 1, 0, 0, 200, 0, 5, 3],
        [0, 4, 0, 0, 0, 200, 0, 1, 4],
    ]
    assert _stop_triggers(rows) == [10, 11]


def test_rust_stop_crossed_by_an_intermediate_fill_triggers() -> None:
    rows = [
        [0, 1, 1, 0, 0, 150, 0, 1, 0],
        [0, 2, 0, 0, 0, 150, 0, 1, 0],  # last trade 150
        [0, 10, 1, 2, 0, 0, 101, 1, 1],  # sell stop 101: waits
        [0, 3, 1, 0, 0, 100, 0, 1, 2],
        [0, 4, 1, 0, 0, 102, 0, 1, 3],
        [0, 5, 0, 0, 0, 90, 0, 3, 4],  # a bid for the triggered stop to sell into
        [0, 6, 0, 0, 0, 102, 0, 2, 5],  # buy sweep prints 100 (<= 101) then 102
    ]
    assert _stop_triggers(rows) == [10]
