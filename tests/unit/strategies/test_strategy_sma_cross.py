"""SMA crossover on tiny series with the expected signals written out by hand."""

from __future__ import annotations

import pytest
from strategy_testkit import bar, run, snapshot

from actors.ids import StrategyId
from actors.messages import MarketSnapshot, QuoteTick, SignalAction
from strategies.registry import create
from strategies.sma_cross import SMACrossStrategy

# fast=2, slow=3 on these closes:
#  i  close  SMA2   SMA3    regime
#  0  10     -      -
#  1  11     10.5   -
#  2  12     11.5   11.0    fast > slow -> long (BUY 1)
#  3  13     12.5   12.0    long (no signal)
#  4  10     11.5   11.667  fast < slow -> flat (SELL 0)
#  5   9      9.5   10.667  flat (no signal)
#  6  12     10.5   10.333  fast > slow -> long (BUY 1)
#  7  11     11.5   10.667  long
#  8  11     11.0   11.333  fast < slow -> flat (SELL 0)
CLOSES = [10, 11, 12, 13, 10, 9, 12, 11, 11]


def test_long_on_fast_above_slow_flat_on_cross_down() -> None:
    s = create("sma_cross", {"fast": 2, "slow": 3})
    assert run(s, CLOSES) == [
        (2, "BUY", 1.0),
        (4, "SELL", 0.0),
        (6, "BUY", 1.0),
        (8, "SELL", 0.0),
    ]


def test_allow_short_reverses_to_short_on_the_cross_down() -> None:
    s = create("sma_cross", {"fast": 2, "slow": 3, "allow_short": True})
    assert run(s, CLOSES) == [
        (2, "BUY", 1.0),
        (4, "SELL", -1.0),
        (6, "BUY", 1.0),
        (8, "SELL", -1.0),
    ]


def test_first_regime_below_is_short_only_when_allowed() -> None:
    falling = [10, 9, 8, 7]  # i=2: SMA2 8.5 < SMA3 9 -> short regime
    assert run(create("sma_cross", {"fast": 2, "slow": 3}), falling) == []
    shorty = create("sma_cross", {"fast": 2, "slow": 3, "allow_short": True})
    assert run(shorty, falling) == [(2, "SELL", -1.0)]


def test_equal_averages_keep_the_regime() -> None:
    # i=2: SMA2 11.5 > SMA3 11 -> long; i=3: 12 > 11.667 long; i=4, 5: SMA2 = SMA3 = 12 ->
    # neither above nor below: the long regime is kept, no signal.
    s = create("sma_cross", {"fast": 2, "slow": 3})
    assert run(s, [10, 11, 12, 12, 12, 12]) == [(2, "BUY", 1.0)]


def test_nothing_before_slow_bars() -> None:
    s = create("sma_cross", {"fast": 2, "slow": 5})
    assert run(s, [1, 2, 3, 4]) == []


def test_symbols_are_independent() -> None:
    # interleave a second symbol with rising prices: AAA's signals are unchanged
    out_a: list[int] = []
    fresh = SMACrossStrategy(StrategyId("z"), {"fast": 2, "slow": 3})
    for i, c in enumerate(CLOSES):
        fresh.generate_signals(snapshot(bar(100.0 + i, i, "BBB")))
        out_a += [i for _ in fresh.generate_signals(snapshot(bar(c, i, "AAA")))]
    assert out_a == [2, 4, 6, 8]


def test_quote_snapshots_and_repeated_bars_are_ignored() -> None:
    s = create("sma_cross", {"fast": 2, "slow": 3})
    b = bar(10.0, 0)
    assert s.generate_signals(snapshot(b)) == ()
    # the same bar again (a quote arrived, the snapshot repeats the last bar): not a new bar
    q = QuoteTick(ts_event=b.ts_event + 1, symbol="AAA", bid=9.9, ask=10.1)
    again = MarketSnapshot(ts_event=q.ts_event, symbol="AAA", last_price=10.0, bar=b, quote=q)
    assert s.generate_signals(again) == ()
    no_bar = MarketSnapshot(ts_event=q.ts_event, symbol="AAA", last_price=10.0, quote=q)
    assert s.generate_signals(no_bar) == ()
    older = bar(50.0, -1)  # a bar older than the last one seen is not new either
    assert s.generate_signals(snapshot(older)) == ()
    # only bars 0 (10), 1 (11), 2 (12) counted: the BUY comes on bar 2, as in CLOSES
    assert s.generate_signals(snapshot(bar(11.0, 1))) == ()
    (sig,) = s.generate_signals(snapshot(bar(12.0, 2)))
    assert (sig.action, sig.target_weight) == (SignalAction.BUY, 1.0)


def test_signals_are_intent_only() -> None:
    s = create("sma_cross", {"fast": 2, "slow": 3})
    sigs = [sig for i, c in enumerate(CLOSES) for sig in s.generate_signals(snapshot(bar(c, i)))]
    assert [x.action for x in sigs] == [SignalAction.BUY, SignalAction.SELL] * 2
    for sig in sigs:
        assert sig.quantity is None
        assert sig.target_position is None
        assert sig.message_id == ""  # the component stamps the envelope
        assert sig.reason.startswith("sma_cross:")


@pytest.mark.parametrize("params", [{"fast": 3, "slow": 3}, {"fast": 5, "slow": 3}])
def test_fast_must_be_below_slow(params: dict[str, int]) -> None:
    with pytest.raises(ValueError, match=r"'fast'.*must be < slow"):
        create("sma_cross", params)
