"""MACD strategy on a tiny series, the EMAs worked out by hand.

fast=1, slow=2, signal=2: EMA(1) is the close; EMA(2) has alpha 2/3 and starts at the first
close; the line exists from bar 1 (seeding the signal EMA), the histogram from bar 2.

  i  close  EMA2      line     signal    hist     regime
  0  10     10        -        -         -
  1  10     10        0        0         -        (warm-up)
  2  13     12        1        0.6667    +0.3333  long  (BUY 1)
  3  13     12.6667   0.3333   0.4444    -0.1111  flat  (SELL 0)
  4   7      8.8889  -1.8889  -1.1111    -0.7778  flat
  5  10      9.6296   0.3704  -0.1235    +0.4938  long  (BUY 1)
"""

from __future__ import annotations

import numpy as np
import pytest
from strategy_testkit import run

from strategies.features import macd
from strategies.registry import create

CLOSES = [10, 10, 13, 13, 7, 10]


def test_hand_worked_histogram_signs() -> None:
    series = macd(np.array(CLOSES, dtype=float), 1, 2, 2)
    assert series.histogram[2:] == pytest.approx([1 / 3, -1 / 9, -7 / 9, 0.49382716], abs=1e-8)


def test_long_while_line_above_signal() -> None:
    s = create("macd", {"fast": 1, "slow": 2, "signal": 2})
    assert run(s, CLOSES) == [(2, "BUY", 1.0), (3, "SELL", 0.0), (5, "BUY", 1.0)]


def test_allow_short() -> None:
    s = create("macd", {"fast": 1, "slow": 2, "signal": 2, "allow_short": True})
    assert run(s, CLOSES) == [(2, "BUY", 1.0), (3, "SELL", -1.0), (5, "BUY", 1.0)]


def test_no_signal_during_warmup() -> None:
    s = create("macd", {"fast": 3, "slow": 5, "signal": 4})  # first value after 8 bars
    assert run(s, [1, 2, 3, 4, 5, 6, 7]) == []


def test_defaults_are_12_26_9() -> None:
    s = create("macd")
    assert s.params == {"fast": 12, "slow": 26, "signal": 9, "allow_short": False}


def test_signal_span_is_validated() -> None:
    with pytest.raises(ValueError, match="'signal'=0: must be >= 1"):
        create("macd", {"signal": 0})
    with pytest.raises(ValueError, match="'fast'=26: must be < slow"):
        create("macd", {"fast": 26})
