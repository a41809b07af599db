"""Momentum strategy: rate of change over the lookback against a dead band.

lookback=2, threshold=0.05 (roc = close[t] / close[t-2] - 1):

  i  close  roc                 regime
  0  100    -
  1  101    -
  2  110    110/100-1 = +0.100  long (BUY 1)
  3  108    108/101-1 = +0.069  long
  4  104    104/110-1 = -0.055  flat (SELL 0)
  5  105    105/108-1 = -0.028  flat (inside the band: keep)
  6  106    106/104-1 = +0.019  flat (inside the band: keep)
  7  111    111/105-1 = +0.057  long (BUY 1)
"""

from __future__ import annotations

import pytest
from strategy_testkit import run

from strategies.registry import create

CLOSES = [100, 101, 110, 108, 104, 105, 106, 111]


def test_dead_band_momentum() -> None:
    s = create("momentum", {"lookback": 2, "threshold": 0.05})
    assert run(s, CLOSES) == [(2, "BUY", 1.0), (4, "SELL", 0.0), (7, "BUY", 1.0)]


def test_zero_threshold_follows_the_sign() -> None:
    # roc: +.10, +.069, -.055, -.028, +.019, +.057 -> long, flat at 4, long again at 6
    s = create("momentum", {"lookback": 2})
    assert run(s, CLOSES) == [(2, "BUY", 1.0), (4, "SELL", 0.0), (6, "BUY", 1.0)]


def test_allow_short() -> None:
    s = create("momentum", {"lookback": 2, "threshold": 0.05, "allow_short": True})
    assert run(s, CLOSES) == [(2, "BUY", 1.0), (4, "SELL", -1.0), (7, "BUY", 1.0)]


def test_threshold_accepts_int_and_refuses_negative() -> None:
    assert create("momentum", {"threshold": 0}).params["threshold"] == 0.0
    with pytest.raises(ValueError, match=r"'threshold'=-0\.1: must be >= 0"):
        create("momentum", {"threshold": -0.1})
    with pytest.raises(TypeError, match="'lookback'"):
        create("momentum", {"lookback": "20"})
