"""The shapes the demo's stock flow is computed in (see :mod:`demo.inventory_flow`): the catalogue
and the plan it starts from, movement columns gathered in parts, reason codes, lots and order lines,
and the result. Pure numpy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from demo.frames import DAY_S

HOUR: Final = 3600
STOREROOM, FRIDGE = 0, 4  # location indexes: 0 the storeroom, 1..3 the exam rooms, 4 the vaccine fridge
N_ROOMS: Final = 3
N_LOC: Final = 5
KEPT_IN: Final = ("storeroom", "room", "fridge")

KINDS: Final = ("receipt", "usage", "adjustment", "expired", "returned", "transfer")
RECEIPT, USAGE, ADJUSTMENT, EXPIRED, RETURNED, TRANSFER = range(6)
USERS: Final = ("frontdesk", "doctor", "manager")
FRONTDESK, DOCTOR, MANAGER = range(3)
# Reasons every seed has, in this order (codes 0..3); the rest are numbered as they come.
FIXED_REASONS: Final = ("count", "damaged in delivery: sent back", "opening count", "urgent delivery")
COUNT, RETURN, OPENING, URGENT = range(4)


@dataclass(frozen=True)
class Catalogue:
    """The items, one array entry each (demo/data/stock_items.csv); reorder figures already scaled."""

    sku: list[str]
    category: np.ndarray  # category name per item
    pack: np.ndarray
    cents: np.ndarray  # today's unit cost in cents
    tracked: np.ndarray
    kept_in: np.ndarray  # 0 storeroom, 1 room, 2 fridge
    daily: np.ndarray  # units used per clinic day outside visit kits, at the demo scale
    shelf: np.ndarray  # shelf life of a new lot, days
    vendor: np.ndarray  # vendor index
    emergency: np.ndarray


@dataclass(frozen=True)
class Plan:
    """What the flow needs besides the catalogue."""

    days: np.ndarray  # the clinic days of the window, ascending (today last if the clinic opens today)
    now_s: int  # clinic-local seconds: nothing happens after it
    today_n: int
    volume: float  # visits per day relative to the demo scale
    kits: dict[int, list[tuple[int, int]]]  # visit type index -> [(item, quantity)]
    extras: list[tuple[int, float]]  # vaccines given at some vaccination visits: (item, share)
    low: list[int]  # items nobody has reordered yet (low now)
    near: list[int]  # tracked items whose oldest lot on hand expires within 30 days
    lead_days: np.ndarray  # per vendor
    base_rp: np.ndarray  # the catalogue's reorder point and quantity at the demo scale
    base_rq: np.ndarray


class Moves:
    """Movement columns gathered in parts, concatenated once. ``lot`` indexes :class:`Lots`."""

    COLS: Final = ("item", "lot", "loc", "qty", "t", "kind", "reason", "user", "appt", "transfer", "order_line")

    def __init__(self) -> None:
        self.parts: dict[str, list[np.ndarray]] = {c: [] for c in self.COLS}

    def add(self, n: int, **cols) -> None:
        for c in self.COLS:
            value = cols.get(c, -1)
            self.parts[c].append(np.broadcast_to(np.asarray(value, dtype=np.int64), (n,)).copy())

    def col(self, name: str) -> np.ndarray:
        return np.concatenate(self.parts[name]) if self.parts[name] else np.zeros(0, dtype=np.int64)


class Reasons:
    """Reason texts as small integer codes (-1 = none), for one categorical column."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self._code: dict[str, int] = {}
        for text in FIXED_REASONS:
            self(text)

    def __call__(self, text: str) -> int:
        if text not in self._code:
            self._code[text] = len(self.texts)
            self.texts.append(text)
        return self._code[text]


@dataclass
class Lots:
    item: np.ndarray
    first_t: np.ndarray  # when it first came in (local seconds)
    cents: np.ndarray  # unit cost of its (last) delivery
    expires: np.ndarray  # day number, -1 = none (untracked)
    number: list[str | None]


@dataclass
class Order:
    """One purchase order line as the storeroom placed it, and what of it has arrived."""

    item: int
    vendor: int
    day: int  # index into Plan.days
    qty: int
    cents: int
    received: list[tuple[int, int]]  # (day index, units)


@dataclass
class Flow:
    moves: Moves
    lots: Lots
    reasons: Reasons
    orders: list[Order]
    par: dict[tuple[int, int], int]  # (location index, item) -> par level
    rp: np.ndarray
    rq: np.ndarray
    transfers: int
    deliveries: tuple[np.ndarray, np.ndarray, np.ndarray]  # (lot, local s, cents) per inflow, by lot then time

    def unit_cents(self) -> np.ndarray:
        """Each movement's unit cost: its lot's cost as of then (an untracked item's one lot costs
        what its latest delivery cost)."""
        lot, t = self.moves.col("lot"), self.moves.col("t")
        d_lot, d_t, d_cents = self.deliveries
        span = int(max(t.max(initial=0), d_t.max(initial=0))) + 1
        at = np.searchsorted(d_lot * span + d_t, lot * span + t, side="right") - 1
        ok = (at >= 0) & (d_lot[np.maximum(at, 0)] == lot)
        return np.where(ok, d_cents[np.maximum(at, 0)], self.lots.cents[lot])


def price(cents: np.ndarray, t: np.ndarray, today_n: int) -> np.ndarray:
    """Prices crept up about 3% a year: what a unit cost at local time ``t``."""
    years = (today_n - np.floor_divide(t, DAY_S)) / 365.0
    return np.maximum(np.round(cents * (1 - 0.03 * np.clip(years, 0, None))), 1).astype(np.int64)



def us_date(day_number: int) -> str:
    d = np.datetime64(int(day_number), "D").astype(object)
    return f"{d:%m/%d/%Y}"
