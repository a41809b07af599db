"""The exception hierarchy: every error ferrotrade raises on purpose derives from one base.

The Rust extension raises these same classes (it imports them from here), so callers catch one
hierarchy whether the error came from Python or Rust. Where a builtin fits the meaning too
(``ValueError`` for bad values, ``KeyError`` for unknown ids) the class also derives from it.
"""

from __future__ import annotations

__all__ = [
    "DataFormatError",
    "DuplicateOrderIdError",
    "FerrotradeError",
    "InvalidBarError",
    "InvalidOrderError",
    "InvalidParameterError",
    "InvalidPriceError",
    "InvalidQuantityError",
    "MissingPriceError",
    "OffTickError",
    "QuantityOverflowError",
    "UnknownOrderIdError",
]


class FerrotradeError(Exception):
    """Base of every error ferrotrade raises deliberately."""


class InvalidOrderError(FerrotradeError, ValueError):
    """An order that can never be valid as given."""


class InvalidQuantityError(InvalidOrderError):
    """A size that is zero, negative, not finite, or off the size grid."""


class InvalidPriceError(InvalidOrderError):
    """A price that is zero, negative or not finite."""


class OffTickError(InvalidPriceError):
    """A price that is not a multiple of the instrument's price increment."""


class MissingPriceError(InvalidOrderError):
    """A limit or stop order without its limit or stop price."""


class DuplicateOrderIdError(FerrotradeError, ValueError):
    """An order id that is already live."""


class UnknownOrderIdError(FerrotradeError, KeyError):
    """An order id that is not live."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class QuantityOverflowError(FerrotradeError, OverflowError):
    """A size total that no longer fits in 64 bits."""


class DataFormatError(FerrotradeError, ValueError):
    """A malformed input file; the message names the file and line."""


class InvalidBarError(FerrotradeError, ValueError):
    """A bar that cannot be real: non-finite or non-positive prices, high below low, open or
    close outside the range, negative volume, or a timestamp not after the previous bar's."""


class InvalidParameterError(FerrotradeError, ValueError):
    """A configuration or call parameter outside its allowed range."""
