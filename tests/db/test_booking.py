"""Booking against a real DuckDB file: rules, history rows, and race-freedom under threads."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

import db
from clinic import scheduling
from clinic.errors import ClinicError, NotAllowed
from db import appointments
from tests.conftest import make_patient, make_provider, make_user, make_visit_type
from tests.db.race_helpers import book_naively

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 3, 2, 7, 0, tzinfo=NY)  # Monday, before opening


def at(day: int, hh: int, mm: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hh, mm, tzinfo=NY).astimezone(timezone.utc)


@pytest.fixture
def clinic(conn):
    user_id = make_user(conn, username="desk")
    from db import users

    return {
        "conn": conn,
        "user": users.get(conn, user_id),
        "provider": make_provider(conn, name="Dr. Ames"),
        "follow_up": make_visit_type(conn, name="Follow-up", duration_min=15),
        "procedure": make_visit_type(conn, name="Procedure", duration_min=45, buffer_after_min=15),
    }


def book(clinic, start, *, patient=None, provider=None, type_key="follow_up", now=NOW):
    return appointments.book(
        clinic["conn"], patient_id=patient or make_patient(clinic["conn"]), provider_id=provider or clinic["provider"],
        type_id=clinic[type_key], start=start, user=clinic["user"], now=now,
    )


def test_a_booking_writes_the_appointment_its_first_event_and_an_audit_row(clinic):
    conn = clinic["conn"]
    appointment_id = book(clinic, at(2, 9))
    appt = appointments.get(conn, appointment_id)
    assert (appt.status, appt.start_at, appt.end_at) == ("scheduled", at(2, 9), at(2, 9, 15))
    assert db.read(conn, "SELECT from_status, to_status, user_id FROM appointment_events WHERE appointment_id = ?",
                   [appointment_id]) == [(None, "scheduled", clinic["user"].id)]
    assert db.read(conn, "SELECT action FROM audit_log WHERE entity = 'appointment' AND entity_id = ?", [str(appointment_id)]) == [("appointment.book",)]


def test_an_overlapping_booking_is_refused_and_writes_nothing(clinic):
    conn = clinic["conn"]
    book(clinic, at(2, 9), type_key="procedure")
    counts = db.read(conn, "SELECT (SELECT count(*) FROM appointments), (SELECT count(*) FROM audit_log)")
    with pytest.raises(scheduling.SlotTaken, match="Dr. Ames already has a patient"):
        book(clinic, at(2, 9, 50))  # inside the procedure's 15-minute buffer
    assert db.read(conn, "SELECT (SELECT count(*) FROM appointments), (SELECT count(*) FROM audit_log)") == counts


def test_a_cancelled_appointment_frees_its_slot(clinic):
    first = book(clinic, at(2, 9))
    appointments.cancel(clinic["conn"], first, user=clinic["user"], reason="Patient unwell", now=NOW)
    second = book(clinic, at(2, 9))
    assert second != first
    assert appointments.get(clinic["conn"], second).status == "scheduled"
    assert appointments.get(clinic["conn"], first).status == "cancelled"


def test_a_patient_cannot_be_booked_with_two_providers_at_once(clinic):
    patient = make_patient(clinic["conn"])
    other = make_provider(clinic["conn"], name="Dr. Berg")
    book(clinic, at(2, 10), patient=patient)
    with pytest.raises(scheduling.PatientBusy):
        book(clinic, at(2, 10, 5), patient=patient, provider=other)


@pytest.mark.parametrize(
    "start, error",
    [
        (at(1, 9), scheduling.InThePast),
        (at(2, 12, 30), scheduling.OutsideWorkingHours),
        (at(7, 10), scheduling.OutsideWorkingHours),
    ],
)
def test_bad_times_get_a_clear_message_and_write_nothing(clinic, start, error):
    with pytest.raises(error) as err:
        book(clinic, start)
    assert err.value.field == "start" and str(err.value)
    assert db.read(clinic["conn"], "SELECT count(*) FROM appointments")[0][0] == 0


def test_an_unknown_patient_is_refused_with_a_message(clinic):
    with pytest.raises(ClinicError, match="patient") as err:
        book(clinic, at(2, 9), patient=999_999)
    assert err.value.field == "patient"


@pytest.mark.parametrize("status", ["inactive", "merged"])
def test_an_inactive_or_merged_patient_is_refused_and_nothing_is_written(clinic, status):
    conn = clinic["conn"]
    patient = make_patient(conn)
    conn.cursor().execute("UPDATE patients SET status = ? WHERE id = ?", [status, patient])
    with pytest.raises(ClinicError, match="not active") as err:
        book(clinic, at(2, 9), patient=patient)
    assert err.value.field == "patient"
    assert db.read(conn, "SELECT count(*) FROM appointments")[0][0] == 0
    assert db.read(conn, "SELECT booking_version FROM patients WHERE id = ?", [patient]) == [(0,)]


def test_a_taken_time_is_refused_as_taken_before_any_other_rule(clinic):
    conn = clinic["conn"]
    book(clinic, at(2, 9))
    conn.cursor().execute("UPDATE providers SET active = FALSE WHERE id = ?", [clinic["provider"]])
    with pytest.raises(scheduling.ProviderBusy, match="Dr. Ames already has a patient at Mon 02 Mar 09:00"):
        book(clinic, at(2, 9))
    patient = make_patient(conn)
    book(clinic, at(2, 10), patient=patient, provider=make_provider(conn, name="Dr. Berg"))
    with pytest.raises(scheduling.PatientBusy, match="overlapping Mon 02 Mar 10:00"):
        book(clinic, at(2, 10), patient=patient)


def test_new_patient_rules_see_the_patients_history_when_booking_and_moving(clinic):
    conn = clinic["conn"]
    first_visit = make_visit_type(conn, name="New patient", duration_min=30, new_patients_only=True)
    closed = make_provider(conn, name="Dr. Cole", accepting_new=False)
    seen, fresh = make_patient(conn), make_patient(conn)
    visit = book(clinic, at(2, 9), patient=seen)
    conn.cursor().execute("UPDATE appointments SET status = 'completed' WHERE id = ?", [visit])
    with pytest.raises(scheduling.NewPatientsOnly):
        appointments.book(conn, patient_id=seen, provider_id=clinic["provider"], type_id=first_visit,
                          start=at(3, 9), user=clinic["user"], now=NOW)
    appointments.book(conn, patient_id=fresh, provider_id=clinic["provider"], type_id=first_visit,
                      start=at(3, 9), user=clinic["user"], now=NOW)
    with pytest.raises(scheduling.NotAcceptingNewPatients):
        book(clinic, at(4, 9), patient=make_patient(conn), provider=closed)
    later = book(clinic, at(4, 9), patient=seen, provider=closed)
    elsewhere = book(clinic, at(4, 10), patient=make_patient(conn))  # a new patient, an accepting provider
    with pytest.raises(scheduling.NotAcceptingNewPatients):
        appointments.reschedule(conn, elsewhere, start=at(4, 11), provider_id=closed, user=clinic["user"], now=NOW)
    appointments.reschedule(conn, later, start=at(4, 11), provider_id=clinic["provider"], user=clinic["user"], now=NOW)


def test_a_booking_across_the_spring_forward_change_keeps_the_local_wall_clock(clinic):
    # Book 09:00 on the Friday before and the Monday after 8 March 2026 (clocks go forward).
    before = book(clinic, at(6, 9))
    after = book(clinic, at(9, 9))
    conn = clinic["conn"]
    rows = db.read(conn, "SELECT start_at FROM appointments WHERE id IN (?, ?) ORDER BY start_at", [before, after])
    local = [r[0].astimezone(NY) for r in rows]
    assert [(t.hour, t.minute) for t in local] == [(9, 0), (9, 0)]
    assert [r[0].hour for r in rows] == [14, 13]  # UTC-5, then UTC-4


def test_closure_and_public_holiday_refuse_bookings(clinic):
    from db import availability

    conn = clinic["conn"]
    availability.add_closure(conn, at(3, 12).astimezone(NY).date(), "Staff training", by="test", now=NOW)
    with pytest.raises(scheduling.ClinicClosed, match="Staff training"):
        book(clinic, at(3, 9))
    # 25 May 2026 is Memorial Day; switching the holiday off opens the day.
    with pytest.raises(scheduling.ClinicClosed, match="Memorial Day"):
        book(clinic, at(25, 9, month=5))
    availability.set_holiday_closed(conn, at(25, 12, month=5).astimezone(NY).date(), False, by="test")
    book(clinic, at(25, 9, month=5))


def test_rescheduling_follows_the_same_rules_and_a_refused_move_changes_nothing(clinic):
    conn = clinic["conn"]
    a = book(clinic, at(2, 9))
    b = book(clinic, at(2, 10))
    with pytest.raises(scheduling.SlotTaken):
        appointments.reschedule(conn, b, start=at(2, 9, 10), user=clinic["user"], now=NOW)
    assert appointments.get(conn, b).start_at == at(2, 10)
    appointments.reschedule(conn, b, start=at(2, 9, 15), user=clinic["user"], now=NOW)
    assert appointments.get(conn, b).start_at == at(2, 9, 15)
    # Moving an appointment onto its own old time range is fine (it does not collide with itself).
    appointments.reschedule(conn, a, start=at(2, 8, 50), user=clinic["user"], now=NOW)
    assert appointments.get(conn, a).end_at == at(2, 9, 5)


def test_status_moves_follow_the_table_and_each_leaves_an_event(clinic):
    conn = clinic["conn"]
    appt = book(clinic, at(2, 9))
    arrival = at(2, 8, 55)
    appointments.change_status(conn, appt, "checked_in", user=clinic["user"], now=arrival)
    assert appointments.get(conn, appt).arrived_at == arrival
    with pytest.raises(scheduling.InvalidTransition):
        appointments.change_status(conn, appt, "confirmed", user=clinic["user"], now=arrival)
    appointments.change_status(conn, appt, "completed", user=clinic["user"], now=at(2, 9, 20))
    moves = db.read(conn, "SELECT from_status, to_status FROM appointment_events WHERE appointment_id = ? ORDER BY id", [appt])
    assert moves == [(None, "scheduled"), ("scheduled", "checked_in"), ("checked_in", "completed")]


def test_cancelling_needs_a_reason_and_flags_late_cancellations(clinic):
    conn = clinic["conn"]
    appt = book(clinic, at(3, 9))
    with pytest.raises(ClinicError, match="why"):
        appointments.cancel(conn, appt, user=clinic["user"], reason="  ", now=NOW)
    assert appointments.get(conn, appt).status == "scheduled"
    cancelled = appointments.cancel(conn, appt, user=clinic["user"], reason="Car broke down", now=at(2, 15))
    assert cancelled.status == "cancelled" and cancelled.late_cancel is True
    early = book(clinic, at(5, 9))
    assert appointments.cancel(conn, early, user=clinic["user"], reason="Travel", now=NOW).late_cancel is False


def test_a_confirming_reminder_call_confirms_the_appointment(clinic):
    conn = clinic["conn"]
    appt = book(clinic, at(3, 9))
    appointments.record_reminder(conn, appt, "left_message", user=clinic["user"], now=NOW)
    assert appointments.get(conn, appt).status == "scheduled"
    appointments.record_reminder(conn, appt, "confirmed", user=clinic["user"], now=NOW)
    got = appointments.get(conn, appt)
    assert (got.status, got.reminder_outcome, got.reminder_at) == ("confirmed", "confirmed", NOW)


def test_a_clinician_changes_their_own_patients_appointments_but_not_a_colleagues(clinic):
    from db import users

    conn = clinic["conn"]
    doctor = users.get(conn, make_user(conn, role="clinician"))
    own = make_provider(conn, name="Dr. Own", user_id=doctor.id)
    mine = book(clinic, at(2, 9), provider=own)
    theirs = book(clinic, at(2, 9))  # Dr. Ames, not linked to this clinician
    arrival = at(2, 8, 55)
    appointments.change_status(conn, mine, "checked_in", user=doctor, now=arrival)
    appointments.mark_started(conn, mine, user=doctor, now=arrival)
    with pytest.raises(NotAllowed, match="your own patients"):
        appointments.change_status(conn, theirs, "checked_in", user=doctor, now=arrival)
    assert appointments.get(conn, theirs).status == "scheduled"
    appointments.change_status(conn, theirs, "checked_in", user=clinic["user"], now=arrival)  # the desk may
    with pytest.raises(NotAllowed, match="your own patients"):
        appointments.mark_started(conn, theirs, user=doctor, now=arrival)
    assert appointments.get(conn, theirs).started_at is None


def test_an_account_deactivated_or_without_the_role_is_refused_when_it_acts(clinic):
    from db import users

    conn = clinic["conn"]
    appt = book(clinic, at(2, 9))
    billing = users.get(conn, make_user(conn, role="billing"))
    with pytest.raises(NotAllowed):
        appointments.change_status(conn, appt, "checked_in", user=billing, now=at(2, 8, 55))
    with pytest.raises(NotAllowed):
        appointments.book(conn, patient_id=make_patient(conn), provider_id=clinic["provider"],
                          type_id=clinic["follow_up"], start=at(2, 10), user=billing, now=NOW)
    users.set_active(conn, clinic["user"].id, False, by="test")
    # The desk's screen still holds the account it loaded: the write re-reads it and refuses.
    with pytest.raises(NotAllowed, match="no longer active"):
        appointments.record_reminder(conn, appt, "confirmed", user=clinic["user"], now=NOW)
    assert appointments.get(conn, appt).status == "scheduled"
    assert db.read(conn, "SELECT count(*) FROM appointments")[0][0] == 1


# --- race-freedom --------------------------------------------------------------------------

THREADS = 50


def race(clinic, book_fn, starts):
    """Run one booking per start time, all released at once behind a barrier."""
    conn = clinic["conn"]
    patients = [make_patient(conn) for _ in starts]
    barrier = threading.Barrier(len(starts))
    won, refused, other = [], [], []

    def worker(i, start):
        barrier.wait()
        try:
            won.append(book_fn(conn, patient_id=patients[i], provider_id=clinic["provider"],
                               type_id=clinic["follow_up"], start=start, user=clinic["user"]))
        except scheduling.SlotTaken:
            refused.append(i)
        except BaseException as exc:  # noqa: BLE001 - any other escape fails the test
            other.append(repr(exc))

    threads = [threading.Thread(target=worker, args=(i, s)) for i, s in enumerate(starts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return won, refused, other


def overlapping_pairs(conn) -> int:
    return db.read(
        conn,
        "SELECT count(*) FROM appointments a JOIN appointments b ON a.provider_id = b.provider_id AND a.id < b.id"
        " AND a.start_at < b.busy_until AND b.start_at < a.busy_until"
        " WHERE a.status <> 'cancelled' AND b.status <> 'cancelled'",
    )[0][0]


def real_book(conn, **kwargs):
    return appointments.book(conn, now=NOW, **kwargs)


@pytest.mark.serial
@pytest.mark.parametrize("round_", range(3))
def test_fifty_threads_racing_for_one_slot_leave_exactly_one_booking(clinic, round_):
    # Half aim at 09:00 sharp, half at 09:05 (overlapping): every pair collides.
    base = at(2 + round_, 9)
    starts = [base + timedelta(minutes=5 * (i % 2)) for i in range(THREADS)]
    won, refused, other = race(clinic, real_book, starts)
    assert other == []
    assert len(won) == 1
    assert len(refused) == THREADS - 1
    assert overlapping_pairs(clinic["conn"]) == 0


@pytest.mark.serial
def test_the_race_test_catches_a_naive_check_then_insert(clinic):
    # The same race against check-then-insert without the version bump, with the interleaving
    # forced: every naive booker has checked (and seen a free slot) before any of them inserts.
    # DuckDB's MVCC lets them all insert, so the overlap check above would notice a regression.
    bookers = 3
    barrier = threading.Barrier(bookers, timeout=30)

    def naive(conn, **kwargs):
        return book_naively(conn, after_check=barrier.wait, **kwargs)

    won, refused, other = race(clinic, naive, [at(2, 9)] * bookers)
    assert other == [] and refused == []
    assert len(won) == bookers
    assert overlapping_pairs(clinic["conn"]) == bookers * (bookers - 1) // 2


@pytest.mark.serial
def test_one_patient_raced_at_two_providers_is_booked_once(clinic):
    conn = clinic["conn"]
    patient = make_patient(conn)
    others = [make_provider(conn, name=f"Dr. Race {i}") for i in range(10)]
    barrier = threading.Barrier(len(others))
    won, refused, other = [], [], []

    def worker(provider_id):
        barrier.wait()
        try:
            won.append(appointments.book(conn, patient_id=patient, provider_id=provider_id, type_id=clinic["follow_up"],
                                         start=at(2, 11), user=clinic["user"], now=NOW))
        except scheduling.PatientBusy:
            refused.append(provider_id)
        except BaseException as exc:  # noqa: BLE001
            other.append(repr(exc))

    threads = [threading.Thread(target=worker, args=(p,)) for p in others]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert other == [] and len(won) == 1 and len(refused) == len(others) - 1
