"""What the stock office should act on: items low on stock (counting what is on order), lots
expiring soon, expired lots still holding stock (and writing them off), visit-kit shortfalls to
resolve, and the counts the Home tiles show.

On-hand here is *usable* stock: the sum of ``stock_balances`` over every location, leaving out
lots past their expiry date (an expired lot cannot be used, so it does not keep an item off the
low-stock list; it is listed by :func:`expired_lots` to be written off instead). "Expired" is
``clinic.inventory.is_expired``: a lot is usable through its expiry date. The grouping is SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from clinic import inventory as rules
from clinic import timeutil
from clinic.errors import ClinicError, NotFound
from db import Connection, atomic, audit, read, read_one, settings
from db.actors import acting
from db.inventory import USABLE_LOT


def _today(conn: Connection, today: date | None) -> date:
    return today if today is not None else timeutil.today(settings.timezone(conn))


# --- low stock -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LowStockRow:
    item_id: int
    sku: str
    name: str
    category: str
    unit: str
    on_hand: int        # usable units over every location (expired lots left out)
    on_order: int       # ordered and not yet received (view stock_on_order)
    reorder_point: int
    reorder_quantity: int
    pack_size: int
    vendor_id: int | None
    vendor_name: str | None
    lead_time_days: int | None  # the preferred vendor's, None without one


# Usable on-hand and on-order per active item, in one grouped query.
_STOCK_LEVELS = """
SELECT i.id, i.sku, i.name, i.category, i.unit,
       coalesce(h.on_hand, 0)::INTEGER AS on_hand,
       coalesce(o.on_order, 0)::INTEGER AS on_order,
       i.reorder_point, i.reorder_quantity, i.pack_size,
       i.vendor_id, v.name, v.lead_time_days
FROM stock_items i
LEFT JOIN (
    SELECT b.item_id, sum(b.quantity) AS on_hand
    FROM stock_balances b JOIN stock_lots l ON l.id = b.lot_id
    WHERE """ + USABLE_LOT + """
    GROUP BY b.item_id
) h ON h.item_id = i.id
LEFT JOIN stock_on_order o ON o.item_id = i.id
LEFT JOIN vendors v ON v.id = i.vendor_id
WHERE i.active
"""


def low_stock(conn: Connection, *, today: date | None = None) -> list[LowStockRow]:
    """Active items whose usable on-hand plus on-order is at or below the reorder point
    (``clinic.inventory.is_low``), most short first. ``today`` (default: the clinic's today)
    decides which lots are expired and so not counted."""
    rows = read(conn, _STOCK_LEVELS + " ORDER BY coalesce(h.on_hand, 0) + coalesce(o.on_order, 0) - i.reorder_point,"
                                      " i.name, i.id", {"today": _today(conn, today)})
    return [LowStockRow(*row) for row in rows if rules.is_low(row[5], row[6], row[7])]


# --- the stock table ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StockLevel:
    """One active item: what the clinic holds of it, where, and whether it is low."""

    item_id: int
    sku: str
    name: str
    category: str
    unit: str
    lot_tracked: bool
    on_hand: int        # every unit on the shelves, expired ones included
    expired: int        # of which past their expiry date (to write off)
    on_order: int
    reorder_point: int
    by_location: dict[int, int]  # location id -> units there (expired included); only where some are

    @property
    def usable(self) -> int:
        return self.on_hand - self.expired

    @property
    def low(self) -> bool:
        """The low-stock rule of :func:`low_stock` (usable stock plus what is on order)."""
        return rules.is_low(self.usable, self.on_order, self.reorder_point)


def stock_levels(conn: Connection, *, today: date, category: str | None = None) -> list[StockLevel]:
    """Every active item (of ``category``, or all), by name, with its stock per location; the sums
    are grouped in SQL per item and location."""
    rows = read(conn, """
        WITH held AS (
            SELECT b.item_id, b.location_id, sum(b.quantity)::INTEGER AS units,
                   sum(CASE WHEN l.expires_on < $today THEN b.quantity ELSE 0 END)::INTEGER AS expired
            FROM stock_balances b JOIN stock_lots l ON l.id = b.lot_id
            WHERE b.quantity > 0
            GROUP BY b.item_id, b.location_id
        )
        SELECT i.id, i.sku, i.name, i.category, i.unit, i.lot_tracked,
               coalesce(o.on_order, 0)::INTEGER, i.reorder_point, h.location_id, h.units, h.expired
        FROM stock_items i
        LEFT JOIN held h ON h.item_id = i.id
        LEFT JOIN stock_on_order o ON o.item_id = i.id
        WHERE i.active AND ($category::VARCHAR IS NULL OR i.category = $category)
        ORDER BY lower(i.name), i.id, h.location_id
    """, {"today": today, "category": category})
    levels: dict[int, dict[str, Any]] = {}
    for item_id, sku, name, cat, unit, tracked, on_order, point, location_id, units, expired in rows:
        level = levels.setdefault(item_id, {"item_id": item_id, "sku": sku, "name": name, "category": cat,
                                            "unit": unit, "lot_tracked": tracked, "on_hand": 0, "expired": 0,
                                            "on_order": on_order, "reorder_point": point, "by_location": {}})
        if location_id is not None:
            level["on_hand"] += units
            level["expired"] += expired
            level["by_location"][location_id] = units
    return [StockLevel(**level) for level in levels.values()]


# --- expiry ----------------------------------------------------------------------------------------


def warning_days(conn: Connection) -> int:
    """The setting ``expiry_warning_days`` (lots expiring within it are listed); the default when
    the stored value is not a sensible whole number."""
    try:
        days = int(str(settings.get(conn, "expiry_warning_days")).strip())
    except ValueError:
        return rules.EXPIRY_WARNING_DAYS
    return days if 0 <= days <= 3650 else rules.EXPIRY_WARNING_DAYS


@dataclass(frozen=True)
class LotLine:
    """A dated lot still holding stock, over every location."""

    lot_id: int
    item_id: int
    sku: str
    name: str
    unit: str
    lot_number: str | None
    expires_on: date
    days_left: int      # from today: 0 expires today (still usable), negative already expired
    on_hand: int        # over every location
    where: str          # "Storeroom: 12, Exam room 1: 3"

    @property
    def expired(self) -> bool:
        return self.days_left < 0


def _dated_lots(conn: Connection, *, today: date, start: date | None, until: date | None) -> list[LotLine]:
    rows = read(conn, """
        SELECT l.id, i.id, i.sku, i.name, i.unit, l.lot_number, l.expires_on,
               date_diff('day', $today::DATE, l.expires_on)::INTEGER,
               sum(b.quantity)::INTEGER,
               string_agg(s.name || ': ' || b.quantity, ', ' ORDER BY s.position, s.name)
        FROM stock_lots l
        JOIN stock_items i ON i.id = l.item_id
        JOIN stock_balances b ON b.lot_id = l.id AND b.quantity > 0
        JOIN stock_locations s ON s.id = b.location_id
        WHERE l.expires_on IS NOT NULL
          AND ($start::DATE IS NULL OR l.expires_on >= $start)
          AND ($until::DATE IS NULL OR l.expires_on <= $until)
        GROUP BY l.id, i.id, i.sku, i.name, i.unit, l.lot_number, l.expires_on
        ORDER BY l.expires_on, i.name, l.id
    """, {"today": today, "start": start, "until": until})
    return [LotLine(*row) for row in rows]


def expiring_lots(conn: Connection, *, today: date, days: int) -> list[LotLine]:
    """Lots with stock that expire from ``today`` to ``today + days`` inclusive (not yet expired:
    a lot is usable through its expiry date), soonest first."""
    return _dated_lots(conn, today=today, start=today, until=today + timedelta(days=max(0, int(days))))


def dated_lots(conn: Connection, *, today: date) -> list[LotLine]:
    """Every lot with an expiry date that still holds stock, expired ones included, soonest first."""
    return _dated_lots(conn, today=today, start=None, until=None)


@dataclass(frozen=True)
class ExpiredLot:
    """Expired stock of one lot at one location: to be written off."""

    lot_id: int
    item_id: int
    sku: str
    name: str
    unit: str
    lot_number: str | None
    expires_on: date
    location_id: int
    location: str
    on_hand: int


def expired_lots(conn: Connection, *, today: date) -> list[ExpiredLot]:
    """Expired lots still holding stock, one row per lot and location, oldest expiry first."""
    rows = read(conn, """
        SELECT l.id, i.id, i.sku, i.name, i.unit, l.lot_number, l.expires_on, s.id, s.name, b.quantity
        FROM stock_lots l
        JOIN stock_items i ON i.id = l.item_id
        JOIN stock_balances b ON b.lot_id = l.id AND b.quantity > 0
        JOIN stock_locations s ON s.id = b.location_id
        WHERE l.expires_on < $today
        ORDER BY l.expires_on, i.name, l.id, s.position, s.name
    """, {"today": today})
    return [ExpiredLot(*row) for row in rows]


def write_off_expired(conn: Connection, lot_id: int, *, user: Any, location_id: int | None = None,
                      today: date | None = None) -> int:
    """Write off what an expired lot still holds (at ``location_id``, or everywhere): one
    ``expired`` movement per location, with its audit row, in one transaction. Returns the units
    written off. Refuses (writing nothing) a lot that has not expired or holds nothing there."""
    from db import inventory  # the core of stock changes (imported late: it may import this module)

    day = _today(conn, today)

    def write(cur: Connection) -> int:
        actor = acting(cur, user, "inventory.stock")
        lot = cur.execute("SELECT item_id, lot_number, expires_on, unit_cost FROM stock_lots WHERE id = ?",
                          [lot_id]).fetchone()
        if lot is None:
            raise NotFound("That lot does not exist.")
        item_id, lot_number, expires_on, unit_cost = lot
        if not rules.is_expired(expires_on, day):
            raise ClinicError("This lot has not expired: use it, or count it if it is damaged.", field="lot")
        held = cur.execute(
            "SELECT location_id, quantity FROM stock_balances WHERE lot_id = $lot AND quantity > 0"
            " AND ($location IS NULL OR location_id = $location) ORDER BY location_id",
            {"lot": lot_id, "location": location_id}).fetchall()
        if not held:
            raise ClinicError("Nothing of this lot is left there to write off.", field="lot")
        for where, quantity in held:
            inventory.move_in(cur, actor, item_id=item_id, lot_id=lot_id, location_id=where, delta=-quantity,
                              kind="expired", reason=f"expired {expires_on:%m/%d/%Y}", unit_cost=unit_cost)
        units = sum(quantity for _where, quantity in held)
        audit.record(cur, actor, "stock.write_off_expired", "stock_lot", lot_id,
                     detail={"item_id": item_id, "lot_number": lot_number, "expires_on": expires_on,
                             "units": units, "locations": [where for where, _q in held]})
        return units

    return atomic(conn, write)


# --- visit-kit shortfalls ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Shortfall:
    """A completed visit whose supply kit could not be fully taken from stock."""

    shortfall_id: int
    item_id: int
    sku: str
    item: str
    unit: str
    quantity: int           # units that could not be taken
    appointment_id: int
    visit_date: date | None  # the clinic's calendar day of the visit
    patient: str | None
    recorded_at: Any


def open_shortfalls(conn: Connection) -> list[Shortfall]:
    """Unresolved shortfalls, newest visit first (visits not found last; then newest shortfall)."""
    # Two small reads instead of one join: the open shortfalls (usually none, or a few) first, then
    # only their visits and patients. Joined in one statement, DuckDB spent a few milliseconds
    # planning the joins to the appointments and patients tables even when nothing was open.
    rows = read(conn, """
        SELECT f.id, i.id, i.sku, i.name, i.unit, f.quantity, f.appointment_id, f.recorded_at
        FROM stock_shortfalls f JOIN stock_items i ON i.id = f.item_id
        WHERE f.resolved_at IS NULL
    """)
    if not rows:
        return []
    visits = {appointment_id: (start, patient) for appointment_id, start, patient in read(conn, """
        SELECT a.id, a.start_at, p.last_name || ', ' || coalesce(p.preferred_name, p.first_name)
        FROM appointments a LEFT JOIN patients p ON p.id = a.patient_id
        WHERE a.id = ANY(CAST($ids AS BIGINT[]))
    """, {"ids": sorted({row[6] for row in rows})})}
    tz = settings.timezone(conn)
    out = []
    for sid, item_id, sku, item, unit, quantity, appointment_id, recorded in rows:
        start, patient = visits.get(appointment_id, (None, None))
        out.append((start, Shortfall(sid, item_id, sku, item, unit, quantity, appointment_id,
                                     None if start is None else timeutil.to_local(start, tz).date(), patient,
                                     recorded)))
    # ORDER BY start DESC NULLS LAST, id DESC
    seen = sorted((pair for pair in out if pair[0] is not None), key=lambda p: (p[0], p[1].shortfall_id), reverse=True)
    unseen = sorted((pair for pair in out if pair[0] is None), key=lambda p: p[1].shortfall_id, reverse=True)
    return [shortfall for _start, shortfall in seen + unseen]


MAX_NOTE = 500


def resolve_shortfall(conn: Connection, shortfall_id: int, *, user: Any, note: str | None = None) -> None:
    """Mark a shortfall dealt with (stock counted or adjusted, supplies found), with an optional
    note. Refuses one that does not exist or is already resolved."""
    text = (note or "").strip()
    if len(text) > MAX_NOTE:
        raise ClinicError(f"Keep the note under {MAX_NOTE} characters.", field="note")

    def write(cur: Connection) -> None:
        actor = acting(cur, user, "inventory.stock")
        row = cur.execute("SELECT resolved_at, item_id, appointment_id, quantity FROM stock_shortfalls WHERE id = ?",
                          [shortfall_id]).fetchone()
        if row is None:
            raise NotFound("That shortfall does not exist.")
        if row[0] is not None:
            raise ClinicError("This shortfall was already resolved.")
        cur.execute("UPDATE stock_shortfalls SET resolved_at = current_timestamp, resolved_by = ?, note = ?"
                    " WHERE id = ?", [actor.id, text or None, shortfall_id])
        audit.record(cur, actor, "stock.resolve_shortfall", "stock_shortfall", shortfall_id,
                     detail={"item_id": row[1], "appointment_id": row[2], "quantity": row[3], "note": text or None})

    atomic(conn, write)


# --- Home tiles ----------------------------------------------------------------------------------------


# The Home tiles in one query (they were three: the two lot counts, then low_stock's rows counted in
# Python; each extra join and query costs DuckDB a few milliseconds of planning on these small
# tables). low is low_stock's rule (clinic.inventory.is_low: usable on hand + on order at or below
# the reorder point, over active items); the dated lots holding stock are read once for both lot
# counts: expiring (today..$until) and expired (before today; $until is never before today).
_ALERT_COUNTS = """
WITH usable AS (
    SELECT b.item_id, sum(b.quantity) AS on_hand
    FROM stock_balances b JOIN stock_lots l ON l.id = b.lot_id
    WHERE """ + USABLE_LOT + """
    GROUP BY b.item_id
),
dated AS (
    SELECT count(DISTINCT b.lot_id) FILTER (WHERE l.expires_on >= $today) AS expiring,
           count(DISTINCT b.lot_id) FILTER (WHERE l.expires_on < $today) AS expired
    FROM stock_balances b JOIN stock_lots l ON l.id = b.lot_id
    WHERE b.quantity > 0 AND l.expires_on <= $until
)
SELECT
  (SELECT count(*) FROM stock_items i
   LEFT JOIN usable h ON h.item_id = i.id
   LEFT JOIN stock_on_order o ON o.item_id = i.id
   WHERE i.active AND coalesce(h.on_hand, 0) + coalesce(o.on_order, 0) <= i.reorder_point),
  d.expiring, d.expired,
  (SELECT count(*) FROM stock_shortfalls WHERE resolved_at IS NULL)
FROM dated d
"""


def alert_counts(conn: Connection, *, today: date) -> dict[str, int]:
    """How many items are low, lots expire within the warning window, expired lots hold stock,
    and shortfalls are open (the Home tiles and the inventory page's headline)."""
    low, expiring, expired, shortfalls = read_one(
        conn, _ALERT_COUNTS, {"today": today, "until": today + timedelta(days=warning_days(conn))})
    return {"low": low, "expiring": expiring, "expired": expired, "shortfalls": shortfalls}
