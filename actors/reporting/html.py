"""The backtest report as one self-contained HTML file (plus ``report.json``).

Invariant: the HTML needs nothing at view time -- no network, no script, no font download. The
charts are inline SVG generated here (equity curve, drawdown), the monthly returns a coloured
table, then the metrics and the trade list. Choosing generated SVG over a vendored JavaScript
plotting library keeps the file small (tens of kB instead of megabytes), makes the output a
pure function of the results (same results, same bytes: it can be golden-tested), and renders
with scripts disabled. Long curves are reduced to at most ``max_points`` points per chart by
keeping each bucket's minimum and maximum, so drawdown troughs and peaks survive.
"""

from __future__ import annotations

import html
import math
import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

__all__ = ["render_html", "write_report"]

_W, _H = 960, 260
_PAD_L, _PAD_R, _PAD_T, _PAD_B = 70, 16, 14, 28

_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:24px;color:#1b1f24;
background:#fff}h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.sub{color:#57606a;margin:0 0 16px}table{border-collapse:collapse;font-size:13px}
td,th{border:1px solid #d0d7de;padding:3px 8px;text-align:right}th{background:#f6f8fa}
td.l,th.l{text-align:left}.grid{display:flex;flex-wrap:wrap;gap:24px}
svg{background:#fbfcfd;border:1px solid #d0d7de}.pos{color:#1a7f37}.neg{color:#cf222e}
"""


def _esc(x: object) -> str:
    return html.escape(str(x), quote=True)


def _date(ts: int) -> str:
    return datetime.fromtimestamp(ts / 1e9, tz=UTC).strftime("%Y-%m-%d")


def _fmt(v: Any, pct: bool = False) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        if not math.isfinite(v):
            return "n/a"
        return f"{v * 100:,.2f}%" if pct else f"{v:,.4g}" if abs(v) < 1e4 else f"{v:,.2f}"
    return str(v)


def _reduce(xs: Sequence[int], ys: Sequence[float], max_points: int) -> list[tuple[int, float]]:
    n = len(xs)
    if n <= max_points:
        return list(zip(xs, ys, strict=True))
    buckets = max_points // 2
    out: list[tuple[int, float]] = []
    for b in range(buckets):
        lo = b * n // buckets
        hi = max(lo + 1, (b + 1) * n // buckets)
        seg = range(lo, hi)
        i_min = min(seg, key=lambda i: ys[i])
        i_max = max(seg, key=lambda i: ys[i])
        for i in sorted({i_min, i_max}):
            out.append((xs[i], ys[i]))
    return out


def _line_chart(
    cid: str,
    title: str,
    xs: Sequence[int],
    ys: Sequence[float],
    color: str,
    max_points: int,
    fill_to_zero: bool = False,
    pct: bool = False,
) -> str:
    pts = _reduce(xs, ys, max_points)
    if not pts:
        return f'<p id="{cid}">no data</p>'
    x0, x1 = pts[0][0], pts[-1][0]
    y_lo = min(y for _, y in pts)
    y_hi = max(y for _, y in pts)
    if fill_to_zero:
        y_hi = max(y_hi, 0.0)
    if y_hi == y_lo:
        y_hi, y_lo = y_hi + 1.0, y_lo - 1.0
    pw = _W - _PAD_L - _PAD_R
    ph = _H - _PAD_T - _PAD_B

    def sx(x: int) -> float:
        return _PAD_L + (0.0 if x1 == x0 else (x - x0) / (x1 - x0) * pw)

    def sy(y: float) -> float:
        return _PAD_T + (y_hi - y) / (y_hi - y_lo) * ph

    path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in pts)
    parts = [
        f'<svg id="{cid}" class="chart" role="img" aria-label="{_esc(title)}" '
        f'width="{_W}" height="{_H}" viewBox="0 0 {_W} {_H}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for k in range(5):  # horizontal grid and y labels
        y = y_lo + (y_hi - y_lo) * k / 4
        label = f"{y * 100:.1f}%" if pct else f"{y:,.0f}"
        parts.append(
            f'<line x1="{_PAD_L}" x2="{_W - _PAD_R}" y1="{sy(y):.1f}" y2="{sy(y):.1f}" '
            'stroke="#e5e9ee"/>'
            f'<text x="{_PAD_L - 6}" y="{sy(y) + 4:.1f}" font-size="11" text-anchor="end" '
            f'fill="#57606a">{label}</text>'
        )
    for k in range(5):  # x labels
        x = x0 + (x1 - x0) * k // 4
        anchor = "start" if k == 0 else "end" if k == 4 else "middle"
        parts.append(
            f'<text x="{sx(x):.1f}" y="{_H - 8}" font-size="11" text-anchor="{anchor}" '
            f'fill="#57606a">{_date(x)}</text>'
        )
    if fill_to_zero:
        area = f"{sx(pts[0][0]):.1f},{sy(0.0):.1f} {path} {sx(pts[-1][0]):.1f},{sy(0.0):.1f}"
        parts.append(f'<polygon class="area" points="{area}" fill="{color}" fill-opacity="0.35"/>')
    parts.append(
        f'<polyline class="series" points="{path}" fill="none" stroke="{color}" '
        'stroke-width="1.6"/>'
    )
    parts.append("</svg>")
    return "".join(parts)


def _drawdown(ys: Sequence[float]) -> list[float]:
    out: list[float] = []
    peak = -math.inf
    for y in ys:
        peak = max(peak, y)
        out.append(y / peak - 1.0 if peak > 0 else 0.0)
    return out


def _pct1(v: float) -> str:
    text = f"{v * 100:.1f}%"
    return "0.0%" if text == "-0.0%" else text


def _monthly_table(months: Sequence[Mapping[str, Any]]) -> str:
    if not months:
        return '<p id="monthly-returns">no monthly returns</p>'
    by_year: dict[int, dict[int, float | None]] = {}
    for m in months:
        by_year.setdefault(int(m["year"]), {})[int(m["month"])] = m["return"]
    head = "".join(f"<th>{datetime(2000, k, 1).strftime('%b')}</th>" for k in range(1, 13))
    rows = []
    for year in sorted(by_year):
        cells = []
        total = 1.0
        for k in range(1, 13):
            v = by_year[year].get(k)
            if v is None:
                cells.append("<td></td>")
                continue
            total *= 1.0 + v
            alpha = min(1.0, abs(v) / 0.1)
            rgb = "26,127,55" if v >= 0 else "207,34,46"
            cells.append(
                f'<td class="month" style="background:rgba({rgb},{alpha * 0.55:.2f})">'
                f"{_pct1(v)}</td>"
            )
        rows.append(
            f'<tr><th class="l">{year}</th>{"".join(cells)}<td>{_pct1(total - 1)}</td></tr>'
        )
    return (
        f'<table id="monthly-returns"><tr><th class="l">Year</th>{head}<th>Year</th></tr>'
        f"{''.join(rows)}</table>"
    )


_METRIC_ROWS: tuple[tuple[str, str, bool], ...] = (
    ("total_return", "Total return", True),
    ("annualized_return", "Annualized return (CAGR)", True),
    ("volatility", "Volatility (annualized)", True),
    ("sharpe", "Sharpe ratio", False),
    ("sortino", "Sortino ratio", False),
    ("max_drawdown", "Max drawdown", True),
    ("max_drawdown_duration_periods", "Max drawdown duration (bars)", False),
    ("longest_drawdown_duration_periods", "Longest drawdown (bars)", False),
    ("trade_count", "Round trips", False),
    ("win_rate", "Win rate", True),
    ("profit_factor", "Profit factor", False),
    ("average_win", "Average win", False),
    ("average_loss", "Average loss", False),
    ("exposure", "Exposure (time in market)", True),
    ("turnover", "Turnover (x mean equity)", False),
    ("fees_paid", "Fees paid", False),
)


def _metrics_table(results: Mapping[str, Any]) -> str:
    m = results.get("metrics") or {}
    rows = [
        ("Initial capital", _fmt(float(results["initial_capital"]))),
        ("Final value", _fmt(float(results["final_value"]))),
        ("Bars", _fmt(int(results["bar_count"]))),
    ]
    rows += [(label, _fmt(m.get(key), pct)) for key, label, pct in _METRIC_ROWS]
    body = "".join(f'<tr><th class="l">{_esc(a)}</th><td>{_esc(b)}</td></tr>' for a, b in rows)
    return f'<table id="metrics">{body}</table>'


def _trades_table(trades: Sequence[Mapping[str, Any]], max_rows: int) -> str:
    head = (
        "<tr><th>#</th><th class='l'>Symbol</th><th class='l'>Side</th><th>Entry</th>"
        "<th>Entry price</th><th>Exit</th><th>Exit price</th><th>Qty</th><th>P&amp;L</th>"
        "<th>Return</th></tr>"
    )
    rows = []
    for k, t in enumerate(trades[:max_rows], start=1):
        pnl = float(t["pnl"])
        cls = "pos" if pnl > 0 else "neg" if pnl < 0 else ""
        rows.append(
            f'<tr class="trade"><td>{k}</td><td class="l">{_esc(t["symbol"])}</td>'
            f'<td class="l">{_esc(t["direction"])}</td><td>{_date(int(t["entry_time"]))}</td>'
            f"<td>{float(t['entry_price']):,.4f}</td><td>{_date(int(t['exit_time']))}</td>"
            f"<td>{float(t['exit_price']):,.4f}</td><td>{float(t['quantity']):,.6g}</td>"
            f'<td class="{cls}">{pnl:,.2f}</td><td class="{cls}">{float(t["return"]) * 100:.2f}%'
            "</td></tr>"
        )
    more = ""
    if len(trades) > max_rows:
        more = f"<p>{len(trades) - max_rows:,} more trades in report.json</p>"
    return f'<table id="trades">{head}{"".join(rows)}</table>{more}'


def render_html(
    results: Mapping[str, Any], *, max_points: int = 1_500, max_trades: int = 1_000
) -> str:
    """The report page for a backtest results dictionary (see :mod:`actors.backtest.engine`)."""
    curve = results.get("equity_curve") or []
    xs = [int(p[0]) for p in curve]
    ys = [float(p[1]) for p in curve]
    title = f"Backtest: {results['strategy']} on {results['symbol']}"
    params = ", ".join(f"{k}={v}" for k, v in (results.get("params") or {}).items())
    exe = results.get("execution") or {}
    metrics = results.get("metrics") or {}
    sub = (
        f"{_esc(results['start'][:10])} to {_esc(results['end'][:10])} &middot; "
        f"{_esc(results.get('timeframe', ''))} &middot; params: {_esc(params or 'defaults')}"
        f" &middot; fills: {_esc(exe.get('timing', ''))}"
    )
    body = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_esc(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_esc(title)}</h1><p class='sub'>{sub}</p>",
        "<h2>Equity curve</h2>",
        _line_chart("equity-chart", "Equity curve", xs, ys, "#0969da", max_points),
        "<h2>Drawdown</h2>",
        _line_chart(
            "drawdown-chart",
            "Drawdown",
            xs,
            _drawdown(ys),
            "#cf222e",
            max_points,
            fill_to_zero=True,
            pct=True,
        ),
        "<div class='grid'><div><h2>Metrics</h2>",
        _metrics_table(results),
        "</div><div><h2>Monthly returns</h2>",
        _monthly_table(metrics.get("monthly_returns") or []),
        "</div></div>",
        f"<h2>Trades ({len(results.get('trades') or [])})</h2>",
        _trades_table(results.get("trades") or [], max_trades),
        "</body></html>",
    ]
    return "\n".join(body)


def write_report(
    results: Mapping[str, Any],
    out_dir: str | os.PathLike[str],
    run: Mapping[str, Any] | None = None,
) -> tuple[Path, Path]:
    """Write ``report.html`` and ``report.json`` (``{"results", "run"}``) into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    page = out / "report.html"
    data = out / "report.json"
    page.write_text(render_html(results), encoding="utf-8")
    payload = {"results": results, "run": dict(run or {})}
    data.write_bytes(orjson.dumps(payload, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
    return page, data
