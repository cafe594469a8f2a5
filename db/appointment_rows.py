"""Appointments read back: typed rows for the screens, one appointment, its history, and counts.

Rows that a screen acts on come back as dataclasses (:class:`AppointmentRow`, :class:`Appointment`,
:class:`DayCount`) with None for a missing value, never NaN; DataFrames only for tables that are
shown as they are (:func:`events_for`). Counting is done in SQL. The writes live in
``db.appointments``, which re-exports everything here, so a page imports one module.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from clinic import scheduling
from clinic.errors import NotFound
from db import Connection, read, read_df, read_one

STATUSES = scheduling.STATUSES


def count_by_status(
    conn: Connection, start: datetime, end: datetime, *, provider_id: int | None = None
) -> dict[str, int]:
    """How many appointments start in [start, end), per status (every status present, 0 if none)."""
    rows = read(
        conn,
        "SELECT status, count(*) FROM appointments"
        " WHERE start_at >= $start AND start_at < $end"
        " AND ($provider_id IS NULL OR provider_id = $provider_id)"
        " GROUP BY status",
        {"start": start, "end": end, "provider_id": provider_id},
    )
    counts = dict.fromkeys(STATUSES, 0)
    counts.update(dict(rows))
    return counts


@dataclass(frozen=True)
class DayCount:
    """How many appointments one provider has on one clinic-local day (the month view's summary)."""

    day: date
    provider_id: int
    provider: str
    count: int


def count_by_day_and_provider(
    conn: Connection,
    start: datetime,
    end: datetime,
    tz: str,
    *,
    provider_ids: list[int] | None = None,
    type_ids: list[int] | None = None,
    include_cancelled: bool = False,
) -> list[DayCount]:
    """Appointments starting in [start, end), counted in SQL per clinic-local day and provider,
    in day order and then provider name. Days and providers with none are left out."""
    rows = read(
        conn,
        "SELECT CAST(timezone($tz, a.start_at) AS DATE) AS day, a.provider_id, pr.name, count(*)"
        " FROM appointments a JOIN providers pr ON pr.id = a.provider_id"
        " WHERE a.start_at >= $start AND a.start_at < $end"
        " AND ($provider_ids IS NULL OR list_contains($provider_ids, a.provider_id))"
        " AND ($type_ids IS NULL OR list_contains($type_ids, a.type_id))"
        " AND ($include_cancelled OR a.status <> 'cancelled')"
        " GROUP BY ALL ORDER BY day, pr.name, a.provider_id",
        {"tz": tz, "start": start, "end": end, "provider_ids": provider_ids, "type_ids": type_ids,
         "include_cancelled": include_cancelled},
    )
    return [DayCount(day, int(pid), name, int(n)) for day, pid, name, n in rows]


@dataclass(frozen=True)
class AppointmentRow:
    """One appointment as the screens show and act on it (patient, provider and type joined in).

    Missing values are None, never NaN: this is what pages and components iterate over.
    """

    id: int
    start_at: datetime
    end_at: datetime
    busy_until: datetime
    status: str
    patient_id: int
    patient: str
    mrn: str
    phone: str | None
    reminder_opt_in: bool | None
    date_of_birth: date | None
    allergies: str | None
    provider_id: int
    provider: str
    provider_colour: str | None
    type_id: int
    visit_type: str
    type_colour: str | None
    new_patients_only: bool
    reason: str | None
    notes: str | None
    arrived_at: datetime | None
    started_at: datetime | None
    reminder_outcome: str | None
    reminder_at: datetime | None
    cancel_reason: str | None
    late_cancel: bool | None
    first_visit: bool


_ROW_COLUMNS = (
    " SELECT a.id, a.start_at, a.end_at, a.busy_until, a.status, a.patient_id,"
    " p.last_name || ', ' || p.first_name AS patient, p.mrn, p.phone_mobile AS phone, p.reminder_opt_in,"
    " p.date_of_birth, p.allergies, a.provider_id, pr.name AS provider, pr.colour AS provider_colour,"
    " a.type_id, vt.name AS visit_type, vt.colour AS type_colour, vt.new_patients_only,"
    " a.reason, a.notes, a.arrived_at, a.started_at, a.reminder_outcome, a.reminder_at,"
    " a.cancel_reason, a.late_cancel,"
    " NOT EXISTS (SELECT 1 FROM appointments e WHERE e.patient_id = a.patient_id"
    "   AND e.status = 'completed' AND e.start_at < a.start_at) AS first_visit"
)
_ROW_JOINS = " JOIN providers pr ON pr.id = a.provider_id JOIN visit_types vt ON vt.id = a.type_id"


def list_rows(
    conn: Connection,
    start: datetime,
    end: datetime,
    *,
    provider_id: int | None = None,
    provider_ids: list[int] | None = None,
    type_ids: list[int] | None = None,
    include_cancelled: bool = False,
) -> list[AppointmentRow]:
    """Appointments starting in [start, end), in time order (then provider), as typed rows."""
    # The range's appointments are read first and only their patients joined: joining the whole
    # patients table made DuckDB hash all of it (about half the time at 150,000 patients).
    rows = read(
        conn,
        "WITH day AS MATERIALIZED (SELECT * FROM appointments WHERE start_at >= $start AND start_at < $end"
        " AND ($provider_id IS NULL OR provider_id = $provider_id)"
        " AND ($provider_ids IS NULL OR list_contains($provider_ids, provider_id))"
        " AND ($type_ids IS NULL OR list_contains($type_ids, type_id))"
        " AND ($include_cancelled OR status <> 'cancelled'))"
        + _ROW_COLUMNS + " FROM day a"
        " JOIN (SELECT * FROM patients WHERE id IN (SELECT patient_id FROM day)) p ON p.id = a.patient_id"
        + _ROW_JOINS + " ORDER BY a.start_at, pr.name",
        {"start": start, "end": end, "provider_id": provider_id, "provider_ids": provider_ids,
         "type_ids": type_ids, "include_cancelled": include_cancelled},
    )
    return [AppointmentRow(*r) for r in rows]


def next_start_after(conn: Connection, after: datetime, *, provider_id: int | None = None) -> datetime | None:
    """The start of the first live appointment at or after ``after`` (for "the next clinic day")."""
    row = read_one(
        conn,
        "SELECT min(start_at) FROM appointments WHERE start_at >= $after AND status <> 'cancelled'"
        " AND ($provider_id IS NULL OR provider_id = $provider_id)",
        {"after": after, "provider_id": provider_id},
    )
    return row[0] if row else None


def events_for(conn: Connection, appointment_id: int):
    """The status history of one appointment, oldest first, with who made each change."""
    return read_df(
        conn,
        "SELECT e.occurred_at, e.from_status, e.to_status, coalesce(u.full_name, '—') AS by,"
        " coalesce(e.reason, '—') AS reason"
        " FROM appointment_events e LEFT JOIN users u ON u.id = e.user_id"
        " WHERE e.appointment_id = ? ORDER BY e.occurred_at, e.id",
        [appointment_id],
    )


def outcome_counts(conn: Connection, start: datetime, end: datetime) -> tuple[int, int]:
    """(no_show, completed) among appointments starting in [start, end): the no-show rate's inputs."""
    row = read(
        conn,
        "SELECT count(*) FILTER (WHERE status = 'no_show'), count(*) FILTER (WHERE status = 'completed')"
        " FROM appointments WHERE start_at >= $start AND start_at < $end",
        {"start": start, "end": end},
    )[0]
    return int(row[0]), int(row[1])


@dataclass(frozen=True)
class Appointment:
    id: int
    patient_id: int
    provider_id: int
    type_id: int
    start_at: datetime
    end_at: datetime
    busy_until: datetime
    status: str
    booked_at: datetime
    reason: str | None
    notes: str | None
    arrived_at: datetime | None
    started_at: datetime | None
    cancel_reason: str | None
    late_cancel: bool | None
    reminder_at: datetime | None
    reminder_outcome: str | None
    series_id: int | None


_APPOINTMENT_COLUMNS = (
    "id, patient_id, provider_id, type_id, start_at, end_at, busy_until, status, booked_at, reason, notes,"
    " arrived_at, started_at, cancel_reason, late_cancel, reminder_at, reminder_outcome, series_id"
)
_SELECT_APPOINTMENT = "SELECT " + _APPOINTMENT_COLUMNS + " FROM appointments WHERE id = ?"


def get(conn: Connection, appointment_id: int) -> Appointment:
    row = read_one(conn, _SELECT_APPOINTMENT, [appointment_id])
    if row is None:
        raise NotFound("That appointment does not exist.")
    return Appointment(*row)
