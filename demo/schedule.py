"""The demo clinic's schedule: providers and their working hours, visit types, the days the clinic
opens, and the grid of appointments packed into every working block.

Generated set-wise with numpy (see :func:`generate_schedule`): no provider is ever double booked,
by construction, and every visit lies inside its provider's hours in clinic-local time.
"""

from __future__ import annotations

import colorsys
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np

from clinic.npi import make_npi
from clinic.closures import public_holidays
from db import Connection
from demo.frames import DAY_S, day_number
from demo.names import FEMALE_NAMES, LAST_NAMES, MALE_NAMES
from demo.practice import COUNTRY, SUBDIVISION, Scale

# (name, duration_min, colour, new_patients_only, buffer_after_min, default_fee_code). The codes
# are practice-defined or HCPCS Level II (no CPT: its descriptions are licensed); the fee schedule
# and each type's further default lines are in demo/fees.py.
VISIT_TYPES: Final = (
    ("New patient", 30, "#0ea5e9", True, 0, "OVNEW"),
    ("Follow-up", 15, "#22c55e", False, 0, "OVEST"),
    ("Annual physical", 40, "#a855f7", False, 0, "PHYS"),
    ("Vaccination", 10, "#f59e0b", False, 0, "G0008"),
    ("Procedure", 45, "#ef4444", False, 15, "MINPROC"),
)
NEW, FOLLOW_UP, ANNUAL, VACCINATION, PROCEDURE = range(5)

# Mix of the non-"New patient" types per provider kind (New patient's weight is set per run).
TYPE_MIX: Final[dict[str, tuple[float, float, float, float]]] = {
    "physician": (0.62, 0.12, 0.14, 0.08),
    "nurse_practitioner": (0.62, 0.14, 0.16, 0.05),
    "physician_assistant": (0.60, 0.10, 0.14, 0.12),
    "nurse": (0.40, 0.0, 0.60, 0.0),
}

# --- working hours (minutes after local midnight; weekday 0 = Monday) --------------------------

HoursBlock = tuple[int, int, int]  # (weekday, start_min, end_min)


def _week(*blocks: tuple[int, int], skip: Sequence[tuple[int, int]] = ()) -> tuple[HoursBlock, ...]:
    return tuple((wd, s, e) for wd in range(5) for s, e in blocks if (wd, s) not in skip)


_FULL = _week((480, 720), (780, 1020))  # 08:00-12:00, 13:00-17:00
_WED_PM_OFF = _week((480, 720), (780, 1020), skip=[(2, 780)])
_FRI_PM_OFF = _week((480, 720), (780, 1020), skip=[(4, 780)])
_LATE = _week((540, 750), (810, 1050))  # 09:00-12:30, 13:30-17:30
_NURSE = _week((480, 720), (750, 960))  # 08:00-12:00, 12:30-16:00

# The first six providers; larger scales repeat kinds and hours with generated names.
ROSTER: Final = (
    ("Dr. Amara Okafor", "physician", "#2563eb", _FULL),
    ("Daniel Reyes, NP", "nurse_practitioner", "#16a34a", _WED_PM_OFF),
    ("Grace Lindqvist, RN", "nurse", "#db2777", _NURSE),
    ("Dr. Hiroshi Tanaka", "physician", "#d97706", _FRI_PM_OFF),
    ("Sofia Petrov, PA-C", "physician_assistant", "#7c3aed", _LATE),
    ("Dr. Marcus Bell", "physician", "#0891b2", _FULL),
)
_TITLE = {"physician": "Dr. {}", "nurse_practitioner": "{}, NP", "physician_assistant": "{}, PA-C", "nurse": "{}, RN"}


# --- providers and visit types -----------------------------------------------------------------


@dataclass(frozen=True)
class Provider:
    id: int
    name: str
    kind: str
    colour: str
    hours: tuple[HoursBlock, ...]


def _provider_specs(n: int) -> list[tuple[str, str, str, tuple[HoursBlock, ...]]]:
    specs = []
    names: set[str] = set()
    colours: set[str] = set()
    firsts = [name for pair in zip(FEMALE_NAMES, MALE_NAMES) for name in pair]
    for i in range(n):
        name, kind, colour, hours = ROSTER[i % len(ROSTER)]
        if i >= len(ROSTER):
            k = i
            while True:
                # Multipliers coprime with the list lengths, so names do not cycle early.
                person = firsts[(k * 7) % len(firsts)] + " " + LAST_NAMES[(k * 37) % len(LAST_NAMES)]
                name = _TITLE[kind].format(person)
                if name not in names:
                    break
                k += 1
            colour = _golden_colour(i, colours)
        names.add(name)
        colours.add(colour)
        specs.append((name, kind, colour, hours))
    return specs


def _golden_colour(i: int, taken: set[str]) -> str:
    """A saturated, mid-dark colour (white text stays readable), hue stepped by the golden angle."""
    step = i
    while True:
        hue = (step * 137.508) % 360 / 360
        r, g, b = colorsys.hls_to_rgb(hue, 0.42, 0.62)
        colour = "#{:02x}{:02x}{:02x}".format(round(r * 255), round(g * 255), round(b * 255))
        if colour not in taken:
            return colour
        step += 1000


def insert_providers(cur: Connection, plan: Scale, *, doctor_user_id: int) -> list[Provider]:
    providers: list[Provider] = []
    for name, kind, colour, hours in _provider_specs(plan.providers):
        user_id = doctor_user_id if not providers else None  # the first is a physician
        # Synthetic NPIs (19xxxxxxx plus their check digit): pass the check, belong to nobody.
        npi = make_npi(f"19{len(providers) + 1:07d}")
        (provider_id,) = cur.execute(
            "INSERT INTO providers (name, kind, colour, user_id, npi) VALUES (?, ?, ?, ?, ?) RETURNING id",
            [name, kind, colour, user_id, npi],
        ).fetchone()
        cur.executemany(
            "INSERT INTO provider_hours (provider_id, weekday, start_time, end_time) VALUES (?, ?, ?, ?)",
            [[provider_id, wd, _clock(s), _clock(e)] for wd, s, e in hours],
        )
        providers.append(Provider(provider_id, name, kind, colour, hours))
    return providers


def _clock(minutes: int) -> dt.time:
    return dt.time(minutes // 60, minutes % 60)


def ensure_visit_types(cur: Connection) -> tuple[list[int], np.ndarray, np.ndarray]:
    """Insert the five demo visit types unless a type of that name exists; return their ids,
    busy minutes (duration + buffer) and durations, read back from the database so that the
    schedule fits whatever durations a pre-existing type has."""
    ids, busy, span = [], [], []
    for name, duration, colour, new_only, buffer, code in VISIT_TYPES:
        row = cur.execute(
            "SELECT id, duration_min, buffer_after_min FROM visit_types WHERE name = ?", [name]
        ).fetchone()
        if row is None:
            row = cur.execute(
                "INSERT INTO visit_types"
                " (name, duration_min, colour, new_patients_only, buffer_after_min, default_fee_code)"
                " VALUES (?, ?, ?, ?, ?, ?) RETURNING id, duration_min, buffer_after_min",
                [name, duration, colour, new_only, buffer, code],
            ).fetchone()
        ids.append(int(row[0]))
        span.append(int(row[1]))
        busy.append(int(row[1]) + int(row[2]))
    return ids, np.array(busy, dtype=np.int64), np.array(span, dtype=np.int64)


# --- the schedule ----------------------------------------------------------------------------


@dataclass
class Appointments:
    """Column arrays, one entry per appointment. Times are naive clinic-local seconds."""

    provider: np.ndarray  # index into the provider list
    day: np.ndarray  # days since 1970-01-01, clinic-local
    start: np.ndarray
    end: np.ndarray
    busy_until: np.ndarray
    type: np.ndarray
    patient: np.ndarray | None = None
    booked: np.ndarray | None = None
    status: np.ndarray | None = None
    arrived: np.ndarray | None = None  # -1 = none, likewise below
    started: np.ndarray | None = None
    cancelled: np.ndarray | None = None
    reminder: np.ndarray | None = None
    changed: np.ndarray | None = None  # when the status left "scheduled"
    finished: np.ndarray | None = None  # completed only: when "checked_in" became "completed"
    reason: np.ndarray | None = None
    cancel_reason: np.ndarray | None = None

    def take(self, keep: np.ndarray) -> None:
        for name, value in vars(self).items():
            if value is not None:
                setattr(self, name, value[keep])


# State holidays on which the demo clinic stays open (switched off in holiday_overrides, the
# same table the admin page edits), so the seeded schedule follows the app's own closures.
OPEN_ON_HOLIDAYS: Final = ("Lincoln's Birthday", "Susan B. Anthony Day", "Election Day", "Columbus Day",
                           "Veterans Day")


def _window(plan: Scale, today: dt.date) -> tuple[dt.date, dt.date]:
    return today - dt.timedelta(days=plan.history_days), today + dt.timedelta(days=plan.future_days - 1)


def _holidays_in(first: dt.date, last: dt.date) -> dict[dt.date, str]:
    # The horizon of bookings reaches beyond the seeded window: cover a year more.
    return public_holidays(COUNTRY, SUBDIVISION, range(first.year, last.year + 2))


def _working_days(plan: Scale, today: dt.date) -> tuple[np.ndarray, np.ndarray]:
    """Clinic days in the window (weekdays that are not closed holidays) and their weekdays."""
    first, last = _window(plan, today)
    closed = [d for d, name in _holidays_in(first, last).items() if name not in OPEN_ON_HOLIDAYS]
    closed_days = np.array(sorted(closed), dtype="datetime64[D]").astype(np.int64)
    days = np.arange(np.datetime64(first, "D"), np.datetime64(last, "D") + 1).astype(np.int64)
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday
    open_ = (weekday < 5) & ~np.isin(days, closed_days)
    return days[open_], weekday[open_]


def insert_open_holidays(cur: Connection, plan: Scale, today: dt.date) -> None:
    first, last = _window(plan, today)
    for day, name in _holidays_in(first, last).items():
        if name in OPEN_ON_HOLIDAYS:
            cur.execute("INSERT INTO holiday_overrides (day, note) VALUES (?, ?) ON CONFLICT DO NOTHING",
                        [day, "Open as usual"])


def generate_schedule(
    rng: np.random.Generator,
    plan: Scale,
    providers: list[Provider],
    busy_min: np.ndarray,
    span_min: np.ndarray,
    today: dt.date,
) -> Appointments:
    """Pack visits into every working block so that no provider is ever double booked.

    Each block gets n visits (drawn per block); their busy times (duration + buffer) are laid
    end to end and the block's slack is split into 5-minute gaps between them, so every visit
    lies inside the block by construction. Blocks whose n visits do not fit drop the last ones.
    """
    days, weekdays = _working_days(plan, today)
    # One row per (working day, provider block) on that weekday.
    hours = np.array([(p, wd, s, e) for p, prov in enumerate(providers) for wd, s, e in prov.hours], dtype=np.int64)
    parts = []
    for wd in range(5):
        day_idx = np.flatnonzero(weekdays == wd)
        tmpl = hours[hours[:, 1] == wd]
        day_col = np.repeat(days[day_idx], len(tmpl))
        parts.append(np.column_stack([day_col, np.tile(tmpl[:, [0, 2, 3]], (len(day_idx), 1))]))
    blocks = np.concatenate(parts)
    blocks = blocks[np.lexsort((blocks[:, 2], blocks[:, 1], blocks[:, 0]))]  # by day, provider, start
    b_day, b_prov, b_start, b_end = blocks.T
    b_len = b_end - b_start
    kinds = np.array([prov.kind for prov in providers])
    is_nurse = kinds[b_prov] == "nurse"

    lo = np.where(is_nurse, plan.nurse_visits_per_day[0], plan.visits_per_day[0])
    hi = np.where(is_nurse, plan.nurse_visits_per_day[1], plan.visits_per_day[1])
    n = np.floor(rng.uniform(lo, hi) * b_len / 480 + rng.random(len(blocks))).astype(np.int64)
    width = int(n.max())
    col = np.arange(width)
    wanted = col[None, :] < n[:, None]

    # Visit types. "New patient" gets a generous weight here; the surplus becomes Follow-up
    # (shorter, so the packing stays valid) once we know how many slots there are.
    target_new = round(plan.patients * plan.new_patient_share)
    clinician_cells = int(wanted[~is_nurse].sum())
    p_new = min(0.5, 1.3 * target_new / max(clinician_cells, 1))
    kind_names = sorted(TYPE_MIX)
    cum = np.zeros((len(kind_names), len(VISIT_TYPES)))
    for k, kind in enumerate(kind_names):
        mix = np.array(TYPE_MIX[kind])
        new = 0.0 if kind == "nurse" else p_new
        weights = np.concatenate([[new], mix / mix.sum() * (1 - new)])
        cum[k] = np.cumsum(weights)
    kind_of_block = np.searchsorted(kind_names, kinds)[b_prov]
    u = rng.random((len(blocks), width))
    vtype = (u[:, :, None] >= cum[kind_of_block][:, None, :-1]).sum(axis=2)

    busy = np.where(wanted, busy_min[vtype], 0)
    fits = wanted & (np.cumsum(busy, axis=1) <= b_len[:, None])
    busy = np.where(fits, busy, 0)
    slack = b_len - busy.sum(axis=1)
    n_fit = fits.sum(axis=1)
    gap_w = np.where(np.arange(width + 1)[None, :] <= n_fit[:, None], rng.random((len(blocks), width + 1)), 0.0)
    # Gaps in whole 5-minute steps whose sum never exceeds the slack.
    gaps = np.floor(slack[:, None] * gap_w / gap_w.sum(axis=1, keepdims=True) / 5).astype(np.int64) * 5
    offset = np.cumsum(gaps[:, :width], axis=1) + np.cumsum(busy, axis=1) - busy
    start_min = b_start[:, None] + offset

    rows, cols = np.nonzero(fits)  # row-major: by block, then time within the block
    day = b_day[rows]
    start = day * DAY_S + start_min[rows, cols] * 60
    vt = vtype[rows, cols]
    appts = Appointments(
        provider=b_prov[rows], day=day, start=start, end=start + span_min[vt] * 60,
        busy_until=start + busy_min[vt] * 60, type=vt,
    )

    # The future thins out: next week is nearly full, six weeks out about a third.
    today_n = day_number(today)
    ahead = appts.day - today_n
    keep_p = np.where(ahead < 0, 1.0, np.clip(0.97 - 0.016 * ahead, 0.3, 1.0))
    appts.take(rng.random(len(ahead)) < keep_p)

    # Exactly as many "New patient" slots as new patients (surplus becomes Follow-up).
    new_slots = np.flatnonzero(appts.type == NEW)
    if len(new_slots) > target_new:
        demote = np.sort(rng.choice(new_slots, len(new_slots) - target_new, replace=False))
        appts.type[demote] = FOLLOW_UP
        appts.end[demote] = appts.start[demote] + span_min[FOLLOW_UP] * 60
        appts.busy_until[demote] = appts.start[demote] + busy_min[FOLLOW_UP] * 60
    return appts
