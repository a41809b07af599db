"""Start-up reconciliation with the broker: the engine's own ledger against the broker's truth.

Invariant: after :func:`reconcile_with_broker` the engine starts from the broker's positions and
cash, whatever its ledger said; every difference found on the way is reported as *drift* (and
logged by the engine) so an operator can see what the previous run missed.

The ledger is the previous sessions' ``audit.csv`` in the run directory (written row by row, so
a killed process loses at most the row being written). Compared, per broker order whose
``client_order_id`` carries the deployment's prefix: the quantity filled at the broker against
the fills the ledger booked; then the position per symbol. Open orders left by an earlier session
are reported and, with ``cancel_open_orders=True`` (the default), canceled before positions are
read, so nothing fills behind the engine's back. The positions are then *adopted*: one synthetic
fill per symbol at the broker's average entry price (client order id ``adopt-s<session>-<SYM>``),
so portfolio and risk (which books fills per strategy) start from the broker's book, and the
starting cash is chosen so that cash after adoption equals the broker's.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Ledger", "Reconciliation", "read_ledger", "reconcile_with_broker"]

log = logging.getLogger(__name__)
_EPS = 1e-9
ADOPT_PREFIX = "adopt-"


@dataclass
class Ledger:
    """What the previous sessions' audit trail says."""

    filled_by_broker_cid: dict[str, float] = field(default_factory=dict)
    positions: dict[str, float] = field(default_factory=dict)
    submitted: list[str] = field(default_factory=list)
    fills: int = 0


def read_ledger(path: str | Path) -> Ledger:
    """Parse ``audit.csv`` (missing file: an empty ledger). Adoption rows of a session reset the
    positions to what was adopted (they restate, not add to, the earlier fills)."""
    ledger = Ledger()
    p = Path(path)
    if not p.exists():
        return ledger
    adopted_sessions: set[str] = set()
    with p.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            kind = row.get("type", "")
            cid = row.get("client_order_id", "")
            if kind == "SubmitOrder":
                ledger.submitted.append(row.get("broker_client_order_id", ""))
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
            bcid = row.get("broker_client_order_id", "")
            ledger.filled_by_broker_cid[bcid] = ledger.filled_by_broker_cid.get(bcid, 0.0) + qty
            ledger.positions[sym] = ledger.positions.get(sym, 0.0) + signed
    return ledger


@dataclass
class Reconciliation:
    """The outcome: drift found, orders canceled, positions adopted, the starting cash."""

    drift: list[dict[str, Any]] = field(default_factory=list)
    canceled: list[str] = field(default_factory=list)
    adopted: list[dict[str, Any]] = field(default_factory=list)
    broker_cash: float | None = None
    starting_cash: float | None = None
    broker_orders: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "drift": self.drift,
            "canceled": self.canceled,
            "adopted": self.adopted,
            "broker_cash": self.broker_cash,
            "starting_cash": self.starting_cash,
            "broker_orders": self.broker_orders,
        }


def _f(v: object) -> float:
    if v is None or v == "":
        return 0.0
    return float(str(v))


def reconcile_with_broker(
    ledger: Ledger,
    *,
    all_orders: Callable[[], list[Mapping[str, Any]]],
    positions: Callable[[], list[Mapping[str, Any]]],
    account: Callable[[], Mapping[str, Any]],
    cancel: Callable[[str], None],
    prefix: str,
    cancel_open_orders: bool = True,
) -> Reconciliation:
    """Compare, cancel stale open orders, adopt positions (see the module docstring)."""
    rec = Reconciliation()
    orders = [o for o in all_orders() if str(o.get("client_order_id", "")).startswith(prefix)]
    rec.broker_orders = len(orders)
    seen: set[str] = set()
    for o in orders:
        cid = str(o["client_order_id"])
        seen.add(cid)
        broker_q = _f(o.get("filled_qty"))
        ledger_q = ledger.filled_by_broker_cid.get(cid, 0.0)
        if abs(broker_q - ledger_q) > _EPS:
            rec.drift.append(
                {
                    "kind": "fills",
                    "client_order_id": cid,
                    "symbol": o.get("symbol"),
                    "broker_filled": broker_q,
                    "ledger_filled": ledger_q,
                }
            )
        if str(o.get("status")) in (
            "new",
            "accepted",
            "partially_filled",
            "pending_new",
            "held",
            "pending_replace",
            "accepted_for_bidding",
        ):
            rec.drift.append(
                {
                    "kind": "open_order",
                    "client_order_id": cid,
                    "symbol": o.get("symbol"),
                    "status": o.get("status"),
                }
            )
            if cancel_open_orders:
                try:
                    cancel(str(o["id"]))
                    rec.canceled.append(cid)
                except Exception as exc:  # already filled or gone: the positions tell
                    log.warning("cancel of stale order %s failed: %s", cid, exc)
    for cid in sorted(set(ledger.filled_by_broker_cid) - seen):
        rec.drift.append(
            {
                "kind": "fills_unknown_to_broker",
                "client_order_id": cid,
                "ledger_filled": ledger.filled_by_broker_cid[cid],
            }
        )
    broker_pos = {str(p["symbol"]): p for p in positions()}
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
