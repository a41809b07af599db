"""Split and dividend back-adjustment from a corporate-actions file.

The file's schema (``_corporate_actions.csv`` of the shared daily data)::

    symbol,ex_date,dividend_amount,split_coefficient
    AAPL,2014-06-09,0.0,7.00000700001
    AAPL,2014-08-07,0.47,1.0

one row per ex-date: ``dividend_amount`` is the cash dividend per share (0 when none), in the
currency of the unadjusted prices of that date; ``split_coefficient`` is new shares per old share
(1 when none; 2.0 is a 2-for-1 split, 0.1 a 1-for-10 reverse split). Values are used as given
(the source's 7.00000700001 for AAPL's 7:1 split included).

Adjustment is backward and multiplicative (CRSP / Yahoo style): bars from the ex-date on are left
as they are, and every bar before an ex-date is scaled by that action's factor, so the series
reads in the share basis of its last bar and has no jump at the ex-date:

- split with coefficient ``r``: prices are multiplied by ``1 / r``, volume by ``r``;
- cash dividend ``d``: prices are multiplied by ``1 - d / c``, where ``c`` is the unadjusted close
  of the last bar before the ex-date; volume is unchanged.

Factors of several actions multiply. Only actions with an ex-date after the series' first bar
and not after its last bar's matter (earlier ones touch no bar before them; later ones would only
rescale the whole series to a future share basis, which a backtest must not see).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import numpy as np

from actors.data.bars.errors import BarProblem, InvalidBarDataError
from actors.data.bars.series import BarSeries
from actors.data.bars.timeframe import DAY_NS
from ferrotrade.errors import DataFormatError, InvalidParameterError

__all__ = ["CorporateAction", "adjust", "read_corporate_actions"]

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_COLUMNS = ("symbol", "ex_date", "dividend_amount", "split_coefficient")


@dataclass(frozen=True, slots=True)
class CorporateAction:
    """One ex-date of one symbol: a cash dividend, a split, or both.

    ``ex_ts`` is the ex-date at 00:00 UTC in ns (the label daily bars use).
    """

    symbol: str
    ex_ts: int
    dividend: float = 0.0
    split: float = 1.0

    def __post_init__(self) -> None:
        if not self.symbol:
            raise InvalidParameterError("corporate action symbol must not be empty")
        if not (np.isfinite(self.dividend) and self.dividend >= 0):
            raise InvalidParameterError(f"dividend must be finite and >= 0, got {self.dividend}")
        if not (np.isfinite(self.split) and self.split > 0):
            raise InvalidParameterError(f"split must be finite and > 0, got {self.split}")

    @property
    def ex_date(self) -> date:
        return date.fromordinal(self.ex_ts // DAY_NS + _EPOCH_ORDINAL)


def read_corporate_actions(path: str | os.PathLike[str]) -> tuple[CorporateAction, ...]:
    """Every action of a corporate-actions CSV, sorted by (symbol, ex-date).

    Bad rows raise :class:`InvalidBarDataError` listing ``file:line: reason`` for each.
    """
    name = os.fspath(path)
    actions: list[CorporateAction] = []
    problems: list[BarProblem] = []
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = [h.strip().casefold() for h in next(reader, [])]
        missing = [c for c in _COLUMNS if c not in header]
        if missing:
            raise DataFormatError(f"{name}:1: missing column(s) {', '.join(missing)}")
        idx = [header.index(c) for c in _COLUMNS]
        for row in reader:
            if not row:
                continue
            line = reader.line_num
            try:
                sym, ex, div, split = (row[i].strip() for i in idx)
                ex_ts = (date.fromisoformat(ex).toordinal() - _EPOCH_ORDINAL) * DAY_NS
                actions.append(CorporateAction(sym, ex_ts, float(div), float(split)))
            except (IndexError, ValueError) as exc:
                problems.append(BarProblem(name, line, f"bad corporate action: {exc}"))
    if problems:
        raise InvalidBarDataError(problems)
    actions.sort(key=lambda a: (a.symbol, a.ex_ts))
    return tuple(actions)


def adjust(
    series: BarSeries,
    actions: Iterable[CorporateAction],
    *,
    splits: bool = True,
    dividends: bool = False,
) -> BarSeries:
    """Back-adjust ``series`` for its symbol's actions (see the module docstring).

    Actions of other symbols are ignored, so the whole file's actions can be passed. Returns
    ``series`` itself when nothing applies. Raises
    :class:`~ferrotrade.errors.InvalidParameterError` for a dividend not below the previous
    close (the factor would not be positive).
    """
    n = len(series)
    factor = np.ones(n)  # factor[j] applies to bars 0..j
    vol_factor = np.ones(n)
    touched = False
    for action in actions:
        if action.symbol != series.symbol or n == 0:
            continue
        first_after = int(np.searchsorted(series.ts, action.ex_ts, side="left"))
        if first_after == 0 or first_after >= n:
            continue  # ex-date at/before the first bar, or after the last
        prev = first_after - 1
        if splits and action.split != 1.0:
            factor[prev] /= action.split
            vol_factor[prev] *= action.split
            touched = True
        if dividends and action.dividend > 0.0:
            close = float(series.close[prev])
            if action.dividend >= close:
                raise InvalidParameterError(
                    f"{series.symbol}: dividend {action.dividend} on {action.ex_date} is not below "
                    f"the previous close {close}"
                )
            factor[prev] *= 1.0 - action.dividend / close
            touched = True
    if not touched:
        return series
    price_mult = np.cumprod(factor[::-1])[::-1]
    vol_mult = np.cumprod(vol_factor[::-1])[::-1]
    return BarSeries(
        series.symbol,
        series.timeframe,
        series.ts,
        series.open * price_mult,
        series.high * price_mult,
        series.low * price_mult,
        series.close * price_mult,
        series.volume * vol_mult,
    )
