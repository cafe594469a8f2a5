"""The booking transaction's locks and context: what a booking (or a move) reads, and in which order.

Race-freedom: DuckDB has no exclusion constraints, and "check for overlaps, then insert" in one
transaction is NOT safe under its MVCC (two bookers each see no overlap, both insert). So every
booking first bumps ``providers.booking_version`` and ``patients.booking_version``
(:func:`lock_provider`, :func:`lock_patient`): two transactions touching the same provider (or
patient) then conflict on that row, the loser is rolled back by DuckDB, and ``db.atomic``
retries it with a fresh snapshot in which the winner's appointment is visible, so the rules
refuse it with SlotTaken. The bump and the reads must share one transaction (DuckDB's snapshot
starts at its first statement, not at BEGIN): a rival that committed before the snapshot is seen
by the reads, one that commits after it bumped the same row, so the bump conflicts. A booking
reads the busy times (:func:`busy_around`) before its bumps, to refuse a visibly taken time
without writing, and hands them to :func:`load`. A status change that makes a freed
appointment (no-show, cancelled) hold its time again bumps the same two rows first
(:func:`lock_if_freed`), then checks overlaps with :func:`load`.

Facts that are settings rather than part of the race (closures, booking rules) are read by
:func:`fixed_facts` BEFORE the transaction, to keep the critical section short.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from clinic import scheduling
from clinic.errors import ClinicError
from db import Connection, availability, settings

# How far around a booking to load other appointments and time off: longer than any visit.
WINDOW = timedelta(hours=12)


class Fixed(NamedTuple):
    """What :func:`fixed_facts` reads before the transaction. A plain ``(closures, rules)`` pair
    is accepted where no booking's day matters (then the zone is read in the transaction)."""

    closures: dict
    rules: scheduling.Rules
    tz: str | None = None

ProviderFacts = tuple[str, bool, bool]  # name, active, accepting_new


def visit_type(cur: Connection, type_id: int) -> scheduling.VisitType:
    """The active visit type ``type_id`` (refused with a field error when unknown or retired)."""
    row = cur.execute(
        "SELECT id, name, duration_min, buffer_after_min, new_patients_only, colour FROM visit_types"
        " WHERE id = ? AND active",
        [type_id],
    ).fetchone()
    if row is None:
        raise ClinicError("Choose a visit type.", field="type")
    return scheduling.VisitType(*row)


# DuckDB trap: ``UPDATE ... RETURNING`` on a row that other tables reference by foreign key
# fails with "still referenced by a foreign key" (it is carried out as delete + insert), while a
# plain UPDATE of a non-key column works. So bump first, then read back.


def lock_provider(cur: Connection, provider_id: int) -> ProviderFacts:
    """Bump the provider's booking version (serialising bookings with them); return their facts."""
    bump_provider(cur, provider_id)
    row = cur.execute("SELECT name, active, accepting_new FROM providers WHERE id = ?", [provider_id]).fetchone()
    if row is None:
        raise ClinicError("Choose a provider.", field="provider")
    return row


def bump_provider(cur: Connection, provider_id: int) -> None:
    """:func:`lock_provider` without reading the facts back (the provider a visit moves away from)."""
    cur.execute("UPDATE providers SET booking_version = booking_version + 1 WHERE id = ?", [provider_id])


def lock_patient(cur: Connection, patient_id: int) -> None:
    """Bump the patient's booking version; refuse a patient who is unknown, merged or inactive.
    One statement when the patient is active (the bump counts the row it changed)."""
    (bumped,) = cur.execute("UPDATE patients SET booking_version = booking_version + 1 WHERE id = ? AND status = 'active'",
                            [patient_id]).fetchone()
    if bumped:
        return
    row = cur.execute("SELECT status FROM patients WHERE id = ?", [patient_id]).fetchone()
    if row is None:
        raise ClinicError("Choose a patient (that one was not found).", field="patient")
    raise ClinicError("That patient record is not active (merged or inactive).", field="patient")


def lock_if_freed(cur: Connection, appointment_id: int) -> None:
    """Bump the booking versions of the provider and the patient of ``appointment_id`` when it is
    freed (its status is not in BLOCKING: no-show, cancelled), for a status change that takes its
    time back. Call it as the transaction's FIRST statement: the snapshot then starts here, so a
    booking racing for the freed slot either committed before (and is seen by :func:`load`) or
    conflicts with this bump and retries. An appointment that already holds its time is left
    alone (status changes that take nothing back need no lock)."""
    freed = sorted(set(scheduling.STATUSES) - scheduling.BLOCKING)
    cur.execute(
        "UPDATE providers SET booking_version = booking_version + 1"
        " WHERE id = (SELECT provider_id FROM appointments WHERE id = ? AND list_contains(?, status))",
        [appointment_id, freed],
    )
    cur.execute(
        "UPDATE patients SET booking_version = booking_version + 1"
        " WHERE id = (SELECT patient_id FROM appointments WHERE id = ? AND list_contains(?, status))",
        [appointment_id, freed],
    )


def provider_facts(cur: Connection, provider_id: int) -> ProviderFacts:
    """The provider's facts WITHOUT the lock (for checks that write nothing)."""
    row = cur.execute("SELECT name, active, accepting_new FROM providers WHERE id = ?", [provider_id]).fetchone()
    if row is None:
        raise ClinicError("Choose a provider.", field="provider")
    return row


class Busy(NamedTuple):
    """The times the provider (until ``busy_until``, buffer included) and the patient (until
    ``end_at``) are held around a start, as :func:`busy_around` reads them."""

    provider: list[scheduling.Interval]
    patient: list[scheduling.Interval]


def busy_around(cur: Connection, *, provider_id: int, patient_id: int, start: datetime,
                exclude_id: int | None = None) -> Busy:
    """The appointments holding the provider's or the patient's time within :data:`WINDOW` of
    ``start`` (``exclude_id`` aside: the one being moved), on the transaction's cursor."""
    lo, hi = start - WINDOW, start + WINDOW
    blocking = list(scheduling.BLOCKING)
    provider_busy = [
        scheduling.Interval(s, e)
        for s, e in cur.execute(
            "SELECT start_at, busy_until FROM appointments WHERE provider_id = ? AND start_at < ? AND busy_until > ?"
            " AND list_contains(?, status) AND id IS DISTINCT FROM ?",
            [provider_id, hi, lo, blocking, exclude_id],
        ).fetchall()
    ]
    patient_busy = [
        scheduling.Interval(s, e)
        for s, e in cur.execute(
            "SELECT start_at, end_at FROM appointments WHERE patient_id = ? AND start_at < ? AND end_at > ?"
            " AND list_contains(?, status) AND id IS DISTINCT FROM ?",
            [patient_id, hi, lo, blocking, exclude_id],
        ).fetchall()
    ]
    return Busy(provider_busy, patient_busy)


def load(
    cur: Connection,
    fixed: Fixed,
    *,
    provider: ProviderFacts,
    provider_id: int,
    patient_id: int,
    start: datetime,
    exclude_id: int | None = None,
    busy: Busy | None = None,
    visit: scheduling.VisitType | None = None,
) -> scheduling.BookingContext:
    """Everything the rules need, read inside the booking transaction on ``cur`` (after the locks).

    ``busy``: what :func:`busy_around` read earlier in this same transaction (a booking reads it
    before its locks, to fail fast): one snapshot, and the locks change no appointment, so it
    is what a read here would give. ``visit``: the visit type checked; when no rule can turn on
    the patient's history with it (``scheduling.history_matters``), the history is not read and
    the patient counts as new."""
    fixed = Fixed(*fixed)  # a plain (closures, rules) pair too
    tz = fixed.tz or timezone_of(cur)
    lo, hi = start - WINDOW, start + WINDOW
    if busy is None:
        busy = busy_around(cur, provider_id=provider_id, patient_id=patient_id, start=start, exclude_id=exclude_id)
    provider_busy, patient_busy = busy
    seen_before = False
    if visit is None or scheduling.history_matters(visit, provider[2]):
        # EXISTS, not count(*): the scan stops at the first visit found (a patient's visits are
        # spread over the whole table, so no zone map narrows it; a new patient's scans it all).
        seen_before = cur.execute(
            "SELECT EXISTS (SELECT 1 FROM appointments WHERE patient_id = ? AND status IN ('completed', 'checked_in')"
            " AND id IS DISTINCT FROM ?)",
            [patient_id, exclude_id],
        ).fetchone()[0]
    hours = [
        scheduling.Block(int(w), s, e)
        for w, s, e in cur.execute(
            "SELECT weekday, start_time, end_time FROM provider_hours WHERE provider_id = ?", [provider_id]
        ).fetchall()
    ]
    time_off = [
        scheduling.Interval(s, e, r)
        for s, e, r in cur.execute(
            "SELECT start_at, end_at, reason FROM provider_time_off WHERE provider_id = ? AND start_at < ? AND end_at > ?",
            [provider_id, hi, lo],
        ).fetchall()
    ]
    return scheduling.BookingContext(
        tz=tz,
        provider_name=provider[0],
        provider_active=provider[1],
        accepting_new=provider[2],
        hours=hours,
        time_off=time_off,
        closures=fixed.closures,
        provider_busy=provider_busy,
        patient_busy=patient_busy,
        patient_is_new=not seen_before,
        rules=fixed.rules,
    )


def fixed_facts(conn: Connection, start: datetime) -> Fixed:
    """Closures of the start's day, the booking rules and the clinic's zone: read BEFORE the
    transaction, to keep the critical section (from the version bump to COMMIT) as short as
    possible. They are settings, not part of the race. Two queries: the settings once (the zone,
    the holidays' country and the rules all come from them) and the day's closures."""
    values = settings.get_all(conn)
    tz = values["timezone"]
    day = start.astimezone(scheduling.zone(tz)).date()
    return Fixed(availability.closures_between(conn, day, day, values=values), availability.rules(conn, values), tz)


def timezone_of(cur: Connection) -> str:
    """The clinic's time zone, read on the transaction's own cursor."""
    row = cur.execute("SELECT value FROM settings WHERE key = 'timezone'").fetchone()
    return row[0] if row else "America/New_York"


def refuse_if_visibly_taken(
    cur: Connection, busy: Busy, provider_id: int, start: datetime, visit: scheduling.VisitType
) -> None:
    """Fail fast, without writing, when a committed booking already holds the time: the losers of
    a race then stop at once on their retry instead of contending for the locks again. ``busy``
    is :func:`busy_around` read on ``cur`` before the locks (the rules use it again after them)."""
    busy_until = start + timedelta(minutes=visit.duration_min + visit.buffer_after_min)
    end = start + timedelta(minutes=visit.duration_min)
    taken = (any(i.overlaps(start, busy_until) for i in busy.provider), any(i.overlaps(start, end) for i in busy.patient))
    if taken[0]:
        name = cur.execute("SELECT name FROM providers WHERE id = ?", [provider_id]).fetchone()
        raise scheduling.ProviderBusy(name[0] if name else "The provider", scheduling.local_label(start, timezone_of(cur)))
    if taken[1]:
        raise scheduling.PatientBusy(scheduling.local_label(start, timezone_of(cur)))
