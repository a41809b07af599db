"""OrderBook through Python: decimal conversion at the boundary, priority, precise errors."""

from __future__ import annotations

import math

import pytest

from ferrotrade import OrderBook, Side
from ferrotrade.errors import (
    DuplicateOrderIdError,
    FerrotradeError,
    InvalidParameterError,
    InvalidPriceError,
    InvalidQuantityError,
    OffTickError,
    QuantityOverflowError,
    UnknownOrderIdError,
)


@pytest.fixture
def book() -> OrderBook:
    b = OrderBook(price_increment=0.01, size_increment=1.0)
    b.add(1, Side.BUY, 100.00, 5)
    b.add(2, "buy", 100.00, 7)
    b.add(3, "BUY", 99.99, 1)
    b.add(4, Side.SELL, 100.02, 3)
    return b


def snapshot(b: OrderBook) -> tuple[object, ...]:
    return (len(b), b.depth(Side.BUY, 50), b.depth(Side.SELL, 50))


def test_depth_aggregates_levels_best_first(book: OrderBook) -> None:
    assert book.best_bid() == (100.0, 12.0)
    assert book.best_ask() == (100.02, 3.0)
    assert book.depth("buy", 2) == [(100.0, 12.0, 2), (99.99, 1.0, 1)]
    assert book.level_count(Side.SELL) == 1
    book.check_integrity()


def test_prices_come_back_as_the_decimals_that_went_in() -> None:
    b = OrderBook(price_increment=0.01)
    b.add(1, Side.SELL, 100.03, 1)
    b.add(2, Side.SELL, 0.07, 1)
    assert [lvl[0] for lvl in b.depth(Side.SELL)] == [0.07, 100.03]


def test_crypto_increments_convert_exactly() -> None:
    b = OrderBook(price_increment=0.01, size_increment=0.0001)
    b.add(1, Side.BUY, 42123.45, 0.0003)
    order = b.order(1)
    assert order is not None
    assert (order.price, order.size) == (42123.45, 0.0003)


def test_size_down_keeps_priority_size_up_loses_it(book: OrderBook) -> None:
    book.modify(1, 100.00, 4)
    assert book.queue_position(2) == (1, 4.0)
    book.modify(1, 100.00, 6)
    assert book.queue_position(1) == (1, 7.0)
    book.modify(2, 100.01, 7)
    assert book.best_bid() == (100.01, 7.0)


def test_reduce_and_cancel_report_what_is_left(book: OrderBook) -> None:
    assert book.reduce(2, 3) == 4.0
    assert book.cancel(2) == 4.0
    assert 2 not in book
    assert book.reduce(4, 10) == 0.0
    assert book.best_ask() is None


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda b: b.add(1, Side.BUY, 100.0, 1), DuplicateOrderIdError),
        (lambda b: b.add(9, Side.BUY, 100.005, 1), OffTickError),
        (lambda b: b.add(9, Side.BUY, math.nan, 1), InvalidPriceError),
        (lambda b: b.add(9, Side.BUY, math.inf, 1), InvalidPriceError),
        (lambda b: b.add(9, Side.BUY, -1.0, 1), InvalidPriceError),
        (lambda b: b.add(9, Side.BUY, 0.0, 1), InvalidPriceError),
        (lambda b: b.add(9, Side.BUY, 100.0, 0), InvalidQuantityError),
        (lambda b: b.add(9, Side.BUY, 100.0, -2), InvalidQuantityError),
        (lambda b: b.add(9, Side.BUY, 100.0, 0.5), InvalidQuantityError),
        (lambda b: b.add(9, Side.BUY, 100.0, math.nan), InvalidQuantityError),
        (lambda b: b.add(9, Side.BUY, 100.0, 1e19), QuantityOverflowError),
        (lambda b: b.add(9, "up", 100.0, 1), ValueError),
        (lambda b: b.cancel(99), UnknownOrderIdError),
        (lambda b: b.reduce(99, 1), UnknownOrderIdError),
        (lambda b: b.modify(99, 100.0, 1), UnknownOrderIdError),
        (lambda b: b.modify(1, 100.0, 0), InvalidQuantityError),
    ],
)
def test_bad_input_raises_precisely_and_changes_nothing(
    book: OrderBook, call: object, error: type[Exception]
) -> None:
    before = snapshot(book)
    with pytest.raises(error):
        call(book)  # type: ignore[operator]
    assert snapshot(book) == before
    book.check_integrity()


def test_overflow_of_a_level_total_is_refused() -> None:
    b = OrderBook(size_increment=1.0)
    for order_id in range(3):
        b.add(order_id, Side.BUY, 1.0, 2.0**62)
    with pytest.raises(QuantityOverflowError):
        b.add(3, Side.BUY, 1.0, 2.0**62)
    assert b.depth(Side.BUY) == [(1.0, 3 * 2.0**62, 3)]


def test_errors_share_one_base_and_builtin_meaning() -> None:
    assert issubclass(OffTickError, FerrotradeError)
    assert issubclass(OffTickError, ValueError)
    assert issubclass(UnknownOrderIdError, KeyError)
    with pytest.raises(InvalidParameterError):
        OrderBook(price_increment=0.0)
    with pytest.raises(InvalidParameterError):
        OrderBook(size_increment=math.nan)
