"""What the demo clinic used, and when: visit kits and vaccines given at visits (with the
appointment), other clinical use in the rooms and the fridge, office and cleaning use in the
storeroom, the quarterly counts' differences and a few damaged deliveries sent back. Pure numpy."""

from __future__ import annotations

import numpy as np

from demo.frames import DAY_S
from demo.inventory_model import (
    COUNT,
    DOCTOR,
    FRIDGE,
    FRONTDESK,
    HOUR,
    MANAGER,
    N_ROOMS,
    RETURN,
    STOREROOM,
    Catalogue,
    Plan,
    Reasons,
)
from demo.outcomes import COMPLETED
from demo.schedule import VACCINATION, Appointments


def usage(rng: np.random.Generator, cat: Catalogue, plan: Plan, appts: Appointments,
          reasons: Reasons) -> dict[str, np.ndarray]:
    """Every use: visit kits and vaccines given at visits (with the appointment), other clinical
    use in the rooms and the fridge, office and cleaning use in the storeroom."""
    from db.visit_kits import KIT_REASON

    parts: list[dict[str, np.ndarray]] = []
    days = plan.days
    first = days[0] if len(days) else plan.today_n
    done = np.flatnonzero((appts.status == COMPLETED) & (appts.day >= first) & (appts.finished <= plan.now_s))
    room_of = 1 + appts.provider % N_ROOMS

    def add(rows: np.ndarray, item: int | np.ndarray, qty, t, reason: int, user: int, loc=None, appt=None) -> None:
        n = len(rows) if loc is None else len(np.atleast_1d(loc))
        item = np.broadcast_to(np.asarray(item, dtype=np.int64), (n,))
        if loc is None:
            loc = np.where(cat.kept_in[item] == 2, FRIDGE, room_of[rows])
        parts.append({"item": item.copy(), "loc": np.broadcast_to(loc, (n,)).astype(np.int64),
                      "qty": np.broadcast_to(np.asarray(qty, dtype=np.int64), (n,)).copy(),
                      "t": np.asarray(t, dtype=np.int64), "reason": np.full(n, reason, dtype=np.int64),
                      "user": np.full(n, user, dtype=np.int64),
                      "appt": np.asarray(appt if appt is not None else np.full(n, -1), dtype=np.int64)})

    kit = reasons(KIT_REASON)
    for vtype, lines in plan.kits.items():
        visits = done[appts.type[done] == vtype]
        for item, qty in lines:
            add(visits, item, qty, appts.finished[visits], kit, FRONTDESK, appt=visits)
    given = reasons("given at the visit")
    shots = done[appts.type[done] == VACCINATION]
    for item, share in plan.extras:
        visits = shots[rng.random(len(shots)) < share]
        add(visits, item, 1, appts.finished[visits] + 30, given, FRONTDESK, appt=visits)

    # Other use: Poisson events per clinic day and place, a few a day at most (bigger ones at scale).
    k_days = len(days)
    for item in np.flatnonzero((cat.daily > 0) & ~cat.emergency):
        kept = cat.kept_in[item]
        places = [STOREROOM] if kept == 0 else ([FRIDGE] if kept == 2 else [1, 2, 3])
        rate = cat.daily[item] * plan.volume / len(places)
        events = min(rate, 3.0 if kept == 0 else 4.0)
        count = rng.poisson(events, (k_days, len(places)))
        k, p = np.nonzero(count)
        k, p = np.repeat(k, count[k, p]), np.repeat(p, count[k, p])
        qty = 1 + rng.poisson(max(rate / events - 1, 0.0), len(k))
        t = days[k] * DAY_S + rng.integers(8 * HOUR + 1800, 16 * HOUR + 1800, len(k))
        keep = t <= plan.now_s
        if kept == 0:
            why = {"office": "office use", "cleaning": "cleaning"}.get(str(cat.category[item]), "used by staff")
            user = FRONTDESK
        else:
            why, user = "used in the room", DOCTOR
        add(np.zeros(int(keep.sum()), dtype=np.int64), item, qty[keep], t[keep], reasons(why), user,
            loc=np.asarray(places, dtype=np.int64)[p[keep]])
    return {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}


def count_adjustments(rng: np.random.Generator, cat: Catalogue, plan: Plan, items: np.ndarray) -> dict:
    """Quarterly storeroom counts: a fifth of the items off by a few (losses; finds of untracked
    items, which have a single lot)."""
    k_days = len(plan.days)
    count_days = np.arange(min(30, k_days // 2), k_days, 63)
    kk, ii = np.meshgrid(count_days, items, indexing="ij")
    kk, ii = kk.ravel(), ii.ravel()
    off = rng.random(len(kk)) < 0.2
    kk, ii = kk[off], ii[off]
    delta = np.where(cat.tracked[ii], -rng.integers(1, 3, len(ii)), rng.choice([-3, -2, -1, -1, 1, 2], len(ii)))
    t = plan.days[kk] * DAY_S + 16 * HOUR + 1800 + np.arange(len(kk)) % 600
    keep = t <= plan.now_s
    n = int(keep.sum())
    return {"item": ii[keep], "k": kk[keep], "qty": delta[keep], "t": t[keep],
            "reason": np.full(n, COUNT, dtype=np.int64), "user": np.full(n, MANAGER, dtype=np.int64)}


def returns(rng: np.random.Generator, cat: Catalogue, plan: Plan) -> dict:
    """A few damaged deliveries of untracked supplies sent back."""
    k_days = len(plan.days)
    candidates = np.flatnonzero(~cat.tracked & ~cat.emergency & (cat.category == "supply"))
    n = min(4, max(1, k_days // 150))
    item = rng.choice(candidates, n)
    k = rng.integers(min(5, k_days - 1), k_days, n)
    t = plan.days[k] * DAY_S + 14 * HOUR + rng.integers(0, 3600, n)
    keep = t <= plan.now_s
    qty = np.minimum(rng.integers(1, 4, n), 3)[keep]
    m = int(keep.sum())
    return {"item": item[keep], "k": k[keep], "qty": qty, "t": t[keep],
            "reason": np.full(m, RETURN, dtype=np.int64), "user": np.full(m, MANAGER, dtype=np.int64)}


def volume_factor(appts: Appointments, days: np.ndarray, now_s: int, demo_per_day: float) -> float:
    """Completed visits per clinic day in the window, relative to the demo scale's."""
    if len(days) == 0:
        return 1.0
    done = (appts.status == COMPLETED) & (appts.day >= days[0]) & (appts.finished <= now_s)
    past = max(int((days * DAY_S < now_s).sum()), 1)
    return max(float(done.sum()) / past / demo_per_day, 0.05)
