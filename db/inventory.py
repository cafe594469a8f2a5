"""Stock on hand, and the movements that are the only way it changes.

Every change is a row in ``stock_movements`` (signed: + into a location, - out of it) and, in the
same transaction, the maintained balance of that lot at that location (``stock_balances``), so
on-hand is read from a small table however many movements there are (a test checks that the
balances always equal the sums of the movements).

Race-freedom. DuckDB's "check, then write" in one transaction is not race-free by itself; here
every take updates the balance rows it read, and DuckDB refuses ("Conflict on update") a
transaction updating a row that another one changed after its snapshot began. :func:`db.atomic`
then reruns the whole action on fresh data, where the loser of a race for the last box finds it
gone and is refused with :class:`clinic.errors.OutOfStock`. The ``CHECK (quantity >= 0)`` on the
balance is the backstop: stock never goes below zero.

An item not tracked by lot still has one lot row (``lot_key`` ''), so every balance and movement
names a lot. A use takes the lot that expires first (FEFO, :func:`clinic.inventory.plan_fefo`),
across lots and locations when one is not enough; expired lots are never used unless chosen.

Each user action here re-reads the acting account (action ``inventory.stock``) and writes its audit
row in the same transaction; the ``*_in`` functions work on the caller's transaction instead
(purchase-order receiving, counts, restocking, a completed visit's supply kit in db/visit_kits.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import duckdb

from clinic import inventory as rules
from clinic import intake, timeutil
from clinic.errors import ClinicError, NotFound, OutOfStock, ValidationError
from clinic.money import parse_amount
from db import Connection, atomic, audit, read, read_one
from db.actors import acting

STOCK = "inventory.stock"
# SQL: a lot (alias ``l``) that may still be used on ``$today`` (through its expiry date). The SQL
# form of clinic.inventory.is_expired, for every query that counts usable stock.
USABLE_LOT = "(l.expires_on IS NULL OR l.expires_on >= $today)"


@dataclass(frozen=True)
class StockLine:
    """One lot of one item at one location."""

    item_id: int
    sku: str
    name: str
    unit: str
    lot_id: int
    lot_number: str | None
    expires_on: date | None
    location_id: int
    on_hand: int


# --- reading -----------------------------------------------------------------------------------


def storeroom_id(conn: Connection) -> int:
    return _storeroom(conn.cursor())


def _storeroom(cur: Connection) -> int:
    row = cur.execute("SELECT min(id) FROM stock_locations WHERE kind = 'storeroom'").fetchone()
    if row is None or row[0] is None:
        raise NotFound("There is no storeroom.")
    return row[0]


def on_hand(conn: Connection, item_id: int, *, location_id: int | None = None) -> int:
    """Units of the item on hand (expired lots included: they are on the shelf until written
    off), at one location or at all of them."""
    row = read_one(conn, "SELECT coalesce(sum(quantity), 0)::BIGINT FROM stock_balances WHERE item_id = $item"
                         " AND ($loc IS NULL OR location_id = $loc)", {"item": item_id, "loc": location_id})
    return int(row[0])


def lots(conn: Connection, item_id: int) -> list[dict]:
    """Every lot of the item with its on-hand over all locations, first to expire first."""
    rows = read(
        conn,
        "SELECT l.id, l.lot_number, l.expires_on, coalesce(sum(b.quantity), 0)::BIGINT"
        " FROM stock_lots l LEFT JOIN stock_balances b ON b.lot_id = l.id WHERE l.item_id = ?"
        " GROUP BY l.id, l.lot_number, l.expires_on ORDER BY l.expires_on NULLS LAST, l.id",
        [item_id],
    )
    return [{"lot_id": r[0], "lot_number": r[1], "expires_on": r[2], "on_hand": int(r[3])} for r in rows]


def stock_at(conn: Connection, location_id: int | None = None, *, item_id: int | None = None) -> list[StockLine]:
    """What is on hand, lot by lot, at a location (or everywhere), by item name then expiry."""
    rows = read(
        conn,
        "SELECT i.id, i.sku, i.name, i.unit, l.id, l.lot_number, l.expires_on, b.location_id, b.quantity"
        " FROM stock_balances b JOIN stock_lots l ON l.id = b.lot_id JOIN stock_items i ON i.id = b.item_id"
        " WHERE b.quantity > 0 AND ($loc IS NULL OR b.location_id = $loc) AND ($item IS NULL OR b.item_id = $item)"
        " ORDER BY i.name, l.expires_on NULLS LAST, l.id, b.location_id",
        {"loc": location_id, "item": item_id},
    )
    return [StockLine(*r[:8], int(r[8])) for r in rows]


def average_daily_usage(conn: Connection, *, days: int, as_of: date, item_ids: list[int] | None = None,
                        tz: str | None = None) -> dict[int, float]:
    """Units used per day, per item, over the ``days`` clinic-local days ending with ``as_of``
    (net of undone visit kits). Items with no usage are absent."""
    from db import settings

    tz = tz or settings.timezone(conn)
    start, _ = timeutil.day_bounds(as_of - timedelta(days=days - 1), tz)
    _, end = timeutil.day_bounds(as_of, tz)
    rows = read(
        conn,
        "SELECT item_id, -sum(quantity) FROM stock_movements WHERE kind = 'usage'"
        " AND occurred_at >= $start AND occurred_at < $end AND ($ids IS NULL OR list_contains($ids, item_id))"
        " GROUP BY item_id HAVING sum(quantity) < 0",
        {"start": start, "end": end, "ids": item_ids},
    )
    return {item_id: float(used) / days for item_id, used in rows}


# --- the catalogue's first step (db/stock_catalog.py holds the rest) --------------------------


def create_item(conn: Connection, *, sku: str, name: str, category: str, unit: str, reorder_point: Any,
                reorder_quantity: Any, user: Any, lot_tracked: bool = False, pack_size: Any = 1,
                vendor_id: int | None = None, unit_cost: Any = None, storage_note: str | None = None) -> int:
    """Add an item to the catalogue (action ``inventory.items``); returns its id."""
    from db import stock_catalog

    return stock_catalog.create_item(
        conn, sku=sku, name=name, category=category, unit=unit, reorder_point=reorder_point,
        reorder_quantity=reorder_quantity, user=user, lot_tracked=lot_tracked, pack_size=pack_size,
        vendor_id=vendor_id, unit_cost=unit_cost, storage_note=storage_note,
    )


# --- the one step every change goes through ----------------------------------------------------


def move_in(cur: Connection, actor: Any, *, item_id: int, lot_id: int, location_id: int, delta: int, kind: str,
            reason: str | None = None, appointment_id: int | None = None, transfer_id: int | None = None,
            po_line_id: int | None = None, unit_cost: Decimal | None = None) -> int:
    """Write ONE signed movement and its balance row on the caller's transaction; returns the
    movement's id. A take below zero raises :class:`OutOfStock` (the caller's transaction is then
    rolled back by db.atomic / db.transaction)."""
    if kind not in rules.MOVEMENT_KINDS:
        raise ValueError(f"unknown movement kind {kind!r}")
    if delta == 0:
        raise ValueError("a movement changes stock")
    try:
        updated = cur.execute(
            "UPDATE stock_balances SET quantity = quantity + $d WHERE lot_id = $lot AND location_id = $loc"
            " RETURNING quantity", {"d": delta, "lot": lot_id, "loc": location_id}).fetchone()
    except duckdb.ConstraintException as exc:  # the CHECK (quantity >= 0): not that many there
        raise OutOfStock("Not that many in stock there.") from exc
    if updated is None:
        if delta < 0:
            raise OutOfStock("None of that lot is in stock there.")
        try:
            cur.execute("INSERT INTO stock_balances (lot_id, location_id, item_id, quantity) VALUES (?, ?, ?, ?)",
                        [lot_id, location_id, item_id, delta])
        except duckdb.ConstraintException as exc:
            # Another transaction made this balance row after our snapshot: retry on fresh data.
            raise duckdb.TransactionException(f"Conflict on the balance of lot {lot_id}") from exc
    if unit_cost is None:
        row = cur.execute("SELECT coalesce(l.unit_cost, i.unit_cost) FROM stock_lots l JOIN stock_items i"
                          " ON i.id = l.item_id WHERE l.id = ?", [lot_id]).fetchone()
        unit_cost = row[0] if row else None
    (movement_id,) = cur.execute(
        "INSERT INTO stock_movements (kind, item_id, lot_id, location_id, quantity, unit_cost, occurred_at, user_id,"
        " username, reason, appointment_id, transfer_id, po_line_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " RETURNING id",
        [kind, item_id, lot_id, location_id, delta, unit_cost, timeutil.now_utc(), getattr(actor, "id", None),
         getattr(actor, "username", None), reason, appointment_id, transfer_id, po_line_id],
    ).fetchone()
    return movement_id


# --- receiving ---------------------------------------------------------------------------------


def _item_facts(cur: Connection, item_id: int) -> tuple[str, str, bool, Decimal, bool]:
    row = cur.execute("SELECT name, unit, lot_tracked, unit_cost, active FROM stock_items WHERE id = ?",
                      [item_id]).fetchone()
    if row is None:
        raise NotFound("That item does not exist.", field="item_id")
    return row


def _location(cur: Connection, location_id: int | None, *, field: str = "location_id") -> int:
    if location_id is None:
        return _storeroom(cur)
    row = cur.execute("SELECT active FROM stock_locations WHERE id = ?", [location_id]).fetchone()
    if row is None:
        raise NotFound("That location does not exist.", field=field)
    if not row[0]:
        raise ClinicError("That location is no longer in use.", field=field)
    return location_id


def _clean(text: Any, limit: int = 200) -> str | None:
    """Typed text as stored (clinic.intake.clean_text), None when empty."""
    return intake.clean_text(text, limit) or None


def receive_in(cur: Connection, actor: Any, *, item_id: int, quantity: Any, lot_number: str | None = None,
               expires_on: date | None = None, location_id: int | None = None, unit_cost: Any = None,
               po_line_id: int | None = None, reason: str | None = None) -> int:
    """Put received stock on the shelf (the storeroom unless told) on the caller's transaction:
    finds or makes the lot, writes the ``receipt`` movement; returns its id. A lot-tracked item
    needs a lot number and an expiry date (:class:`ValidationError` naming the fields); a lot
    number already known must come with the expiry it was recorded with."""
    quantity = rules.whole_quantity(quantity)
    name, _unit, tracked, item_cost, active = _item_facts(cur, item_id)
    if not active:
        raise ClinicError(f"{name} is no longer stocked (inactive).", field="item_id")
    location_id = _location(cur, location_id)
    cost = item_cost if unit_cost in (None, "") else parse_amount(unit_cost, field="unit_cost", allow_zero=True)
    if tracked:
        errors = {}
        lot_number = _clean(lot_number, 60)
        if not lot_number:
            errors["lot_number"] = f"{name} is tracked by lot: enter the lot number from the box."
        if expires_on is None:
            errors["expires_on"] = f"{name} is tracked by lot: enter the expiry date from the box."
        elif isinstance(expires_on, datetime) or not isinstance(expires_on, date):
            errors["expires_on"] = "Enter the expiry as a date."
        if errors:
            raise ValidationError(errors)
        key = lot_number.upper()
    else:
        lot_number, expires_on, key = None, None, ""
    lot = cur.execute("SELECT id, expires_on, lot_number FROM stock_lots WHERE item_id = ? AND lot_key = ?",
                      [item_id, key]).fetchone()
    if lot is not None:
        lot_id, known_expiry, known_number = lot
        if tracked and known_expiry != expires_on:
            raise ValidationError({"expires_on": f"Lot {known_number} of {name} was recorded with expiry "
                                                 f"{known_expiry:%m/%d/%Y}: check the box."})
        cur.execute("UPDATE stock_lots SET unit_cost = ? WHERE id = ?", [cost, lot_id])
    else:
        try:
            (lot_id,) = cur.execute(
                "INSERT INTO stock_lots (item_id, lot_number, lot_key, expires_on, unit_cost, received_at)"
                " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                [item_id, lot_number, key, expires_on, cost, timeutil.now_utc()]).fetchone()
        except duckdb.ConstraintException as exc:
            raise duckdb.TransactionException(f"Conflict on lot {key!r} of item {item_id}") from exc
    return move_in(cur, actor, item_id=item_id, lot_id=lot_id, location_id=location_id, delta=quantity,
                   kind="receipt", reason=_clean(reason), po_line_id=po_line_id, unit_cost=cost)


def receive(conn: Connection, *, item_id: int, quantity: Any, user: Any, lot_number: str | None = None,
            expires_on: date | None = None, location_id: int | None = None, unit_cost: Any = None,
            reason: str | None = None) -> int:
    """Record stock received (not against a purchase order); returns the movement's id."""
    rules.whole_quantity(quantity)  # refuse before touching anything

    def write(cur: Connection) -> int:
        actor = acting(cur, user, STOCK)
        movement_id = receive_in(cur, actor, item_id=item_id, quantity=quantity, lot_number=lot_number,
                                 expires_on=expires_on, location_id=location_id, unit_cost=unit_cost, reason=reason)
        audit.record(cur, actor, "stock.receive", "stock_item", item_id,
                     detail={"quantity": int(quantity), "lot": lot_number, "location": location_id})
        return movement_id

    return atomic(conn, write)


# --- taking ------------------------------------------------------------------------------------


def clinic_today(cur: Connection, today: date | None) -> date:
    if today is not None:
        return today
    row = cur.execute("SELECT value FROM settings WHERE key = 'timezone'").fetchone()
    return timeutil.today(row[0] if row else "America/New_York")


def stock_rows(cur: Connection, item_id: int, *, location_id: int | None, lot_id: int | None) -> list[rules.LotStock]:
    rows = cur.execute(
        "SELECT b.lot_id, b.location_id, l.expires_on, b.quantity, loc.kind FROM stock_balances b"
        " JOIN stock_lots l ON l.id = b.lot_id JOIN stock_locations loc ON loc.id = b.location_id"
        " WHERE b.item_id = $item AND b.quantity > 0 AND ($loc IS NULL OR b.location_id = $loc)"
        " AND ($lot IS NULL OR b.lot_id = $lot)",
        {"item": item_id, "loc": location_id, "lot": lot_id}).fetchall()
    return [rules.LotStock(r[0], r[1], r[2], int(r[3]), r[4]) for r in rows]


def take_in(cur: Connection, actor: Any, *, item_id: int, quantity: Any, kind: str = "usage",
            location_id: int | None = None, lot_id: int | None = None, appointment_id: int | None = None,
            reason: str | None = None, today: date | None = None, allow_expired: bool = False,
            transfer_id: int | None = None) -> list[tuple[int, int]]:
    """Take ``quantity`` out of stock on the caller's transaction, first to expire first (or from
    the chosen lot), from one location or from any. Returns (lot_id, units) taken, in order.
    Raises :class:`OutOfStock` when short (nothing is written then), and :class:`ClinicError`
    for a bad quantity or a chosen lot that has expired (unless ``allow_expired``: writing it off)."""
    quantity = rules.whole_quantity(quantity)
    name, unit, _tracked, _cost, _active = _item_facts(cur, item_id)
    today = clinic_today(cur, today)
    if location_id is not None:
        _location(cur, location_id)
    if lot_id is not None:
        lot = cur.execute("SELECT lot_number, expires_on FROM stock_lots WHERE id = ? AND item_id = ?",
                          [lot_id, item_id]).fetchone()
        if lot is None:
            raise NotFound(f"That lot is not a lot of {name}.", field="lot_id")
        if rules.is_expired(lot[1], today) and not allow_expired:
            raise ClinicError(f"Lot {lot[0]} of {name} expired on {lot[1]:%m/%d/%Y}: write it off instead of "
                              "using it.", field="lot_id")
    stock = stock_rows(cur, item_id, location_id=location_id, lot_id=lot_id)
    try:
        plan = rules.plan_fefo(stock, quantity, today=date.min if allow_expired else today)
    except OutOfStock as short:
        where = "" if location_id is None else " there"
        expired = 0 if allow_expired else sum(s.on_hand for s in stock if rules.is_expired(s.expires_on, today))
        extra = f" {expired} more are expired: write them off." if expired else ""
        raise OutOfStock(f"Not enough {name} in stock{where}: {short.available} {unit} usable, {quantity} asked "
                         f"for.{extra}", available=short.available) from None
    taken: dict[int, int] = {}
    for lot_stock, units in plan:
        move_in(cur, actor, item_id=item_id, lot_id=lot_stock.lot_id, location_id=lot_stock.location_id,
                delta=-units, kind=kind, reason=reason, appointment_id=appointment_id, transfer_id=transfer_id)
        taken[lot_stock.lot_id] = taken.get(lot_stock.lot_id, 0) + units
    return list(taken.items())


def _check_appointment(cur: Connection, appointment_id: int | None) -> int | None:
    if appointment_id is None:
        return None
    row = cur.execute("SELECT patient_id FROM appointments WHERE id = ?", [appointment_id]).fetchone()
    if row is None:
        raise NotFound("That appointment does not exist.", field="appointment_id")
    return row[0]


def use(conn: Connection, *, item_id: int, quantity: Any, user: Any, location_id: int | None = None,
        lot_id: int | None = None, appointment_id: int | None = None, reason: str | None = None,
        today: date | None = None) -> list[tuple[int, int]]:
    """Record stock used (FEFO across lots, from one location or any); returns (lot_id, units)
    taken. Raises :class:`OutOfStock` when short and :class:`ClinicError` for a quantity that is
    not a positive whole number; nothing is written then."""
    rules.whole_quantity(quantity)

    def write(cur: Connection) -> list[tuple[int, int]]:
        actor = acting(cur, user, STOCK)
        patient_id = _check_appointment(cur, appointment_id)
        taken = take_in(cur, actor, item_id=item_id, quantity=quantity, location_id=location_id, lot_id=lot_id,
                        appointment_id=appointment_id, reason=_clean(reason), today=today)
        audit.record(cur, actor, "stock.use", "stock_item", item_id, patient_id,
                     detail={"quantity": int(quantity), "lots": taken, "appointment": appointment_id})
        return taken

    return atomic(conn, write)


def transfer_in(cur: Connection, actor: Any, *, item_id: int, quantity: Any, from_location_id: int,
                to_location_id: int, lot_id: int | None = None, reason: str | None = None,
                today: date | None = None) -> int:
    """Move stock between two locations on the caller's transaction (a pair of ``transfer``
    movements per lot, first to expire first); returns the transfer's id."""
    if from_location_id == to_location_id:
        raise ClinicError("Choose a different location to move it to.", field="to_location_id")
    _location(cur, to_location_id, field="to_location_id")
    (transfer_id,) = cur.execute("SELECT nextval('stock_transfer_id_seq')").fetchone()
    taken = take_in(cur, actor, item_id=item_id, quantity=quantity, kind="transfer", location_id=from_location_id,
                    lot_id=lot_id, reason=_clean(reason), today=today, transfer_id=transfer_id)
    for taken_lot, units in taken:
        move_in(cur, actor, item_id=item_id, lot_id=taken_lot, location_id=to_location_id, delta=units,
                kind="transfer", reason=_clean(reason), transfer_id=transfer_id)
    return transfer_id


def transfer(conn: Connection, *, item_id: int, quantity: Any, from_location_id: int, to_location_id: int,
             user: Any, lot_id: int | None = None, reason: str | None = None, today: date | None = None) -> int:
    """Move stock from one location to another in one transaction; returns the transfer's id."""
    rules.whole_quantity(quantity)

    def write(cur: Connection) -> int:
        actor = acting(cur, user, STOCK)
        transfer_id = transfer_in(cur, actor, item_id=item_id, quantity=quantity, from_location_id=from_location_id,
                                  to_location_id=to_location_id, lot_id=lot_id, reason=reason, today=today)
        audit.record(cur, actor, "stock.transfer", "stock_item", item_id,
                     detail={"quantity": int(quantity), "from": from_location_id, "to": to_location_id})
        return transfer_id

    return atomic(conn, write)
