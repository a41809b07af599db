"""Batch signal adapters: the signals a strategy *would* emit bar by bar, computed over a whole
series at once, for the engine's vector path.

Invariant (tested for every adapter, on real and synthetic bars, by comparing whole backtest
results with the per-bar paths): ``batch_signals(strategy, series)`` returns exactly the
signals ``strategy.generate_signals`` returns for the snapshots of ``series``, bar by bar, with
their bar index -- same action, ``target_weight`` and reason. Each value at index ``i`` uses
bars ``0..i`` only (the batch indicators of :mod:`strategies.features` are causal and
bit-identical to the incremental ones), so the adapters add no look-ahead.

Adapters exist for the built-in regime strategies (``sma_cross``, ``macd``, ``momentum``),
matched on the exact class: a subclass may change the rules, so it runs bar by bar. Any strategy
class may bring its own adapter as a method ``batch_signals(self, series)`` with the same
contract; it counts only on the class that defines it, for the same reason.
:mod:`strategies.regime` defines the emission rule reproduced here: the regime starts flat (0);
a bar's wanted regime (``None``: keep) replaces the current one when different, emitting BUY when
it rises and SELL when it falls, with ``target_weight`` = the new regime.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from actors.data.bars import BarSeries
from actors.messages import Signal, SignalAction
from strategies.base import Strategy

__all__ = ["batch_signals", "has_batch_signals"]

F64 = npt.NDArray[np.float64]
Index = npt.NDArray[np.intp]
# (wanted regime per bar, NaN = keep; the reason texts of the bars at some indexes)
Regimes = tuple[F64, Callable[[Index], list[str]]]


def _sma_cross(strategy: Any, close: F64) -> Regimes:
    from strategies.features import sma

    f = sma(close, strategy.fast)
    s = sma(close, strategy.slow)
    wanted = np.full(close.shape[0], np.nan)
    with np.errstate(invalid="ignore"):
        wanted[f > s] = 1.0
        wanted[f < s] = -1.0 if strategy.allow_short else 0.0

    def reasons(idx: Index) -> list[str]:
        return [
            f"sma_cross: fast {fi:.6g} {'>' if fi > si else '<'} slow {si:.6g}"
            for fi, si in zip(f[idx].tolist(), s[idx].tolist(), strict=True)
        ]

    return wanted, reasons


def _macd(strategy: Any, close: F64) -> Regimes:
    from strategies.features import macd

    m = macd(close, strategy.fast, strategy.slow, strategy.signal)
    hist = m.histogram
    wanted = np.full(close.shape[0], np.nan)
    with np.errstate(invalid="ignore"):
        wanted[hist > 0] = 1.0
        wanted[hist < 0] = -1.0 if strategy.allow_short else 0.0

    def reasons(idx: Index) -> list[str]:
        return [
            f"macd: line {li:.6g} signal {si:.6g}"
            for li, si in zip(m.line[idx].tolist(), m.signal[idx].tolist(), strict=True)
        ]

    return wanted, reasons


def _momentum(strategy: Any, close: F64) -> Regimes:
    n = close.shape[0]
    lb = strategy.lookback
    roc = np.full(n, np.nan)
    if n > lb:
        roc[lb:] = close[lb:] / close[:-lb] - 1.0
    th = strategy.threshold
    wanted = np.full(n, np.nan)
    with np.errstate(invalid="ignore"):
        wanted[roc > th] = 1.0
        wanted[roc < -th] = -1.0 if strategy.allow_short else 0.0

    def reasons(idx: Index) -> list[str]:
        return [f"momentum: roc({lb}) {r:.6g}" for r in roc[idx].tolist()]

    return wanted, reasons


def _adapters() -> dict[type, Callable[[Any, F64], Regimes]]:
    from strategies.macd import MACDStrategy
    from strategies.momentum import MomentumStrategy
    from strategies.sma_cross import SMACrossStrategy

    return {SMACrossStrategy: _sma_cross, MACDStrategy: _macd, MomentumStrategy: _momentum}


def _own_adapter(strategy: Strategy) -> Callable[[BarSeries], list[tuple[int, Signal]]] | None:
    """The strategy's own ``batch_signals`` method, when its exact class defines one."""
    if "batch_signals" not in type(strategy).__dict__:
        return None
    fn: Callable[[BarSeries], list[tuple[int, Signal]]] = strategy.batch_signals  # type: ignore[attr-defined]
    return fn


def has_batch_signals(strategy: Strategy) -> bool:
    if _own_adapter(strategy) is not None:
        return True
    try:
        return type(strategy) in _adapters()
    except ImportError:  # pragma: no cover - the built-ins are part of the package
        return False


def batch_signals(strategy: Strategy, series: BarSeries) -> list[tuple[int, Signal]]:
    """``(bar index, signal)`` for every signal the strategy would emit on ``series``."""
    own = _own_adapter(strategy)
    if own is not None:
        return own(series)
    fn = _adapters()[type(strategy)]
    wanted, reasons = fn(strategy, np.asarray(series.close, dtype=np.float64))
    n = wanted.shape[0]
    known = ~np.isnan(wanted)
    # forward-fill the wanted regime from flat (0): the regime after each bar
    idx = np.where(known, np.arange(n), -1)
    np.maximum.accumulate(idx, out=idx)
    regime = np.where(idx >= 0, wanted[np.maximum(idx, 0)], 0.0)
    prev = np.concatenate(([0.0], regime[:-1]))
    changes = np.flatnonzero(regime != prev)
    # one checked Signal per (action, weight); each signal is a copy with its own reason
    protos: dict[tuple[float, float], tuple[tuple[str, Any], ...]] = {}
    out: list[tuple[int, Signal]] = []
    for i, new, old, why in zip(
        changes.tolist(),
        regime[changes].tolist(),
        prev[changes].tolist(),
        reasons(changes),
        strict=True,
    ):
        fields = protos.get((new, old))
        if fields is None:
            action = SignalAction.BUY if new > old else SignalAction.SELL
            proto = Signal(symbol=series.symbol, action=action, target_weight=new)
            fields = protos[(new, old)] = tuple((f, getattr(proto, f)) for f in _SIGNAL_FIELDS)
        out.append((i, _with_reason(fields, why)))
    return out


_new = object.__new__
_set = object.__setattr__
_SIGNAL_FIELDS = tuple(f.name for f in dataclasses.fields(Signal) if f.name != "reason")


def _with_reason(fields: tuple[tuple[str, Any], ...], reason: str) -> Signal:
    """A Signal of a checked prototype's ``fields`` and ``reason`` (a text: nothing to check),
    at half the cost of building a checked one."""
    sig = _new(Signal)
    for name, value in fields:
        _set(sig, name, value)
    _set(sig, "reason", reason)
    return sig
