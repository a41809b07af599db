"""Start-up reconciliation with the broker: the engine's own ledger against the broker's truth.

Invariant: after :func:`reconcile_with_broker` the engine starts from the broker's positions,
cash and open orders, whatever its ledger said; every difference found on the way is reported as
*drift* (and logged by the engine) so an operator can see what the previous run missed.

The ledger is the previous sessions' ``audit.csv`` in the run directory (written row by row, so
a killed process loses at most the row being written). Compared, per broker order whose
``client_order_id`` carries the deployment's prefix: the quantity filled at the broker against
the fills the ledger booked, and whether the order is still working; then the position per
symbol.

Open orders left by an earlier session are *adopted* by default (``cancel_open_orders=False``):
each one is listed in :attr:`Reconciliation.adopted_orders` with what the broker has filled of
it so far, and the engine registers it as a working order (execution maps its later trade
updates, risk counts it in its working totals, the audit trail restates it), so a fill after the
restart is booked exactly once, under the strategy that sent it. Orders, positions and orders
again are read until the open orders' filled quantities agree before and after the positions
(a fill between the reads would otherwise be counted twice or never). With
``cancel_open_orders=True`` they are canceled instead, before positions are read, so nothing
fills behind the engine's back.

The positions are then *adopted*: one synthetic fill per symbol at the broker's average entry
price (client order id ``adopt-s<session>-<SYM>``), so portfolio and risk (which books fills per
strategy) start from the broker's book, and the starting cash is chosen so that cash after
adoption equals the broker's.
"""

from __future__ import annotations

import csv
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from actors.execution.alpaca import original_client_order_id, replacement_number
from actors.messages import OrderType, TimeInForce

__all__ = [
    "ADOPT_ORDER_ROW",
    "OPEN_STATUSES",
    "AdoptedTerms",
    "Ledger",
    "Reconciliation",
    "adopted_terms",
    "read_ledger",
    "reconcile_with_broker",
    "strategy_of",
]

log = logging.getLogger(__name__)
_EPS = 1e-9
ADOPT_PREFIX = "adopt-"
#: ``type`` of the audit row that restates an adopted order (its filled part at adoption).
ADOPT_ORDER_ROW = "AdoptOrder"
#: Alpaca order statuses of a working order (it can still fill).
OPEN_STATUSES = frozenset(
    {
        "new",
        "accepted",
        "partially_filled",
        "pending_new",
        "held",
        "pending_replace",
        "pending_cancel",
        "accepted_for_bidding",
    }
)
_DONE_ROWS = frozenset({"OrderFilled", "OrderRejected", "OrderCanceled", "OrderExpired"})
_SNAPSHOT_ATTEMPTS = 5


@dataclass
class Ledger:
    """What the previous sessions' audit trail says (keys are the broker's client order ids)."""

    filled_by_broker_cid: dict[str, float] = field(default_factory=dict)
    positions: dict[str, float] = field(default_factory=dict)
    submitted: list[str] = field(default_factory=list)
    open_orders: set[str] = field(default_factory=set)
    fills: int = 0


def read_ledger(path: str | Path) -> Ledger:
    """Parse ``audit.csv`` (missing file: an empty ledger). Adoption rows restate rather than
    add: a session's position adoption rows reset the positions to what was adopted, and an
    ``AdoptOrder`` row sets its order's filled quantity to what the broker had filled."""
    ledger = Ledger()
    p = Path(path)
    if not p.exists():
        return ledger
    adopted_sessions: set[str] = set()
    with p.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            kind = row.get("type", "")
            cid = row.get("client_order_id", "")
            # one key per order chain: a replacement's id maps to the order it continues
            bcid = original_client_order_id(row.get("broker_client_order_id", ""))
            if kind == "SubmitOrder":
                ledger.submitted.append(bcid)
                ledger.open_orders.add(bcid)
            elif kind == ADOPT_ORDER_ROW:
                try:
                    filled = float(row.get("quantity") or 0.0) - float(row.get("remaining") or 0.0)
                except ValueError:
                    continue
                ledger.filled_by_broker_cid[bcid] = filled
                ledger.open_orders.add(bcid)
            elif kind in _DONE_ROWS:
                ledger.open_orders.discard(bcid)
            if kind not in ("OrderFilled", "OrderPartiallyFilled"):
                continue
            try:
                qty = float(row.get("fill_quantity") or 0.0)
            except ValueError:
                continue
            sym = row.get("symbol", "")
            signed = qty if row.get("side") == "BUY" else -qty
            if cid.startswith(ADOPT_PREFIX):
                session = cid.split("-")[1]
                if session not in adopted_sessions:
                    adopted_sessions.add(session)
                    ledger.positions = {}
                ledger.positions[sym] = ledger.positions.get(sym, 0.0) + signed
                continue
            ledger.fills += 1
            ledger.filled_by_broker_cid[bcid] = ledger.filled_by_broker_cid.get(bcid, 0.0) + qty
            ledger.positions[sym] = ledger.positions.get(sym, 0.0) + signed
    return ledger


@dataclass
class Reconciliation:
    """The outcome: drift found, orders canceled or adopted, positions adopted, the cash."""

    drift: list[dict[str, Any]] = field(default_factory=list)
    canceled: list[str] = field(default_factory=list)
    adopted: list[dict[str, Any]] = field(default_factory=list)
    adopted_orders: list[dict[str, Any]] = field(default_factory=list)
    broker_cash: float | None = None
    starting_cash: float | None = None
    broker_orders: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "drift": self.drift,
            "canceled": self.canceled,
            "adopted": self.adopted,
            "adopted_orders": self.adopted_orders,
            "broker_cash": self.broker_cash,
            "starting_cash": self.starting_cash,
            "broker_orders": self.broker_orders,
        }


def _f(v: object) -> float:
    if v is None or v == "":
        return 0.0
    return float(str(v))


def _opt_f(v: object) -> float | None:
    return None if v is None or v == "" else float(str(v))


_ORDER_TYPES = {
    "market": OrderType.MARKET,
    "limit": OrderType.LIMIT,
    "stop": OrderType.STOP,
    "stop_limit": OrderType.STOP_LIMIT,
    # Alpaca reports a trailing stop's current trigger as its stop_price: tracked as that stop
    "trailing_stop": OrderType.STOP,
}
_TIFS = {
    "gtc": TimeInForce.GTC,
    "day": TimeInForce.DAY,
    "ioc": TimeInForce.IOC,
    "fok": TimeInForce.FOK,
}


@dataclass(frozen=True)
class AdoptedTerms:
    """How an adopted broker order is tracked here, and what had to be approximated."""

    order_type: OrderType
    time_in_force: TimeInForce
    approximations: tuple[str, ...]


def adopted_terms(order_type: str, time_in_force: str, stop_price: float | None) -> AdoptedTerms:
    """Our order type and time in force for a broker order being adopted. Fills are booked by
    the broker's order id whatever the type; the type matters for a later modify and for the
    log, so anything not exact is named (an operator should know): a trailing stop is tracked
    as the stop it is at now; an unknown type as a market order (or a stop when it has a stop
    price); an unknown time in force (opg, cls, gtd...) as GTC."""
    notes: list[str] = []
    ours = _ORDER_TYPES.get(order_type)
    if ours is None:
        ours = OrderType.STOP if stop_price is not None else OrderType.MARKET
        notes.append(f"order type {order_type!r} tracked as {ours.value}")
    elif order_type == "trailing_stop":
        notes.append(f"trailing stop tracked as a stop at {stop_price}")
    if ours in (OrderType.STOP, OrderType.STOP_LIMIT) and stop_price is None:
        ours = OrderType.MARKET
        notes.append("stop order without a stop price tracked as MARKET")
    tif = _TIFS.get(time_in_force)
    if tif is None:
        tif = TimeInForce.GTC
        notes.append(f"time in force {time_in_force!r} tracked as GTC")
    return AdoptedTerms(ours, tif, tuple(notes))


def strategy_of(broker_cid: str, prefix: str) -> str | None:
    """The strategy id inside a broker client order id ``<prefix>s<session>-<strategy>-<n>``
    (the engine's scheme; a replacement's ``.r<k>`` suffix is ignored), or None when the id
    does not follow it."""
    m = re.fullmatch(re.escape(prefix) + r"s\d+-(.+)-\d+", original_client_order_id(broker_cid))
    return m.group(1) if m else None


@dataclass
class _Chain:
    """An order and the orders that replaced it (``<id>``, ``<id>.r1``, ...), as the broker
    lists them: what the chain filled, and its working member (at most one)."""

    filled: float = 0.0
    replaced_filled: float = 0.0  # by members no longer working (replaced, or done)
    replaced_notional: float = 0.0
    working: Mapping[str, Any] | None = None
    last_status: str = ""
    last_n: int = -1
    symbol: str = ""

    def add(self, o: Mapping[str, Any]) -> None:
        self.symbol = str(o.get("symbol"))
        q = _f(o.get("filled_qty"))
        self.filled += q
        status = str(o.get("status"))
        if status in OPEN_STATUSES:
            self.working = o
        else:
            self.replaced_filled += q
            self.replaced_notional += q * _f(o.get("filled_avg_price"))
        n = replacement_number(str(o["client_order_id"]))
        if n > self.last_n:
            self.last_n, self.last_status = n, status


def _chains(orders: list[Mapping[str, Any]]) -> dict[str, _Chain]:
    chains: dict[str, _Chain] = {}
    for o in orders:
        base = original_client_order_id(str(o["client_order_id"]))
        chains.setdefault(base, _Chain()).add(o)
    return chains


def _fills_key(orders: list[Mapping[str, Any]]) -> dict[str, tuple[str, float]]:
    """What must not change between the two order reads around the positions read."""
    return {str(o["id"]): (str(o.get("status")), _f(o.get("filled_qty"))) for o in orders}


def _working(orders: list[Mapping[str, Any]]) -> dict[str, str]:
    """Client order id -> status of the orders still working at the broker."""
    return {
        str(o["client_order_id"]): str(o.get("status"))
        for o in orders
        if str(o.get("status")) in OPEN_STATUSES
    }


def _adopted_order(o: Mapping[str, Any], prefix: str, chain: _Chain) -> dict[str, Any]:
    """The working order ``o`` as the engine adopts it: the chain's quantity and fills
    (``replaced_*`` the part of them filled by the orders ``o`` replaced)."""
    cid = str(o["client_order_id"])
    own = _f(o.get("filled_qty"))
    own_avg = _opt_f(o.get("filled_avg_price"))
    filled = chain.replaced_filled + own
    notional = chain.replaced_notional + own * (own_avg or 0.0)
    return {
        "client_order_id": cid,
        "order_id": str(o["id"]),
        "strategy_id": strategy_of(cid, prefix),
        "symbol": str(o.get("symbol")),
        "side": str(o.get("side")),
        "order_type": str(o.get("order_type") or o.get("type")),
        "time_in_force": str(o.get("time_in_force")),
        "quantity": chain.replaced_filled + _f(o.get("qty")),
        "filled_quantity": filled,
        "filled_avg_price": notional / filled if filled > _EPS else None,
        "replaced_filled_quantity": chain.replaced_filled,
        "replaced_filled_notional": chain.replaced_notional,
        "limit_price": _opt_f(o.get("limit_price")),
        "stop_price": _opt_f(o.get("stop_price")),
        "status": str(o.get("status")),
    }


def reconcile_with_broker(
    ledger: Ledger,
    *,
    all_orders: Callable[[], list[Mapping[str, Any]]],
    positions: Callable[[], list[Mapping[str, Any]]],
    account: Callable[[], Mapping[str, Any]],
    cancel: Callable[[str], None],
    prefix: str,
    cancel_open_orders: bool = False,
) -> Reconciliation:
    """Compare, adopt (or cancel) open orders, adopt positions (see the module docstring)."""
    rec = Reconciliation()

    def ours() -> list[Mapping[str, Any]]:
        return [o for o in all_orders() if str(o.get("client_order_id", "")).startswith(prefix)]

    orders = ours()
    if cancel_open_orders:
        working = _working(orders)
        for o in orders:
            if str(o["client_order_id"]) in working:
                try:
                    cancel(str(o["id"]))
                    rec.canceled.append(str(o["client_order_id"]))
                except Exception as exc:  # already filled or gone: the re-read tells
                    log.warning("cancel of stale order %s failed: %s", o["client_order_id"], exc)
        if rec.canceled:
            orders = ours()  # fills up to the cancel belong to the positions read next
        broker_positions = positions()
    else:
        for _ in range(_SNAPSHOT_ATTEMPTS):
            broker_positions = positions()
            again = ours()
            consistent = _fills_key(again) == _fills_key(orders)
            orders = again
            if consistent:
                break
        else:
            log.warning("orders kept filling while reconciling: adopting the last reads")
    rec.broker_orders = len(orders)
    chains = _chains(orders)
    canceled = {original_client_order_id(c) for c in rec.canceled}  # working until we did
    for cid, chain in chains.items():  # the broker lists orders in a stable order
        symbol = chain.symbol
        ledger_q = ledger.filled_by_broker_cid.get(cid, 0.0)
        if abs(chain.filled - ledger_q) > _EPS:
            rec.drift.append(
                {
                    "kind": "fills",
                    "client_order_id": cid,
                    "symbol": symbol,
                    "broker_filled": chain.filled,
                    "ledger_filled": ledger_q,
                }
            )
        w = chain.working
        if (w is not None or cid in canceled) and cid not in ledger.open_orders:
            # working at the broker, unknown to (or already closed in) the ledger
            rec.drift.append(
                {
                    "kind": "open_order",
                    "client_order_id": cid,
                    "symbol": symbol,
                    "status": str(w.get("status")) if w is not None else "canceled at start",
                }
            )
        closed = w is None and cid not in canceled and chain.last_status != "filled"
        if cid in ledger.open_orders and closed:
            # canceled, expired... while the engine was away
            rec.drift.append(
                {
                    "kind": "order_closed",
                    "client_order_id": cid,
                    "symbol": symbol,
                    "status": chain.last_status,
                }
            )
        if not cancel_open_orders and w is not None:
            rec.adopted_orders.append(_adopted_order(w, prefix, chain))
    seen = set(chains)
    for cid in sorted(set(ledger.filled_by_broker_cid) - seen):
        rec.drift.append(
            {
                "kind": "fills_unknown_to_broker",
                "client_order_id": cid,
                "ledger_filled": ledger.filled_by_broker_cid[cid],
            }
        )
    broker_pos = {str(p["symbol"]): p for p in broker_positions}
    for sym in sorted(set(broker_pos) | set(ledger.positions)):
        bq = _f(broker_pos[sym].get("qty")) if sym in broker_pos else 0.0
        if sym in broker_pos and str(broker_pos[sym].get("side", "long")) == "short" and bq > 0:
            bq = -bq
        lq = ledger.positions.get(sym, 0.0)
        if abs(bq - lq) > _EPS:
            rec.drift.append({"kind": "position", "symbol": sym, "broker": bq, "ledger": lq})
        if abs(bq) > _EPS:
            rec.adopted.append(
                {
                    "symbol": sym,
                    "quantity": bq,
                    "avg_entry_price": _f(broker_pos[sym].get("avg_entry_price")),
                }
            )
    acct = account()
    cash = _f(acct.get("cash"))
    rec.broker_cash = cash
    rec.starting_cash = cash + sum(a["quantity"] * a["avg_entry_price"] for a in rec.adopted)
    return rec
