"""A pure-Python reference order book and matching engine, in integer ticks and lots.

It mirrors ``rust_core/src/matching.rs`` rule by rule (and ``book.rs`` for take/available,
``batch.rs`` for the row encoding and error codes), including the order in which trades and
events are emitted, so that the differential tests can demand byte-identical output from both
engines. Where the Rust module doc and the Rust code disagree, this module follows the code and
says so in a comment: the point is a second, independent implementation of the same behaviour.

It is also the benchmark baseline ("a careful pure-Python book"): price levels live in
``sortedcontainers.SortedDict`` maps, each level is a FIFO ``deque`` with lazy deletion
(cancelled orders are marked dead with ``qty == 0`` and skipped when they reach the front),
and an id → order dict gives O(1) cancel. Outputs are plain tuples in the Rust array layouts:

- trade: ``(maker, taker, price, qty, aggressor, ts)``
- event: ``(kind, id, ts, price, qty, leaves, reason)``
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from typing import Generic, Protocol, TypeVar

from sortedcontainers import SortedDict  # type: ignore[import-untyped]

__all__ = [
    "ERR_DUPLICATE_ID",
    "ERR_INVALID_PRICE",
    "ERR_INVALID_QUANTITY",
    "ERR_MALFORMED",
    "ERR_MISSING_PRICE",
    "ERR_OVERFLOW",
    "ERR_UNKNOWN_ID",
    "ReferenceMatchingEngine",
]

# Row ops (batch.rs).
OP_SUBMIT = 0
OP_CANCEL = 1
OP_MODIFY = 2
OP_SESSION_END = 3

# Codes (types.rs).
BUY = 0
SELL = 1
LIMIT = 0
MARKET = 1
STOP = 2
STOP_LIMIT = 3
GTC = 0
IOC = 1
FOK = 2
DAY = 3

# Error codes per failed row (batch.rs).
ERR_MALFORMED = 1
ERR_DUPLICATE_ID = 2
ERR_UNKNOWN_ID = 3
ERR_INVALID_QUANTITY = 4
ERR_INVALID_PRICE = 5
ERR_MISSING_PRICE = 6
ERR_OVERFLOW = 7

# Event kinds and reject reasons (matching.rs).
EV_ACCEPTED = 0
EV_REJECTED = 1
EV_PARTIALLY_FILLED = 2
EV_FILLED = 3
EV_CANCELED = 4
EV_EXPIRED = 5
EV_TRIGGERED = 6
EV_MODIFIED = 7
REASON_NONE = 0
REASON_FOK_CANNOT_FILL = 1
REASON_NO_LIQUIDITY = 2

# Rust `Qty` is u64: a level whose total would exceed this refuses the order (Overflow).
_U64_MAX = (1 << 64) - 1
# Cached touch of an empty side: beyond any i64 price, so comparisons need no None check.
_NO_BID = -(1 << 64)
_NO_ASK = 1 << 64

Trade = tuple[int, int, int, int, int, int]
Event = tuple[int, int, int, int, int, int, int]

_K = TypeVar("_K")
_V = TypeVar("_V")


class _SortedMap(Protocol, Generic[_K, _V]):
    """The part of ``SortedDict`` used here (sortedcontainers ships no type information)."""

    def __len__(self) -> int: ...
    def __bool__(self) -> bool: ...
    def __contains__(self, key: object) -> bool: ...
    def __getitem__(self, key: _K) -> _V: ...
    def __setitem__(self, key: _K, value: _V) -> None: ...
    def __delitem__(self, key: _K) -> None: ...
    def get(self, key: _K) -> _V | None: ...
    def peekitem(self, index: int = -1) -> tuple[_K, _V]: ...
    def irange(
        self,
        minimum: _K | None = None,
        maximum: _K | None = None,
        inclusive: tuple[bool, bool] = (True, True),
        reverse: bool = False,
    ) -> Iterator[_K]: ...
    def values(self) -> Sequence[_V]: ...


class _Order:
    """A resting order; ``qty == 0`` marks it dead in its level's queue (lazy deletion)."""

    __slots__ = ("id", "price", "qty", "side", "tif")

    def __init__(self, oid: int, side: int, price: int, qty: int, tif: int) -> None:
        self.id = oid
        self.side = side
        self.price = price
        self.qty = qty
        self.tif = tif


class _Level:
    """One price level: live totals kept eagerly, the FIFO queue may hold dead orders."""

    __slots__ = ("count", "qty", "queue")

    def __init__(self) -> None:
        self.qty = 0
        self.count = 0
        self.queue: deque[_Order] = deque()


class _Stop:
    """A pending stop or stop-limit order; ``price`` is the limit (0 for a plain stop)."""

    __slots__ = ("id", "order_type", "price", "qty", "seq", "side", "stop", "tif")

    def __init__(
        self, oid: int, side: int, order_type: int, tif: int, qty: int, price: int, stop: int
    ) -> None:
        self.id = oid
        self.side = side
        self.order_type = order_type
        self.tif = tif
        self.qty = qty
        self.price = price
        self.stop = stop
        self.seq = 0


def _new_map() -> _SortedMap[int, _Level]:
    sd: _SortedMap[int, _Level] = SortedDict()
    return sd


def _new_stop_map() -> _SortedMap[tuple[int, int], _Stop]:
    sd: _SortedMap[tuple[int, int], _Stop] = SortedDict()
    return sd


class ReferenceMatchingEngine:
    """The Rust ``MatchingEngine`` in pure Python: same rules, same outputs, integer units.

    Feed it batch rows (``[op, id, side, order_type, tif, price, stop, lots, ts]``) with
    :meth:`apply_row`; read :attr:`trades` and :attr:`events` (or :meth:`drain` them).
    A row that fails returns its error code and changes nothing.
    """

    __slots__ = (
        "_ask",
        "_asks",
        "_bid",
        "_bids",
        "_books",
        "_buy_stops",
        "_last",
        "_orders",
        "_print_hi",
        "_print_lo",
        "_sell_stops",
        "_seq",
        "_stop_index",
        "events",
        "trades",
    )

    def __init__(self) -> None:
        self._bids = _new_map()
        self._asks = _new_map()
        self._books = (self._bids, self._asks)  # indexed by side code
        # The touch, cached: the hot path (a passive limit) must not pay for peekitem.
        self._bid = _NO_BID
        self._ask = _NO_ASK
        self._orders: dict[int, _Order] = {}
        self._buy_stops = _new_stop_map()
        self._sell_stops = _new_stop_map()
        self._stop_index: dict[int, _Stop] = {}
        self._last: int | None = None
        # The range of trade prices printed since stops were last checked.
        self._print_lo: int | None = None
        self._print_hi: int | None = None
        self._seq = 0
        self.trades: list[Trade] = []
        self.events: list[Event] = []

    # ----------------------------------------------------------------------------- queries

    def __len__(self) -> int:
        """Number of resting orders (pending stops are not in the book), as in Rust."""
        return len(self._orders)

    def best_bid(self) -> tuple[int, int] | None:
        """Highest bid as (price, total lots)."""
        if not self._bids:
            return None
        price, level = self._bids.peekitem(-1)
        return price, level.qty

    def best_ask(self) -> tuple[int, int] | None:
        """Lowest ask as (price, total lots)."""
        if not self._asks:
            return None
        price, level = self._asks.peekitem(0)
        return price, level.qty

    def depth(self, side: int, levels: int) -> list[tuple[int, int, int]]:
        """Top ``levels`` of ``side`` (0 bids, 1 asks), best first: (price, lots, count)."""
        book = self._bids if side == BUY else self._asks
        keys = book.irange(reverse=side == BUY)
        out: list[tuple[int, int, int]] = []
        for price in keys:
            if len(out) >= levels:
                break
            level = book[price]
            out.append((price, level.qty, level.count))
        return out

    def level_orders(self, side: int, price: int) -> list[tuple[int, int]]:
        """The live orders at one level in queue order, as (id, lots): for priority tests."""
        level = (self._bids if side == BUY else self._asks).get(price)
        if level is None:
            return []
        return [(o.id, o.qty) for o in level.queue if o.qty]

    def is_live(self, oid: int) -> bool:
        """True when ``oid`` rests in the book or waits as a pending stop."""
        return oid in self._orders or oid in self._stop_index

    @property
    def pending_stop_count(self) -> int:
        """Number of stop orders waiting for their trigger."""
        return len(self._stop_index)

    @property
    def last_trade_price(self) -> int | None:
        """The last trade price, which stops trigger on."""
        return self._last

    def drain(self) -> tuple[list[Trade], list[Event]]:
        """Removes and returns the buffered trades and events."""
        trades, events = self.trades, self.events
        self.trades = []
        self.events = []
        return trades, events

    # ------------------------------------------------------------------------------- rows

    def apply_rows(self, rows: Iterable[Sequence[int]]) -> list[tuple[int, int]]:
        """Applies rows in order; returns (row index, error code) for each failed row.

        A numpy array is converted with ``tolist()`` first: numpy scalars are slow and would
        leak into the output tuples.
        """
        tolist = getattr(rows, "tolist", None)
        if tolist is not None:
            rows = tolist()
        errors: list[tuple[int, int]] = []
        apply_row = self.apply_row
        for i, row in enumerate(rows):
            code = apply_row(row)
            if code:
                errors.append((i, code))
        return errors

    def apply_row(self, row: Sequence[int]) -> int:
        """Applies one row; returns 0, or the error code of a refused row (nothing changed).

        Decoding follows ``batch::decode``: a negative id or quantity, an unknown op, or (for
        submits only) an out-of-range side, order type or time in force is malformed.
        """
        try:
            op, oid, side, order_type, tif, price, stop, qty, ts = row
        except ValueError:  # not 9 columns
            return ERR_MALFORMED
        if oid < 0 or qty < 0:
            return ERR_MALFORMED
        if op == OP_SUBMIT:
            if not (0 <= side <= 1 and 0 <= order_type <= 3 and 0 <= tif <= 3):
                return ERR_MALFORMED
            return self._submit(oid, side, order_type, tif, price, stop, qty, ts)
        if op == OP_CANCEL:
            return self._cancel(oid, ts)
        if op == OP_MODIFY:
            return self._modify(oid, qty, price, ts)
        if op == OP_SESSION_END:
            self._session_end(ts)
            return 0
        return ERR_MALFORMED

    # --------------------------------------------------------------------------- commands

    def _submit(
        self,
        oid: int,
        side: int,
        order_type: int,
        tif: int,
        price: int,
        stop: int,
        qty: int,
        ts: int,
    ) -> int:
        """``MatchingEngine::submit``: validate (qty, limit price, stop price), then dedupe."""
        if qty == 0:
            return ERR_INVALID_QUANTITY
        if order_type in (LIMIT, STOP_LIMIT):
            if price == 0:
                return ERR_MISSING_PRICE
            if price < 0:
                return ERR_INVALID_PRICE
        if order_type >= STOP:
            if stop == 0:
                return ERR_MISSING_PRICE
            if stop < 0:
                return ERR_INVALID_PRICE
        if oid in self._orders or oid in self._stop_index:
            return ERR_DUPLICATE_ID
        if order_type == LIMIT:
            # Fast path for the most common command: a passive limit that does not cross.
            if tif != FOK and (price < self._ask if side == BUY else price > self._bid):
                events = self.events
                events.append((EV_ACCEPTED, oid, ts, 0, 0, qty, 0))
                # OrderBook::add inlined for an existing level (the usual case).
                level = self._books[side].get(price)
                if tif != IOC and level is not None and level.qty + qty <= _U64_MAX:
                    order = _Order(oid, side, price, qty, tif)
                    level.queue.append(order)
                    level.qty += qty
                    level.count += 1
                    self._orders[oid] = order
                elif tif == IOC or not self._rest(oid, side, price, qty, tif):
                    events.append((EV_CANCELED, oid, ts, 0, qty, 0, 0))
                # run_stops is a no-op here: no trade, so the last price did not move
                # and every pending stop was already checked against it.
                return 0
            self._execute(oid, side, price, qty, tif, ts, False)
        elif order_type == MARKET:
            self._execute(oid, side, None, qty, tif, ts, False)
        else:
            self.events.append((EV_ACCEPTED, oid, ts, 0, 0, qty, 0))
            st = _Stop(oid, side, order_type, tif, qty, price, stop)
            if self._stop_reached(side, stop):
                self._trigger(st, ts)
            else:
                self._insert_stop(st)
        self._run_stops(ts)
        return 0

    def _cancel(self, oid: int, ts: int) -> int:
        """``MatchingEngine::cancel``: a resting order first, else a pending stop."""
        order = self._orders.get(oid)
        if order is not None:
            qty = order.qty
            self._unlink(order)
            self.events.append((EV_CANCELED, oid, ts, 0, qty, 0, 0))
            return 0
        st = self._stop_index.get(oid)
        if st is None:
            return ERR_UNKNOWN_ID
        self._remove_stop(st)
        self.events.append((EV_CANCELED, oid, ts, 0, st.qty, 0, 0))
        return 0

    def _modify(self, oid: int, qty: int, price: int, ts: int) -> int:
        """``MatchingEngine::modify``: ``price`` 0 keeps the old limit (or stop) price."""
        if qty == 0:
            return ERR_INVALID_QUANTITY
        if price < 0:
            return ERR_INVALID_PRICE
        order = self._orders.get(oid)
        if order is not None:
            side = order.side
            new_price = price if price else order.price
            crosses = new_price >= self._ask if side == BUY else new_price <= self._bid
            if not crosses:
                # OrderBook::modify: same price and no larger size keeps queue priority.
                old_qty = order.qty
                if new_price == order.price and qty <= old_qty:
                    if qty < old_qty:
                        book = self._books[side]
                        book[new_price].qty -= old_qty - qty
                        order.qty = qty
                else:
                    book = self._books[side]
                    target = book.get(new_price)
                    target_qty = target.qty if target is not None else 0
                    if new_price == order.price:
                        target_qty -= old_qty
                    if target_qty + qty > _U64_MAX:
                        return ERR_OVERFLOW
                    self._unlink(order)
                    self._rest(oid, side, new_price, qty, order.tif)
                self.events.append((EV_MODIFIED, oid, ts, 0, 0, qty, 0))
                return 0
            # A crossing modify loses priority and trades as a fresh (already accepted) limit.
            self._unlink(order)
            self.events.append((EV_MODIFIED, oid, ts, 0, 0, qty, 0))
            self._execute(oid, side, new_price, qty, order.tif, ts, True)
            self._run_stops(ts)
            return 0
        st = self._stop_index.get(oid)
        if st is None:
            return ERR_UNKNOWN_ID
        self._remove_stop(st)
        new_stop = price if price else st.stop
        st2 = _Stop(oid, st.side, st.order_type, st.tif, qty, st.price, new_stop)
        self.events.append((EV_MODIFIED, oid, ts, 0, 0, qty, 0))
        if self._stop_reached(st2.side, new_stop):
            self._trigger(st2, ts)
            self._run_stops(ts)
        else:
            self._insert_stop(st2)
        return 0

    def _session_end(self, ts: int) -> None:
        """Expires DAY orders: resting ones in book order (bids best first, then asks best
        first, FIFO within a level), then pending stops in arrival (sequence) order."""
        expiring: list[_Order] = []
        for book, reverse in ((self._bids, True), (self._asks, False)):
            for price in book.irange(reverse=reverse):
                expiring.extend(o for o in book[price].queue if o.qty and o.tif == DAY)
        events = self.events
        for order in expiring:
            qty = order.qty
            self._unlink(order)
            events.append((EV_EXPIRED, order.id, ts, 0, qty, 0, 0))
        stops = [st for st in self._stop_index.values() if st.tif == DAY]
        stops.sort(key=lambda st: st.seq)
        for st in stops:
            self._remove_stop(st)
            events.append((EV_EXPIRED, st.id, ts, 0, st.qty, 0, 0))

    # ---------------------------------------------------------------------------- matching

    def _execute(
        self,
        oid: int,
        side: int,
        limit: int | None,
        qty: int,
        tif: int,
        ts: int,
        already_accepted: bool,
    ) -> None:
        """``MatchingEngine::execute``: FOK check, empty-side market check, take, then rest
        or cancel the remainder. A refused order that was already accepted (triggered stop,
        crossing modify) is cancelled rather than rejected."""
        events = self.events
        opp = self._asks if side == BUY else self._bids
        reason = REASON_NONE
        if tif == FOK and self._available(side, limit, qty) < qty:
            reason = REASON_FOK_CANNOT_FILL
        elif limit is None and not opp:
            reason = REASON_NO_LIQUIDITY
        if reason:
            if already_accepted:
                events.append((EV_CANCELED, oid, ts, 0, qty, 0, 0))
            else:
                events.append((EV_REJECTED, oid, ts, 0, qty, 0, reason))
            return
        if not already_accepted:
            events.append((EV_ACCEPTED, oid, ts, 0, 0, qty, 0))
        leaves = qty
        if opp:
            leaves = self._take(opp, oid, side, limit, qty, ts)
        if leaves == 0:
            return
        if limit is not None and tif in (GTC, DAY):
            if not self._rest(oid, side, limit, leaves, tif):
                events.append((EV_CANCELED, oid, ts, 0, leaves, 0, 0))
        else:
            events.append((EV_CANCELED, oid, ts, 0, leaves, 0, 0))

    def _take(
        self,
        opp: _SortedMap[int, _Level],
        oid: int,
        side: int,
        limit: int | None,
        qty: int,
        ts: int,
    ) -> int:
        """``OrderBook::take`` plus the per-fill output of ``execute``: for each maker fill a
        trade, the maker's fill event, then the taker's. Returns the taker's leaves."""
        trades = self.trades
        events = self.events
        orders = self._orders
        leaves = qty
        last: int | None = None
        first: int | None = None
        index = 0 if side == BUY else -1
        while leaves and opp:
            price, level = opp.peekitem(index)
            if limit is not None and (price > limit if side == BUY else price < limit):
                break
            last = price
            if first is None:
                first = price
            queue = level.queue
            while leaves:
                maker = queue[0]
                mqty = maker.qty
                if mqty == 0:
                    queue.popleft()
                    continue
                mid = maker.id
                if mqty <= leaves:
                    leaves -= mqty
                    queue.popleft()
                    maker.qty = 0
                    del orders[mid]
                    level.qty -= mqty
                    level.count -= 1
                    trades.append((mid, oid, price, mqty, side, ts))
                    events.append((EV_FILLED, mid, ts, price, mqty, 0, 0))
                    events.append(
                        (
                            EV_FILLED if leaves == 0 else EV_PARTIALLY_FILLED,
                            oid,
                            ts,
                            price,
                            mqty,
                            leaves,
                            0,
                        )
                    )
                    if level.count == 0:
                        del opp[price]
                        self._retouch(side ^ 1)
                        break
                else:
                    rest = mqty - leaves
                    maker.qty = rest
                    level.qty -= leaves
                    trades.append((mid, oid, price, leaves, side, ts))
                    events.append((EV_PARTIALLY_FILLED, mid, ts, price, leaves, rest, 0))
                    events.append((EV_FILLED, oid, ts, price, leaves, 0, 0))
                    leaves = 0
        if last is not None and first is not None:
            self._last = last
            lo, hi = (first, last) if first <= last else (last, first)
            self._print_lo = lo if self._print_lo is None else min(self._print_lo, lo)
            self._print_hi = hi if self._print_hi is None else max(self._print_hi, hi)
        return leaves

    def _available(self, side: int, limit: int | None, want: int) -> int:
        """``OrderBook::available`` for a taker on ``side``: opposite liquidity no worse than
        ``limit``, counted up to ``want``."""
        total = 0
        if side == BUY:
            book = self._asks
            prices = book.irange(maximum=limit)
        else:
            book = self._bids
            prices = book.irange(minimum=limit, reverse=True)
        for price in prices:
            total += book[price].qty
            if total >= want:
                break
        return min(total, want)

    def _rest(self, oid: int, side: int, price: int, qty: int, tif: int) -> bool:
        """``OrderBook::add`` at the back of its level; False (nothing changed) on u64
        overflow of the level total. The order's timestamp is not observable, so not kept."""
        book = self._books[side]
        level = book.get(price)
        if level is None:
            level = _Level()
            book[price] = level
            if side == BUY:
                if price > self._bid:
                    self._bid = price
            elif price < self._ask:
                self._ask = price
        elif level.qty + qty > _U64_MAX:
            return False
        order = _Order(oid, side, price, qty, tif)
        level.queue.append(order)
        level.qty += qty
        level.count += 1
        self._orders[oid] = order
        return True

    def _unlink(self, order: _Order) -> None:
        """Removes a resting order: totals eagerly, the queue entry lazily (marked dead)."""
        del self._orders[order.id]
        book = self._books[order.side]
        price = order.price
        level = book[price]
        level.count -= 1
        if level.count == 0:
            del book[price]
            self._retouch(order.side)
        else:
            level.qty -= order.qty
            queue = level.queue
            # Compact a level whose queue is mostly dead so memory stays bounded.
            if len(queue) > 2 * level.count + 16:
                order.qty = 0
                level.queue = deque(o for o in queue if o.qty)
        order.qty = 0

    def _retouch(self, side: int) -> None:
        """Refreshes the cached touch of ``side`` after one of its levels was dropped."""
        if side == BUY:
            bids = self._bids
            self._bid = bids.peekitem(-1)[0] if bids else _NO_BID
        else:
            asks = self._asks
            self._ask = asks.peekitem(0)[0] if asks else _NO_ASK

    # ------------------------------------------------------------------------------- stops

    def _stop_reached(self, side: int, stop: int) -> bool:
        last = self._last
        if last is None:
            return False
        return last >= stop if side == BUY else last <= stop

    def _insert_stop(self, st: _Stop) -> None:
        self._seq += 1
        st.seq = self._seq
        if st.side == BUY:
            self._buy_stops[(st.stop, st.seq)] = st
        else:  # highest stop first, ties by arrival: the key's last item is the next due
            self._sell_stops[(st.stop, -st.seq)] = st
        self._stop_index[st.id] = st

    def _remove_stop(self, st: _Stop) -> None:
        del self._stop_index[st.id]
        if st.side == BUY:
            del self._buy_stops[(st.stop, st.seq)]
        else:
            del self._sell_stops[(st.stop, -st.seq)]

    def _trigger(self, st: _Stop, ts: int) -> None:
        """A stop becomes a market order, a stop-limit a limit order, same time in force."""
        self.events.append((EV_TRIGGERED, st.id, ts, 0, 0, st.qty, 0))
        limit = st.price if st.order_type == STOP_LIMIT else None
        self._execute(st.id, st.side, limit, st.qty, st.tif, ts, True)

    def _run_stops(self, ts: int) -> None:
        """``MatchingEngine::run_stops``: trigger one stop at a time until none is reached by
        any price printed since the last check (buy stops lowest first, then sell stops
        highest first; ties by arrival)."""
        buy_stops = self._buy_stops
        sell_stops = self._sell_stops
        while self._print_lo is not None and self._print_hi is not None:
            lo, hi = self._print_lo, self._print_hi
            st: _Stop | None = None
            if buy_stops:
                (stop, _), cand = buy_stops.peekitem(0)
                if hi >= stop:
                    st = cand
            if st is None and sell_stops:
                (stop, _), cand = sell_stops.peekitem(-1)
                if lo <= stop:
                    st = cand
            if st is None:
                break
            self._remove_stop(st)
            self._trigger(st, ts)
        self._print_lo = None
        self._print_hi = None
