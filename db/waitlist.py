"""The waitlist: patients who want an earlier slot with a provider (or anyone) for a visit type."""

from __future__ import annotations

from datetime import datetime, timedelta

from clinic import scheduling
from clinic.errors import ClinicError, NotFound
from db import Connection, atomic, audit, read_df, settings



def add(conn: Connection, *, patient_id: int, type_id: int, provider_id: int | None, preferred_days: list[int] | None,
        note: str = "", by) -> int:
    days = sorted(set(preferred_days or []))
    if any(not 0 <= d <= 6 for d in days):
        raise ClinicError("Choose weekdays from the list.", field="preferred_days")

    def write(cur: Connection) -> int:
        if cur.execute("SELECT 1 FROM patients WHERE id = ? AND status = 'active'", [patient_id]).fetchone() is None:
            raise ClinicError("Choose a patient.", field="patient")
        (entry_id,) = cur.execute(
            "INSERT INTO waitlist (patient_id, provider_id, type_id, preferred_days, note, created_by)"
            " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            [patient_id, provider_id, type_id, ",".join(map(str, days)) or None, (note or "").strip()[:300] or None,
             getattr(by, "id", None)],
        ).fetchone()
        audit.record(cur, by, "waitlist.add", "waitlist", entry_id, patient_id)
        return entry_id

    return atomic(conn, write)


def list_waiting(conn: Connection):
    return read_df(
        conn,
        "SELECT w.id, w.created_at, p.last_name || ', ' || p.first_name AS patient, p.phone_mobile AS phone,"
        " coalesce(pr.name, 'Any provider') AS provider, vt.name AS visit_type, w.preferred_days, w.note,"
        " w.patient_id, w.provider_id, w.type_id"
        " FROM waitlist w JOIN patients p ON p.id = w.patient_id JOIN visit_types vt ON vt.id = w.type_id"
        " LEFT JOIN providers pr ON pr.id = w.provider_id"
        " WHERE w.status = 'waiting' ORDER BY w.created_at",
    )


def matches_for_slot(conn: Connection, *, provider_id: int, start: datetime, minutes: int):
    """Waiting entries that fit a slot just freed: same provider or any, the slot's weekday among
    their preferred days (or none given), and a visit type no longer than the freed time."""
    tz = settings.timezone(conn)
    weekday = start.astimezone(scheduling.zone(tz)).weekday()
    return read_df(
        conn,
        "SELECT w.id, p.last_name || ', ' || p.first_name AS patient, p.phone_mobile AS phone,"
        " vt.name AS visit_type, vt.duration_min, w.note, w.created_at, w.patient_id, w.type_id"
        " FROM waitlist w JOIN patients p ON p.id = w.patient_id JOIN visit_types vt ON vt.id = w.type_id"
        " WHERE w.status = 'waiting' AND (w.provider_id IS NULL OR w.provider_id = $provider)"
        " AND (w.preferred_days IS NULL OR list_contains(string_split(w.preferred_days, ','), $weekday))"
        " AND vt.duration_min <= $minutes"
        " ORDER BY w.created_at",
        {"provider": provider_id, "weekday": str(weekday), "minutes": minutes},
    )


def mark_booked(conn: Connection, entry_id: int, appointment_id: int, *, by) -> None:
    _close(conn, entry_id, "booked", appointment_id, by)


def remove(conn: Connection, entry_id: int, *, by) -> None:
    _close(conn, entry_id, "removed", None, by)


def _close(conn: Connection, entry_id: int, status: str, appointment_id: int | None, by) -> None:
    def write(cur: Connection) -> None:
        row = cur.execute("SELECT patient_id, status FROM waitlist WHERE id = ?", [entry_id]).fetchone()
        if row is None:
            raise NotFound("That waitlist entry does not exist.")
        if row[1] != "waiting":
            raise ClinicError("That waitlist entry was already dealt with.")
        cur.execute("UPDATE waitlist SET status = ?, appointment_id = ? WHERE id = ?", [status, appointment_id, entry_id])
        audit.record(cur, by, "waitlist." + status, "waitlist", entry_id, row[0],
                     detail={"appointment_id": appointment_id})

    atomic(conn, write)


def freed_minutes(start: datetime, end: datetime) -> int:
    return int((end - start) / timedelta(minutes=1))
