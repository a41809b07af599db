"""Bars and bar data: timeframes, the columnar :class:`BarSeries`, CSV import, resampling, the
SQLite :class:`BarStore`, split/dividend adjustment and the shipped demo data set.

Invariant: time is integer nanoseconds since the Unix epoch, UTC, and a bar's timestamp is the
start of its bucket (daily and coarser bars: 00:00 UTC of their date). Bad input is reported
with file and line and never used silently. Nothing here reads a clock or does work at import.
"""

from actors.data.bars.adjust import CorporateAction, adjust, read_corporate_actions
from actors.data.bars.csv_io import COLUMNS, read_bars_csv, write_bars_csv
from actors.data.bars.demo import demo_data_dir, demo_symbols, load_demo_bars
from actors.data.bars.errors import BarProblem, InvalidBarDataError
from actors.data.bars.resample import resample
from actors.data.bars.series import BarRow, BarSeries
from actors.data.bars.store import SCHEMA_VERSION, BarStore
from actors.data.bars.timeframe import Timeframe

__all__ = [
    "COLUMNS",
    "SCHEMA_VERSION",
    "BarProblem",
    "BarRow",
    "BarSeries",
    "BarStore",
    "CorporateAction",
    "InvalidBarDataError",
    "Timeframe",
    "adjust",
    "demo_data_dir",
    "demo_symbols",
    "load_demo_bars",
    "read_bars_csv",
    "read_corporate_actions",
    "resample",
    "write_bars_csv",
]
