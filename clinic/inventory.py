"""Inventory rules, pure: the words, quantity checks, which lots a use takes (FEFO), when an item
is low, how much to order, days of supply, what a room needs from the storeroom, when a
contractor's contract is due for renewal.

Quantities are whole units of issue (a box of 100 gloves issued by the box is 1). Dates are the
clinic's calendar days; callers pass ``today``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from clinic.errors import ClinicError, OutOfStock

CATEGORIES: Final = ("supply", "medication", "vaccine", "lab", "office", "cleaning")
CATEGORY_LABELS: Final = {
    "supply": "Clinical supply",
    "medication": "Medication",
    "vaccine": "Vaccine",
    "lab": "Lab",
    "office": "Office",
    "cleaning": "Cleaning",
}

# A transfer is a pair of 'transfer' movements (out of one location, into another).
MOVEMENT_KINDS: Final = ("receipt", "usage", "adjustment", "expired", "returned", "transfer")
MOVEMENT_LABELS: Final = {
    "receipt": "Received",
    "usage": "Used",
    "adjustment": "Adjusted",
    "expired": "Written off (expired)",
    "returned": "Returned to vendor",
    "transfer": "Moved",
}

LOCATION_KINDS: Final = ("storeroom", "room", "fridge")

PO_STATUSES: Final = ("draft", "ordered", "partially_received", "received", "cancelled")
PO_STATUS_LABELS: Final = {
    "draft": "Draft",
    "ordered": "Ordered",
    "partially_received": "Partly received",
    "received": "Received",
    "cancelled": "Cancelled",
}
# Receiving moves an order to partially_received or received (by what is still open), so those
# moves are made by receiving only; a cancelled or fully received order is closed.
PO_MOVES: Final[dict[str, frozenset[str]]] = {
    "draft": frozenset({"ordered", "cancelled"}),
    "ordered": frozenset({"partially_received", "received", "cancelled"}),
    "partially_received": frozenset({"partially_received", "received", "cancelled"}),
    "received": frozenset(),
    "cancelled": frozenset(),
}

RENEWAL_NOTICE_DAYS: Final = 60
EXPIRY_WARNING_DAYS: Final = 30  # the default of the setting ``expiry_warning_days``
MAX_QUANTITY: Final = 1_000_000


def check_po_move(current: str, to: str) -> None:
    """Refuse a purchase-order status change the table does not allow (field "status")."""
    if to not in PO_MOVES.get(current, frozenset()):
        raise ClinicError(
            f"A purchase order that is {PO_STATUS_LABELS.get(current, current).lower()} cannot become "
            f"{PO_STATUS_LABELS.get(to, to).lower()}.",
            field="status",
        )


def _as_int(value: object, field: str) -> int:
    if isinstance(value, bool) or value is None:
        raise ClinicError("Enter a whole number.", field=field)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value) or value != int(value):
            raise ClinicError("Enter a whole number of units.", field=field)
        return int(value)
    text = str(value).strip().replace(",", "")
    try:
        return int(text)
    except ValueError:
        try:
            number = float(text)
        except ValueError:
            raise ClinicError("Enter a whole number of units.", field=field) from None
        if not math.isfinite(number) or number != int(number):
            raise ClinicError("Enter a whole number of units.", field=field) from None
        return int(number)


def whole_quantity(value: object, *, field: str = "quantity", allow_zero: bool = False) -> int:
    """``value`` as a positive whole number of units (zero too with ``allow_zero``), or a
    :class:`ClinicError` naming ``field``."""
    number = _as_int(value, field)
    if number < 0 or (number == 0 and not allow_zero):
        raise ClinicError("Enter a whole number of units, more than zero." if not allow_zero
                          else "Enter zero or more units.", field=field)
    if number > MAX_QUANTITY:
        raise ClinicError(f"That is more than {MAX_QUANTITY:,} units: check the number.", field=field)
    return number


def signed_quantity(value: object, *, field: str = "quantity") -> int:
    """A non-zero whole number that may be negative (an adjustment)."""
    number = _as_int(value, field)
    if number == 0:
        raise ClinicError("Enter a change other than zero.", field=field)
    if abs(number) > MAX_QUANTITY:
        raise ClinicError(f"That is more than {MAX_QUANTITY:,} units: check the number.", field=field)
    return number


@dataclass(frozen=True)
class LotStock:
    """Stock of one lot at one location, as FEFO sees it."""

    lot_id: int
    location_id: int
    expires_on: date | None
    on_hand: int
    location_kind: str = "storeroom"


def is_expired(expires_on: date | None, today: date) -> bool:
    """A lot is usable through its expiry date and expired from the day after."""
    return expires_on is not None and expires_on < today


def plan_fefo(stock: list[LotStock], quantity: int, *, today: date) -> list[tuple[LotStock, int]]:
    """Which lots (and locations) to take ``quantity`` from: first expiry first, lots with no
    expiry last; among equal expiry, rooms and the fridge before the storeroom (use what is at
    hand), then the older lot. Expired lots are never planned. Raises :class:`OutOfStock` with
    what is usable when short; nothing is planned then."""
    usable = [s for s in stock if s.on_hand > 0 and not is_expired(s.expires_on, today)]
    usable.sort(key=lambda s: (s.expires_on is None, s.expires_on or date.max,
                               s.location_kind == "storeroom", s.lot_id, s.location_id))
    available = sum(s.on_hand for s in usable)
    if available < quantity:
        expired = sum(s.on_hand for s in stock if s.on_hand > 0 and is_expired(s.expires_on, today))
        extra = f" ({expired} more are expired and must be written off)" if expired else ""
        raise OutOfStock(f"Only {available} usable in stock{extra}; {quantity} asked for.", available=available)
    plan, left = [], quantity
    for s in usable:
        if left == 0:
            break
        take = min(left, s.on_hand)
        plan.append((s, take))
        left -= take
    return plan


def is_low(on_hand: int, on_order: int, reorder_point: int) -> bool:
    """Low when what is on hand plus what is already on order is at or below the reorder point
    (an item with reorder point 0 is low only when none is on hand or on order)."""
    return on_hand + on_order <= reorder_point


def round_up_to_packs(units: int, pack_size: int) -> int:
    pack_size = max(1, int(pack_size))
    return -(-max(0, units) // pack_size) * pack_size


def suggested_order(*, on_hand: int, on_order: int, reorder_point: int, reorder_quantity: int, pack_size: int,
                    daily_usage: float, lead_time_days: int) -> int:
    """Units to order for a low item (0 when it is not low): at least the reorder quantity, and
    enough that after the lead time's expected usage the stock is back above the reorder point;
    rounded up to whole packs."""
    if not is_low(on_hand, on_order, reorder_point):
        return 0
    during_lead = math.ceil(max(0.0, daily_usage) * max(0, lead_time_days))
    needed = reorder_point + during_lead + 1 - (on_hand + on_order)
    return round_up_to_packs(max(reorder_quantity, needed), pack_size)


def days_of_supply(on_hand: int, daily_usage: float) -> float | None:
    """On-hand ÷ average daily usage; None when nothing is used (it never runs out)."""
    if daily_usage <= 0:
        return None
    return max(0, on_hand) / daily_usage


def stockout_date(today: date, on_hand: int, daily_usage: float) -> date | None:
    days = days_of_supply(on_hand, daily_usage)
    if days is None:
        return None
    return today + timedelta(days=math.floor(days))


def restock_need(par: int, in_room: int, in_storeroom: int) -> int:
    """How many to bring from the storeroom to bring a room up to its par level (what the
    storeroom has, at most)."""
    return max(0, min(par - in_room, in_storeroom))


def renewal_due(contract_end: date | None, today: date, *, days: int = RENEWAL_NOTICE_DAYS) -> bool:
    """Listed for renewal from ``days`` before the end (and after it, until renewed)."""
    return contract_end is not None and contract_end - timedelta(days=days) <= today
