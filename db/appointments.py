"""Appointments: booking, moving, cancelling, status changes, and reading them back.

Race-freedom: DuckDB has no exclusion constraints, and "check for overlaps, then insert" in one
transaction is NOT safe under its MVCC (two bookers each see no overlap, both insert). So every
booking first bumps ``providers.booking_version`` and ``patients.booking_version``: two
transactions touching the same provider (or patient) then conflict on that row, the loser is
rolled back by DuckDB, and ``db.atomic`` retries it with a fresh snapshot in which the winner's
appointment is visible, so the rules refuse it with SlotTaken. The bump is the FIRST statement
because DuckDB's snapshot starts at the first statement, not at BEGIN.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from clinic import scheduling
from clinic.errors import ClinicError, NotFound
from clinic.timeutil import day_bounds, now_utc
from db import Connection, atomic, audit, availability, read, read_df, read_one, settings

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
    conn: Connection,
    start: datetime,
    end: datetime,
    *,
    provider_id: int | None = None,
    provider_ids: list[int] | None = None,
    type_ids: list[int] | None = None,
    include_cancelled: bool = False,
):
    """Appointments starting in [start, end) with what the screens show about them, in time order.

    Columns: id, start_at, end_at, busy_until, status, patient_id, patient, mrn, phone,
    reminder_opt_in, date_of_birth, allergies, provider_id, provider, provider_colour, type_id, visit_type,
    type_colour, new_patients_only, reason, notes, arrived_at, started_at, reminder_outcome,
    reminder_at, cancel_reason, late_cancel, first_visit (no earlier completed visit).
    """
    return read_df(
        conn,
        "SELECT a.id, a.start_at, a.end_at, a.busy_until, a.status, a.patient_id,"
        " p.last_name || ', ' || p.first_name AS patient, p.mrn, p.phone_mobile AS phone, p.reminder_opt_in,"
        " p.date_of_birth, p.allergies, a.provider_id, pr.name AS provider, pr.colour AS provider_colour,"
        " a.type_id, vt.name AS visit_type, vt.colour AS type_colour, vt.new_patients_only,"
        " a.reason, a.notes, a.arrived_at, a.started_at, a.reminder_outcome, a.reminder_at,"
        " a.cancel_reason, a.late_cancel,"
        " NOT EXISTS (SELECT 1 FROM appointments e WHERE e.patient_id = a.patient_id"
        "   AND e.status = 'completed' AND e.start_at < a.start_at) AS first_visit"
        " FROM appointments a"
        " JOIN patients p ON p.id = a.patient_id"
        " JOIN providers pr ON pr.id = a.provider_id"
        " JOIN visit_types vt ON vt.id = a.type_id"
        " WHERE a.start_at >= $start AND a.start_at < $end"
        " AND ($provider_id IS NULL OR a.provider_id = $provider_id)"
        " AND ($provider_ids IS NULL OR list_contains($provider_ids, a.provider_id))"
        " AND ($type_ids IS NULL OR list_contains($type_ids, a.type_id))"
        " AND ($include_cancelled OR a.status <> 'cancelled')"
        " ORDER BY a.start_at, pr.name",
        {"start": start, "end": end, "provider_id": provider_id, "provider_ids": provider_ids,
         "type_ids": type_ids, "include_cancelled": include_cancelled},
    )


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
        "SELECT e.occurred_at, e.from_status, e.to_status, coalesce(u.full_name, '—') AS by, e.reason"
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


# --- booking, moving, cancelling, status changes ---------------------------------------------

# How far around a booking to load other appointments and time off: longer than any visit.
_WINDOW = timedelta(hours=12)

REMINDER_OUTCOMES = ("confirmed", "left_message", "no_answer", "wants_reschedule")


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


def _visit_type(cur: Connection, type_id: int) -> scheduling.VisitType:
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


def _lock_provider(cur: Connection, provider_id: int) -> tuple[str, bool, bool]:
    cur.execute("UPDATE providers SET booking_version = booking_version + 1 WHERE id = ?", [provider_id])
    row = cur.execute("SELECT name, active, accepting_new FROM providers WHERE id = ?", [provider_id]).fetchone()
    if row is None:
        raise ClinicError("Choose a provider.", field="provider")
    return row


def _lock_patient(cur: Connection, patient_id: int) -> None:
    cur.execute("UPDATE patients SET booking_version = booking_version + 1 WHERE id = ?", [patient_id])
    row = cur.execute("SELECT status FROM patients WHERE id = ?", [patient_id]).fetchone()
    if row is None:
        raise ClinicError("Choose a patient (that one was not found).", field="patient")
    if row[0] != "active":
        raise ClinicError("That patient record is not active (merged or inactive).", field="patient")


def _context(
    cur: Connection,
    fixed: tuple[dict, scheduling.Rules],
    *,
    provider: tuple[str, bool, bool],
    provider_id: int,
    patient_id: int,
    start: datetime,
    exclude_id: int | None = None,
) -> scheduling.BookingContext:
    """Everything the rules need, read inside the booking transaction on ``cur``."""
    tz = settings_tz(cur)
    lo, hi = start - _WINDOW, start + _WINDOW
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
    seen_before = cur.execute(
        "SELECT count(*) FROM appointments WHERE patient_id = ? AND status IN ('completed', 'checked_in')"
        " AND id IS DISTINCT FROM ?",
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
    closures, rules = fixed
    return scheduling.BookingContext(
        tz=tz,
        provider_name=provider[0],
        provider_active=provider[1],
        accepting_new=provider[2],
        hours=hours,
        time_off=time_off,
        closures=closures,
        provider_busy=provider_busy,
        patient_busy=patient_busy,
        patient_is_new=seen_before == 0,
        rules=rules,
    )


def _fixed_facts(conn: Connection, start: datetime) -> tuple[dict, scheduling.Rules]:
    """Closures of the start's day and the booking rules: read BEFORE the transaction, to keep
    the critical section (from the version bump to COMMIT) as short as possible. They are
    settings, not part of the race."""
    tz = settings.timezone(conn)
    day = start.astimezone(scheduling.zone(tz)).date()
    return availability.closures_between(conn, day, day), availability.rules(conn)


def settings_tz(cur: Connection) -> str:
    row = cur.execute("SELECT value FROM settings WHERE key = 'timezone'").fetchone()
    return row[0] if row else "America/New_York"


def _event(cur: Connection, appointment_id: int, user, from_status: str | None, to_status: str, reason: str | None) -> None:
    cur.execute(
        "INSERT INTO appointment_events (appointment_id, user_id, from_status, to_status, reason) VALUES (?, ?, ?, ?, ?)",
        [appointment_id, getattr(user, "id", None), from_status, to_status, reason],
    )


def _clean_text(text: str | None, limit: int = 500) -> str | None:
    cleaned = (text or "").strip()
    return cleaned[:limit] or None


def book(
    conn: Connection,
    *,
    patient_id: int,
    provider_id: int,
    type_id: int,
    start: datetime,
    user,
    notes: str = "",
    reason: str = "",
    now: datetime | None = None,
    ignore_notice: bool = False,
    series_id: int | None = None,
) -> int:
    """Book one appointment and return its id.

    Raises :class:`clinic.scheduling.SlotTaken` (ProviderBusy / PatientBusy) when the provider or
    the patient is already busy, or another named ClinicError for the other rules. Nothing is
    written unless every rule passes.
    """
    if start is None or start.tzinfo is None:
        raise ClinicError("Choose a start time.", field="start")
    fixed = _fixed_facts(conn, start)

    def write(cur: Connection) -> int:
        # Fail fast, without writing, when a committed booking already holds the time: the
        # losers of a race then stop at once on their retry instead of contending again.
        visit_type = _visit_type(cur, type_id)
        _refuse_if_visibly_taken(cur, provider_id, patient_id, start, visit_type)
        provider = _lock_provider(cur, provider_id)
        _lock_patient(cur, patient_id)
        ctx = _context(cur, fixed, provider=provider, provider_id=provider_id, patient_id=patient_id, start=start)
        end, busy_until = scheduling.check_booking(
            start, visit_type, ctx, now=now or now_utc(), ignore_notice=ignore_notice
        )
        (appointment_id,) = cur.execute(
            "INSERT INTO appointments (patient_id, provider_id, type_id, start_at, end_at, busy_until, status,"
            " booked_by, reason, notes, series_id) VALUES (?, ?, ?, ?, ?, ?, 'scheduled', ?, ?, ?, ?) RETURNING id",
            [patient_id, provider_id, type_id, start, end, busy_until, getattr(user, "id", None),
             _clean_text(reason, 200), _clean_text(notes), series_id],
        ).fetchone()
        _event(cur, appointment_id, user, None, "scheduled", None)
        audit.record(cur, user, "appointment.book", "appointment", appointment_id, patient_id,
                     detail={"provider_id": provider_id, "type_id": type_id, "start": start.isoformat()})
        return appointment_id

    return atomic(conn, write)


def _refuse_if_visibly_taken(
    cur: Connection, provider_id: int, patient_id: int, start: datetime, visit_type: scheduling.VisitType
) -> None:
    busy_until = start + timedelta(minutes=visit_type.duration_min + visit_type.buffer_after_min)
    end = start + timedelta(minutes=visit_type.duration_min)
    taken = cur.execute(
        "SELECT bool_or(provider_id = $provider AND start_at < $busy_until AND busy_until > $start),"
        " bool_or(patient_id = $patient AND start_at < $end AND end_at > $start)"
        " FROM appointments WHERE (provider_id = $provider OR patient_id = $patient)"
        " AND start_at < $busy_until AND busy_until > $start"
        " AND list_contains($blocking, status)",
        {"provider": provider_id, "patient": patient_id, "start": start, "end": end, "busy_until": busy_until,
         "blocking": sorted(scheduling.BLOCKING)},
    ).fetchone()
    if taken[0]:
        name = cur.execute("SELECT name FROM providers WHERE id = ?", [provider_id]).fetchone()
        tz = settings_tz(cur)
        raise scheduling.ProviderBusy(name[0] if name else "The provider", scheduling.local_label(start, tz))
    if taken[1]:
        raise scheduling.PatientBusy(scheduling.local_label(start, settings_tz(cur)))


def book_naively_for_tests(conn: Connection, *, patient_id: int, provider_id: int, type_id: int,
                           start: datetime, user) -> int:
    """Check-then-insert WITHOUT the version bumps. Exists only so a test can show that the
    concurrency test catches the race this module's real ``book`` prevents. Never call it."""
    fixed = _fixed_facts(conn, start)

    def write(cur: Connection) -> int:
        provider = cur.execute(
            "SELECT name, active, accepting_new FROM providers WHERE id = ?", [provider_id]
        ).fetchone()
        visit_type = _visit_type(cur, type_id)
        ctx = _context(cur, fixed, provider=provider, provider_id=provider_id, patient_id=patient_id, start=start)
        end, busy_until = scheduling.check_booking(start, visit_type, ctx, now=start - timedelta(days=1))
        (appointment_id,) = cur.execute(
            "INSERT INTO appointments (patient_id, provider_id, type_id, start_at, end_at, busy_until)"
            " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            [patient_id, provider_id, type_id, start, end, busy_until],
        ).fetchone()
        return appointment_id

    return atomic(conn, write)


def reschedule(
    conn: Connection,
    appointment_id: int,
    *,
    start: datetime,
    user,
    provider_id: int | None = None,
    now: datetime | None = None,
) -> None:
    """Move an appointment to ``start`` (and optionally another provider) under the same rules
    as a booking. Raises the same named errors; on refusal the appointment stays where it was."""
    if start is None or start.tzinfo is None:
        raise ClinicError("Choose a start time.", field="start")
    fixed = _fixed_facts(conn, start)

    def write(cur: Connection) -> None:
        row = cur.execute(
            "SELECT provider_id, patient_id, type_id, status, start_at FROM appointments WHERE id = ?",
            [appointment_id],
        ).fetchone()
        if row is None:
            raise NotFound("That appointment does not exist.")
        old_provider, patient_id, type_id, status, old_start = row
        if status not in scheduling.RESCHEDULABLE:
            raise scheduling.NotReschedulable(status)
        target = provider_id or old_provider
        provider = _lock_provider(cur, target)
        if target != old_provider:
            _lock_provider(cur, old_provider)
        _lock_patient(cur, patient_id)
        visit_type = _visit_type(cur, type_id)
        ctx = _context(cur, fixed, provider=provider, provider_id=target, patient_id=patient_id, start=start,
                       exclude_id=appointment_id)
        # A rescheduled visit keeps its type even if it was "new patient only" and the rules
        # now count the patient as seen (it is the same first visit, moved).
        ctx.patient_is_new = ctx.patient_is_new or visit_type.new_patients_only
        end, busy_until = scheduling.check_booking(start, visit_type, ctx, now=now or now_utc())
        cur.execute(
            "UPDATE appointments SET start_at = ?, end_at = ?, busy_until = ?, provider_id = ?,"
            " reminder_at = NULL, reminder_outcome = NULL,"
            " status = CASE WHEN status = 'confirmed' THEN 'scheduled' ELSE status END WHERE id = ?",
            [start, end, busy_until, target, appointment_id],
        )
        if status == "confirmed":
            _event(cur, appointment_id, user, "confirmed", "scheduled", "rescheduled: needs confirming again")
        audit.record(cur, user, "appointment.reschedule", "appointment", appointment_id, patient_id,
                     detail={"from": old_start.isoformat(), "to": start.isoformat(),
                             "from_provider": old_provider, "to_provider": target})

    atomic(conn, write)


def change_status(
    conn: Connection,
    appointment_id: int,
    to_status: str,
    *,
    user,
    reason: str | None = None,
    now: datetime | None = None,
) -> Appointment:
    """Move an appointment to ``to_status`` if the status table allows it, with its event and
    audit rows. Check-in records the arrival time; cancelling needs a reason and flags a late
    cancellation. Returns the updated appointment."""
    now = now or now_utc()
    reason = _clean_text(reason, 300)
    if to_status == "cancelled" and not reason:
        raise ClinicError("Say why the appointment is cancelled.", field="reason")

    def write(cur: Connection) -> None:
        row = cur.execute(
            "SELECT status, start_at, patient_id FROM appointments WHERE id = ?", [appointment_id]
        ).fetchone()
        if row is None:
            raise NotFound("That appointment does not exist.")
        current, start_at, patient_id = row
        scheduling.check_transition(current, to_status)
        if to_status in ("checked_in", "completed", "no_show") and start_at > now + timedelta(hours=12):
            raise ClinicError("A future appointment cannot be marked as attended or missed yet.", field="status")
        if to_status == "cancelled":
            late = scheduling.is_late_cancellation(start_at, now, availability.rules(conn))
            cur.execute(
                "UPDATE appointments SET status = 'cancelled', cancel_reason = ?, late_cancel = ? WHERE id = ?",
                [reason, late, appointment_id],
            )
        elif to_status == "checked_in":
            cur.execute(
                "UPDATE appointments SET status = 'checked_in', arrived_at = ? WHERE id = ?", [now, appointment_id]
            )
        elif to_status == "confirmed":
            cur.execute(
                "UPDATE appointments SET status = 'confirmed', reminder_at = coalesce(reminder_at, ?) WHERE id = ?",
                [now, appointment_id],
            )
        else:
            cur.execute("UPDATE appointments SET status = ? WHERE id = ?", [to_status, appointment_id])
        _event(cur, appointment_id, user, current, to_status, reason)
        audit.record(cur, user, "appointment.status", "appointment", appointment_id, patient_id,
                     detail={"from": current, "to": to_status, "reason": reason})

    atomic(conn, write)
    return get(conn, appointment_id)


def cancel(conn: Connection, appointment_id: int, *, user, reason: str, now: datetime | None = None) -> Appointment:
    return change_status(conn, appointment_id, "cancelled", user=user, reason=reason, now=now)


def mark_started(conn: Connection, appointment_id: int, *, user, now: datetime | None = None) -> None:
    """The patient is taken in to see the provider: ends their wait (status stays checked_in)."""
    now = now or now_utc()

    def write(cur: Connection) -> None:
        row = cur.execute("SELECT status, patient_id, started_at FROM appointments WHERE id = ?", [appointment_id]).fetchone()
        if row is None:
            raise NotFound("That appointment does not exist.")
        if row[0] != "checked_in":
            raise ClinicError("Only a checked-in patient can be taken in.", field="status")
        if row[2] is not None:
            return
        cur.execute("UPDATE appointments SET started_at = ? WHERE id = ?", [now, appointment_id])
        audit.record(cur, user, "appointment.start", "appointment", appointment_id, row[1])

    atomic(conn, write)


def record_reminder(conn: Connection, appointment_id: int, outcome: str, *, user, now: datetime | None = None) -> None:
    """The outcome of a reminder call. ``confirmed`` also confirms the appointment."""
    if outcome not in REMINDER_OUTCOMES:
        raise ClinicError("Choose what happened on the call.", field="outcome")
    now = now or now_utc()

    def write(cur: Connection) -> None:
        row = cur.execute("SELECT status, patient_id FROM appointments WHERE id = ?", [appointment_id]).fetchone()
        if row is None:
            raise NotFound("That appointment does not exist.")
        status, patient_id = row
        if status not in ("scheduled", "confirmed"):
            raise ClinicError("This appointment is no longer waiting for a reminder.", field="outcome")
        cur.execute(
            "UPDATE appointments SET reminder_outcome = ?, reminder_at = ? WHERE id = ?", [outcome, now, appointment_id]
        )
        if outcome == "confirmed" and status == "scheduled":
            cur.execute("UPDATE appointments SET status = 'confirmed' WHERE id = ?", [appointment_id])
            _event(cur, appointment_id, user, "scheduled", "confirmed", "reminder call")
        audit.record(cur, user, "appointment.reminder", "appointment", appointment_id, patient_id,
                     detail={"outcome": outcome})

    atomic(conn, write)


# --- finding free time ----------------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    provider_id: int
    provider: str
    start: datetime


def find_next_available(
    conn: Connection,
    type_id: int,
    *,
    provider_id: int | None = None,
    patient_id: int | None = None,
    after: datetime | None = None,
    limit: int = 10,
    step_min: int = 15,
    weekdays: list[int] | None = None,
) -> list[Slot]:
    """The next ``limit`` free start times for a visit type, with one provider or any active one,
    optionally only on some weekdays (Monday = 0: a waitlisted patient's preferred days).

    Walks forward day by day (up to the booking horizon), reading each provider's appointments
    for a week at a time in one query, and runs every candidate through the same rules as a real
    booking. With a patient, their own appointments count too.
    """
    now = after or now_utc()
    rules = availability.rules(conn)
    tz = settings.timezone(conn)
    z = scheduling.zone(tz)
    row = read_one(conn, "SELECT id, name, duration_min, buffer_after_min, new_patients_only, colour"
                         " FROM visit_types WHERE id = ? AND active", [type_id])
    if row is None:
        raise ClinicError("Choose a visit type.", field="type")
    visit_type = scheduling.VisitType(*row)
    providers = read(
        conn,
        "SELECT id, name, active, accepting_new FROM providers WHERE active AND ($pid IS NULL OR id = $pid) ORDER BY name",
        {"pid": provider_id},
    )
    hours = availability.hours_by_provider(conn)
    patient_is_new = True
    if patient_id is not None:
        patient_is_new = read_one(
            conn, "SELECT count(*) = 0 FROM appointments WHERE patient_id = ? AND status IN ('completed', 'checked_in')",
            [patient_id],
        )[0]
    first_day = now.astimezone(z).date()
    last_day = first_day + timedelta(days=rules.max_days_ahead)
    closures = availability.closures_between(conn, first_day, last_day)
    found: list[Slot] = []
    week = first_day
    blocking = sorted(scheduling.BLOCKING)
    while week <= last_day and len(found) < limit:
        week_end = min(week + timedelta(days=7), last_day + timedelta(days=1))
        lo, _ = day_bounds(week, tz)
        hi, _ = day_bounds(week_end, tz)
        busy_rows = read(
            conn,
            "SELECT provider_id, start_at, busy_until FROM appointments WHERE start_at < $hi AND busy_until > $lo"
            " AND list_contains($blocking, status) AND ($pid IS NULL OR provider_id = $pid)",
            {"lo": lo - _WINDOW, "hi": hi + _WINDOW, "blocking": blocking, "pid": provider_id},
        )
        busy: dict[int, list[scheduling.Interval]] = {}
        for pid, s_, e_ in busy_rows:
            busy.setdefault(pid, []).append(scheduling.Interval(s_, e_))
        patient_busy = []
        if patient_id is not None:
            patient_busy = [
                scheduling.Interval(s_, e_)
                for s_, e_ in read(
                    conn,
                    "SELECT start_at, end_at FROM appointments WHERE patient_id = ? AND start_at < ? AND end_at > ?"
                    " AND list_contains(?, status)",
                    [patient_id, hi, lo, blocking],
                )
            ]
        time_off_rows = read(
            conn, "SELECT provider_id, start_at, end_at, reason FROM provider_time_off WHERE start_at < ? AND end_at > ?",
            [hi, lo],
        )
        time_off: dict[int, list[scheduling.Interval]] = {}
        for pid, s_, e_, r_ in time_off_rows:
            time_off.setdefault(pid, []).append(scheduling.Interval(s_, e_, r_))
        day = week
        while day < week_end and len(found) < limit:
            if weekdays and day.weekday() not in weekdays:
                day += timedelta(days=1)
                continue
            todays: list[Slot] = []
            for pid, name, active, accepting in providers:
                ctx = scheduling.BookingContext(
                    tz=tz, provider_name=name, provider_active=active, accepting_new=accepting,
                    hours=hours.get(pid, []), time_off=time_off.get(pid, []), closures=closures,
                    provider_busy=busy.get(pid, []), patient_busy=patient_busy,
                    patient_is_new=patient_is_new, rules=rules,
                )
                todays.extend(Slot(pid, name, t) for t in scheduling.free_slots(day, visit_type, ctx, now=now,
                                                                                  step_min=step_min))
            todays.sort(key=lambda slot: (slot.start, slot.provider))
            found.extend(todays[: limit - len(found)])
            day += timedelta(days=1)
        week = week_end
    return found


# --- recurring bookings ---------------------------------------------------------------------


@dataclass(frozen=True)
class Occurrence:
    start: datetime
    problem: str | None  # None: can be booked


def series_starts(first: datetime, every_weeks: int, times: int, tz: str) -> list[datetime]:
    """Start instants of a weekly series, keeping the local wall-clock time across DST changes."""
    if not 1 <= every_weeks <= 52:
        raise ClinicError("Repeat every 1 to 52 weeks.", field="every_weeks")
    if not 1 <= times <= 52:
        raise ClinicError("Book 1 to 52 occurrences.", field="times")
    z = scheduling.zone(tz)
    local = first.astimezone(z)
    starts = []
    for i in range(times):
        naive = local.replace(tzinfo=None) + timedelta(weeks=every_weeks * i)
        starts.append(naive.replace(tzinfo=z).astimezone(first.tzinfo))
    return starts


def plan_series(
    conn: Connection, *, patient_id: int, provider_id: int, type_id: int, first: datetime,
    every_weeks: int, times: int, now: datetime | None = None,
) -> list[Occurrence]:
    """Check every occurrence of a series without writing anything: which dates can be booked,
    and why the others cannot. Occurrences of the same series do not collide with each other
    (they are a week or more apart)."""
    tz = settings.timezone(conn)
    now = now or now_utc()
    plan = []
    for start in series_starts(first, every_weeks, times, tz):
        fixed = _fixed_facts(conn, start)
        cur = conn.cursor()
        try:
            provider = cur.execute(
                "SELECT name, active, accepting_new FROM providers WHERE id = ?", [provider_id]
            ).fetchone()
            if provider is None:
                raise ClinicError("Choose a provider.", field="provider")
            visit_type = _visit_type(cur, type_id)
            ctx = _context(cur, fixed, provider=provider, provider_id=provider_id, patient_id=patient_id, start=start)
            scheduling.check_booking(start, visit_type, ctx, now=now)
            plan.append(Occurrence(start, None))
        except ClinicError as exc:
            plan.append(Occurrence(start, str(exc)))
        finally:
            cur.close()
    return plan


def book_series(
    conn: Connection, *, patient_id: int, provider_id: int, type_id: int, starts: list[datetime], user,
    notes: str = "", reason: str = "", now: datetime | None = None,
) -> list[Occurrence]:
    """Book each start as one appointment of a new series; each is checked again as it is booked
    (something may have changed since the plan). Returns what happened to each."""
    (series_id,) = read_one(conn, "SELECT nextval('appointment_series_id_seq')")
    results = []
    for start in starts:
        try:
            book(conn, patient_id=patient_id, provider_id=provider_id, type_id=type_id, start=start, user=user,
                 notes=notes, reason=reason, now=now, series_id=series_id)
            results.append(Occurrence(start, None))
        except ClinicError as exc:
            results.append(Occurrence(start, str(exc)))
    return results
