"""The small real data set shipped for demos: daily bars of a few US stocks (see
``config/data/README.md`` for its source and public-domain terms).

Where the files are: ``config/data/daily/`` beside the ``actors`` package, i.e. the parent
directory of ``actors/``. That holds in a source checkout and in an editable install (the
package *is* the checkout) and in a wheel that ships ``config/`` as data next to the packages in
``site-packages``. ``config`` is not a Python package (it holds data only), so
``importlib.resources`` cannot name it; the path is computed from this module's location
instead. Pass ``root=`` to read the same layout from elsewhere.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from actors.data.bars.csv_io import read_bars_csv
from actors.data.bars.series import BarSeries
from ferrotrade.errors import InvalidParameterError

__all__ = ["demo_data_dir", "demo_symbols", "load_demo_bars"]


def demo_data_dir(root: str | os.PathLike[str] | None = None) -> Path:
    """The directory holding the demo daily CSV files (``<root>/config/data/daily``)."""
    base = Path(root) if root is not None else Path(__file__).resolve().parents[3]
    return base / "config" / "data" / "daily"


def demo_symbols(root: str | os.PathLike[str] | None = None) -> list[str]:
    """Symbols of the demo set, sorted."""
    directory = demo_data_dir(root)
    if not directory.is_dir():
        raise FileNotFoundError(f"demo data not found at {directory}")
    return sorted(p.stem for p in directory.glob("*.csv"))


def load_demo_bars(
    symbols: Iterable[str] | None = None, *, root: str | os.PathLike[str] | None = None
) -> dict[str, BarSeries]:
    """Daily bars of the demo ``symbols`` (all when ``None``), keyed by symbol, in input order."""
    available = demo_symbols(root)
    wanted = available if symbols is None else list(symbols)
    unknown = [s for s in wanted if s not in available]
    if unknown:
        raise InvalidParameterError(
            f"no demo data for {', '.join(unknown)}: available {', '.join(available)}"
        )
    directory = demo_data_dir(root)
    return {s: read_bars_csv(directory / f"{s}.csv", s, "1Day") for s in wanted}
