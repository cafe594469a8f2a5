"""Reordering: what to order for every low item, and draft purchase orders made from those
suggestions (one per preferred vendor).

A suggestion is at least the item's reorder quantity, and enough to cover the vendor's lead time
at the last 30 days' average daily usage, rounded up to whole packs
(:func:`clinic.inventory.suggested_order`). Writes re-read the acting account (action
``inventory.order``) and audit in the same transaction, through db/purchase_orders.py's steps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from clinic import inventory as rules
from clinic.errors import ClinicError
from db import Connection, atomic, read, stock_alerts
from db import inventory as stock
from db.actors import acting
from db.purchase_orders import ACTION, active_vendor_in, insert_order_in, item_for_order_in

USAGE_DAYS = 30  # suggestions cover the lead time at the last 30 days' average daily usage


@dataclass(frozen=True)
class Suggestion:
    item_id: int
    sku: str
    name: str
    unit: str
    pack_size: int
    vendor_id: int | None
    vendor_name: str | None
    on_hand: int
    on_order: int
    reorder_point: int
    suggested_quantity: int  # units of issue, whole packs
    unit_cost: Decimal
    daily_usage: float = 0.0
    lead_time_days: int | None = None
    draft_po_id: int | None = None  # a draft order already holding this item

    @property
    def packs(self) -> int:
        return self.suggested_quantity // max(1, self.pack_size)


def suggestions(conn: Connection, *, as_of: date) -> list[Suggestion]:
    """What to order for every low item (``db.stock_alerts.low_stock``): at least its reorder
    quantity, enough to cover the vendor's lead time at the last 30 days' usage, whole packs."""
    low = stock_alerts.low_stock(conn, today=as_of)
    if not low:
        return []
    ids = [row.item_id for row in low]
    usage = stock.average_daily_usage(conn, days=USAGE_DAYS, as_of=as_of, item_ids=ids)
    costs = dict(read(conn, "SELECT id, unit_cost FROM stock_items WHERE list_contains(?, id)", [ids]))
    drafts = dict(read(conn, "SELECT l.item_id, max(p.id) FROM purchase_order_lines l JOIN purchase_orders p"
                             " ON p.id = l.po_id WHERE p.status = 'draft' AND list_contains(?, l.item_id)"
                             " GROUP BY l.item_id", [ids]))
    out = []
    for row in low:
        daily = usage.get(row.item_id, 0.0)
        quantity = rules.suggested_order(on_hand=row.on_hand, on_order=row.on_order, reorder_point=row.reorder_point,
                                         reorder_quantity=row.reorder_quantity, pack_size=row.pack_size,
                                         daily_usage=daily, lead_time_days=row.lead_time_days or 0)
        if quantity <= 0:
            continue
        out.append(Suggestion(row.item_id, row.sku, row.name, row.unit, row.pack_size, row.vendor_id, row.vendor_name,
                              row.on_hand, row.on_order, row.reorder_point, quantity, costs.get(row.item_id),
                              daily, row.lead_time_days, drafts.get(row.item_id)))
    return out


def create_from_suggestions(conn: Connection, picks: Sequence[tuple[int, Any]], *, user: Any) -> list[int]:
    """Draft orders for the picked (item_id, quantity) pairs, one per preferred vendor, at each
    item's unit cost; returns their ids. An item with no preferred vendor refuses the lot."""
    if not picks:
        raise ClinicError("Pick at least one item to order.", field="picks")
    checked = [(item_id, rules.whole_quantity(q, field=f"quantity_{item_id}")) for item_id, q in picks]
    if len({item_id for item_id, _ in checked}) != len(checked):
        raise ClinicError("An item is picked twice.", field="picks")

    def write(cur: Connection) -> list[int]:
        actor = acting(cur, user, ACTION)
        by_vendor: dict[int, list[tuple[int, int, Decimal]]] = {}
        for item_id, quantity in checked:
            name, cost, vendor_id = item_for_order_in(cur, item_id, f"quantity_{item_id}")
            draft = cur.execute("SELECT max(p.id) FROM purchase_order_lines l JOIN purchase_orders p ON p.id = l.po_id"
                                " WHERE p.status = 'draft' AND l.item_id = ?", [item_id]).fetchone()[0]
            if draft is not None:
                # Also what makes a second click on "Make draft orders" harmless.
                raise ClinicError(f"{name} is already on draft order #{draft}: change the quantity there.",
                                  field=f"quantity_{item_id}")
            if vendor_id is None:
                raise ClinicError(f"{name} has no preferred vendor: set one on the item (Items and rooms) or "
                                  "make an order by hand.", field=f"quantity_{item_id}")
            active_vendor_in(cur, vendor_id)
            by_vendor.setdefault(vendor_id, []).append((item_id, quantity, cost))
        return [insert_order_in(cur, actor, vendor_id, lines, "From the low-stock list")
                for vendor_id, lines in sorted(by_vendor.items())]

    return atomic(conn, write)
