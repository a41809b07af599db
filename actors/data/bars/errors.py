"""Errors of the bar data layer.

Invariant: a bad input row is never used silently. Every problem found in a file is a
:class:`BarProblem` naming the file and the 1-based line (the header is line 1), and
:class:`InvalidBarDataError` carries all of them (its message lists the first few).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ferrotrade.errors import DataFormatError

__all__ = ["BarProblem", "InvalidBarDataError"]


@dataclass(frozen=True, slots=True)
class BarProblem:
    """One bad row (or the header) of an input file: ``file:line: reason``."""

    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


class InvalidBarDataError(DataFormatError):
    """An input file holds bad rows; ``problems`` lists every one of them, in line order.

    The message shows the first ``max_listed`` problems (``file:line: reason``, one a line) and
    how many more there are.
    """

    def __init__(self, problems: Sequence[BarProblem], max_listed: int = 20) -> None:
        self.problems: tuple[BarProblem, ...] = tuple(problems)
        n = len(self.problems)
        files = sorted({p.file for p in self.problems})
        where = files[0] if len(files) == 1 else f"{len(files)} files"
        lines = [f"{n} bad row{'s' if n != 1 else ''} in {where}:"]
        lines.extend(f"  {p}" for p in self.problems[: max(max_listed, 0)])
        if n > max_listed:
            lines.append(f"  ... and {n - max_listed} more")
        super().__init__("\n".join(lines))
