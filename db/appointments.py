"""Appointments: reading a day, counting by status. (Booking arrives with the scheduling issue.)"""

from __future__ import annotations

from datetime import datetime

from db import Connection, read, read_df

STATUSES = ("scheduled", "confirmed", "checked_in", "completed", "no_show", "cancelled")


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


def list_between(
    conn: Connection, start: datetime, end: datetime, *, provider_id: int | None = None, include_cancelled: bool = False
):
    """Appointments starting in [start, end) with patient, provider and type names, in time order."""
    return read_df(
        conn,
        "SELECT a.id, a.start_at, a.end_at, a.status, p.last_name || ', ' || p.first_name AS patient,"
        " p.mrn, pr.name AS provider, vt.name AS visit_type, a.reason"
        " FROM appointments a"
        " JOIN patients p ON p.id = a.patient_id"
        " JOIN providers pr ON pr.id = a.provider_id"
        " JOIN visit_types vt ON vt.id = a.type_id"
        " WHERE a.start_at >= $start AND a.start_at < $end"
        " AND ($provider_id IS NULL OR a.provider_id = $provider_id)"
        " AND ($include_cancelled OR a.status <> 'cancelled')"
        " ORDER BY a.start_at, pr.name",
        {"start": start, "end": end, "provider_id": provider_id, "include_cancelled": include_cancelled},
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
