"""Status changes against a real DuckDB file: taking a freed slot back is checked like a booking,
no-shows wait for the grace period, and mistakes are undone with a reason, audited."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

import db
from clinic import scheduling
from clinic.errors import ClinicError
from db import appointments, availability, users
from tests.conftest import make_patient, make_provider, make_user, make_visit_type

NY = ZoneInfo("America/New_York")
MORNING = datetime(2026, 3, 2, 7, 0, tzinfo=NY)  # Monday, before opening


def at(hh: int, mm: int = 0, day: int = 2) -> datetime:
    return datetime(2026, 3, day, hh, mm, tzinfo=NY).astimezone(timezone.utc)


@pytest.fixture
def desk(conn):
    return {
        "conn": conn,
        "user": users.get(conn, make_user(conn, username="desk")),
        "provider": make_provider(conn, name="Dr. Ames"),
        "visit": make_visit_type(conn, name="Follow-up", duration_min=15),
    }


def book(desk, start, *, patient=None, provider=None, now=MORNING) -> int:
    return appointments.book(desk["conn"], patient_id=patient or make_patient(desk["conn"]),
                             provider_id=provider or desk["provider"], type_id=desk["visit"], start=start,
                             user=desk["user"], now=now)


def change(desk, appointment_id, to_status, *, now, reason=None):
    return appointments.change_status(desk["conn"], appointment_id, to_status, user=desk["user"], now=now,
                                      reason=reason)


def holding(conn, start) -> int:
    """How many appointments hold the provider's time at ``start``."""
    return db.read(conn, "SELECT count(*) FROM appointments WHERE start_at = ? AND list_contains(?, status)",
                   [start, sorted(scheduling.BLOCKING)])[0][0]


# --- the reported double booking -----------------------------------------------------------------


def test_checking_in_a_no_show_whose_slot_was_given_away_is_refused(desk):
    conn = desk["conn"]
    first = book(desk, at(16, 25))
    change(desk, first, "no_show", now=at(16, 41))
    # The slot is free again: the desk books another patient into it.
    book(desk, at(16, 25), now=at(16, 20))
    with pytest.raises(scheduling.ProviderBusy, match="Dr. Ames already has a patient") as err:
        change(desk, first, "checked_in", now=at(16, 45))
    assert err.value.field == "start"
    got = appointments.get(conn, first)
    assert (got.status, got.arrived_at) == ("no_show", None)
    assert holding(conn, at(16, 25)) == 1


def test_undoing_a_no_show_whose_slot_was_given_away_is_refused(desk):
    conn = desk["conn"]
    first = book(desk, at(16, 25))
    change(desk, first, "no_show", now=at(16, 41))
    book(desk, at(16, 30), now=at(16, 20))  # overlaps 16:25-16:40
    with pytest.raises(scheduling.ProviderBusy):
        change(desk, first, "scheduled", now=at(16, 45), reason="Marked the wrong patient")
    assert appointments.get(conn, first).status == "no_show"


def test_a_no_show_patient_booked_elsewhere_meanwhile_cannot_take_the_old_slot_back(desk):
    conn = desk["conn"]
    patient = make_patient(conn)
    first = book(desk, at(16, 25), patient=patient)
    change(desk, first, "no_show", now=at(16, 41))
    other_provider = make_provider(conn, name="Dr. Berg")
    book(desk, at(16, 30), patient=patient, provider=other_provider, now=at(16, 20))
    with pytest.raises(scheduling.PatientBusy):
        change(desk, first, "checked_in", now=at(16, 45))


def test_a_late_arrival_into_a_still_free_slot_is_checked_in_at_the_time_they_came(desk):
    first = book(desk, at(16, 25))
    change(desk, first, "no_show", now=at(16, 41))
    got = change(desk, first, "checked_in", now=at(16, 50))
    assert (got.status, got.arrived_at) == ("checked_in", at(16, 50))


def test_a_refused_check_in_leaves_no_event_and_no_audit_row(desk):
    conn = desk["conn"]
    first = book(desk, at(16, 25))
    change(desk, first, "no_show", now=at(16, 41))
    book(desk, at(16, 25), now=at(16, 20))
    counts = db.read(conn, "SELECT (SELECT count(*) FROM appointment_events), (SELECT count(*) FROM audit_log),"
                           " (SELECT sum(booking_version) FROM providers)")
    with pytest.raises(scheduling.SlotTaken):
        change(desk, first, "checked_in", now=at(16, 45))
    assert db.read(conn, "SELECT (SELECT count(*) FROM appointment_events), (SELECT count(*) FROM audit_log),"
                         " (SELECT sum(booking_version) FROM providers)") == counts


def test_ordinary_moves_between_statuses_that_hold_the_time_do_not_bump_the_booking_version(desk):
    conn = desk["conn"]
    appt = book(desk, at(9))
    before = db.read(conn, "SELECT booking_version FROM providers WHERE id = ?", [desk["provider"]])
    change(desk, appt, "checked_in", now=at(8, 55))
    change(desk, appt, "completed", now=at(9, 20))
    assert db.read(conn, "SELECT booking_version FROM providers WHERE id = ?", [desk["provider"]]) == before


# --- no-show only after the grace period -----------------------------------------------------------


def test_a_no_show_before_the_start_plus_the_grace_period_is_refused_with_the_time_it_becomes_possible(desk):
    conn = desk["conn"]
    appt = book(desk, at(16, 25))
    with pytest.raises(scheduling.NoShowTooEarly, match="possible from 16:40") as err:
        change(desk, appt, "no_show", now=at(13, 31))
    assert err.value.field == "status"
    with pytest.raises(scheduling.NoShowTooEarly):
        change(desk, appt, "no_show", now=at(16, 39))
    assert appointments.get(conn, appt).status == "scheduled"
    assert change(desk, appt, "no_show", now=at(16, 40)).status == "no_show"


def test_the_no_show_grace_period_is_a_booking_rule_setting(desk):
    conn = desk["conn"]
    assert availability.rules(conn).no_show_grace_min == 15
    availability.save_rules(conn, {"no_show_grace_min": 0}, by="test")
    assert availability.rules(conn).no_show_grace_min == 0
    appt = book(desk, at(16, 25))
    assert change(desk, appt, "no_show", now=at(16, 25)).status == "no_show"


def test_a_no_show_refused_on_another_day_names_the_day(desk):
    appt = book(desk, at(9, day=3))
    with pytest.raises(scheduling.NoShowTooEarly, match="Tue 03 Mar 09:15"):
        change(desk, appt, "no_show", now=at(16))


# --- undoing a mistake -----------------------------------------------------------------------------


def test_undoing_a_mistaken_no_show_needs_a_reason_and_changes_nothing_without_one(desk):
    conn = desk["conn"]
    appt = book(desk, at(9))
    change(desk, appt, "no_show", now=at(9, 20))
    with pytest.raises(ClinicError, match="Say why the no-show is undone") as err:
        change(desk, appt, "scheduled", now=at(9, 25), reason="   ")
    assert err.value.field == "reason"
    assert appointments.get(conn, appt).status == "no_show"


def test_undoing_a_mistaken_no_show_is_audited_with_its_reason_and_invents_no_arrival(desk):
    conn = desk["conn"]
    appt = book(desk, at(9))
    change(desk, appt, "no_show", now=at(9, 20))
    got = change(desk, appt, "scheduled", now=at(9, 25), reason="Marked the wrong patient")
    assert (got.status, got.arrived_at) == ("scheduled", None)
    assert db.read(conn, "SELECT from_status, to_status, reason FROM appointment_events WHERE appointment_id = ?"
                         " ORDER BY id DESC LIMIT 1", [appt]) == [("no_show", "scheduled", "Marked the wrong patient")]
    action, detail = db.read(conn, "SELECT action, detail FROM audit_log WHERE entity = 'appointment'"
                                   " AND entity_id = ? ORDER BY id DESC LIMIT 1", [str(appt)])[0]
    assert action == "appointment.undo"
    assert json.loads(detail) == {"from": "no_show", "to": "scheduled", "reason": "Marked the wrong patient"}


def test_undoing_a_mistaken_completion_goes_back_to_checked_in_keeping_the_arrival(desk):
    conn = desk["conn"]
    appt = book(desk, at(9))
    change(desk, appt, "checked_in", now=at(8, 55))
    change(desk, appt, "completed", now=at(9, 20))
    with pytest.raises(ClinicError, match="Say why the completion is undone"):
        change(desk, appt, "checked_in", now=at(9, 25))
    got = change(desk, appt, "checked_in", now=at(9, 25), reason="Clicked the wrong row")
    assert (got.status, got.arrived_at) == ("checked_in", at(8, 55))
    assert db.read(conn, "SELECT action FROM audit_log WHERE entity_id = ? ORDER BY id DESC LIMIT 1",
                   [str(appt)]) == [("appointment.undo",)]


def test_cancelled_stays_final_and_undo_moves_are_not_offered_as_ordinary_buttons():
    assert scheduling.allowed_moves("cancelled") == []
    assert scheduling.allowed_moves("no_show") == ["checked_in"]
    assert scheduling.allowed_moves("completed") == []
    assert scheduling.undo_move("no_show") == "scheduled"
    assert scheduling.undo_move("completed") == "checked_in"
    assert scheduling.undo_move("scheduled") is None


def test_a_no_show_marked_an_hour_late_is_no_longer_early_for_a_longer_grace(desk):
    conn = desk["conn"]
    availability.save_rules(conn, {"no_show_grace_min": 60}, by="test")
    appt = book(desk, at(9))
    with pytest.raises(scheduling.NoShowTooEarly, match="possible from 10:00"):
        change(desk, appt, "no_show", now=at(9, 59))
    assert change(desk, appt, "no_show", now=at(9) + timedelta(hours=1)).status == "no_show"
