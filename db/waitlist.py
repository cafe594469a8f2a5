"""The waitlist: patients who want an earlier slot with a provider (or anyone) for a visit type,
on their preferred weekdays and within their start-time window (``clinic.waitlist``).

Each action is one transaction that re-reads the acting account first (``db.actors.acting``);
booking a waitlisted patient books the appointment AND closes the entry in the same transaction
(:func:`book_from_waitlist`), so there is never a booking whose entry is still waiting.

The preferences are used, not just shown: :func:`offers_for` (the next free slots for an entry)
and :func:`matches_for_slot` (who fits a slot just freed) both keep to the weekdays and the
window, in clinic-local time. Booking an entry outside them stays possible (the desk asked).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from clinic import scheduling
from clinic import waitlist as prefs
from clinic.access import can_do
from clinic.errors import ClinicError, NotAllowed, NotFound, ValidationError
from db import (Connection, appointments, atomic, audit, availability, booking_context, read, read_one, settings,
                slots)
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
    earliest_start: time | None = None  # clinic-local; None: from opening
    latest_start: time | None = None  # clinic-local, inclusive; None: until closing

    @property
    def preferences(self) -> prefs.Preferences:
        return prefs.from_stored(self.preferred_days, self.earliest_start, self.latest_start)


def hours_for(conn: Connection, provider_id: int | None) -> tuple[list[scheduling.Block], str | None]:
    """The weekly hours a waiting patient could be seen in, and whose they are: the provider's
    (with their name), or every active provider's (None: the clinic's)."""
    by_provider = availability.hours_by_provider(conn)
    if provider_id is not None:
        row = read_one(conn, "SELECT name FROM providers WHERE id = ?", [provider_id])
        if row is None:
            raise ClinicError("Choose a provider from the list.", field="provider")
        return by_provider.get(provider_id, []), row[0]
    active = {pid for (pid,) in read(conn, "SELECT id FROM providers WHERE active")}
    return [b for pid, blocks in by_provider.items() if pid in active for b in blocks], None


def add(conn: Connection, *, patient_id: int, type_id: int, provider_id: int | None,
        preferred_days: Iterable[int] | None, earliest_start: time | None = None, latest_start: time | None = None,
        note: str = "", by) -> int:
    """Put a patient on the waitlist; returns the entry's id.

    The weekdays and the start-time window are checked against the hours of their provider (or
    of every active provider). ValidationError names every field at fault at once (``patient``,
    ``type``, ``provider``, ``preferred_days``, ``earliest_start``, ``latest_start``); nothing
    is written when refused.
    """
    errors: dict[str, str] = {}
    if patient_id is None:
        errors["patient"] = "Find the patient and choose them."
    if type_id is None or read_one(conn, "SELECT 1 FROM visit_types WHERE id = ? AND active", [type_id]) is None:
        errors["type"] = "Choose a visit type."
    wanted = prefs.Preferences()
    try:
        hours, who = hours_for(conn, provider_id)
        wanted = prefs.check(preferred_days, earliest_start, latest_start, hours=hours, who=who)
    except ValidationError as exc:
        errors.update(exc.errors)
    except ClinicError as exc:
        errors[exc.field or "provider"] = str(exc)
    if errors:
        raise ValidationError(errors)

    def write(cur: Connection) -> int:
        actor = acting(cur, by, ACTION)
        if cur.execute("SELECT 1 FROM patients WHERE id = ? AND status = 'active'", [patient_id]).fetchone() is None:
            raise ClinicError("Choose a patient.", field="patient")
        (entry_id,) = cur.execute(
            "INSERT INTO waitlist (patient_id, provider_id, type_id, preferred_days, earliest_start, latest_start,"
            " note, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            [patient_id, provider_id, type_id, wanted.stored_days, wanted.earliest_start, wanted.latest_start,
             (note or "").strip()[:300] or None, actor.id],
        ).fetchone()
        audit.record(cur, actor, "waitlist.add", "waitlist", entry_id, patient_id,
                     detail={"preferences": wanted.label} if not wanted.anything else None)
        return entry_id

    return atomic(conn, write)


def list_entries(conn: Connection) -> list[Entry]:
    """Everyone still waiting, longest-waiting first."""
    rows = read(
        conn,
        "SELECT w.id, w.created_at, w.patient_id, p.last_name || ', ' || p.first_name AS patient,"
        " p.phone_mobile AS phone, w.type_id, vt.name AS visit_type, w.provider_id,"
        " coalesce(pr.name, 'Any provider') AS provider, w.preferred_days, w.note, w.earliest_start, w.latest_start"
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
    weekday among their preferred days (or none given), its clinic-local start time within their
    window (bounds included; none given: any time), and a visit type no longer than the freed
    time."""
    tz = settings.timezone(conn)
    local = start.astimezone(scheduling.zone(tz))  # the wall clock that day, DST or not
    rows = read(
        conn,
        "SELECT w.id, w.patient_id, w.type_id, p.last_name || ', ' || p.first_name AS patient,"
        " p.phone_mobile AS phone, vt.name AS visit_type, vt.duration_min, w.note, w.created_at"
        " FROM waitlist w JOIN patients p ON p.id = w.patient_id JOIN visit_types vt ON vt.id = w.type_id"
        " WHERE w.status = 'waiting' AND (w.provider_id IS NULL OR w.provider_id = $provider)"
        " AND (w.preferred_days IS NULL OR list_contains(string_split(w.preferred_days, ','), $weekday))"
        " AND (w.earliest_start IS NULL OR w.earliest_start <= $wall_clock)"
        " AND (w.latest_start IS NULL OR w.latest_start >= $wall_clock)"
        " AND vt.duration_min <= $minutes"
        " ORDER BY w.created_at, w.id",
        {"provider": provider_id, "weekday": str(local.weekday()), "wall_clock": local.time().replace(tzinfo=None),
         "minutes": minutes},
    )
    return [Match(*row) for row in rows]


def offers_for(conn: Connection, entry: Entry, *, limit: int = 10, keep_to_preferences: bool = True,
               after: datetime | None = None) -> list[slots.Slot]:
    """The next free slots for a waiting entry (its visit type, its provider or anyone, the
    patient's own appointments counted), on their preferred weekdays and within their window.
    ``keep_to_preferences=False`` looks at any day and time (the desk asks the patient first)."""
    wanted = entry.preferences if keep_to_preferences else prefs.Preferences()
    return slots.find_next_available(conn, entry.type_id, provider_id=entry.provider_id, patient_id=entry.patient_id,
                                     after=after, limit=limit, weekdays=list(wanted.weekdays) or None,
                                     earliest_start=wanted.earliest_start, latest_start=wanted.latest_start)


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
