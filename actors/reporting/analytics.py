"""Performance analytics over an equity curve, round trips and fills: pure functions.

Invariant: nothing here does I/O, reads a clock or touches an actor; the same inputs give the
same floats on every host, so a report can be recomputed from a run's stored results.

Inputs
- Equity curve: `timestamps` (integer ns since the Unix epoch, UTC, strictly increasing) and
  `equity` (finite, > 0: returns are undefined once equity reaches 0), one point per bar.
- Round trips: objects with a `pnl` attribute (the FIFO tracker's round trips) or mappings with
  a `"pnl"` key (the results dictionary's `trades`).
- Fills: objects with `price`, `quantity` and `fee` attributes (`OrderFilled`), or mappings
  with those keys.
- Gross exposure: one value per equity point, the absolute market value held at that point.

Conventions
- Period returns are simple returns between consecutive equity points.
- A year is 365.25 days. `periods_per_year`, when not given, is inferred from the curve's own
  density, `(points - 1) / years spanned` (about 252 for US daily bars, whatever the
  calendar); pass it explicitly (e.g. 252) to compare runs of different spans exactly.
- Annualized return is the CAGR over the actual span: `(final / initial) ** (1 / years) - 1`,
  computed as `expm1(log(final / initial) / years)`; +inf when that overflows (a gain over a
  span of minutes, compounded to a year).
- Volatility is the sample standard deviation (ddof = 1) of period returns times
  `sqrt(periods_per_year)`, as empyrical and quantstats.
- Sharpe = mean(excess) / std(excess, ddof = 1) * sqrt(periods_per_year), excess over the
  per-period risk-free rate `(1 + risk_free_rate) ** (1 / periods_per_year) - 1`.
- Sortino = mean(excess) / downside deviation * sqrt(periods_per_year), the downside deviation
  being `sqrt(mean(min(excess, 0) ** 2))` over all periods (empyrical's definition).
- Drawdown at a point is `equity / running peak - 1` (<= 0); `max_drawdown` is its minimum,
  a negative fraction (-0.25 is 25% below the peak), as backtesting.py and empyrical. Its
  duration runs from the peak that preceded the trough to the first point back at that peak,
  or to the last point when the curve has not recovered.
- Trades: a win has pnl > 0, a loss pnl < 0; break-even trades count in the win rate's
  denominator only. `average_loss` is negative.
- Exposure is the fraction of equity points with non-zero gross exposure. Turnover is traded
  notional (sum of |price * quantity| over fills) divided by mean equity, over the whole run.

Undefined and unbounded values
- A ratio x / 0 is +inf for x > 0, -inf for x < 0 and NaN for 0 / 0 (so a flat curve has a NaN
  Sharpe, and profit factor with wins and no losses is +inf); a metric needing data that is
  absent (a volatility from fewer than two returns, a win rate without trades) is NaN.
- `PerformanceMetrics` keeps these as floats so code can compare and sort them;
  `PerformanceMetrics.to_dict()` turns every NaN and +-inf into None, since JSON has neither.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, NamedTuple, Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "NS_PER_YEAR",
    "Drawdown",
    "FillLike",
    "MonthlyReturn",
    "PerformanceMetrics",
    "RoundTripLike",
    "TradeStats",
    "annualized_return",
    "compute_metrics",
    "drawdown_series",
    "exposure",
    "fees_paid",
    "infer_periods_per_year",
    "longest_drawdown",
    "max_drawdown",
    "monthly_returns",
    "period_returns",
    "sharpe_ratio",
    "sortino_ratio",
    "total_return",
    "trade_stats",
    "traded_notional",
    "turnover",
    "volatility",
]

NS_PER_YEAR = 365.25 * 86_400 * 1_000_000_000
"""Nanoseconds in a year of 365.25 days."""

_MAX_EXP = 709.0
"""Largest x with exp(x) finite in float64 (rounded down)."""

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


class RoundTripLike(Protocol):
    """What analytics needs from a round trip (the FIFO tracker's output)."""

    @property
    def pnl(self) -> float: ...


class FillLike(Protocol):
    """What analytics needs from a fill (`OrderFilled`, `OrderPartiallyFilled`)."""

    @property
    def price(self) -> float: ...

    @property
    def quantity(self) -> float: ...

    @property
    def fee(self) -> float: ...


class MonthlyReturn(NamedTuple):
    """One calendar month (UTC) of the monthly returns table."""

    year: int
    month: int
    value: float


class Drawdown(NamedTuple):
    """One drawdown episode: indices into the curve and its depth and length."""

    depth: float
    """equity / peak - 1 at the trough (<= 0)."""
    peak_index: int
    trough_index: int
    recovery_index: int | None
    """First point back at the peak's equity, or None when not recovered by the end."""
    duration_periods: int
    duration_ns: int


class TradeStats(NamedTuple):
    """Per-trade statistics from round-trip P&L."""

    trade_count: int
    win_rate: float
    profit_factor: float
    average_win: float
    average_loss: float


# -- input checks ----------------------------------------------------------------------------


def _as_timestamps(timestamps: ArrayLike) -> IntArray:
    array = np.asarray(timestamps)
    if array.ndim != 1:
        raise ValueError(f"timestamps must be 1-dimensional, got shape {array.shape}")
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise TypeError(f"timestamps must be integer nanoseconds, got dtype {array.dtype}")
    array = array.astype(np.int64, copy=False)
    not_increasing = np.flatnonzero(np.diff(array) <= 0)
    if not_increasing.size:
        i = int(not_increasing[0]) + 1
        raise ValueError(
            f"timestamps must be strictly increasing: index {i} ({int(array[i])}) "
            f"follows {int(array[i - 1])}"
        )
    return array


def _as_values(name: str, values: ArrayLike) -> FloatArray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-dimensional, got shape {array.shape}")
    bad = np.flatnonzero(~np.isfinite(array))
    if bad.size:
        i = int(bad[0])
        raise ValueError(f"{name} at index {i} is not finite: {float(array[i])!r}")
    return array


def _as_equity(equity: ArrayLike) -> FloatArray:
    array = _as_values("equity", equity)
    if array.size == 0:
        raise ValueError("equity curve is empty")
    not_positive = np.flatnonzero(array <= 0.0)
    if not_positive.size:
        i = int(not_positive[0])
        raise ValueError(
            f"equity at index {i} is {float(array[i])!r}; returns are undefined at or below 0"
        )
    return array


def _check_curve(timestamps: ArrayLike, equity: ArrayLike) -> tuple[IntArray, FloatArray]:
    times = _as_timestamps(timestamps)
    values = _as_equity(equity)
    if times.shape[0] != values.shape[0]:
        raise ValueError(
            f"timestamps and equity must have the same length, got {times.shape[0]} "
            f"and {values.shape[0]}"
        )
    return times, values


def _check_periods_per_year(periods_per_year: float) -> float:
    value = float(periods_per_year)
    if not math.isfinite(value) or value <= 0.0:
        raise ValueError(f"periods_per_year must be finite and > 0, got {periods_per_year!r}")
    return value


def _check_risk_free_rate(risk_free_rate: float) -> float:
    value = float(risk_free_rate)
    if not math.isfinite(value) or value <= -1.0:
        raise ValueError(f"risk_free_rate must be finite and > -1, got {risk_free_rate!r}")
    return value


def _field(item: Any, name: str) -> float:
    """`item.name` or `item[name]`, as a finite float."""
    raw = item[name] if isinstance(item, Mapping) else getattr(item, name)
    value = float(raw)
    if not math.isfinite(value):
        raise ValueError(f"{name} is not finite: {value!r} in {item!r}")
    return value


def _ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator with x / 0 = +-inf and 0 / 0 = NaN (denominator >= 0)."""
    if denominator > 0.0:
        return numerator / denominator
    if numerator > 0.0:
        return math.inf
    if numerator < 0.0:
        return -math.inf
    return math.nan


# -- returns ---------------------------------------------------------------------------------


def period_returns(equity: ArrayLike) -> FloatArray:
    """Simple returns between consecutive points (one fewer than the points)."""
    values = _as_equity(equity)
    return values[1:] / values[:-1] - 1.0


def total_return(equity: ArrayLike) -> float:
    """final / initial - 1."""
    values = _as_equity(equity)
    return float(values[-1] / values[0] - 1.0)


def annualized_return(timestamps: ArrayLike, equity: ArrayLike) -> float:
    """CAGR over the curve's actual time span; NaN for a single point (no span)."""
    times, values = _check_curve(timestamps, equity)
    span = int(times[-1] - times[0])
    if span == 0:
        return math.nan
    exponent = math.log(float(values[-1] / values[0])) * NS_PER_YEAR / span
    if exponent > _MAX_EXP:
        return math.inf  # e.g. +10% in one minute, compounded over a year
    return math.expm1(exponent)


def infer_periods_per_year(timestamps: ArrayLike) -> float:
    """Observed density: (points - 1) / years spanned; NaN with fewer than two points."""
    times = _as_timestamps(timestamps)
    if times.shape[0] < 2:
        return math.nan
    return float((times.shape[0] - 1) * NS_PER_YEAR / int(times[-1] - times[0]))


def _per_period_rate(risk_free_rate: float, periods_per_year: float) -> float:
    return float((1.0 + risk_free_rate) ** (1.0 / periods_per_year) - 1.0)


def volatility(returns: ArrayLike, periods_per_year: float) -> float:
    """Annualized sample std (ddof = 1) of period returns; NaN with fewer than two returns."""
    values = _as_values("returns", returns)
    periods_per_year = _check_periods_per_year(periods_per_year)
    if values.shape[0] < 2:
        return math.nan
    return float(np.std(values, ddof=1)) * math.sqrt(periods_per_year)


def sharpe_ratio(returns: ArrayLike, periods_per_year: float, risk_free_rate: float = 0.0) -> float:
    """Annualized Sharpe ratio of period returns over an annual risk-free rate."""
    values = _as_values("returns", returns)
    periods_per_year = _check_periods_per_year(periods_per_year)
    risk_free_rate = _check_risk_free_rate(risk_free_rate)
    if values.shape[0] < 2:
        return math.nan
    excess = values - _per_period_rate(risk_free_rate, periods_per_year)
    ratio = _ratio(float(np.mean(excess)), float(np.std(excess, ddof=1)))
    return ratio * math.sqrt(periods_per_year)


def sortino_ratio(
    returns: ArrayLike, periods_per_year: float, risk_free_rate: float = 0.0
) -> float:
    """Annualized Sortino ratio: excess return over downside deviation (empyrical's form)."""
    values = _as_values("returns", returns)
    periods_per_year = _check_periods_per_year(periods_per_year)
    risk_free_rate = _check_risk_free_rate(risk_free_rate)
    if values.shape[0] < 1:
        return math.nan
    excess = values - _per_period_rate(risk_free_rate, periods_per_year)
    downside = math.sqrt(float(np.mean(np.minimum(excess, 0.0) ** 2)))
    return _ratio(float(np.mean(excess)), downside) * math.sqrt(periods_per_year)


# -- drawdowns -------------------------------------------------------------------------------


def drawdown_series(equity: ArrayLike) -> FloatArray:
    """equity / running peak - 1 at every point (0 at a new high, negative below it)."""
    values = _as_equity(equity)
    return values / np.maximum.accumulate(values) - 1.0


def _episodes(times: IntArray, values: FloatArray) -> list[Drawdown]:
    """Every drawdown episode in order: from a peak to recovery or to the end."""
    underwater = (values < np.maximum.accumulate(values)).astype(np.int8)
    edges = np.diff(np.concatenate(([0], underwater, [0])))
    starts = np.flatnonzero(edges == 1).tolist()
    ends = np.flatnonzero(edges == -1).tolist()
    last = values.shape[0] - 1
    episodes: list[Drawdown] = []
    for start, end in zip(starts, ends, strict=True):
        peak = start - 1
        recovery = end if end <= last else None
        stop = end if end <= last else last
        trough = start + int(np.argmin(values[start:end]))
        episodes.append(
            Drawdown(
                depth=float(values[trough] / values[peak] - 1.0),
                peak_index=peak,
                trough_index=trough,
                recovery_index=recovery,
                duration_periods=stop - peak,
                duration_ns=int(times[stop] - times[peak]),
            )
        )
    return episodes


def _no_drawdown() -> Drawdown:
    return Drawdown(0.0, 0, 0, 0, 0, 0)


def max_drawdown(timestamps: ArrayLike, equity: ArrayLike) -> Drawdown:
    """The deepest episode (the first one on a tie); depth 0 and length 0 when never under."""
    times, values = _check_curve(timestamps, equity)
    episodes = _episodes(times, values)
    if not episodes:
        return _no_drawdown()
    return min(episodes, key=lambda episode: (episode.depth, episode.peak_index))


def longest_drawdown(timestamps: ArrayLike, equity: ArrayLike) -> Drawdown:
    """The longest episode in time (the first one on a tie)."""
    times, values = _check_curve(timestamps, equity)
    episodes = _episodes(times, values)
    if not episodes:
        return _no_drawdown()
    return max(episodes, key=lambda episode: (episode.duration_ns, -episode.peak_index))


# -- calendar --------------------------------------------------------------------------------


def monthly_returns(timestamps: ArrayLike, equity: ArrayLike) -> tuple[MonthlyReturn, ...]:
    """Return of each UTC calendar month touched by the curve, oldest first.

    A month's return compares its last point with the previous month's last point; the first
    month compares with the curve's first point.
    """
    times, values = _check_curve(timestamps, equity)
    months = times.astype("datetime64[ns]").astype("datetime64[M]").astype(np.int64)
    month_ends = np.append(np.flatnonzero(np.diff(months) != 0), months.shape[0] - 1)
    closes = values[month_ends]
    bases = np.concatenate((values[:1], closes[:-1]))
    table: list[MonthlyReturn] = []
    for index, close, base in zip(
        month_ends.tolist(), closes.tolist(), bases.tolist(), strict=True
    ):
        year, month = divmod(int(months[index]), 12)
        table.append(MonthlyReturn(1970 + year, month + 1, close / base - 1.0))
    return tuple(table)


# -- trades and fills ------------------------------------------------------------------------


def trade_stats(round_trips: Iterable[RoundTripLike | Mapping[str, Any]]) -> TradeStats:
    """Win rate, profit factor and average win / loss from round-trip P&L."""
    pnls = [_field(trip, "pnl") for trip in round_trips]
    wins = [p for p in pnls if p > 0.0]
    losses = [p for p in pnls if p < 0.0]
    gross_profit = math.fsum(wins)
    gross_loss = -math.fsum(losses)
    return TradeStats(
        trade_count=len(pnls),
        win_rate=len(wins) / len(pnls) if pnls else math.nan,
        profit_factor=_ratio(gross_profit, gross_loss) if pnls else math.nan,
        average_win=gross_profit / len(wins) if wins else math.nan,
        average_loss=-gross_loss / len(losses) if losses else math.nan,
    )


def traded_notional(fills: Iterable[FillLike | Mapping[str, Any]]) -> float:
    """Sum of |price * quantity| over fills."""
    return math.fsum(abs(_field(f, "price") * _field(f, "quantity")) for f in fills)


def fees_paid(fills: Iterable[FillLike | Mapping[str, Any]]) -> float:
    """Sum of fill fees."""
    return math.fsum(_field(f, "fee") for f in fills)


def turnover(fills: Iterable[FillLike | Mapping[str, Any]], equity: ArrayLike) -> float:
    """Traded notional / mean equity over the run (not annualized)."""
    values = _as_equity(equity)
    return traded_notional(fills) / float(np.mean(values))


def exposure(gross_exposure: ArrayLike) -> float:
    """Fraction of points holding a position (non-zero gross exposure); NaN if empty."""
    values = _as_values("gross_exposure", gross_exposure)
    if values.shape[0] == 0:
        return math.nan
    return float(np.count_nonzero(values) / values.shape[0])


# -- everything at once ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class PerformanceMetrics:
    """Every metric of one run; NaN = undefined, +-inf = unbounded (see the module doc).

    A curve never below its running peak has `max_drawdown` 0, peak and trough at `start_ns`,
    durations 0 and `max_drawdown_recovered` True. Holds tuples only (no lists or dicts), so it
    can cross actor threads as it is.
    """

    start_ns: int
    end_ns: int
    points: int
    periods_per_year: float
    risk_free_rate: float
    initial_equity: float
    final_equity: float
    total_return: float
    annualized_return: float
    volatility: float
    sharpe: float
    sortino: float
    max_drawdown: float
    max_drawdown_peak_ns: int
    max_drawdown_trough_ns: int
    max_drawdown_recovered: bool
    max_drawdown_duration_periods: int
    max_drawdown_duration_ns: int
    longest_drawdown_duration_periods: int
    longest_drawdown_duration_ns: int
    trade_count: int
    win_rate: float
    profit_factor: float
    average_win: float
    average_loss: float
    exposure: float
    traded_notional: float
    turnover: float
    fees_paid: float
    monthly_returns: tuple[MonthlyReturn, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types: non-finite floats become None; months become records."""
        out: dict[str, Any] = {}
        for spec in fields(self):
            value = getattr(self, spec.name)
            if spec.name == "monthly_returns":
                out[spec.name] = [
                    {"year": m.year, "month": m.month, "return": _json_float(m.value)}
                    for m in value
                ]
            elif isinstance(value, float):
                out[spec.name] = _json_float(value)
            else:
                out[spec.name] = value
        return out


def _json_float(value: float) -> float | None:
    return value if math.isfinite(value) else None


def compute_metrics(
    timestamps: ArrayLike,
    equity: ArrayLike,
    round_trips: Sequence[RoundTripLike | Mapping[str, Any]] = (),
    fills: Sequence[FillLike | Mapping[str, Any]] = (),
    gross_exposure: ArrayLike | None = None,
    *,
    periods_per_year: float | None = None,
    risk_free_rate: float = 0.0,
) -> PerformanceMetrics:
    """All metrics of one run. `gross_exposure=None` leaves exposure NaN (unknown)."""
    times, values = _check_curve(timestamps, equity)
    risk_free_rate = _check_risk_free_rate(risk_free_rate)
    if periods_per_year is None:
        periods_per_year = infer_periods_per_year(times)
    else:
        periods_per_year = _check_periods_per_year(periods_per_year)
    if gross_exposure is None:
        exposed = math.nan
    else:
        gross = _as_values("gross_exposure", gross_exposure)
        if gross.shape[0] != values.shape[0]:
            raise ValueError(
                f"gross_exposure must have one value per equity point, got {gross.shape[0]} "
                f"for {values.shape[0]}"
            )
        exposed = exposure(gross)
    returns = values[1:] / values[:-1] - 1.0
    if math.isnan(periods_per_year):
        vol = sharpe = sortino = math.nan
    else:
        vol = volatility(returns, periods_per_year)
        sharpe = sharpe_ratio(returns, periods_per_year, risk_free_rate)
        sortino = sortino_ratio(returns, periods_per_year, risk_free_rate)
    episodes = _episodes(times, values)
    deepest = min(episodes, key=lambda e: (e.depth, e.peak_index), default=_no_drawdown())
    longest = max(episodes, key=lambda e: (e.duration_ns, -e.peak_index), default=_no_drawdown())
    trades = trade_stats(round_trips)
    notional = traded_notional(fills)
    return PerformanceMetrics(
        start_ns=int(times[0]),
        end_ns=int(times[-1]),
        points=int(values.shape[0]),
        periods_per_year=periods_per_year,
        risk_free_rate=risk_free_rate,
        initial_equity=float(values[0]),
        final_equity=float(values[-1]),
        total_return=float(values[-1] / values[0] - 1.0),
        annualized_return=annualized_return(times, values),
        volatility=vol,
        sharpe=sharpe,
        sortino=sortino,
        max_drawdown=deepest.depth,
        max_drawdown_peak_ns=int(times[deepest.peak_index]),
        max_drawdown_trough_ns=int(times[deepest.trough_index]),
        max_drawdown_recovered=deepest.recovery_index is not None,
        max_drawdown_duration_periods=deepest.duration_periods,
        max_drawdown_duration_ns=deepest.duration_ns,
        longest_drawdown_duration_periods=longest.duration_periods,
        longest_drawdown_duration_ns=longest.duration_ns,
        trade_count=trades.trade_count,
        win_rate=trades.win_rate,
        profit_factor=trades.profit_factor,
        average_win=trades.average_win,
        average_loss=trades.average_loss,
        exposure=exposed,
        traded_notional=notional,
        turnover=notional / float(np.mean(values)),
        fees_paid=fees_paid(fills),
        monthly_returns=monthly_returns(times, values),
    )
