"""Synthetic demo data: a believable practice with years of appointment history.

Everything is generated set-wise with numpy from one ``np.random.default_rng(seed)`` and bulk
inserted from registered pandas frames, so the ``large`` scale (about a million appointments)
takes seconds, and the same seed gives byte-identical rows in a fresh database.

Traps this module works around:

* Ids and MRNs are numbered here, not by the INSERT. DuckDB does not promise in which order a
  parallel ``INSERT ... SELECT nextval(...)`` draws values for the rows, so that would not be
  reproducible. Instead a block is reserved from each sequence (one ``nextval``,
  then ``max(nextval(...))`` over ``range(n - 1)``) and rows get ``first + i``; the app's later
  inserts continue after the block. Sequences are not transactional: a seed that fails and rolls
  back has still consumed its blocks, so only a *fresh* file is promised identical ids.
* Times are built as naive clinic-local seconds and localized once with pandas, which applies
  daylight saving per instant. Adding a duration on the naive local clock is only right
  because working-hours times lie far from the night-time DST switch; the few times that may
  fall at night (cancellations) are localized with ``nonexistent="shift_forward"`` and
  ``ambiguous=False`` rather than raising.
* "Now" is the clinic-local midnight starting ``today``: nothing is booked, cancelled or
  confirmed after it, and appointments before ``today`` carry outcomes (completed, no_show,
  cancelled) while those on or after it are still open. Using the wall clock instead would
  break reproducibility.
* Demo users are created through :func:`db.users.create` (its own transactions, salted argon2
  hashes), so users and audit timestamps differ between runs; everything else is in one
  transaction. A seed that fails after creating users can simply be run again: existing demo
  usernames are reused.
"""

from __future__ import annotations

import colorsys
import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from clinic import timeutil
from clinic.closures import public_holidays
from clinic.errors import ClinicError
from clinic.scheduling import STATUSES, Rules
from db import Connection, audit, read_one, run_with_frame, settings, transaction, users
from db.seed_patients import seed_patient_records

log = logging.getLogger(__name__)


# --- scales ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scale:
    providers: int
    patients: int
    history_days: int
    future_days: int
    #: Visits per nominal 8-hour day (each working block gets its share), before blocks that
    #: overflow drop their last visits.
    visits_per_day: tuple[float, float]
    nurse_visits_per_day: tuple[float, float]
    #: Share of patients who first come in (a "New patient" visit) inside the window; the rest
    #: are established patients registered before it.
    new_patient_share: float


SCALES: Final[dict[str, Scale]] = {
    "test": Scale(3, 150, 60, 14, (15, 20), (13, 19), 0.3),
    "demo": Scale(6, 2_000, 730, 42, (15, 20), (13, 19), 0.4),
    # 40 providers over 5 years: the busier range lands near a million appointments.
    "large": Scale(40, 150_000, 1_826, 42, (20, 26), (16, 22), 0.5),
}

CLINIC_NAME: Final = "Riverside Family Practice"
COUNTRY: Final = "US"
SUBDIVISION: Final = "NY"
DEMO_PASSWORD: Final = "demo"

# (username, full name, role). The clinician is linked to the first physician.
DEMO_USERS: Final = (
    ("frontdesk", "Maya Torres", "front_desk"),
    ("billing", "Leo Brennan", "billing"),
    ("doctor", "Dr. Amara Okafor", "clinician"),
    ("manager", "Priya Raman", "manager"),
    ("admin", "Sam Whitaker", "admin"),
)

# (name, duration_min, colour, new_patients_only, buffer_after_min, default_fee_code)
VISIT_TYPES: Final = (
    ("New patient", 30, "#0ea5e9", True, 0, "99203"),
    ("Follow-up", 15, "#22c55e", False, 0, "99213"),
    ("Annual physical", 40, "#a855f7", False, 0, "99396"),
    ("Vaccination", 10, "#f59e0b", False, 0, "90471"),
    ("Procedure", 45, "#ef4444", False, 15, "17110"),
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

# --- names and words ---------------------------------------------------------------------------

FEMALE_NAMES: Final = (
    "Aaliyah", "Abigail", "Adaeze", "Aiko", "Aisha", "Alejandra", "Alice", "Amelia", "Ana", "Anjali",
    "Ava", "Beatriz", "Bianca", "Camila", "Carmen", "Charlotte", "Chiamaka", "Chloe", "Claire", "Dalia",
    "Deborah", "Diana", "Elena", "Eliza", "Emily", "Emma", "Esther", "Fatima", "Fiona", "Gabriela",
    "Hana", "Hannah", "Ingrid", "Isabella", "Ivy", "Jasmine", "Jia", "Joanna", "Julia", "Kamala",
    "Keiko", "Laila", "Lakshmi", "Leah", "Lena", "Lucia", "Lucy", "Madison", "Mai", "Maria",
    "Mariam", "Maya", "Mei", "Mia", "Mina", "Nadia", "Naomi", "Natalia", "Nia", "Nora",
    "Olivia", "Paula", "Priya", "Rachel", "Rosa", "Ruth", "Sakura", "Samira", "Sara", "Sienna",
    "Sofia", "Sophie", "Stella", "Tamar", "Tanisha", "Teresa", "Valentina", "Victoria", "Wen", "Yara",
    "Yasmin", "Yuki", "Zainab", "Zara", "Zoe", "Agnieszka", "Bronwyn", "Dagny", "Folake", "Giulia",
    "Ifeoma", "Kalani", "Leilani", "Marisol", "Noor", "Oksana", "Renata", "Siobhan", "Thandiwe", "Ximena",
)
MALE_NAMES: Final = (
    "Aarav", "Adam", "Ahmed", "Alejandro", "Ali", "Andre", "Andrew", "Antonio", "Arjun", "Benjamin",
    "Bilal", "Carlos", "Chen", "Chinedu", "Christopher", "Daniel", "David", "Diego", "Dmitri", "Elijah",
    "Emeka", "Ethan", "Farid", "Felipe", "Gabriel", "George", "Hamza", "Haruto", "Hassan", "Henry",
    "Hugo", "Ibrahim", "Isaac", "Ivan", "Jacob", "James", "Jamal", "Javier", "Jin", "John",
    "Jorge", "Joseph", "Juan", "Kenji", "Kofi", "Kwame", "Liam", "Lucas", "Luis", "Malik",
    "Marco", "Mateo", "Matthew", "Michael", "Minh", "Mohammed", "Noah", "Oliver", "Omar", "Oscar",
    "Pablo", "Patrick", "Pedro", "Rahul", "Rafael", "Ravi", "Ricardo", "Samuel", "Santiago", "Sebastian",
    "Sergei", "Tariq", "Thomas", "Tobias", "Tuan", "Victor", "Wei", "William", "Yusuf", "Zhang",
    "Akira", "Bongani", "Caleb", "Declan", "Eitan", "Finn", "Goran", "Idris", "Jabari", "Kai",
    "Lars", "Mikael", "Nikhil", "Obinna", "Pierre", "Quentin", "Rashid", "Stefan", "Tomasz", "Xavier",
)
NEUTRAL_NAMES: Final = ("Alex", "Avery", "Casey", "Jordan", "Morgan", "Quinn", "Riley", "Rowan", "Sage", "Taylor")
LAST_NAMES: Final = (
    "Abara", "Adeyemi", "Ahmed", "Alvarez", "Andersen", "Bailey", "Banerjee", "Becker", "Bennett", "Brooks",
    "Campbell", "Castillo", "Chang", "Chen", "Cohen", "Costa", "Cruz", "Das", "Diaz", "Dubois",
    "Edwards", "Eriksen", "Evans", "Fernandez", "Fischer", "Flores", "Foster", "Garcia", "Goldberg", "Gomez",
    "Gonzalez", "Gupta", "Haddad", "Hall", "Hansen", "Hernandez", "Hoang", "Hughes", "Ibrahim", "Ito",
    "Jackson", "Jensen", "Johnson", "Kapoor", "Kaur", "Khan", "Kim", "Kowalski", "Kumar", "Lee",
    "Lewis", "Lopez", "Martin", "Martinez", "Mendoza", "Meyer", "Miller", "Mitchell", "Moreno", "Murphy",
    "Nakamura", "Nguyen", "Novak", "O'Brien", "Okafor", "Okeke", "Olsen", "Ortiz", "Park", "Patel",
    "Perez", "Petrov", "Phillips", "Ramirez", "Rao", "Reyes", "Rivera", "Robinson", "Rodriguez", "Rossi",
    "Sanchez", "Santos", "Sato", "Schmidt", "Shah", "Silva", "Singh", "Smith", "Sokolov", "Suzuki",
    "Tanaka", "Thompson", "Torres", "Tran", "Walker", "Wang", "Washington", "Williams", "Wong", "Yamamoto",
    "Zhang", "Zielinski", "Mbeki", "Nwosu", "Van der Berg", "García-López", "Müller", "Phạm", "Søndergaard",
    "Björk",
)
AREA_CODES: Final = ("212", "315", "347", "516", "518", "585", "607", "631", "646", "716", "718", "845", "914", "917")

REASONS: Final[tuple[tuple[str, ...], ...]] = (
    ("New patient visit", "Establish care", "Transfer of care", "New patient: general check-up"),
    ("Cough", "Blood pressure check", "Knee pain", "Back pain", "Sore throat", "Diabetes follow-up",
     "Medication review", "Rash", "Headache", "Lab results", "Ear pain", "Fatigue", "Follow-up visit",
     "Asthma review", "Cholesterol follow-up", "Ankle sprain", "Anxiety follow-up", "Urinary symptoms"),
    ("Annual physical", "Well visit", "Sports physical", "Pre-employment physical", "Well-child visit"),
    ("Flu shot", "Tdap booster", "COVID-19 booster", "Hepatitis B dose", "Shingles vaccine", "Pneumococcal vaccine"),
    ("Wart removal", "Skin tag removal", "Mole removal", "Cryotherapy", "Abscess drainage", "Ingrown toenail"),
)
CANCEL_REASONS: Final = (
    "Patient request", "Feeling better", "Schedule conflict", "Transportation", "Illness",
    "Weather", "Rescheduled", "Provider unavailable",
)

# Tuning knobs for the appointment history.
PAST_CANCEL_RATE: Final = 0.08
FUTURE_CANCEL_RATE: Final = 0.03
CONFIRM_RATE: Final = 0.7
REMINDER_LEAD_S: Final = 72 * 3600
# No-show multiplier by weekday (Mon..Sun): Mondays and Fridays are worse.
NO_SHOW_WEEKDAY: Final = np.array([1.3, 0.95, 0.85, 0.9, 1.2, 1.0, 1.0])

DAY_S: Final = 86_400
_OPEN_S, _CLOSE_S = 8 * 3600, 17 * 3600 + 1800  # the phone line: bookings happen 08:00-17:30
_EPOCH = np.datetime64("1970-01-01", "D")

# Statuses travel as small integer codes: indexes into clinic.scheduling.STATUSES.
SCHEDULED, CONFIRMED, CHECKED_IN, COMPLETED, NO_SHOW, CANCELLED = (
    STATUSES.index(name) for name in ("scheduled", "confirmed", "checked_in", "completed", "no_show", "cancelled")
)
LATE_CANCEL_S: Final = Rules().late_cancel_hours * 3600


# --- public API ------------------------------------------------------------------------------


def seed(
    conn: Connection,
    *,
    scale: str = "demo",
    seed: int = 42,
    timezone: str = "America/New_York",
    today: dt.date | None = None,
) -> dict[str, int]:
    """Fill an EMPTY, migrated database with synthetic demo data; return row counts per table.

    Raises :class:`clinic.errors.ClinicError` when the database already has patients or
    providers (nothing is ever overwritten) or when ``scale`` is unknown; an unknown
    ``timezone`` raises :class:`clinic.errors.ValidationError`. ``today`` defaults to the
    clinic-local date now; pass it to get the same data on every run.
    """
    if scale not in SCALES:
        raise ClinicError("Unknown scale “" + scale + "”: use one of " + ", ".join(SCALES) + ".")
    plan = SCALES[scale]
    timeutil.zone(timezone)  # validate before touching anything
    if today is None:
        today = timeutil.today(timezone)
    _refuse_if_not_empty(read_one(conn, _COUNT_PATIENTS_AND_PROVIDERS))

    user_ids = _ensure_demo_users(conn)
    with transaction(conn) as cur:
        # Check again inside the writing transaction: the users step above took a moment.
        _refuse_if_not_empty(cur.execute(_COUNT_PATIENTS_AND_PROVIDERS).fetchone())
        for key, value in (
            ("clinic_name", CLINIC_NAME),
            ("timezone", timezone),
            ("country", COUNTRY),
            ("subdivision", SUBDIVISION),
            ("is_demo", "true"),
        ):
            settings.set_value(cur, key, value)
        providers = _insert_providers(cur, plan, doctor_user_id=user_ids["doctor"])
        _insert_open_holidays(cur, plan, today)
        type_ids, busy_min, span_min = _ensure_visit_types(cur)

        rng = np.random.default_rng(seed)
        appts = _generate_schedule(rng, plan, providers, busy_min, span_min, today)
        patients = _generate_patients(rng, plan, appts)
        _finish_appointments(rng, appts, patients, today)

        patient_frame = _patient_frame(rng, cur, patients, today, timezone)
        appt_frame, event_frame = _appointment_frames(cur, appts, providers, type_ids,
                                                      patient_frame["id"].to_numpy(), user_ids, timezone)
        run_with_frame(cur, "seed_patients", patient_frame, _INSERT_PATIENTS)
        run_with_frame(cur, "seed_appointments", appt_frame, _INSERT_APPOINTMENTS)
        run_with_frame(cur, "seed_events", event_frame, _INSERT_EVENTS)
        waiting = _insert_waitlist(cur, rng, patient_frame["id"].to_numpy(), providers, type_ids, user_ids)
        records = seed_patient_records(
            cur, rng, patient_ids=patient_frame["id"].to_numpy(),
            birth_dates=pd.to_datetime(patient_frame["date_of_birth"]).to_numpy(), today=today, user_ids=user_ids,
            files={"test": 20, "demo": 120, "large": 200}[scale],
        )
        audit.record(cur, "seed", "seed.run", detail={"scale": scale, "seed": seed})

    counts = {
        "users": len(user_ids),
        "providers": len(providers),
        "visit_types": len(type_ids),
        "patients": len(patient_frame),
        "appointments": len(appt_frame),
        "appointment_events": len(event_frame),
        "waitlist": waiting,
        **records,
    }
    log.info("seeded %s (seed %d): %s", scale, seed, counts)
    return counts


def _insert_waitlist(cur: Connection, rng: np.random.Generator, patient_ids: np.ndarray,
                     providers: list[_Provider], type_ids: list[int], user_ids: dict[str, int]) -> int:
    """A dozen patients hoping for an earlier slot: some with one provider, some with anyone."""
    n = min(12, len(patient_ids))
    chosen = rng.choice(patient_ids, size=n, replace=False)
    notes = ("Prefers mornings", "Can come at short notice", "After 3 pm only", None, "Call mobile first", None)
    for i, patient_id in enumerate(chosen.tolist()):
        provider = providers[int(rng.integers(len(providers)))].id if rng.random() < 0.6 else None
        type_id = type_ids[FOLLOW_UP] if rng.random() < 0.7 else type_ids[ANNUAL]
        days = sorted(rng.choice(5, size=int(rng.integers(1, 4)), replace=False).tolist()) if rng.random() < 0.7 else []
        cur.execute(
            "INSERT INTO waitlist (patient_id, provider_id, type_id, preferred_days, note, created_by)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [int(patient_id), provider, type_id, ",".join(map(str, days)) or None, notes[i % len(notes)],
             user_ids["frontdesk"]],
        )
    return n


# --- reference data ----------------------------------------------------------------------------


_COUNT_PATIENTS_AND_PROVIDERS = "SELECT (SELECT count(*) FROM patients), (SELECT count(*) FROM providers)"


def _refuse_if_not_empty(counts: tuple | None) -> None:
    if counts is not None and (counts[0] or counts[1]):
        raise ClinicError(
            "This database already has patients or providers: demo data only ever goes into an "
            "empty database. Seed a new file instead."
        )


def _ensure_demo_users(conn: Connection) -> dict[str, int]:
    """Create the five demo accounts (password ``demo``), reusing any that already exist."""
    ids: dict[str, int] = {}
    for username, full_name, role in DEMO_USERS:
        existing = users.find_by_username(conn, username)
        if existing is not None:
            ids[username] = existing.id
            continue
        ids[username] = users.create(
            conn, username=username, full_name=full_name, role=role, password=DEMO_PASSWORD,
            by="seed", allow_short_password=True,
        )
    return ids


@dataclass(frozen=True)
class _Provider:
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


def _insert_providers(cur: Connection, plan: Scale, *, doctor_user_id: int) -> list[_Provider]:
    providers: list[_Provider] = []
    for name, kind, colour, hours in _provider_specs(plan.providers):
        user_id = doctor_user_id if not providers else None  # the first is a physician
        (provider_id,) = cur.execute(
            "INSERT INTO providers (name, kind, colour, user_id) VALUES (?, ?, ?, ?) RETURNING id",
            [name, kind, colour, user_id],
        ).fetchone()
        cur.executemany(
            "INSERT INTO provider_hours (provider_id, weekday, start_time, end_time) VALUES (?, ?, ?, ?)",
            [[provider_id, wd, _clock(s), _clock(e)] for wd, s, e in hours],
        )
        providers.append(_Provider(provider_id, name, kind, colour, hours))
    return providers


def _clock(minutes: int) -> dt.time:
    return dt.time(minutes // 60, minutes % 60)


def _ensure_visit_types(cur: Connection) -> tuple[list[int], np.ndarray, np.ndarray]:
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
class _Appointments:
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


def _insert_open_holidays(cur: Connection, plan: Scale, today: dt.date) -> None:
    first, last = _window(plan, today)
    for day, name in _holidays_in(first, last).items():
        if name in OPEN_ON_HOLIDAYS:
            cur.execute("INSERT INTO holiday_overrides (day, note) VALUES (?, ?) ON CONFLICT DO NOTHING",
                        [day, "Open as usual"])


def _generate_schedule(
    rng: np.random.Generator,
    plan: Scale,
    providers: list[_Provider],
    busy_min: np.ndarray,
    span_min: np.ndarray,
    today: dt.date,
) -> _Appointments:
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
    appts = _Appointments(
        provider=b_prov[rows], day=day, start=start, end=start + span_min[vt] * 60,
        busy_until=start + busy_min[vt] * 60, type=vt,
    )

    # The future thins out: next week is nearly full, six weeks out about a third.
    today_n = _day_number(today)
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


def _day_number(day: dt.date) -> int:
    return int((np.datetime64(day, "D") - _EPOCH).astype(np.int64))


@dataclass
class _Patients:
    n: int
    n_established: int
    weight: np.ndarray  # how often each patient comes in
    no_show_propensity: np.ndarray  # multiplier with mean 1
    opt_in: np.ndarray
    created: np.ndarray | None = None  # naive local seconds


def _generate_patients(rng: np.random.Generator, plan: Scale, appts: _Appointments) -> _Patients:
    """Give every slot a patient, then drop visits that would put one patient in two places.

    Patients 0..E-1 are established (registered before the window); patient E+k is new and
    comes first to the k-th "New patient" slot in time order. Any other slot on day d picks,
    weighted by visit frequency, among patients already known before d, so a new patient's
    first visit is always their "New patient" one.
    """
    order = np.lexsort((appts.provider, appts.start))
    appts.take(order)
    new_slots = np.flatnonzero(appts.type == NEW)
    n_new = len(new_slots)
    n_established = plan.patients - n_new
    patients = _Patients(
        n=plan.patients,
        n_established=n_established,
        weight=rng.gamma(4.0, 1.0, plan.patients),
        no_show_propensity=rng.beta(1.5, 6.0, plan.patients) * (7.5 / 1.5),
        opt_in=rng.random(plan.patients) < 0.7,
    )
    who = np.empty(len(appts.day), dtype=np.int64)
    who[new_slots] = n_established + np.arange(n_new)
    others = np.flatnonzero(appts.type != NEW)
    known = n_established + np.searchsorted(appts.day[new_slots], appts.day[others], side="left")
    cum_w = np.cumsum(patients.weight)
    pick = np.searchsorted(cum_w, rng.random(len(others)) * cum_w[known - 1], side="right")
    who[others] = np.minimum(pick, known - 1)
    appts.patient = who

    # One patient, one place: sorted by patient then start, drop any visit that starts before
    # the latest end of the same patient's earlier visits (a running max, offset per patient so
    # one cumulative max serves all patients at once).
    order = np.lexsort((np.arange(len(who)), appts.start, who))
    span = int(appts.end.max() - appts.start.min()) + 1
    base = who[order] * span - int(appts.start.min())
    ends = np.maximum.accumulate(base + appts.end[order])
    clash = np.zeros(len(order), dtype=bool)
    clash[1:] = base[1:] + appts.start[order][1:] < ends[:-1]
    keep = np.ones(len(who), dtype=bool)
    keep[order[clash]] = False
    appts.take(keep)
    return patients


def _finish_appointments(rng: np.random.Generator, appts: _Appointments, patients: _Patients, today: dt.date) -> None:
    """Booking times, patient registration times, statuses and the second event's time."""
    n = len(appts.day)
    today_n = _day_number(today)
    horizon = today_n * DAY_S  # local midnight starting today: "now" for the seed
    past = appts.day < today_n

    # Lead time in days: past visits many 0-14 days ahead with a tail to 60 (a fifth same day);
    # future ones were necessarily booked before today.
    lead = np.minimum(1 + np.floor(rng.exponential(10.0, n)).astype(np.int64), 60)
    lead = np.where(rng.random(n) < 0.2, 0, lead)
    extra = np.minimum(np.floor(rng.exponential(6.0, n)).astype(np.int64), 45)
    booked_day = np.where(past, appts.day - lead, today_n - 1 - extra)
    booked = booked_day * DAY_S + rng.integers(_OPEN_S, _CLOSE_S, n)
    same_day = past & (lead == 0)
    earliest = appts.day * DAY_S + 6 * 3600 + 1800
    booked = np.where(same_day, np.maximum(appts.start - rng.integers(20 * 60, 4 * 3600, n), earliest), booked)

    # Registration: established patients some years before the window, new ones minutes before
    # their "New patient" visit was booked. Nobody is booked before they exist.
    created = np.empty(patients.n, dtype=np.int64)
    window_start = int(appts.day.min()) if n else today_n
    est = patients.n_established
    est_days = window_start - 61 - np.sort(rng.integers(0, 8 * 365, est))[::-1]
    created[:est] = est_days * DAY_S + rng.integers(_OPEN_S, _CLOSE_S, est)
    new_rows = np.flatnonzero(appts.type == NEW)
    new_patients = appts.patient[new_rows]
    created[new_patients] = booked[new_rows] - rng.integers(60, 20 * 60, len(new_rows))
    patients.created = created
    booked = np.maximum(booked, created[appts.patient] + 60)
    appts.booked = booked
    lead = appts.day - np.floor_divide(booked, DAY_S)

    status = np.full(n, SCHEDULED, dtype=np.int64)
    cancel = rng.random(n) < np.where(past, PAST_CANCEL_RATE, FUTURE_CANCEL_RATE)
    # No-shows rise with lead time (3% same day to 28% at 30+ days), by weekday and by patient.
    weekday = (appts.day + 3) % 7
    p_no_show = (0.03 + 0.25 * np.minimum(lead, 30) / 30) * NO_SHOW_WEEKDAY[weekday]
    p_no_show = np.minimum(p_no_show * patients.no_show_propensity[appts.patient], 0.95)
    no_show = past & ~cancel & (rng.random(n) < p_no_show)
    status[past] = COMPLETED
    status[no_show] = NO_SHOW
    status[cancel] = CANCELLED

    # Cancelled some time between booking and the visit (skewed late), or before "now".
    until = np.where(past, appts.start, horizon)
    cancelled_at = booked + np.floor(rng.beta(np.where(past, 2.0, 1.0), 1.2) * (until - booked)).astype(np.int64)
    cancelled_at = np.where(cancel, np.minimum(cancelled_at, until - 60), -1)
    cancelled_at = np.where(cancel, np.maximum(cancelled_at, booked + 1), -1)

    # Reminders go out 72 h ahead to opted-in patients, if booked by then, not yet cancelled,
    # and not after "now"; most reminded future visits get confirmed.
    reminder = appts.start - REMINDER_LEAD_S
    sent = patients.opt_in[appts.patient] & (reminder > booked) & (reminder <= horizon)
    sent &= ~cancel | (reminder < cancelled_at)
    confirm = ~past & sent & ~cancel & (rng.random(n) < CONFIRM_RATE)
    status[confirm] = CONFIRMED

    # Completed visits went scheduled -> checked_in (on arrival) -> completed (after the visit):
    # clinic.scheduling.TRANSITIONS has no direct scheduled -> completed move.
    arrived = appts.start + np.clip(np.round(rng.normal(-6 * 60, 6 * 60, n)), -40 * 60, 10 * 60).astype(np.int64)
    arrived = np.maximum(arrived, booked + 60)  # a walk-in booked at the desk arrives after booking
    started = np.minimum(np.maximum(arrived, appts.start) + rng.integers(0, 6 * 60, n), appts.end - 60)
    finished = appts.end + rng.integers(0, 20 * 60, n)
    changed = np.full(n, -1, dtype=np.int64)
    changed = np.where(status == COMPLETED, arrived, changed)
    changed = np.where(status == NO_SHOW, appts.start + rng.integers(15 * 60, 60 * 60, n), changed)
    changed = np.where(status == CANCELLED, cancelled_at, changed)
    confirmed_at = np.minimum(reminder + rng.integers(5 * 60, 6 * 3600, n), horizon - 60)
    changed = np.where(status == CONFIRMED, confirmed_at, changed)

    appts.status = status
    appts.arrived = np.where(status == COMPLETED, arrived, -1)
    appts.started = np.where(status == COMPLETED, started, -1)
    appts.finished = np.where(status == COMPLETED, finished, -1)
    appts.cancelled = cancelled_at
    appts.reminder = np.where(sent, reminder, -1)
    appts.changed = changed

    offsets = np.cumsum([0] + [len(r) for r in REASONS])
    sizes = np.diff(offsets)
    appts.reason = offsets[appts.type] + np.floor(rng.random(n) * sizes[appts.type]).astype(np.int64)
    appts.cancel_reason = np.where(cancel, rng.integers(0, len(CANCEL_REASONS), n), -1)


# --- frames and inserts ----------------------------------------------------------------------


def _reserve_ids(cur: Connection, sequence: str, n: int) -> int:
    """Take ``n`` consecutive values from ``sequence``; return the first.

    Results are drained with ``fetchall()``: after a bare ``fetchone()`` DuckDB 2 keeps the result
    open and a later ``cursor.register()`` fails with "connection has an unfinished result".
    """
    [(first,)] = cur.execute("SELECT nextval(?)", [sequence]).fetchall()
    if n > 1:
        [(last,)] = cur.execute("SELECT max(nextval(?)) FROM range(?)", [sequence, n - 1]).fetchall()
        if last != first + n - 1:  # someone else drew from the sequence meanwhile
            raise ClinicError("Could not reserve a block of ids for the demo data; try again.")
    return int(first)


def _to_utc(local_seconds: np.ndarray, tz: str, present: np.ndarray | None = None) -> pd.DatetimeIndex:
    """Naive clinic-local seconds to UTC instants (NaT where ``present`` is False)."""
    values = local_seconds if present is None else np.where(present, local_seconds, 0)
    naive = pd.DatetimeIndex(values.astype("datetime64[s]"))
    aware = naive.tz_localize(tz, ambiguous=np.zeros(len(values), dtype=bool), nonexistent="shift_forward")
    utc = aware.tz_convert("UTC")
    return utc if present is None else utc.where(present)


def _patient_frame(
    rng: np.random.Generator, cur: Connection, patients: _Patients, today: dt.date, tz: str
) -> pd.DataFrame:
    """Demographics for every patient. Row i is generated patient i; ids and MRNs follow
    registration order, as they would have had the practice registered them one by one."""
    n = patients.n
    created = patients.created
    rank = np.empty(n, dtype=np.int64)
    rank[np.argsort(created, kind="stable")] = np.arange(n)
    first_id = _reserve_ids(cur, "patients_id_seq", n)
    first_mrn = _reserve_ids(cur, "patients_mrn_seq", n)

    sex = rng.choice(4, n, p=[0.52, 0.46, 0.01, 0.01])
    female = np.array(FEMALE_NAMES, dtype=object)[rng.integers(0, len(FEMALE_NAMES), n)]
    male = np.array(MALE_NAMES, dtype=object)[rng.integers(0, len(MALE_NAMES), n)]
    neutral = np.array(NEUTRAL_NAMES, dtype=object)[rng.integers(0, len(NEUTRAL_NAMES), n)]
    first = np.where(sex == 0, female, np.where(sex == 1, male, neutral))
    last = np.array(LAST_NAMES, dtype=object)[rng.integers(0, len(LAST_NAMES), n)]

    # Age when registered: a fifth children, the rest adults up to 90; nobody older than 95 now.
    # Born before registering, so newborns are always new patients registered inside the window.
    child = rng.random(n) < 0.2
    age_years = np.where(child, rng.uniform(0, 18, n), rng.uniform(18, 90, n))
    created_day = np.floor_divide(created, DAY_S)
    age_days = np.floor(age_years * 365.25).astype(np.int64)
    age_days = np.clip(age_days, 0, 95 * 365 - (_day_number(today) - created_day))
    dob = (created_day - age_days).astype("datetime64[D]")

    def ascii_lower(values: np.ndarray) -> pd.Series:
        # "García-López" -> "garcialopez", "O'Brien" -> "obrien": addresses stay plain ASCII.
        return (pd.Series(values).str.normalize("NFKD").str.encode("ascii", "ignore").str.decode("ascii")
                .str.lower().str.replace(r"[^a-z]", "", regex=True))

    domain = pd.Series(np.where(rng.random(n) < 0.7, "@example.com", "@example.org"))
    email = ascii_lower(first) + "." + ascii_lower(last) + pd.Series(rank + 1).astype(str) + domain
    email = email.where(rng.random(n) < 0.88)
    area = pd.Series(np.array(AREA_CODES, dtype=object)[rng.integers(0, len(AREA_CODES), n)])
    # 555-0100..555-0199 are the numbers set aside for fiction in North America.
    phone = "+1" + area + "55501" + pd.Series(rng.integers(0, 100, n)).astype(str).str.zfill(2)
    phone = phone.where(rng.random(n) < 0.95)

    return pd.DataFrame({
        "id": first_id + rank,
        "mrn": pd.Series(first_mrn + rank).astype(str),
        "first_name": first,
        "last_name": last,
        "date_of_birth": dob,
        "sex": pd.Categorical.from_codes(sex, categories=["female", "male", "other", "unknown"]),
        "phone_mobile": phone,
        "email": email,
        "reminder_opt_in": patients.opt_in,
        "created_at": _to_utc(created, tz),
    })


_INSERT_PATIENTS = (
    "INSERT INTO patients (id, mrn, first_name, last_name, date_of_birth, sex, phone_mobile, email,"
    " reminder_opt_in, created_at)"
    " SELECT id, mrn, first_name, last_name, date_of_birth, sex, phone_mobile, email, reminder_opt_in, created_at"
    " FROM seed_patients ORDER BY id"
)
_INSERT_APPOINTMENTS = (
    "INSERT INTO appointments (id, patient_id, provider_id, type_id, start_at, end_at, busy_until, status,"
    " booked_at, booked_by, reason, arrived_at, started_at, cancel_reason, late_cancel, reminder_at)"
    " SELECT id, patient_id, provider_id, type_id, start_at, end_at, busy_until, status, booked_at, booked_by,"
    " reason, arrived_at, started_at, cancel_reason, late_cancel, reminder_at FROM seed_appointments ORDER BY id"
)
_INSERT_EVENTS = (
    "INSERT INTO appointment_events (id, appointment_id, occurred_at, user_id, from_status, to_status, reason)"
    " SELECT id, appointment_id, occurred_at, user_id, from_status, to_status, reason FROM seed_events ORDER BY id"
)


def _appointment_frames(
    cur: Connection,
    appts: _Appointments,
    providers: list[_Provider],
    type_ids: list[int],
    patient_ids: np.ndarray,
    user_ids: dict[str, int],
    tz: str,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Appointments numbered in booking order (as the app would have), and their events."""
    order = np.lexsort((appts.provider, appts.start, appts.booked))
    appts.take(order)
    n = len(appts.day)
    first_id = _reserve_ids(cur, "appointments_id_seq", n)
    ids = np.arange(first_id, first_id + n, dtype=np.int64)
    status_names = pd.Categorical.from_codes(appts.status, categories=list(STATUSES))
    cancel = appts.status == CANCELLED
    frontdesk = user_ids["frontdesk"]

    appt_frame = pd.DataFrame({
        "id": ids,
        "patient_id": patient_ids[appts.patient],
        "provider_id": np.array([p.id for p in providers], dtype=np.int64)[appts.provider],
        "type_id": np.array(type_ids, dtype=np.int64)[appts.type],
        "start_at": _to_utc(appts.start, tz),
        "end_at": _to_utc(appts.end, tz),
        "busy_until": _to_utc(appts.busy_until, tz),
        "status": status_names,
        "booked_at": _to_utc(appts.booked, tz),
        "booked_by": np.full(n, frontdesk, dtype=np.int64),
        "reason": pd.Categorical.from_codes(appts.reason, categories=[r for group in REASONS for r in group]),
        "arrived_at": _to_utc(appts.arrived, tz, appts.arrived >= 0),
        "started_at": _to_utc(appts.started, tz, appts.started >= 0),
        "cancel_reason": pd.Categorical.from_codes(appts.cancel_reason, categories=list(CANCEL_REASONS)),
        "late_cancel": pd.arrays.BooleanArray(appts.start - appts.cancelled < LATE_CANCEL_S, mask=~cancel),
        "reminder_at": _to_utc(appts.reminder, tz, appts.reminder >= 0),
    })

    # Events: "-> scheduled" when booked; then "scheduled -> status" for every other status,
    # except that completed visits pass through checked_in (the allowed moves), so they get a
    # third event "checked_in -> completed".
    moved = np.flatnonzero(appts.status != SCHEDULED)
    done = np.flatnonzero(appts.status == COMPLETED)
    first_move = np.where(appts.status[moved] == COMPLETED, CHECKED_IN, appts.status[moved])
    ev_appt = np.concatenate([ids, ids[moved], ids[done]])
    ev_at_local = np.concatenate([appts.booked, appts.changed[moved], appts.finished[done]])
    ev_seq = np.repeat(np.arange(3), [n, len(moved), len(done)])
    ev_from = np.concatenate([np.full(n, -1), np.full(len(moved), SCHEDULED), np.full(len(done), CHECKED_IN)])
    ev_to = np.concatenate([np.full(n, SCHEDULED), first_move, np.full(len(done), COMPLETED)])
    ev_reason = np.concatenate([np.full(n, -1), np.where(cancel[moved], appts.cancel_reason[moved], -1),
                                np.full(len(done), -1)])
    ev_order = np.lexsort((ev_seq, ev_appt, ev_at_local))  # numbered in time order
    m = len(ev_appt)
    first_event = _reserve_ids(cur, "appointment_events_id_seq", m)
    event_frame = pd.DataFrame({
        "id": np.arange(first_event, first_event + m, dtype=np.int64),
        "appointment_id": ev_appt[ev_order],
        "occurred_at": _to_utc(ev_at_local[ev_order], tz),
        "user_id": np.full(m, frontdesk, dtype=np.int64),
        "from_status": pd.Categorical.from_codes(ev_from[ev_order], categories=list(STATUSES)),
        "to_status": pd.Categorical.from_codes(ev_to[ev_order], categories=list(STATUSES)),
        "reason": pd.Categorical.from_codes(ev_reason[ev_order], categories=list(CANCEL_REASONS)),
    })
    return appt_frame, event_frame
