"""Where stock lives: the one storeroom (made with the database; deliveries arrive there), exam
rooms and the vaccine fridge, added, renamed and taken out of use, and each room's par levels (what
it should hold at the start of the day: the morning restock list fills up to them).

Writes re-read the acting account (action ``inventory.items``) and audit in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from clinic import intake
from clinic.errors import NotFound, ValidationError
from db import Connection, atomic, audit, read
from db.actors import acting
from db.stock_catalog import ACTION, item_labels, whole_or_none

# What add_location may make; the storeroom is the one row made by the migration.
NEW_LOCATION_KINDS = ("room", "fridge")
LOCATION_KIND_LABELS = {"storeroom": "Storeroom", "room": "Exam room", "fridge": "Fridge"}


@dataclass(frozen=True)
class StockLocation:
    id: int
    name: str
    kind: str
    position: int
    active: bool
    on_hand: int  # units of every item held there
    items: int  # how many different items are held there


@dataclass(frozen=True)
class ParLevel:
    item_id: int
    sku: str
    name: str
    unit: str
    par: int


@dataclass(frozen=True)
class ParRow:
    """An item as a room's par-level sheet shows it: what the room holds now and its par (None: none set)."""

    item_id: int
    sku: str
    name: str
    unit: str
    category: str
    on_hand: int
    par: int | None


def list_locations(conn: Connection, *, include_inactive: bool = True) -> list[StockLocation]:
    """The storeroom first, then rooms and fridges in their order, with what each holds."""
    rows = read(
        conn,
        "SELECT l.id, l.name, l.kind, l.position, l.active, coalesce(sum(b.quantity), 0)::INTEGER,"
        " count(DISTINCT b.item_id) FILTER (WHERE b.quantity > 0)::INTEGER"
        " FROM stock_locations l LEFT JOIN stock_balances b ON b.location_id = l.id"
        " WHERE $inactive OR l.active GROUP BY l.id, l.name, l.kind, l.position, l.active"
        " ORDER BY l.kind <> 'storeroom', NOT l.active, l.position, lower(l.name), l.id",
        {"inactive": include_inactive},
    )
    return [StockLocation(*r) for r in rows]


def par_levels(conn: Connection, location_id: int) -> list[ParLevel]:
    """The par levels set for a location (what it should hold at the start of the day), by name."""
    rows = read(conn, "SELECT i.id, i.sku, i.name, i.unit, p.par FROM stock_par_levels p"
                      " JOIN stock_items i ON i.id = p.item_id WHERE p.location_id = ?"
                      " ORDER BY lower(i.name), i.sku", [location_id])
    return [ParLevel(*r) for r in rows]


def par_sheet(conn: Connection, location_id: int, *, category: str | None = None) -> list[ParRow]:
    """Every active item (and any inactive one that still has a par here), by name, with what the
    location holds of it and its par level."""
    rows = read(
        conn,
        "SELECT i.id, i.sku, i.name, i.unit, i.category, coalesce(b.held, 0)::INTEGER, p.par FROM stock_items i"
        " LEFT JOIN stock_par_levels p ON p.item_id = i.id AND p.location_id = $loc"
        " LEFT JOIN (SELECT item_id, sum(quantity) AS held FROM stock_balances WHERE location_id = $loc"
        " GROUP BY item_id) b ON b.item_id = i.id"
        " WHERE (i.active OR p.par IS NOT NULL) AND ($category IS NULL OR i.category = $category)"
        " ORDER BY lower(i.name), i.sku",
        {"loc": location_id, "category": category},
    )
    return [ParRow(*r) for r in rows]


def _location_name(name: object, cur: Connection, location_id: int | None) -> str:
    clean = intake.clean_text(name, 60)
    if not clean:
        raise ValidationError({"name": "Enter a name, e.g. Exam room 3."})
    clash = cur.execute("SELECT 1 FROM stock_locations WHERE lower(name) = lower(?) AND id IS DISTINCT FROM ?",
                        [clean, location_id]).fetchone()
    if clash:
        raise ValidationError({"name": f"There is already a location called {clean}."})
    return clean


def add_location(conn: Connection, *, name: str, kind: str, user: Any) -> int:
    """Add an exam room or a fridge (there is one storeroom, made with the database)."""
    if kind not in NEW_LOCATION_KINDS:
        raise ValidationError({"kind": "A new location is an exam room or a fridge (there is one storeroom)."})

    def write(cur: Connection) -> int:
        actor = acting(cur, user, ACTION)
        clean = _location_name(name, cur, None)
        (location_id,) = cur.execute(
            "INSERT INTO stock_locations (name, kind, position)"
            " SELECT ?, ?, coalesce(max(position), 0) + 1 FROM stock_locations RETURNING id", [clean, kind]).fetchone()
        audit.record(cur, actor, "stock_location.create", "stock_location", location_id,
                     detail={"name": clean, "kind": kind})
        return location_id

    return atomic(conn, write)


def rename_location(conn: Connection, location_id: int, name: str, *, user: Any) -> None:
    def write(cur: Connection) -> None:
        actor = acting(cur, user, ACTION)
        row = cur.execute("SELECT name FROM stock_locations WHERE id = ?", [location_id]).fetchone()
        if row is None:
            raise NotFound("That location does not exist.")
        clean = _location_name(name, cur, location_id)
        cur.execute("UPDATE stock_locations SET name = ? WHERE id = ?", [clean, location_id])
        audit.record(cur, actor, "stock_location.rename", "stock_location", location_id,
                     detail={"from": row[0], "to": clean})

    atomic(conn, write)


def set_location_active(conn: Connection, location_id: int, active: bool, *, user: Any) -> None:
    """Take a room or fridge out of use, or back into use. Refused for the storeroom, and while
    the location still holds stock (move it out or count it first)."""

    def write(cur: Connection) -> None:
        actor = acting(cur, user, ACTION)
        row = cur.execute("SELECT name, kind FROM stock_locations WHERE id = ?", [location_id]).fetchone()
        if row is None:
            raise NotFound("That location does not exist.")
        if not active:
            if row[1] == "storeroom":
                raise ValidationError({"active": "The storeroom is always in use: deliveries arrive there."})
            units, items = cur.execute(
                "SELECT coalesce(sum(quantity), 0), count(DISTINCT item_id) FILTER (WHERE quantity > 0)"
                " FROM stock_balances WHERE location_id = ?", [location_id]).fetchone()
            if units:
                raise ValidationError({"active": f"{row[0]} still holds {units} units of {items} "
                                                 f"item{'s' if items != 1 else ''}: move them to the storeroom "
                                                 "(or count them out) before taking it out of use."})
        cur.execute("UPDATE stock_locations SET active = ? WHERE id = ?", [bool(active), location_id])
        audit.record(cur, actor, "stock_location.activate" if active else "stock_location.deactivate",
                     "stock_location", location_id, detail={"name": row[0]})

    atomic(conn, write)


def set_par_levels(conn: Connection, location_id: int, pars: dict[int, object], *, user: Any) -> None:
    """Set the par level of each item in ``pars`` at a room or fridge; 0 or blank removes it.
    Items not in ``pars`` keep theirs. A bad value is refused on field ``pars``, naming the SKU."""

    def write(cur: Connection) -> None:
        actor = acting(cur, user, ACTION)
        row = cur.execute("SELECT kind FROM stock_locations WHERE id = ?", [location_id]).fetchone()
        if row is None:
            raise NotFound("That location does not exist.")
        if row[0] == "storeroom":
            raise ValidationError({"pars": "The storeroom has no par levels: it is kept up by the reorder points."})
        known = item_labels(cur, [int(i) for i in pars])
        changes = {}
        for item_id, value in pars.items():
            if int(item_id) not in known:
                raise ValidationError({"pars": "One of the items no longer exists: reload the page."})
            changes[int(item_id)] = whole_or_none(value, known[int(item_id)][0], "pars", allow_zero=True)
        for item_id, par in changes.items():
            if par is None:
                cur.execute("DELETE FROM stock_par_levels WHERE location_id = ? AND item_id = ?",
                            [location_id, item_id])
            else:
                cur.execute("INSERT INTO stock_par_levels (location_id, item_id, par) VALUES (?, ?, ?)"
                            " ON CONFLICT (location_id, item_id) DO UPDATE SET par = excluded.par",
                            [location_id, item_id, par])
        audit.record(cur, actor, "stock_par.set", "stock_location", location_id,
                     detail={known[i][0]: p for i, p in changes.items()})

    atomic(conn, write)
