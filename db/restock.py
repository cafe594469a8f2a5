"""The morning restock list: what to bring from the storeroom to each room and the fridge to reach
their par levels, and recording those moves as transfers in one go.

Only usable stock counts (a lot is usable through its expiry date): an expired box in a room does
not fill its par (it is written off from the inventory page), and an expired box in the storeroom
is never brought. Rooms share the storeroom: they are served in their set order (the fridge and
rooms by position), each taking what is still left, so the list never promises a box twice. A
room the storeroom cannot bring up to par is listed with ``short`` set (even when nothing at all
can be brought), so the office sees it before opening.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from clinic import inventory as rules
from clinic import timeutil
from clinic.errors import ClinicError, NotFound
from db import Connection, atomic, audit, inventory, read, settings
from db.actors import acting
from db.inventory import USABLE_LOT

ACTION = "inventory.stock"
REASON = "restock"
FIELD = "restock"


@dataclass(frozen=True)
class RestockLine:
    location_id: int
    location_name: str
    item_id: int
    sku: str
    name: str
    unit: str
    par: int
    in_room: int  # usable units in the room now
    in_storeroom: int  # usable units in the storeroom now (before any room takes its share)
    bring: int  # what to carry to the room (0 when the storeroom has nothing left for it)
    short: bool = False  # the storeroom cannot bring the room up to par

    @property
    def missing(self) -> int:
        """Units the room still lacks after this line is brought."""
        return max(0, self.par - self.in_room - self.bring)


_PARS = """
WITH usable AS (
    SELECT b.item_id, b.location_id, sum(b.quantity)::INTEGER AS quantity
    FROM stock_balances b JOIN stock_lots l ON l.id = b.lot_id
    WHERE b.quantity > 0 AND """ + USABLE_LOT + """
    GROUP BY b.item_id, b.location_id
)
SELECT loc.id, loc.name, i.id, i.sku, i.name, i.unit, p.par,
       coalesce(r.quantity, 0) AS in_room, coalesce(s.quantity, 0) AS in_storeroom
FROM stock_par_levels p
JOIN stock_locations loc ON loc.id = p.location_id AND loc.active AND loc.kind <> 'storeroom'
JOIN stock_items i ON i.id = p.item_id AND i.active
LEFT JOIN usable r ON r.item_id = i.id AND r.location_id = loc.id
LEFT JOIN usable s ON s.item_id = i.id AND s.location_id = $storeroom
WHERE p.par > 0
ORDER BY loc.position, loc.name, loc.id, lower(i.name), i.sku
"""


def _clinic_today(conn: Connection) -> date:
    return timeutil.today(settings.timezone(conn))


def restock_list(conn: Connection, *, today: date | None = None) -> list[RestockLine]:
    """Lines for every room and the fridge whose usable stock of an item is below its par: what to
    bring (``bring`` > 0), or a ``short`` line when the storeroom cannot cover it. Rooms in their
    set order, items by name."""
    today = today or _clinic_today(conn)
    storeroom = inventory.storeroom_id(conn)
    left: dict[int, int] = {}  # storeroom units not yet promised to an earlier room, per item
    out = []
    for loc_id, loc_name, item_id, sku, name, unit, par, in_room, in_storeroom in read(
            conn, _PARS, {"today": today, "storeroom": storeroom}):
        need = par - in_room
        if need <= 0:
            continue
        available = left.setdefault(item_id, in_storeroom)
        bring = rules.restock_need(par, in_room, available)
        left[item_id] = available - bring
        out.append(RestockLine(location_id=loc_id, location_name=loc_name, item_id=item_id, sku=sku, name=name,
                               unit=unit, par=par, in_room=in_room, in_storeroom=in_storeroom, bring=bring,
                               short=bring < need))
    return out


def _storeroom(cur: Connection) -> int:
    row = cur.execute("SELECT min(id) FROM stock_locations WHERE kind = 'storeroom'").fetchone()
    if row is None or row[0] is None:
        raise NotFound("There is no storeroom.", field=FIELD)
    return row[0]


def _usable_at(cur: Connection, item_id: int, location_id: int, today: date) -> int:
    (units,) = cur.execute(
        "SELECT coalesce(sum(b.quantity), 0)::INTEGER FROM stock_balances b JOIN stock_lots l ON l.id = b.lot_id"
        " WHERE b.item_id = ? AND b.location_id = ? AND (l.expires_on IS NULL OR l.expires_on >= ?)",
        [item_id, location_id, today]).fetchone()
    return units


def record_restock(conn: Connection, lines: Iterable[tuple[int, int, Any]], *, user: Any,
                   today: date | None = None) -> int:
    """Move each ``(location_id, item_id, quantity)`` from the storeroom to its room (first to
    expire first), all in one transaction with one audit row; returns how many transfers were made.

    A line that cannot be done (a bad quantity, the storeroom short, a room that would go above its
    par because the list was already recorded) refuses the whole list, naming the item and room:
    nothing is written then.
    """
    lines = list(lines)
    if not lines:
        raise ClinicError("Nothing to bring: every room is at its par level.", field=FIELD)

    def write(cur: Connection) -> int:
        actor = acting(cur, user, ACTION)
        day = today or _clinic_today(cur)
        storeroom = _storeroom(cur)
        done = []
        for location_id, item_id, quantity in lines:
            row = cur.execute(
                "SELECT i.name, i.unit, loc.name, loc.kind, p.par FROM stock_items i CROSS JOIN stock_locations loc"
                " LEFT JOIN stock_par_levels p ON p.item_id = i.id AND p.location_id = loc.id"
                " WHERE i.id = ? AND loc.id = ?", [item_id, location_id]).fetchone()
            if row is None:
                raise NotFound("An item or room on this list no longer exists: reload the list.", field=FIELD)
            name, unit, room, kind, par = row
            where = f"{name} for {room}"
            if kind == "storeroom":
                raise ClinicError(f"{where}: the storeroom is not restocked from itself.", field=FIELD)
            try:
                units = rules.whole_quantity(quantity, field=FIELD)
            except ClinicError as exc:
                raise ClinicError(f"{where}: {exc}", field=FIELD) from None
            in_room = _usable_at(cur, item_id, location_id, day)
            if par is not None and in_room + units > par:
                raise ClinicError(f"{where}: the room already has {in_room} {unit} (par {par}), so bringing {units} "
                                  "would overfill it. Was the list recorded already? Reload it.", field=FIELD)
            try:
                transfer_id = inventory.transfer_in(cur, actor, item_id=item_id, quantity=units,
                                                    from_location_id=storeroom, to_location_id=location_id,
                                                    reason=REASON, today=day)
            except ClinicError as exc:
                raise ClinicError(f"{where}: {exc} Nothing was moved: reload the list.", field=FIELD) from None
            done.append({"item_id": item_id, "location_id": location_id, "quantity": units, "transfer": transfer_id})
        audit.record(cur, actor, "stock.restock", "stock_location", storeroom, detail={"transfers": done})
        return len(done)

    return atomic(conn, write)
