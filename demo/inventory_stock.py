"""The demo storeroom day by day (orders, deliveries, urgent deliveries, the opening count), the
lots' expiry dates and numbers, and the emergency medicines' lots. Pure numpy and a plain loop over
items x clinic days (independent of the scale)."""

from __future__ import annotations

import numpy as np

from demo.frames import DAY_S
from demo.inventory_model import (
    ADJUSTMENT,
    EXPIRED,
    FRONTDESK,
    HOUR,
    MANAGER,
    OPENING,
    RECEIPT,
    STOREROOM,
    URGENT,
    Catalogue,
    Lots,
    Moves,
    Order,
    Plan,
    Reasons,
    price,
    us_date,
)


def reorder_figures(cat: Catalogue, plan: Plan, demand: np.ndarray, par_total: np.ndarray) -> tuple:
    """The catalogue's reorder point and quantity scaled to this clinic's volume, and never below
    what the rooms' par levels and the vendor's lead time need."""
    k_days = max(demand.shape[1], 1)
    daily = demand.sum(axis=1) / k_days
    lead = np.ceil(plan.lead_days[cat.vendor] * 5 / 7)
    floor_rp = np.ceil(par_total + daily * (lead + 3)).astype(np.int64)
    rp = np.maximum(np.ceil(plan.base_rp * plan.volume).astype(np.int64), floor_rp)
    want = np.maximum(plan.base_rq * plan.volume, daily * 12)
    rq = np.maximum(np.ceil(want / cat.pack), 1).astype(np.int64) * cat.pack
    rp = np.where(cat.emergency, plan.base_rp, rp)
    rq = np.where(cat.emergency, plan.base_rq, rq)
    return rp, rq


def storeroom(rng: np.random.Generator, cat: Catalogue, plan: Plan, demand: np.ndarray, found: np.ndarray,
              in_rooms: np.ndarray, par_total: np.ndarray, rp: np.ndarray, rq: np.ndarray,
               items: np.ndarray) -> tuple[dict[str, np.ndarray], list[Order]]:
    """Day by day per item: orders, deliveries (some in two parts), urgent deliveries when the
    shelf would run short, the opening count. Returns the storeroom's inflows and the order lines."""
    days, now_s = plan.days, plan.now_s
    k_days = len(days)
    n_vendors = len(plan.lead_days)
    # Per vendor and order day, so that one order's lines travel together.
    late = rng.choice([0, 0, 0, 1, 2], (n_vendors, k_days))
    split = rng.random((n_vendors, k_days)) < 0.15
    backorder = rng.integers(3, 11, (n_vendors, k_days))
    part = rng.uniform(0.4, 0.8, (len(cat.sku), k_days))
    line_split = rng.random((len(cat.sku), k_days)) < 0.6
    # The first vendor's recent orders come in two parts, the rest still awaited: partly received now.
    split[0, -8:], backorder[0, -8:], line_split[:, -8:] = True, 15, True
    opening_share = rng.uniform(0.05, 0.9, len(cat.sku))  # the window starts mid-way through a cycle
    lead = np.ceil(plan.lead_days * 5 / 7).astype(np.int64)
    t_order = days * DAY_S + 16 * HOUR + rng.integers(0, 1800, k_days)
    t_receipt = days * DAY_S + 11 * HOUR + rng.integers(0, 3600, k_days)
    t_urgent = days * DAY_S + 15 * HOUR + 1800
    rest_after = np.cumsum(demand[:, ::-1], axis=1)[:, ::-1] - demand  # demand after each day
    low = set(plan.low)

    rows: dict[str, list[int]] = {c: [] for c in ("item", "t", "qty", "kind", "reason", "user", "order_line")}

    def inflow(item: int, t: int, qty: int, kind: int, reason: int, user: int, line: int = -1) -> None:
        if qty <= 0:
            return
        for c, v in (("item", item), ("t", t), ("qty", qty), ("kind", kind), ("reason", reason), ("user", user),
                     ("order_line", line)):
            rows[c].append(v)

    orders: list[Order] = []
    for item in items.tolist():
        need, rooms, v, pack = demand[item], in_rooms[item], int(cat.vendor[item]), int(cat.pack[item])
        point, amount = int(rp[item]), int(rq[item])
        stock = point + int(amount * opening_share[item])
        stock = max(stock, int(need[0]) + int(need[1:3].sum())) if k_days else stock
        first = (days[0] - 1) * DAY_S + 17 * HOUR if k_days else now_s
        inflow(item, first, stock, ADJUSTMENT, OPENING, MANAGER)  # the opening count
        arriving: dict[int, list[tuple[int, int]]] = {}  # day index -> [(order line, units)]
        open_units = 0
        for k in range(k_days):
            if stock < need[k]:  # urgent delivery the afternoon before (the opening count covers day 0)
                extra = -(-max(amount, int(need[k]) - stock) // pack) * pack
                inflow(item, int(t_urgent[max(k - 1, 0)]) - (DAY_S if k == 0 else 0), extra, RECEIPT, URGENT, FRONTDESK)
                stock += extra
            stock -= int(need[k]) - int(found[item, k])
            for line, units in arriving.pop(k, []):
                if t_receipt[k] <= now_s:
                    inflow(item, int(t_receipt[k]), units, RECEIPT, -1, FRONTDESK, line)
                    orders[line].received.append((k, units))
                    stock += units
                    open_units -= units
            if t_order[k] > now_s:
                continue
            position = stock + int(rooms[k]) + open_units
            if position > point:
                continue
            if item in low and position - rest_after[item, k] > par_total[item] + need.mean():
                continue  # nobody has ordered it yet: it shows as low now
            line = len(orders)
            cents = int(price(np.array([cat.cents[item]]), np.array([t_order[k]]), plan.today_n)[0])
            orders.append(Order(item=item, vendor=v, day=k, qty=amount, cents=cents, received=[]))
            open_units += amount
            due = k + lead[v] + late[v, k]
            if split[v, k] and line_split[item, k] and amount >= 2 * pack:
                now_units = max(1, int(amount // pack * part[item, k])) * pack
                arriving.setdefault(due, []).append((line, now_units))
                arriving.setdefault(due + backorder[v, k], []).append((line, amount - now_units))
            else:
                arriving.setdefault(due, []).append((line, amount))
    return {c: np.asarray(v, dtype=np.int64) for c, v in rows.items()}, orders


# --- lots ----------------------------------------------------------------------------------------


def expiry(rng: np.random.Generator, cat: Catalogue, plan: Plan, lot_item: np.ndarray, first_t: np.ndarray,
           last_out: np.ndarray, held: np.ndarray, n_tracked: int) -> np.ndarray:
    """Expiry day of each tracked lot: its shelf life from delivery, but never before a month after
    its last use; lots on hand now expire beyond the warning window, except the oldest lot on hand
    of the ``near`` items (within 30 days)."""
    expires = np.full(len(lot_item), -1, dtype=np.int64)
    item = lot_item[:n_tracked]
    got = np.floor_divide(first_t[:n_tracked], DAY_S)
    shelf = np.round(cat.shelf[item] * rng.uniform(0.85, 1.1, n_tracked)).astype(np.int64)
    day = got + shelf
    used_until = np.where(last_out[:n_tracked] >= 0, np.floor_divide(last_out[:n_tracked], DAY_S), got)
    day = np.maximum(day, used_until + rng.integers(25, 90, n_tracked))
    on_hand = held[:n_tracked] > 0
    day = np.where(on_hand, np.maximum(day, plan.today_n + rng.integers(60, 120, n_tracked)), day)
    for near in plan.near:
        mine = np.flatnonzero((item == near) & on_hand)
        if len(mine):
            day[mine[0]] = plan.today_n + int(rng.integers(6, 27))
    # First delivered, first to expire (FEFO then agrees with the order stock was used in).
    for one in np.unique(item):
        mine = np.flatnonzero(item == one)
        if one in plan.near:  # the earlier lots, all used up, expired before the one expiring soon
            day[mine] = np.minimum.accumulate(day[mine][::-1])[::-1]
        else:
            day[mine] = np.maximum.accumulate(day[mine])
    expires[:n_tracked] = day
    return expires


def lot_numbers(rng: np.random.Generator, cat: Catalogue, lot_item: np.ndarray, n_tracked: int) -> list[str | None]:
    """Manufacturer-like lot numbers, unique per item: a prefix per item and a running number."""
    letters = np.array(list("ABCDEFGHJKLMNPRSTUVWXYZ"))
    n_items = len(cat.sku)
    prefix = ["".join(rng.choice(letters, 2)) for _ in range(n_items)]
    start = rng.integers(10_000, 60_000, n_items)
    step = rng.integers(3, 40, n_items)
    seen = np.zeros(n_items, dtype=np.int64)
    out: list[str | None] = []
    for item in lot_item[:n_tracked].tolist():
        out.append(f"{prefix[item]}{start[item] + step[item] * seen[item]}")
        seen[item] += 1
    return out + [None] * (len(lot_item) - n_tracked)


def emergency(rng: np.random.Generator, cat: Catalogue, plan: Plan, moves: Moves, lots: Lots,
              reasons: Reasons) -> None:
    """Emergency medicines, kept in the storeroom and (this time) never used: each lot is replaced
    about two weeks before it expires and written off the day after. The first of them still has
    an expired lot on the shelf; the second's current lot expires within the month, its
    replacement not yet delivered."""
    days = plan.days
    first = int(days[0]) if len(days) else plan.today_n
    opening = (first - 1) * DAY_S + 17 * HOUR
    for n, item in enumerate(np.flatnonzero(cat.emergency).tolist()):
        keep = int(plan.base_rq[item])
        # Expiry days, newest first, back to before the window.
        last = plan.today_n - int(rng.integers(3, 9)) if n == 0 else plan.today_n + int(rng.integers(8, 25))
        chain = [last]
        while chain[-1] > first - 30:
            chain.append(chain[-1] - int(rng.integers(300, 420)))
        chain = chain[::-1]
        if n == 0:
            chain.append(plan.today_n + int(rng.integers(330, 480)))  # the replacement already here
        for j, expires in enumerate(chain):
            got_day = chain[j - 1] - int(rng.integers(10, 20)) if j else first - 200
            got_t = got_day * DAY_S + 11 * HOUR + 1200
            gone_t = (expires + 1) * DAY_S + 9 * HOUR
            if gone_t <= opening:
                continue  # expired and written off before the window
            lot = len(lots.item)
            cents = int(price(np.array([cat.cents[item]]), np.array([got_t]), plan.today_n)[0])
            lots.item = np.append(lots.item, item)
            lots.first_t = np.append(lots.first_t, max(got_t, opening))
            lots.cents = np.append(lots.cents, cents)
            lots.expires = np.append(lots.expires, expires)
            lots.number.append(f"EM{item:02d}{40_000 + 7 * lot}")
            if got_t < opening:
                moves.add(1, item=item, lot=lot, loc=STOREROOM, qty=keep, t=opening, kind=ADJUSTMENT, reason=OPENING,
                          user=MANAGER)
            else:
                moves.add(1, item=item, lot=lot, loc=STOREROOM, qty=keep, t=got_t, kind=RECEIPT, reason=-1,
                          user=FRONTDESK)
            if gone_t <= plan.now_s and not (n == 0 and j == len(chain) - 2):
                moves.add(1, item=item, lot=lot, loc=STOREROOM, qty=-keep, t=gone_t, kind=EXPIRED,
                          reason=reasons(f"expired {us_date(expires)}"), user=MANAGER)
