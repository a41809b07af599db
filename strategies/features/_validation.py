"""Parameter and input checks shared by every indicator.

Indicators refuse bad input loudly rather than propagate NaN: a NaN that slips into a
recursive average (EMA, RSI, ATR) poisons every later value, so it must be caught where it
enters, with the bar index named.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]


def check_period(name: str, value: Any) -> int:
    """Return `value` as an int if it is an integer >= 1.

    Raises TypeError for non-integers (bool and float included: `period=14.0` is a bug
    upstream, not something to round) and ValueError for values < 1.
    """
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}: {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")
    return int(value)


def check_multiplier(name: str, value: Any) -> float:
    """Return `value` as a float if it is a finite real number > 0."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}: {value!r}")
    as_float = float(value)
    if not math.isfinite(as_float) or as_float <= 0.0:
        raise ValueError(f"{name} must be finite and > 0, got {value!r}")
    return as_float


def check_value(name: str, value: Any, index: int) -> float:
    """Return one incremental input as a float; ValueError naming the bar if not finite."""
    as_float = float(value)
    if not math.isfinite(as_float):
        raise ValueError(f"{name} at index {index} is not finite: {as_float!r}")
    return as_float


def as_series(name: str, values: ArrayLike) -> FloatArray:
    """Return a 1-D float64 copy-free view of `values`; ValueError naming the first bad index."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-dimensional, got shape {array.shape}")
    finite = np.isfinite(array)
    if not finite.all():
        index = int(np.flatnonzero(~finite)[0])
        raise ValueError(f"{name} at index {index} is not finite: {float(array[index])!r}")
    return array


def nan_array(length: int) -> FloatArray:
    """An output array filled with NaN, the warm-up marker of every batch function."""
    return np.full(length, np.nan, dtype=np.float64)
