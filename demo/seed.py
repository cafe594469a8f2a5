"""Seed an empty database with the synthetic demo practice: one entry point, :func:`seed`.

A believable practice with years of appointment history. Everything is generated set-wise with
numpy from one ``np.random.default_rng(seed)`` and bulk inserted from registered pandas frames
(:func:`db.run_with_frame`), so the ``large`` scale (about a million appointments) takes seconds,
and the same seed and the same "now" give byte-identical rows in a fresh database (ids: see
:mod:`demo.frames`).

Traps this module works around:

* "Now" for the test scale, and for any ``today`` other than the clinic's real today, is the
  clinic-local midnight starting ``today``: nothing is booked, cancelled or confirmed after it,
  visits before ``today`` carry outcomes (completed, no_show, cancelled) and those on or after
  it are still open, so the data never depends on the hour it was seeded at. The demo and large
  scales seeded for the real today (``today`` omitted or equal to it) take "now" from the clinic
  clock (:func:`clinic.timeutil.now_utc`, which a test can set): today's visits before it have
  played out (see :mod:`demo.outcomes`), as a person opening the demo at 2 pm expects.
* Demo users are created through :func:`db.users.create` (its own transactions, salted argon2
  hashes), so users and audit timestamps differ between runs; everything else is in one
  transaction. A seed that fails after creating users can simply be run again: existing demo
  usernames are reused.
"""

from __future__ import annotations

import datetime as dt
import logging

import numpy as np
import pandas as pd

from clinic import timeutil
from clinic.errors import ClinicError
from db import Connection, audit, read_one, run_with_frame, settings, transaction, users
from demo.billing import seed_billing
from demo.fees import fee_schedule, insert_fee_schedule, set_visit_type_lines
from demo.frames import DAY_S, day_number, local_seconds, to_utc
from demo.inventory import seed_inventory
from demo.outcomes import INSERT_APPOINTMENTS, INSERT_EVENTS, appointment_frames, finish_appointments
from demo.people import INSERT_PATIENTS, generate_patients, patient_frame
from demo.practice import (
    CLAIM_IDENTITY,
    CLINIC_ADDRESS,
    CLINIC_NAME,
    CLINIC_PHONE,
    COUNTRY,
    DEMO_PASSWORD,
    DEMO_USERS,
    SCALES,
    SUBDIVISION,
    Scale,
)
from demo.records import insert_waitlist, seed_patient_records
from demo.schedule import ensure_visit_types, generate_schedule, insert_open_holidays, insert_providers

__all__ = ["CLINIC_NAME", "COUNTRY", "DEMO_PASSWORD", "DEMO_USERS", "SCALES", "SUBDIVISION", "Scale", "seed"]

log = logging.getLogger(__name__)


def seed(
    conn: Connection,
    *,
    scale: str = "demo",
    seed: int = 42,
    timezone: str = "America/New_York",
    today: dt.date | None = None,
    money_and_stock: bool = True,
) -> dict[str, int]:
    """Fill an EMPTY, migrated database with synthetic demo data; return row counts per table.

    Raises :class:`clinic.errors.ClinicError` when the database already has patients or
    providers (nothing is ever overwritten) or when ``scale`` is unknown; an unknown
    ``timezone`` raises :class:`clinic.errors.ValidationError`. ``today`` defaults to the
    clinic-local date now; pass another date to get the same data on every run.
    ``money_and_stock=False`` leaves out the invoices, claims, payments and the stock history (the
    schedule and the patients are the same): the large-scale scheduling test uses it.
    """
    if scale not in SCALES:
        raise ClinicError("Unknown scale “" + scale + "”: use one of " + ", ".join(SCALES) + ".")
    plan = SCALES[scale]
    timeutil.zone(timezone)  # validate before touching anything
    now = timeutil.now_utc()
    if today is None:
        today = timeutil.to_local(now, timezone).date()
    now_s = _now_seconds(plan, today, now, timezone)
    _refuse_if_not_empty(read_one(conn, _COUNT_PATIENTS_AND_PROVIDERS))

    user_ids = _ensure_demo_users(conn)
    with transaction(conn) as cur:
        # Check again inside the writing transaction: the users step above took a moment.
        _refuse_if_not_empty(cur.execute(_COUNT_PATIENTS_AND_PROVIDERS).fetchone())
        for key, value in (
            ("clinic_name", CLINIC_NAME),
            ("clinic_address", CLINIC_ADDRESS),
            ("clinic_phone", CLINIC_PHONE),
            ("timezone", timezone),
            ("country", COUNTRY),
            ("subdivision", SUBDIVISION),
            ("is_demo", "true"),
            *CLAIM_IDENTITY.items(),
        ):
            settings.set_value(cur, key, value)
        providers = insert_providers(cur, plan, doctor_user_id=user_ids["doctor"])
        insert_open_holidays(cur, plan, today)
        type_ids, busy_min, span_min = ensure_visit_types(cur)

        rng = np.random.default_rng(seed)
        appts = generate_schedule(rng, plan, providers, busy_min, span_min, today)
        patients = generate_patients(rng, plan, appts)
        finish_appointments(rng, appts, patients, today, now_s)

        patients_rows = patient_frame(rng, cur, patients, today, timezone)
        appt_frame, event_frame = appointment_frames(cur, appts, providers, type_ids,
                                                     patients_rows["id"].to_numpy(), user_ids, timezone)
        run_with_frame(cur, "seed_patients", patients_rows, INSERT_PATIENTS)
        run_with_frame(cur, "seed_appointments", appt_frame, INSERT_APPOINTMENTS)
        run_with_frame(cur, "seed_events", event_frame, INSERT_EVENTS)
        waiting = insert_waitlist(cur, rng, patients_rows["id"].to_numpy(), providers, type_ids, user_ids)
        records = seed_patient_records(
            cur, rng, patient_ids=patients_rows["id"].to_numpy(),
            birth_dates=pd.to_datetime(patients_rows["date_of_birth"]).to_numpy(), today=today,
            now=_instant(now_s, timezone), user_ids=user_ids, files=plan.documents,
        )
        fees = fee_schedule(today - dt.timedelta(days=plan.history_days), today)
        fee_rows = insert_fee_schedule(cur, fees)
        set_visit_type_lines(cur, type_ids)
        billed, stocked = {}, {}
        if money_and_stock:
            billed = seed_billing(cur, rng, appts=appts, appt_frame=appt_frame, patients_rows=patients_rows,
                                  fees=fees, today=today, now_s=now_s, tz=timezone, user_ids=user_ids)
            stocked = seed_inventory(cur, rng, plan=plan, appts=appts, appt_frame=appt_frame, type_ids=type_ids,
                                     today=today, now_s=now_s, tz=timezone, user_ids=user_ids)
        audit.record(cur, "seed", "seed.run", detail={"scale": scale, "seed": seed})

    counts = {
        "users": len(user_ids),
        "providers": len(providers),
        "visit_types": len(type_ids),
        "patients": len(patients_rows),
        "appointments": len(appt_frame),
        "appointment_events": len(event_frame),
        "waitlist": waiting,
        **records,
        "fee_schedule": fee_rows,
        **billed,
        **stocked,
    }
    log.info("seeded %s (seed %d): %s", scale, seed, counts)
    return counts


def _now_seconds(plan: Scale, today: dt.date, now: dt.datetime, tz: str) -> int:
    """The seeder's "now" as clinic-local seconds: the clinic clock when seeding a live scale for
    the real today, else the midnight starting ``today``."""
    midnight = day_number(today) * DAY_S
    if plan.live_today and timeutil.to_local(now, tz).date() == today:
        return max(local_seconds(now, tz), midnight)
    return midnight


def _instant(local_s: int, tz: str) -> dt.datetime:
    """Clinic-local seconds back to an aware UTC instant."""
    return to_utc(np.array([local_s], dtype=np.int64), tz)[0].to_pydatetime()


# --- refusing a used database, and the demo accounts -------------------------------------------


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
