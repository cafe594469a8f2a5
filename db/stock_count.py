"""The stock count: the sheet of what should be on the shelves of one location (by category), the
differences a count makes, and recording them as ``adjustment`` movements with reason "count".

A sheet line is one lot of one item at the location (key ``(item_id, lot_id)``):

* an item not tracked by lot has exactly one line, even when none is there (its lot may not even
  exist yet: ``lot_id`` None; a count above zero then creates the item's one untracked lot);
* a lot-tracked item has a line per lot with stock at the location, or, when none is there, one
  line with lot None so that a box found on the shelf can be counted. Such a count needs the lot
  number printed on the box (``lot_numbers[item_id]``), and that lot must already be on record
  (received once, so its expiry is known); an unknown lot is refused: receive it instead.

A count left empty (None or "") is "not counted" and leaves the line alone. Counts are whole
numbers of units, zero or more; a bad one is refused with the line named, and nothing is written.

:func:`apply_count` is given what the sheet showed (``expected``): when the stock of a counted
line has changed since (a use, a transfer, another count), the whole count is refused so that
the counter reloads the sheet rather than undo someone else's movement.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb

from clinic import timeutil
from clinic.errors import ClinicError, NotFound
from clinic.inventory import CATEGORIES, whole_quantity
from db import Connection, atomic, audit, inventory, read, read_one
from db.actors import acting
from db.stock_catalog import blank

ACTION = "inventory.stock"
REASON = "count"
FIELD = "counted"

CountKey = tuple[int, int | None]  # (item_id, lot_id); lot None: nothing of it is at the location


@dataclass(frozen=True)
class CountLine:
    item_id: int
    sku: str
    name: str
    unit: str
    lot_id: int | None
    lot_number: str | None
    expires_on: date | None
    expected: int
    lot_tracked: bool = False

    @property
    def key(self) -> CountKey:
        return (self.item_id, self.lot_id)

    @property
    def label(self) -> str:
        """How an error names the line: "GLV-M Nitrile gloves M (lot A12)"."""
        lot = f" (lot {self.lot_number})" if self.lot_number else ""
        return f"{self.sku} {self.name}{lot}"


@dataclass(frozen=True)
class Difference:
    """What a count changes on one line: ``change`` = ``counted`` − ``on_hand`` (never 0)."""

    item_id: int
    sku: str
    name: str
    unit: str
    lot_id: int | None
    lot_number: str | None
    on_hand: int
    counted: int
    change: int

    @property
    def key(self) -> CountKey:
        return (self.item_id, self.lot_id)


def _location_name(conn_or_cur: Connection, location_id: int) -> str:
    row = conn_or_cur.execute("SELECT name FROM stock_locations WHERE id = ?", [location_id]).fetchone()
    if row is None:
        raise NotFound("That stock location does not exist.", field="location")
    return row[0]


def count_sheet(conn: Connection, *, location_id: int, category: str | None) -> list[CountLine]:
    """Every active item of ``category`` (all categories with None) and its lots at the location,
    with the on-hand expected there; items by name, lots by expiry."""
    if category is not None and category not in CATEGORIES:
        raise ClinicError("Choose a category from the list.", field="category")
    if read_one(conn, "SELECT 1 FROM stock_locations WHERE id = ?", [location_id]) is None:
        raise NotFound("That stock location does not exist.", field="location")
    rows = read(
        conn,
        """
        WITH items AS (
            SELECT id, sku, name, unit, lot_tracked FROM stock_items
            WHERE active AND ($category IS NULL OR category = $category)
        ),
        lines AS (
            -- a lot-tracked item: each lot with stock at the location
            SELECT l.item_id, l.id AS lot_id, l.lot_number, l.expires_on, b.quantity
            FROM stock_lots l
            JOIN items i ON i.id = l.item_id AND i.lot_tracked
            JOIN stock_balances b ON b.lot_id = l.id AND b.location_id = $location AND b.quantity > 0
            UNION ALL
            -- an untracked item: its one lot, stock here or not
            SELECT l.item_id, l.id, NULL, NULL, coalesce(b.quantity, 0)
            FROM stock_lots l
            JOIN items i ON i.id = l.item_id AND NOT i.lot_tracked AND l.lot_key = ''
            LEFT JOIN stock_balances b ON b.lot_id = l.id AND b.location_id = $location
        )
        SELECT i.id, i.sku, i.name, i.unit, i.lot_tracked, x.lot_id, x.lot_number, x.expires_on,
               coalesce(x.quantity, 0)::INTEGER
        FROM items i LEFT JOIN lines x ON x.item_id = i.id
        ORDER BY lower(i.name), i.sku, x.expires_on NULLS LAST, x.lot_id
        """,
        {"category": category, "location": location_id},
    )
    return [CountLine(item_id=r[0], sku=r[1], name=r[2], unit=r[3], lot_tracked=bool(r[4]), lot_id=r[5],
                      lot_number=r[6], expires_on=r[7], expected=r[8]) for r in rows]


# --- reading what was typed ------------------------------------------------------------------


@dataclass(frozen=True)
class _Counted:
    item_id: int
    lot_id: int | None  # None: the untracked lot does not exist yet (created on writing)
    lot_number: str | None
    counted: int
    key: CountKey  # the sheet line it was typed on
    label: str


def _item(cur: Connection, item_id: int) -> tuple[str, str, str, bool]:
    row = cur.execute("SELECT sku, name, unit, lot_tracked FROM stock_items WHERE id = ?", [item_id]).fetchone()
    if row is None:
        raise NotFound("An item on this count no longer exists: reload the sheet.", field=FIELD)
    return row[0], row[1], row[2], bool(row[3])


def _read_counts(cur: Connection, counted: Mapping[CountKey, Any],
                 lot_numbers: Mapping[int, str] | None) -> list[_Counted]:
    """The typed counts, checked (whole, >= 0, a lot for a found box), each resolved to a lot.
    Refuses the first bad line by name (and says how many more there are)."""
    lot_numbers = lot_numbers or {}
    out: list[_Counted] = []
    problems: list[str] = []
    for key, value in counted.items():
        if blank(value):
            continue
        item_id, lot_id = key
        sku, name, unit, lot_tracked = _item(cur, item_id)
        lot_number = None
        if lot_id is not None:
            row = cur.execute("SELECT lot_number FROM stock_lots WHERE id = ? AND item_id = ?",
                              [lot_id, item_id]).fetchone()
            if row is None:
                raise NotFound(f"{sku} {name}: that lot is not on record: reload the sheet.", field=FIELD)
            lot_number = row[0]
        label = f"{sku} {name}" + (f" (lot {lot_number})" if lot_number else "")
        try:
            number = whole_quantity(value, field=FIELD, allow_zero=True)
        except ClinicError as exc:
            problems.append(f"{label}: {exc}")
            continue
        if lot_id is None:
            if lot_tracked:
                typed = (lot_numbers.get(item_id) or "").strip()
                if number == 0 and not typed:
                    continue  # "none here" is what the sheet said already
                if not typed:
                    problems.append(f"{label}: enter the lot number printed on the box.")
                    continue
                row = cur.execute("SELECT id, lot_number FROM stock_lots WHERE item_id = ? AND lot_key = ?",
                                  [item_id, typed.upper()]).fetchone()
                if row is None:
                    problems.append(f"{label}: lot {typed} is not on record. Receive it with its expiry date "
                                    "instead of counting it.")
                    continue
                lot_id, lot_number = row
                label = f"{sku} {name} (lot {lot_number})"
            else:
                row = cur.execute("SELECT id FROM stock_lots WHERE item_id = ? AND lot_key = ''",
                                  [item_id]).fetchone()
                lot_id = row[0] if row else None
        out.append(_Counted(item_id, lot_id, lot_number, number, key, label))
    if problems:
        more = f" (and {len(problems) - 1} more line{'s' if len(problems) > 2 else ''} to check)" \
            if len(problems) > 1 else ""
        raise ClinicError(problems[0] + more, field=FIELD)
    return out


def _on_hand(cur: Connection, location_id: int, item_id: int, lot_id: int | None) -> int:
    if lot_id is None:
        return 0
    row = cur.execute("SELECT quantity FROM stock_balances WHERE lot_id = ? AND location_id = ?",
                      [lot_id, location_id]).fetchone()
    return row[0] if row else 0


def _item_on_hand(cur: Connection, location_id: int, item_id: int) -> int:
    (total,) = cur.execute("SELECT coalesce(sum(quantity), 0)::INTEGER FROM stock_balances"
                           " WHERE item_id = ? AND location_id = ?", [item_id, location_id]).fetchone()
    return total


def _differences(cur: Connection, location_id: int, lines: list[_Counted]) -> list[Difference]:
    out = []
    for line in lines:
        on_hand = _on_hand(cur, location_id, line.item_id, line.lot_id)
        if line.counted == on_hand:
            continue
        sku, name, unit, _ = _item(cur, line.item_id)
        out.append(Difference(item_id=line.item_id, sku=sku, name=name, unit=unit, lot_id=line.lot_id,
                              lot_number=line.lot_number, on_hand=on_hand, counted=line.counted,
                              change=line.counted - on_hand))
    return sorted(out, key=lambda d: (d.name.lower(), d.sku, d.lot_number or "", d.lot_id or 0))


def preview_count(conn: Connection, *, location_id: int, counted: Mapping[CountKey, Any],
                  lot_numbers: Mapping[int, str] | None = None) -> list[Difference]:
    """The adjustments the count would write against the stock as it is now (lines that differ
    only), for review. Raises :class:`ClinicError` (field "counted") naming a bad line."""
    cur = conn.cursor()
    try:
        _location_name(cur, location_id)
        return _differences(cur, location_id, _read_counts(cur, counted, lot_numbers))
    finally:
        cur.close()


STALE = ("The stock of {label} has changed since this sheet was read ({was} then, {now} now): "
         "reload the sheet and count that line again. Nothing was recorded.")


def apply_count(conn: Connection, *, location_id: int, counted: Mapping[CountKey, Any],
                expected: Mapping[CountKey, int], user: Any,
                lot_numbers: Mapping[int, str] | None = None) -> int:
    """Record the count in one transaction: an ``adjustment`` movement (reason "count") for each
    counted line that differs from the stock, and one audit row. Returns how many movements were
    written (0 when every count matched: nothing is written then).

    ``expected`` is what the sheet showed for each line (``{line.key: line.expected}``); when the
    stock of a counted line is no longer that, nothing is written and the refusal says to reload.
    """

    def write(cur: Connection) -> int:
        actor = acting(cur, user, ACTION)
        location = _location_name(cur, location_id)
        lines = _read_counts(cur, counted, lot_numbers)
        for line in lines:
            if line.key not in expected:
                raise ClinicError(f"{line.label} is not on this sheet: reload the sheet.", field=FIELD)
            was = int(expected[line.key])
            # A line with no lot stood for "none of this item here": any stock of it now is news.
            now = (_item_on_hand(cur, location_id, line.item_id) if line.key[1] is None
                   else _on_hand(cur, location_id, line.item_id, line.lot_id))
            if now != was:
                raise ClinicError(STALE.format(label=line.label, was=was, now=now), field=FIELD)
        changes = _differences(cur, location_id, lines)
        if not changes:
            return 0
        for change in changes:
            lot_id = change.lot_id if change.lot_id is not None else _untracked_lot(cur, change.item_id)
            inventory.move_in(cur, actor, item_id=change.item_id, lot_id=lot_id, location_id=location_id,
                              delta=change.change, kind="adjustment", reason=REASON)
        audit.record(cur, actor, "stock.count", "stock_location", location_id, detail={
            "location": location,
            "lines": len(lines),
            "adjustments": [{"item_id": c.item_id, "lot_id": c.lot_id, "on_hand": c.on_hand, "counted": c.counted}
                            for c in changes],
        })
        return len(changes)

    return atomic(conn, write)


def _untracked_lot(cur: Connection, item_id: int) -> int:
    """The one lot of an item not tracked by lot (lot_key ''), made when it does not exist yet."""
    row = cur.execute("SELECT id FROM stock_lots WHERE item_id = ? AND lot_key = ''", [item_id]).fetchone()
    if row:
        return row[0]
    try:
        (lot_id,) = cur.execute("INSERT INTO stock_lots (item_id, lot_number, lot_key, expires_on, received_at)"
                                " VALUES (?, NULL, '', NULL, ?) RETURNING id", [item_id, timeutil.now_utc()]).fetchone()
    except duckdb.ConstraintException as exc:  # made by another transaction meanwhile: retry on fresh data
        raise duckdb.TransactionException(f"Conflict on the untracked lot of item {item_id}") from exc
    return lot_id
