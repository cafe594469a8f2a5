"""The waitlist: patients who want an earlier slot with a provider (or anyone) for a visit type.

Each action is one transaction that re-reads the acting account first (``db.actors.acting``);
booking a waitlisted patient books the appointment AND closes the entry in the same transaction
(:func:`book_from_waitlist`), so there is never a booking whose entry is still waiting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from clinic import scheduling
from clinic.access import can_do
from clinic.errors import ClinicError, NotAllowed, NotFound
from db import Connection, appointments, atomic, audit, booking_context, read, settings
from db.actors import Actor, acting

ACTION = "waitlist.manage"


@dataclass(frozen=True)
class Entry:
    """One patient waiting for an earlier slot, as the Waitlist screen shows and acts on it."""

    id: int
    created_at: datetime
    patient_id: int
    patient: str
    phone: str | None
    type_id: int
    visit_type: str
    provider_id: int | None  # None: any provider
    provider: str  # "Any provider" when provider_id is None
    preferred_days: str | None  # "0,2,4" (Monday = 0); None: any day
    note: str | None


def add(conn: Connection, *, patient_id: int, type_id: int, provider_id: int | None, preferred_days: list[int] | None,
        note: str = "", by) -> int:
    days = sorted(set(preferred_days or []))
    if any(not 0 <= d <= 6 for d in days):
        raise ClinicError("Choose weekdays from the list.", field="preferred_days")

    def write(cur: Connection) -> int:
        actor = acting(cur, by, ACTION)
        if cur.execute("SELECT 1 FROM patients WHERE id = ? AND status = 'active'", [patient_id]).fetchone() is None:
            raise ClinicError("Choose a patient.", field="patient")
        (entry_id,) = cur.execute(
            "INSERT INTO waitlist (patient_id, provider_id, type_id, preferred_days, note, created_by)"
            " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            [patient_id, provider_id, type_id, ",".join(map(str, days)) or None, (note or "").strip()[:300] or None,
             actor.id],
        ).fetchone()
        audit.record(cur, actor, "waitlist.add", "waitlist", entry_id, patient_id)
        return entry_id

    return atomic(conn, write)


def list_entries(conn: Connection) -> list[Entry]:
    """Everyone still waiting, longest-waiting first."""
    rows = read(
        conn,
        "SELECT w.id, w.created_at, w.patient_id, p.last_name || ', ' || p.first_name AS patient,"
        " p.phone_mobile AS phone, w.type_id, vt.name AS visit_type, w.provider_id,"
        " coalesce(pr.name, 'Any provider') AS provider, w.preferred_days, w.note"
        " FROM waitlist w JOIN patients p ON p.id = w.patient_id JOIN visit_types vt ON vt.id = w.type_id"
        " LEFT JOIN providers pr ON pr.id = w.provider_id"
        " WHERE w.status = 'waiting' ORDER BY w.created_at, w.id",
    )
    return [Entry(*row) for row in rows]


@dataclass(frozen=True)
class Match:
    """A waiting entry that fits a slot just freed (the calendar offers to call them)."""

    id: int
    patient_id: int
    type_id: int
    patient: str
    phone: str | None
    visit_type: str
    duration_min: int
    note: str | None
    created_at: datetime


def matches_for_slot(conn: Connection, *, provider_id: int, start: datetime, minutes: int) -> list[Match]:
    """Waiting entries that fit a slot just freed, oldest first: same provider or any, the slot's
    weekday among their preferred days (or none given), and a visit type no longer than the freed
    time."""
    tz = settings.timezone(conn)
    weekday = start.astimezone(scheduling.zone(tz)).weekday()
    rows = read(
        conn,
        "SELECT w.id, w.patient_id, w.type_id, p.last_name || ', ' || p.first_name AS patient,"
        " p.phone_mobile AS phone, vt.name AS visit_type, vt.duration_min, w.note, w.created_at"
        " FROM waitlist w JOIN patients p ON p.id = w.patient_id JOIN visit_types vt ON vt.id = w.type_id"
        " WHERE w.status = 'waiting' AND (w.provider_id IS NULL OR w.provider_id = $provider)"
        " AND (w.preferred_days IS NULL OR list_contains(string_split(w.preferred_days, ','), $weekday))"
        " AND vt.duration_min <= $minutes"
        " ORDER BY w.created_at, w.id",
        {"provider": provider_id, "weekday": str(weekday), "minutes": minutes},
    )
    return [Match(*row) for row in rows]


def book_from_waitlist(
    conn: Connection,
    entry_id: int,
    *,
    provider_id: int,
    type_id: int,
    start: datetime,
    user,
    reason: str = "",
    notes: str = "",
    now: datetime | None = None,
) -> int:
    """Book the waitlisted patient at ``start`` and close their entry, in ONE transaction (both or
    neither). Returns the new appointment's id.

    Raises the same named errors as ``db.appointments.book`` (the entry then stays waiting), or a
    ClinicError when the entry was already booked or removed meanwhile (nothing is booked).
    """
    fixed = booking_context.fixed_facts(conn, start) if start is not None and start.tzinfo else None

    def write(cur: Connection) -> int:
        entry = cur.execute("SELECT patient_id, status FROM waitlist WHERE id = ?", [entry_id]).fetchone()
        if entry is None:
            raise NotFound("That waitlist entry does not exist.")
        patient_id, status = entry
        if status != "waiting":
            raise ClinicError("That waitlist entry was already dealt with.")
        appointment_id, actor = appointments.book_in(
            cur, fixed, patient_id=patient_id, provider_id=provider_id, type_id=type_id, start=start, user=user,
            reason=reason, notes=notes, now=now,
        )
        if not actor.is_operator and not can_do(actor.role, ACTION):
            raise NotAllowed()
        _close_in(cur, actor, entry_id, patient_id, "booked", appointment_id)
        return appointment_id

    return atomic(conn, write)


def remove(conn: Connection, entry_id: int, *, by) -> None:
    """Take a patient off the waitlist (they found a time elsewhere, or no longer want one)."""

    def write(cur: Connection) -> None:
        actor = acting(cur, by, ACTION)
        row = cur.execute("SELECT patient_id, status FROM waitlist WHERE id = ?", [entry_id]).fetchone()
        if row is None:
            raise NotFound("That waitlist entry does not exist.")
        if row[1] != "waiting":
            raise ClinicError("That waitlist entry was already dealt with.")
        _close_in(cur, actor, entry_id, row[0], "removed", None)

    atomic(conn, write)


def _close_in(cur: Connection, actor: Actor, entry_id: int, patient_id: int, status: str,
              appointment_id: int | None) -> None:
    # Two desks closing the same entry both update this row: DuckDB makes the second conflict,
    # and its retry then finds the entry no longer waiting.
    cur.execute("UPDATE waitlist SET status = ?, appointment_id = ? WHERE id = ?", [status, appointment_id, entry_id])
    audit.record(cur, actor, "waitlist." + status, "waitlist", entry_id, patient_id,
                 detail={"appointment_id": appointment_id})


def freed_minutes(start: datetime, end: datetime) -> int:
    return int((end - start) / timedelta(minutes=1))
