"""Visit supply kits: what one visit of a type uses (vaccination: a syringe, an alcohol swab, a
vaccine dose), set by the manager, and taken out of stock when a visit is completed.

Completing a visit (``db.appointments.change_status``) calls :func:`record_visit_kit_in` on its
own transaction, right after the status change: exactly once per completed visit, never blocking
it (what cannot be taken becomes a shortfall listed on the Stock page). Undoing the completion
puts the kit back (:func:`undo_visit_kit_in`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from clinic import inventory as rules
from clinic import timeutil
from clinic.errors import NotFound, ValidationError
from db import Connection, atomic, audit, read
from db.actors import acting
from db.inventory import clinic_today, move_in, stock_rows
from db.stock_catalog import ACTION, item_labels, whole_or_none

KIT_REASON = "visit kit"
KIT_UNDONE = "visit kit undone"


@dataclass(frozen=True)
class KitLine:
    item_id: int
    sku: str
    name: str
    unit: str
    quantity: int


def kit_for(conn: Connection, type_id: int) -> list[KitLine]:
    """What one visit of the type uses, by item name."""
    rows = read(conn, "SELECT i.id, i.sku, i.name, i.unit, k.quantity FROM visit_type_supplies k"
                      " JOIN stock_items i ON i.id = k.item_id WHERE k.type_id = ?"
                      " ORDER BY lower(i.name), i.sku", [type_id])
    return [KitLine(*r) for r in rows]


def set_kit(conn: Connection, type_id: int, lines: dict[int, object], *, user: Any) -> None:
    """Replace a visit type's supply kit with ``lines`` (item id -> units per visit; 0 or blank
    leaves the item out). A bad quantity is refused on field ``kit``, naming the SKU."""

    def write(cur: Connection) -> None:
        actor = acting(cur, user, ACTION)
        if cur.execute("SELECT 1 FROM visit_types WHERE id = ?", [type_id]).fetchone() is None:
            raise NotFound("That visit type does not exist.")
        known = item_labels(cur, [int(i) for i in lines])
        old = {r[0] for r in cur.execute("SELECT item_id FROM visit_type_supplies WHERE type_id = ?",
                                         [type_id]).fetchall()}
        kit = {}
        for item_id, value in lines.items():
            item_id = int(item_id)
            if item_id not in known:
                raise ValidationError({"kit": "One of the items no longer exists: reload the page."})
            quantity = whole_or_none(value, known[item_id][0], "kit", allow_zero=True)
            if quantity is not None and not known[item_id][1] and item_id not in old:
                raise ValidationError({"kit": f"{known[item_id][0]} is out of use: it cannot join a kit."})
            if quantity is not None:
                kit[item_id] = quantity
        cur.execute("DELETE FROM visit_type_supplies WHERE type_id = ?", [type_id])
        for item_id, quantity in kit.items():
            cur.execute("INSERT INTO visit_type_supplies (type_id, item_id, quantity) VALUES (?, ?, ?)",
                        [type_id, item_id, quantity])
        audit.record(cur, actor, "visit_type.kit", "visit_type", type_id,
                     detail={known[i][0]: q for i, q in kit.items()})

    atomic(conn, write)


# --- a completed visit's kit out of stock -----------------------------------------------------


def _kit_recorded(cur: Connection, appointment_id: int) -> bool:
    (net,) = cur.execute("SELECT coalesce(sum(quantity), 0) FROM stock_movements WHERE appointment_id = ?"
                         " AND reason IN (?, ?)", [appointment_id, KIT_REASON, KIT_UNDONE]).fetchone()
    if net < 0:
        return True
    (short,) = cur.execute("SELECT count(*) FROM stock_shortfalls WHERE appointment_id = ? AND resolved_at IS NULL",
                           [appointment_id]).fetchone()
    return short > 0


def record_visit_kit_in(cur: Connection, appointment_id: int, actor: Any, *, today: date | None = None) -> int:
    """Take the visit type's supply kit out of stock for a completed visit, on the caller's
    transaction (``db.appointments.change_status``, right after it sets ``completed``). Exactly
    once: a visit whose kit is already recorded is left alone. Stock in the rooms and the fridge
    is used before the storeroom's, first to expire first; what cannot be taken is recorded as a
    shortfall for the inventory page, and the visit completes all the same. Returns the number of
    movements written."""
    row = cur.execute("SELECT type_id FROM appointments WHERE id = ?", [appointment_id]).fetchone()
    if row is None:
        return 0
    kit = cur.execute("SELECT s.item_id, s.quantity FROM visit_type_supplies s JOIN stock_items i ON i.id = s.item_id"
                      " WHERE s.type_id = ? AND i.active ORDER BY s.item_id", [row[0]]).fetchall()
    if not kit or _kit_recorded(cur, appointment_id):
        return 0
    today = clinic_today(cur, today)
    written = 0
    for item_id, quantity in kit:
        stock = stock_rows(cur, item_id, location_id=None, lot_id=None)
        left = quantity
        for near in (True, False):  # the rooms and the fridge first, then the storeroom
            pool = [s for s in stock if (s.location_kind != "storeroom") == near]
            usable = sum(s.on_hand for s in pool if not rules.is_expired(s.expires_on, today))
            if left == 0 or usable == 0:
                continue
            for lot_stock, units in rules.plan_fefo(pool, min(left, usable), today=today):
                move_in(cur, actor, item_id=item_id, lot_id=lot_stock.lot_id, location_id=lot_stock.location_id,
                        delta=-units, kind="usage", reason=KIT_REASON, appointment_id=appointment_id)
                written += 1
            left -= min(left, usable)
        if left > 0:
            cur.execute("INSERT INTO stock_shortfalls (appointment_id, item_id, quantity, recorded_at)"
                        " VALUES (?, ?, ?, ?)", [appointment_id, item_id, left, timeutil.now_utc()])
    return written


def undo_visit_kit_in(cur: Connection, appointment_id: int, actor: Any) -> int:
    """Put a visit's kit back where it was taken from (its completion was undone), on the caller's
    transaction, and close its open shortfalls. Returns the number of movements written."""
    rows = cur.execute(
        "SELECT item_id, lot_id, location_id, sum(quantity) FROM stock_movements WHERE appointment_id = ?"
        " AND reason IN (?, ?) GROUP BY item_id, lot_id, location_id HAVING sum(quantity) < 0"
        " ORDER BY item_id, lot_id, location_id", [appointment_id, KIT_REASON, KIT_UNDONE]).fetchall()
    for item_id, lot_id, location_id, net in rows:
        move_in(cur, actor, item_id=item_id, lot_id=lot_id, location_id=location_id, delta=-int(net), kind="usage",
                reason=KIT_UNDONE, appointment_id=appointment_id)
    cur.execute("UPDATE stock_shortfalls SET resolved_at = ?, resolved_by = ?, note = 'visit completion undone'"
                " WHERE appointment_id = ? AND resolved_at IS NULL",
                [timeutil.now_utc(), getattr(actor, "id", None), appointment_id])
    return len(rows)
