"""Inventory factories: an item, a location, a vendor with believable defaults, and stock put in
through the real ``db.inventory.receive`` (so balances and movements agree)."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal
from typing import Any

_n = itertools.count(1)


def make_vendor(conn, **overrides: Any) -> int:
    n = next(_n)
    values = {"name": f"Vendor {n}", "contact_person": "Sam Rivera", "phone": "555-0100", "email": f"orders{n}@example.com",
              "account_number": f"AC-{n:04d}", "lead_time_days": 5, "minimum_order": Decimal("0.00"), "notes": None}
    values.update(overrides)
    (vendor_id,) = conn.cursor().execute(
        "INSERT INTO vendors (name, contact_person, phone, email, account_number, lead_time_days, minimum_order, notes)"
        " VALUES ($name, $contact_person, $phone, $email, $account_number, $lead_time_days, $minimum_order, $notes)"
        " RETURNING id", values).fetchone()
    return vendor_id


def make_location(conn, name: str | None = None, kind: str = "room") -> int:
    n = next(_n)
    (location_id,) = conn.cursor().execute(
        "INSERT INTO stock_locations (name, kind, position) VALUES (?, ?, ?) RETURNING id",
        [name or f"Exam room {n}", kind, n]).fetchone()
    return location_id


def make_item(conn, **overrides: Any) -> int:
    n = next(_n)
    values = {"sku": f"SKU-{n:05d}", "name": f"Test item {n}", "category": "supply", "unit": "each",
              "pack_size": 1, "reorder_point": 5, "reorder_quantity": 10, "vendor_id": None,
              "unit_cost": Decimal("1.50"), "lot_tracked": False, "storage_note": None}
    values.update(overrides)
    (item_id,) = conn.cursor().execute(
        "INSERT INTO stock_items (sku, name, category, unit, pack_size, reorder_point, reorder_quantity, vendor_id,"
        " unit_cost, lot_tracked, storage_note) VALUES ($sku, $name, $category, $unit, $pack_size, $reorder_point,"
        " $reorder_quantity, $vendor_id, $unit_cost, $lot_tracked, $storage_note) RETURNING id", values).fetchone()
    return item_id


def stock(conn, item_id: int, quantity: int, *, lot_number: str | None = None, expires_on: date | None = None,
          location_id: int | None = None) -> int:
    """Receive ``quantity`` through db.inventory.receive (as the operator "test"); returns the lot id."""
    from db import inventory

    inventory.receive(conn, item_id=item_id, quantity=quantity, user="test", lot_number=lot_number,
                      expires_on=expires_on, location_id=location_id)
    key = (lot_number or "").strip().upper()
    return conn.cursor().execute("SELECT id FROM stock_lots WHERE item_id = ? AND lot_key = ?",
                                 [item_id, key]).fetchone()[0]
