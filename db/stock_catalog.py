"""The item catalogue: items (SKU, unit, pack size, reorder point, preferred vendor, cost, lot
tracking), made, edited and taken out of use. Where stock lives and each room's par levels are in
db/stock_locations.py; each visit type's supply kit in db/visit_kits.py.

Every write re-reads the acting account first (``db.actors.acting``, action ``inventory.items``)
and writes its rows and its audit row in one transaction. Bad input is refused before anything is
written, with :class:`clinic.errors.ValidationError` naming each wrong field.

DuckDB cannot update a UNIQUE column of a row that a foreign key references, so a SKU is never
changed once written (a wrong SKU: add a new item and make the old one inactive). Items and
locations are deactivated, never deleted: movements name them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import duckdb

from clinic import intake
from clinic.errors import ClinicError, NotFound, ValidationError
from clinic.inventory import CATEGORIES, CATEGORY_LABELS, whole_quantity
from clinic.money import ZERO, parse_amount
from db import Connection, atomic, audit, read, read_one
from db.actors import acting

ACTION = "inventory.items"
SKU_MAX = 30
SKU_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./")
# The fields of an item as a form sends them (update_item takes any of them but the SKU).
ITEM_FIELDS = ("sku", "name", "category", "unit", "pack_size", "reorder_point", "reorder_quantity", "vendor_id",
               "unit_cost", "lot_tracked", "storage_note")
SKU_FIXED = ("The SKU cannot change once the item exists (its stock and orders point to it): "
             "add a new item and make this one inactive.")


@dataclass(frozen=True)
class CatalogItem:
    """An item as the catalogue shows it, with its preferred vendor's name and what is on hand."""

    id: int
    sku: str
    name: str
    category: str
    unit: str
    pack_size: int
    reorder_point: int
    reorder_quantity: int
    vendor_id: int | None
    vendor_name: str | None
    unit_cost: Decimal
    lot_tracked: bool
    storage_note: str | None
    active: bool
    on_hand: int


# --- reading -----------------------------------------------------------------------------------

_ITEM_SELECT = (
    "SELECT i.id, i.sku, i.name, i.category, i.unit, i.pack_size, i.reorder_point, i.reorder_quantity, i.vendor_id,"
    " v.name, i.unit_cost, i.lot_tracked, i.storage_note, i.active,"
    " coalesce((SELECT sum(b.quantity) FROM stock_balances b WHERE b.item_id = i.id), 0)::INTEGER"
    " FROM stock_items i LEFT JOIN vendors v ON v.id = i.vendor_id"
)


def list_items(conn: Connection, *, category: str | None = None, search: str | None = None,
               include_inactive: bool = False) -> list[CatalogItem]:
    """Items by name; ``search`` matches SKU, name or storage note (any case)."""
    text = intake.clean_text(search, 60)
    rows = read(
        conn,
        _ITEM_SELECT + " WHERE ($inactive OR i.active) AND ($category IS NULL OR i.category = $category)"
        " AND ($search = '' OR contains(lower(i.sku || ' ' || i.name || ' ' || coalesce(i.storage_note, '')),"
        " lower($search))) ORDER BY i.active DESC, lower(i.name), i.sku",
        {"inactive": include_inactive, "category": category, "search": text},
    )
    return [CatalogItem(*r) for r in rows]


def get_item(conn: Connection, item_id: int) -> CatalogItem:
    row = read_one(conn, _ITEM_SELECT + " WHERE i.id = ?", [item_id])
    if row is None:
        raise NotFound("That item does not exist.")
    return CatalogItem(*row)


def vendor_choices(conn: Connection, *, keep: int | None = None) -> list[tuple[int, str]]:
    """(id, name) of the active vendors, by name, for an item's preferred-vendor picker; ``keep``
    (an item's current vendor) is listed even when inactive, marked so."""
    rows = read(conn, "SELECT id, name || CASE WHEN active THEN '' ELSE ' (inactive)' END FROM vendors"
                      " WHERE active OR id = ? ORDER BY lower(name), id", [keep])
    return [(r[0], r[1]) for r in rows]


# --- items -------------------------------------------------------------------------------------


def blank(value: object) -> bool:
    """None, NaN (an empty table cell) or text of spaces only."""
    return value is None or (isinstance(value, float) and value != value) or str(value).strip() == ""


def clean_sku(value: object) -> str:
    """A SKU as stored: trimmed and upper-cased (spaces inside are refused, not removed)."""
    return "" if blank(value) else str(value).strip().upper()


def _quantity(values: dict, field: str, errors: dict[str, str], *, least: int) -> int:
    try:
        number = whole_quantity(values.get(field), field=field, allow_zero=least == 0)
    except ClinicError as exc:
        errors[field] = str(exc)
        return least
    return number


def _validate_item(values: dict) -> dict[str, Any]:
    """The item's fields cleaned, or a ValidationError naming every wrong one."""
    errors: dict[str, str] = {}
    sku = clean_sku(values.get("sku"))
    if not sku:
        errors["sku"] = "Enter the SKU (the item's stock code)."
    elif len(sku) > SKU_MAX or not set(sku) <= SKU_CHARACTERS:
        errors["sku"] = f"A SKU has at most {SKU_MAX} letters, digits and - _ . / (no spaces)."
    name = intake.clean_text(values.get("name"), 120)
    if not name:
        errors["name"] = "Enter the item's name."
    category = values.get("category")
    if category not in CATEGORIES:
        errors["category"] = "Choose a category: " + ", ".join(CATEGORY_LABELS[c].lower() for c in CATEGORIES) + "."
    unit = intake.clean_text(values.get("unit"), 40)
    if not unit:
        errors["unit"] = "Enter the unit of issue (each, box of 100, vial...)."
    clean = {
        "sku": sku, "name": name, "category": category, "unit": unit,
        "pack_size": _quantity(values, "pack_size", errors, least=1) if not blank(values.get("pack_size")) else 1,
        "reorder_point": _quantity(values, "reorder_point", errors, least=0),
        "reorder_quantity": _quantity(values, "reorder_quantity", errors, least=0),
        "lot_tracked": bool(values.get("lot_tracked")),
        "storage_note": intake.clean_text(values.get("storage_note"), 200) or None,
    }
    cost = values.get("unit_cost")
    try:
        clean["unit_cost"] = ZERO if blank(cost) else parse_amount(cost, field="unit_cost", allow_zero=True)
    except ClinicError as exc:
        errors["unit_cost"] = str(exc)
    vendor = values.get("vendor_id")
    try:
        clean["vendor_id"] = None if blank(vendor) else int(vendor)
    except (TypeError, ValueError):
        errors["vendor_id"] = "Choose a vendor from the list."
    if errors:
        raise ValidationError(errors)
    return clean


def _check_vendor(cur: Connection, vendor_id: int | None, *, current: int | None = None) -> None:
    if vendor_id is None:
        return
    row = cur.execute("SELECT active FROM vendors WHERE id = ?", [vendor_id]).fetchone()
    if row is None or (not row[0] and vendor_id != current):
        raise ValidationError({"vendor_id": "Choose an active vendor from the list."})


def create_item(conn: Connection, *, sku: str, name: str, category: str, unit: str, reorder_point: object,
                reorder_quantity: object, user: Any, lot_tracked: bool = False, pack_size: object = 1,
                vendor_id: int | None = None, unit_cost: object = None, storage_note: str | None = None) -> int:
    """Add an item to the catalogue; return its id. A SKU already in use is refused on field
    ``sku`` with the name of the item that has it."""
    clean = _validate_item({"sku": sku, "name": name, "category": category, "unit": unit,
                            "reorder_point": reorder_point, "reorder_quantity": reorder_quantity,
                            "lot_tracked": lot_tracked, "pack_size": pack_size, "vendor_id": vendor_id,
                            "unit_cost": unit_cost, "storage_note": storage_note})

    def write(cur: Connection) -> int:
        actor = acting(cur, user, ACTION)
        taken = cur.execute("SELECT name FROM stock_items WHERE sku = ?", [clean["sku"]]).fetchone()
        if taken:
            raise ValidationError({"sku": f"SKU {clean['sku']} is already used by {taken[0]}."})
        _check_vendor(cur, clean["vendor_id"])
        (item_id,) = cur.execute(
            "INSERT INTO stock_items (sku, name, category, unit, pack_size, reorder_point, reorder_quantity,"
            " vendor_id, unit_cost, lot_tracked, storage_note) VALUES ($sku, $name, $category, $unit, $pack_size,"
            " $reorder_point, $reorder_quantity, $vendor_id, $unit_cost, $lot_tracked, $storage_note) RETURNING id",
            clean,
        ).fetchone()
        audit.record(cur, actor, "stock_item.create", "stock_item", item_id, detail=clean)
        return item_id

    return atomic(conn, write)


def update_item(conn: Connection, item_id: int, values: dict, *, user: Any) -> None:
    """Change an item's fields (those in ``values``; the rest stay). The SKU cannot change; lot
    tracking can change only while none of the item is in stock."""
    current = get_item(conn, item_id)
    merged = {field: getattr(current, field) for field in ITEM_FIELDS}
    merged.update({k: v for k, v in values.items() if k in ITEM_FIELDS})
    if clean_sku(merged["sku"]) != current.sku:
        raise ValidationError({"sku": SKU_FIXED})
    clean = _validate_item(merged)
    clean.pop("sku")

    def write(cur: Connection) -> None:
        actor = acting(cur, user, ACTION)
        row = cur.execute("SELECT vendor_id, lot_tracked FROM stock_items WHERE id = ?", [item_id]).fetchone()
        if row is None:
            raise NotFound("That item does not exist.")
        _check_vendor(cur, clean["vendor_id"], current=row[0])
        if clean["lot_tracked"] != row[1]:
            (held,) = cur.execute("SELECT coalesce(sum(quantity), 0) FROM stock_balances WHERE item_id = ?",
                                  [item_id]).fetchone()
            if held:
                raise ValidationError({"lot_tracked": f"Lot tracking can change only when none is in stock "
                                                      f"({held} {current.unit} on hand now)."})
        # vendor_id is left out unless it changes: DuckDB turns an UPDATE of a foreign-key column into a
        # delete and insert of the row, which fails once lots, par levels or orders point to the item.
        cur.execute(
            "UPDATE stock_items SET name = $name, category = $category, unit = $unit, pack_size = $pack_size,"
            " reorder_point = $reorder_point, reorder_quantity = $reorder_quantity, unit_cost = $unit_cost,"
            " lot_tracked = $lot_tracked, storage_note = $storage_note WHERE id = $id",
            {k: v for k, v in {**clean, "id": item_id}.items() if k != "vendor_id"},
        )
        if clean["vendor_id"] != row[0]:
            try:
                cur.execute("UPDATE stock_items SET vendor_id = ? WHERE id = ?", [clean["vendor_id"], item_id])
            except duckdb.ConstraintException:
                raise ValidationError({"vendor_id": "The preferred vendor of an item already stocked or ordered "
                                                    "cannot be changed yet (a database limit)."}) from None
        audit.record(cur, actor, "stock_item.update", "stock_item", item_id, detail={"sku": current.sku, **clean})

    atomic(conn, write)


def set_active(conn: Connection, item_id: int, active: bool, *, user: Any) -> None:
    """Take an item out of use (its history and stock stay; its par levels go) or back into use.
    Refused while a visit type's kit lists it: a visit would go on using it."""

    def write(cur: Connection) -> None:
        actor = acting(cur, user, ACTION)
        row = cur.execute("SELECT sku, name FROM stock_items WHERE id = ?", [item_id]).fetchone()
        if row is None:
            raise NotFound("That item does not exist.")
        dropped: list = []
        if not active:
            kits = [r[0] for r in cur.execute(
                "SELECT t.name FROM visit_type_supplies k JOIN visit_types t ON t.id = k.type_id"
                " WHERE k.item_id = ? ORDER BY t.name", [item_id]).fetchall()]
            if kits:
                raise ValidationError({"active": f"{row[1]} is in the supply kit of {', '.join(kits)}: "
                                                 "take it out of the kit first."})
            dropped = cur.execute("SELECT location_id, par FROM stock_par_levels WHERE item_id = ?",
                                  [item_id]).fetchall()
            cur.execute("DELETE FROM stock_par_levels WHERE item_id = ?", [item_id])
        cur.execute("UPDATE stock_items SET active = ? WHERE id = ?", [bool(active), item_id])
        audit.record(cur, actor, "stock_item.activate" if active else "stock_item.deactivate", "stock_item",
                     item_id, detail={"sku": row[0], "par_levels_removed": dropped})

    atomic(conn, write)


# --- shared by db/stock_locations.py and db/visit_kits.py ------------------------------------


def item_labels(cur: Connection, item_ids: list[int]) -> dict[int, tuple[str, bool]]:
    rows = cur.execute("SELECT id, sku, active FROM stock_items WHERE list_contains(?, id)",
                       [item_ids]).fetchall()
    return {r[0]: (r[1], r[2]) for r in rows}


def whole_or_none(value: object, label: str, field: str, *, allow_zero: bool) -> int | None:
    if blank(value):
        return None
    try:
        number = whole_quantity(value, field=field, allow_zero=allow_zero)
    except ClinicError as exc:
        raise ValidationError({field: f"{label}: {exc}"}) from None
    return number or None
