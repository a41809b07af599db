"""What every incremental indicator shares: how many updates it has seen and its latest value.

Subclasses own the `_count` and `_value` slots and update them in `update`; this base only
reads them, so it adds no per-update cost.
"""

from __future__ import annotations

from typing import Generic, TypeVar

__all__ = ["Incremental"]

T = TypeVar("T")


class Incremental(Generic[T]):
    """Read-only view of an incremental indicator's progress."""

    __slots__ = ()

    _count: int
    _value: T | None

    @property
    def count(self) -> int:
        """Number of updates seen."""
        return self._count

    @property
    def value(self) -> T | None:
        """The latest value, or None while warming up."""
        return self._value

    @property
    def ready(self) -> bool:
        """True once a value has been produced."""
        return self._value is not None
