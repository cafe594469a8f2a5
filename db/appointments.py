"""Appointments: one function per action on an appointment (book, reschedule, change status,
cancel, take in, record a reminder call), each in ONE transaction with its event and audit rows.

Every action follows the actor pattern: it re-reads the acting account inside its transaction
(``db.actors.acting``), checks the action in ``clinic.access``, and for attendance also the rule
that clinicians change only their own patients' appointments. Where the action bumps a booking
version (book, reschedule, a status change that takes a freed slot back) ``acting`` comes right
after the bump; only reads that write nothing (the appointment being moved, the fail-fast
"visibly taken" check) come before it.

Race-freedom: DuckDB has no exclusion constraints, and "check for overlaps, then insert" in one
transaction is NOT safe under its MVCC (two bookers each see no overlap, both insert). So every
booking first bumps ``providers.booking_version`` and ``patients.booking_version``: two
transactions touching the same provider (or patient) then conflict on that row, the loser is
rolled back by DuckDB, and ``db.atomic`` retries it with a fresh snapshot in which the winner's
appointment is visible, so the rules refuse it with SlotTaken. A status change that makes a
no-show or cancelled appointment hold its time again (a late arrival checked in, an undone
no-show) takes the same locks first and runs the same overlap rules. The locks and the facts
read under them live in ``db.booking_context``; ``tests/db/test_booking.py`` and
``tests/db/test_status_changes_race.py`` race threads to prove it.

The reads (typed rows, counts, :func:`get`) live in ``db.appointment_rows`` and are re-exported
here, so pages and components import this one module.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from clinic import frontdesk, scheduling, timeutil
from clinic.access import may_change_appointment
from clinic.errors import ClinicError, NotAllowed, NotFound
from clinic.timeutil import now_utc
from db import Connection, atomic, audit, availability, booking_context, invoices, visit_kits
from db.actors import Actor, acting
from db.appointment_rows import (  # noqa: F401 - re-exported: the reads of this module's rows
    STATUSES,
    Appointment,
    AppointmentRow,
    DayCount,
    count_by_day_and_provider,
    count_by_status,
    events_for,
    get,
    list_rows,
    next_start_after,
    outcome_counts,
)

REMINDER_OUTCOMES = ("confirmed", "left_message", "no_answer", "wants_reschedule")

# Attendance may be recorded from a little before the visit (a patient arriving early), not days ahead.
_ATTENDANCE_LEAD = timedelta(hours=12)


def _event(cur: Connection, appointment_id: int, actor: Actor, from_status: str | None, to_status: str,
           reason: str | None) -> None:
    cur.execute(
        "INSERT INTO appointment_events (appointment_id, user_id, from_status, to_status, reason) VALUES (?, ?, ?, ?, ?)",
        [appointment_id, actor.id, from_status, to_status, reason],
    )


def _clean_text(text: str | None, limit: int = 500) -> str | None:
    cleaned = (text or "").strip()
    return cleaned[:limit] or None


def _require_own(cur: Connection, actor: Actor, provider_id: int) -> None:
    """Clinicians change only their own patients' appointments (``clinic.access``); operators pass."""
    if actor.is_operator:
        return
    is_own = cur.execute(
        "SELECT count(*) > 0 FROM providers WHERE id = ? AND user_id = ?", [provider_id, actor.id]
    ).fetchone()[0]
    if not may_change_appointment(actor.role, is_own):
        raise NotAllowed("You can change only your own patients' appointments.", field="status")


def _check_start(start: datetime | None) -> None:
    if start is None or start.tzinfo is None:
        raise ClinicError("Choose a start time.", field="start")


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
    _check_start(start)
    fixed = booking_context.fixed_facts(conn, start)

    def write(cur: Connection) -> int:
        return book_in(cur, fixed, patient_id=patient_id, provider_id=provider_id, type_id=type_id, start=start,
                       user=user, notes=notes, reason=reason, now=now, ignore_notice=ignore_notice,
                       series_id=series_id)[0]

    return atomic(conn, write)


def book_in(
    cur: Connection,
    fixed: booking_context.Fixed,
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
) -> tuple[int, Actor]:
    """The body of :func:`book` on the caller's transaction ``cur`` (for an action that books and
    does something else in the same transaction, e.g. ``db.waitlist.book_from_waitlist``).
    ``fixed`` comes from ``booking_context.fixed_facts`` read before the transaction. Returns the
    new appointment's id and the acting account."""
    _check_start(start)
    # Fail fast, without writing, when a committed booking already holds the time: the losers of
    # a race then stop at once on their retry instead of contending again.
    visit_type = booking_context.visit_type(cur, type_id)
    busy = booking_context.busy_around(cur, provider_id=provider_id, patient_id=patient_id, start=start)
    booking_context.refuse_if_visibly_taken(cur, busy, provider_id, start, visit_type)
    provider = booking_context.lock_provider(cur, provider_id)
    booking_context.lock_patient(cur, patient_id)
    actor = acting(cur, user, "appointments.book")
    ctx = booking_context.load(cur, fixed, provider=provider, provider_id=provider_id, patient_id=patient_id,
                               start=start, busy=busy, visit=visit_type)
    end, busy_until = scheduling.check_booking(start, visit_type, ctx, now=now or now_utc(),
                                               ignore_notice=ignore_notice)
    (appointment_id,) = cur.execute(
        "INSERT INTO appointments (patient_id, provider_id, type_id, start_at, end_at, busy_until, status,"
        " booked_by, reason, notes, series_id) VALUES (?, ?, ?, ?, ?, ?, 'scheduled', ?, ?, ?, ?) RETURNING id",
        [patient_id, provider_id, type_id, start, end, busy_until, actor.id, _clean_text(reason, 200),
         _clean_text(notes), series_id],
    ).fetchone()
    _event(cur, appointment_id, actor, None, "scheduled", None)
    audit.record(cur, actor, "appointment.book", "appointment", appointment_id, patient_id,
                 detail={"provider_id": provider_id, "type_id": type_id, "start": start.isoformat()})
    return appointment_id, actor


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
    _check_start(start)
    fixed = booking_context.fixed_facts(conn, start)

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
        provider = booking_context.lock_provider(cur, target)
        if target != old_provider:
            booking_context.bump_provider(cur, old_provider)
        booking_context.lock_patient(cur, patient_id)
        actor = acting(cur, user, "appointments.book")
        visit_type = booking_context.visit_type(cur, type_id)
        ctx = booking_context.load(cur, fixed, provider=provider, provider_id=target, patient_id=patient_id,
                                   start=start, exclude_id=appointment_id, visit=visit_type)
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
            _event(cur, appointment_id, actor, "confirmed", "scheduled", "rescheduled: needs confirming again")
        audit.record(cur, actor, "appointment.reschedule", "appointment", appointment_id, patient_id,
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
    audit rows. Returns the updated appointment.

    - Check-in records the arrival time; cancelling flags a late cancellation.
    - Cancelling and the undo moves (``scheduling.UNDO_MOVES``: a mistaken no-show back to
      scheduled, a mistaken completion back to checked in) need a reason; undoing never invents
      an arrival (``arrived_at`` is left as it was).
    - A no-show before the start plus ``Rules.no_show_grace_min`` is refused with
      :class:`clinic.scheduling.NoShowTooEarly`.
    - A move that makes a freed appointment (no-show, cancelled) hold its time again (a late
      arrival checked in, an undone no-show) is checked for overlaps exactly as a booking is, in
      the same transaction under the same version bumps: someone booked into the freed slot
      meanwhile makes it fail with ProviderBusy / PatientBusy.

    - Completing creates the visit's draft invoice (``db.invoices.create_draft_invoice_in``) in the
      same transaction. Undoing a completion voids that draft ("visit completion undone"), and is
      refused (field "status") once the invoice is finalised or money was posted on it.

    Cancelling is a front-office action (``appointments.book``); the other moves need
    ``appointments.status``, and a clinician may make them only on their own patients'
    appointments (refused with :class:`clinic.errors.NotAllowed`).
    """
    now = now or now_utc()
    reason = _clean_text(reason, 300)
    if to_status == "cancelled" and not reason:
        raise ClinicError("Say why the appointment is cancelled.", field="reason")
    rules = availability.rules(conn)
    fixed = booking_context.Fixed({}, rules)  # closures do not matter when a freed slot is taken back

    def write(cur: Connection) -> None:
        # Race-freedom, as in book(): a move that may take a freed slot back bumps the versions
        # FIRST (see booking_context.lock_if_freed).
        if to_status in scheduling.BLOCKING:
            booking_context.lock_if_freed(cur, appointment_id)
        actor = acting(cur, user, "appointments.book" if to_status == "cancelled" else "appointments.status")
        row = cur.execute(
            "SELECT status, start_at, end_at, busy_until, patient_id, provider_id FROM appointments WHERE id = ?",
            [appointment_id],
        ).fetchone()
        if row is None:
            raise NotFound("That appointment does not exist.")
        current, start_at, end_at, busy_until, patient_id, provider_id = row
        _require_own(cur, actor, provider_id)
        scheduling.check_transition(current, to_status)
        scheduling.check_reason(current, to_status, reason)
        if to_status == "no_show":
            scheduling.check_no_show(start_at, now, rules, booking_context.timezone_of(cur))
        elif to_status in scheduling.ON_THE_DAY and start_at > now + _ATTENDANCE_LEAD:
            raise ClinicError("A future appointment cannot be marked as attended or missed yet.", field="status")
        if scheduling.takes_time_back(current, to_status):
            # The versions were bumped above (same snapshot): now the same overlap rules as a booking.
            provider = booking_context.provider_facts(cur, provider_id)
            ctx = booking_context.load(cur, fixed, provider=provider, provider_id=provider_id,
                                       patient_id=patient_id, start=start_at, exclude_id=appointment_id)
            scheduling.check_still_free(start_at, end_at, busy_until, ctx)
        undo = (current, to_status) in scheduling.UNDO_MOVES
        if to_status == "cancelled":
            late = scheduling.is_late_cancellation(start_at, now, rules)
            cur.execute(
                "UPDATE appointments SET status = 'cancelled', cancel_reason = ?, late_cancel = ? WHERE id = ?",
                [reason, late, appointment_id],
            )
        elif to_status == "checked_in" and not undo:
            cur.execute(
                "UPDATE appointments SET status = 'checked_in', arrived_at = ? WHERE id = ?", [now, appointment_id]
            )
        elif to_status == "confirmed":
            cur.execute(
                "UPDATE appointments SET status = 'confirmed', reminder_at = coalesce(reminder_at, ?) WHERE id = ?",
                [now, appointment_id],
            )
        else:
            # Includes both undo moves: only the status changes, arrived_at stays as it was.
            cur.execute("UPDATE appointments SET status = ? WHERE id = ?", [to_status, appointment_id])
            if to_status == "completed":
                # The visit's draft invoice, in this transaction: exactly once (two clicks or
                # threads conflict on the UPDATE above, and the retry is refused as completed).
                invoices.create_draft_invoice_in(cur, appointment_id, actor)
                # Its supply kit out of stock, exactly once, never blocking the visit (a shortage
                # becomes a shortfall on the inventory page).
                visit_kits.record_visit_kit_in(cur, appointment_id, actor,
                                              today=timeutil.to_local(now, booking_context.timezone_of(cur)).date())
            elif (current, to_status) == ("completed", "checked_in"):
                # Refused (field "status") once its invoice is finalised or has money; a draft is voided.
                invoices.undo_completion_in(cur, appointment_id, actor)
                visit_kits.undo_visit_kit_in(cur, appointment_id, actor)
        _event(cur, appointment_id, actor, current, to_status, reason)
        audit.record(cur, actor, "appointment.undo" if undo else "appointment.status", "appointment",
                     appointment_id, patient_id, detail={"from": current, "to": to_status, "reason": reason})

    atomic(conn, write)
    return get(conn, appointment_id)


def cancel(conn: Connection, appointment_id: int, *, user, reason: str, now: datetime | None = None) -> Appointment:
    return change_status(conn, appointment_id, "cancelled", user=user, reason=reason, now=now)


def mark_started(conn: Connection, appointment_id: int, *, user, now: datetime | None = None) -> None:
    """The patient is taken in to see the provider: ends their wait (status stays checked_in).
    The same people as for a status change may do it (clinicians for their own patients)."""
    now = now or now_utc()

    def write(cur: Connection) -> None:
        actor = acting(cur, user, "appointments.status")
        row = cur.execute(
            "SELECT status, patient_id, started_at, provider_id FROM appointments WHERE id = ?", [appointment_id]
        ).fetchone()
        if row is None:
            raise NotFound("That appointment does not exist.")
        status, patient_id, started_at, provider_id = row
        _require_own(cur, actor, provider_id)
        if status != "checked_in":
            raise ClinicError("Only a checked-in patient can be taken in.", field="status")
        if started_at is not None:
            return
        cur.execute("UPDATE appointments SET started_at = ? WHERE id = ?", [now, appointment_id])
        audit.record(cur, actor, "appointment.start", "appointment", appointment_id, patient_id)

    atomic(conn, write)


def record_reminder(conn: Connection, appointment_id: int, outcome: str, *, user, now: datetime | None = None) -> None:
    """The outcome of a reminder call. ``confirmed`` also confirms the appointment."""
    if outcome not in REMINDER_OUTCOMES:
        raise ClinicError("Choose what happened on the call.", field="outcome")
    now = now or now_utc()

    def write(cur: Connection) -> None:
        actor = acting(cur, user, "reminders.record")
        row = cur.execute("SELECT status, patient_id FROM appointments WHERE id = ?", [appointment_id]).fetchone()
        if row is None:
            raise NotFound("That appointment does not exist.")
        status, patient_id = row
        if status not in frontdesk.REMINDABLE:
            raise ClinicError("This appointment is no longer waiting for a reminder.", field="outcome")
        cur.execute(
            "UPDATE appointments SET reminder_outcome = ?, reminder_at = ? WHERE id = ?", [outcome, now, appointment_id]
        )
        if outcome == "confirmed" and status == "scheduled":
            cur.execute("UPDATE appointments SET status = 'confirmed' WHERE id = ?", [appointment_id])
            _event(cur, appointment_id, actor, "scheduled", "confirmed", "reminder call")
        audit.record(cur, actor, "appointment.reminder", "appointment", appointment_id, patient_id,
                     detail={"outcome": outcome})

    atomic(conn, write)
