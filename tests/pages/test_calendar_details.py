"""The Calendar page's appointment details (AppTest): status moves and who may make them,
cancelling and offering the freed slot to the waitlist, booking a waiting patient into it."""

from __future__ import annotations

from datetime import time

import db
from components.text import md
from tests.conftest import database
from tests.pages.calendar_helpers import (
    act,
    appointments_of,
    at_local,
    book,
    click_value,
    component,
    errors,
    ids,
    new_patient,
    open_calendar,
    pick_patient,
    select_value,
    successes,
    titles_at,
    wall,
    working_day,
)


# --- details and status -------------------------------------------------------------------------


def test_clicking_an_appointment_shows_its_details_and_confirming_it_records_the_change(signed_in, app_env):
    known = ids(app_env)
    day = working_day()
    patient = new_patient(app_env, first_name="Cleo", last_name="Clicker")
    appointment = book(app_env, patient_id=patient, provider_id=known["okafor"], type_id=known["follow_up"],
                       start=at_local(day, 10))
    at = open_calendar(signed_in, day=day)
    act(at, click_value(appointment, day, known["okafor"]))
    assert "Clicker, Cleo" in [h.value for h in at.subheader]
    assert any("10:00–10:15" in m.value for m in at.markdown)
    # Attendance moves wait for the day of the visit; confirming does not.
    assert at.button(key="dt_checked_in").disabled
    assert not at.button(key="dt_confirmed").disabled
    # The patient can take the appointment home as a calendar file.
    assert [b for b in at.get("download_button") if "calendar" in b.proto.label]
    history = at.dataframe[0].value
    assert list(history["to_status"]) == ["Scheduled"]
    at.button(key="dt_confirmed").click().run()
    assert appointments_of(app_env, patient)[0][2] == "confirmed"
    assert any("Clicker, Cleo: confirmed." in s for s in successes(at))
    assert titles_at(at, wall(day, 10, z=False)) == ["Clicker, Cleo · Follow-up · Confirmed"]


def test_cancelling_asks_for_a_reason_then_offers_the_freed_slot_to_the_waitlist(signed_in, app_env):
    from db import waitlist

    known = ids(app_env)
    day = working_day()
    patient = new_patient(app_env, last_name="Canceller")
    waiting = new_patient(app_env, first_name="Wendy", last_name="Waiting")
    appointment = book(app_env, patient_id=patient, provider_id=known["okafor"], type_id=known["follow_up"],
                       start=at_local(day, 10))
    with database(app_env) as conn:
        entry = waitlist.add(conn, patient_id=waiting, type_id=known["follow_up"], provider_id=known["okafor"],
                             preferred_days=None, by="test")
    at = open_calendar(signed_in, day=day)
    act(at, click_value(appointment, day, known["okafor"]))
    at.button(key="dt_cancel").click().run()
    assert "Say why the appointment is cancelled." in errors(at)
    assert appointments_of(app_env, patient)[0][2] == "scheduled"
    at.text_input(key="cx_reason").input("Patient request").run()
    at.button(key="dt_cancel").click().run()
    assert appointments_of(app_env, patient)[0][2] == "cancelled"
    assert any("is free again" in s for s in successes(at))
    assert any("Waiting, Wendy" in m.value for m in at.markdown)
    # Book the waiting patient straight into the freed slot.
    at.button(key=f"wl_book_{entry}").click().run()
    assert at.time_input(key="bk_time").value == time(10, 0)
    assert at.selectbox(key="bk_type").value == known["follow_up"]
    at.button(key="bk_book").click().run()
    assert appointments_of(app_env, waiting) == [(at_local(day, 10), known["okafor"], "scheduled", None)]
    with database(app_env) as conn:
        assert db.read_one(conn, "SELECT status FROM waitlist WHERE id = ?", [entry])[0] == "booked"


def test_a_clinician_sees_the_calendar_but_cannot_book_or_drag(signed_in, app_env):
    known = ids(app_env)
    day = working_day()
    at = open_calendar(signed_in, role="clinician", day=day)
    args = component(at)
    assert args["options"]["selectable"] is False
    assert args["options"]["editable"] is False
    assert args["callbacks"] == ["eventClick"]
    # Their own column is preselected.
    assert [r["title"] for r in args["options"]["resources"]] == ["Dr. Amara Okafor"]
    act(at, select_value(day, 10, 0, 15, known["okafor"]))
    assert not [b for b in at.button if b.key == "bk_book"]


# --- the waitlist, rights and counts --------------------------------------------------------------


def waitlist_state(path, entry) -> tuple:
    with database(path) as conn:
        return db.read_one(conn, "SELECT status, appointment_id FROM waitlist WHERE id = ?", [entry])


def cancel_with_a_waiting_patient(signed_in, app_env, known, day, waiting):
    """Cancel a 10:00 appointment with Dr. Okafor on ``day`` and open the booking of the freed
    slot for ``waiting`` (on the waitlist for a follow-up). Returns the page and the entry."""
    from db import waitlist

    appointment = book(app_env, patient_id=new_patient(app_env), provider_id=known["okafor"],
                       type_id=known["follow_up"], start=at_local(day, 10))
    with database(app_env) as conn:
        entry = waitlist.add(conn, patient_id=waiting, type_id=known["follow_up"], provider_id=known["okafor"],
                             preferred_days=None, by="test")
    at = open_calendar(signed_in, day=day)
    act(at, click_value(appointment, day, known["okafor"]))
    at.text_input(key="cx_reason").input("Patient request").run()
    at.button(key="dt_cancel").click().run()
    at.button(key=f"wl_book_{entry}").click().run()
    return at, entry


def test_booking_from_the_waitlist_closes_the_entry_with_the_one_appointment_it_made(signed_in, app_env):
    known = ids(app_env)
    day = working_day()
    waiting = new_patient(app_env, first_name="Willa", last_name="Waitlisted")
    at, entry = cancel_with_a_waiting_patient(signed_in, app_env, known, day, waiting)
    at.button(key="bk_book").click().run()
    assert any(f"Booked {md('Waitlisted, Willa')} with {md('Dr. Amara Okafor')}" in s for s in successes(at))
    assert appointments_of(app_env, waiting) == [(at_local(day, 10), known["okafor"], "scheduled", None)]
    with database(app_env) as conn:
        (appointment,) = db.read_one(conn, "SELECT id FROM appointments WHERE patient_id = ?", [waiting])
    assert waitlist_state(app_env, entry) == ("booked", appointment)


def test_a_refused_booking_from_the_waitlist_leaves_the_entry_waiting(signed_in, app_env):
    known = ids(app_env)
    day = working_day()
    waiting = new_patient(app_env, last_name="Stillwaiting")
    at, entry = cancel_with_a_waiting_patient(signed_in, app_env, known, day, waiting)
    # Someone else takes the freed slot while the dialog is open.
    book(app_env, patient_id=new_patient(app_env), provider_id=known["okafor"], type_id=known["follow_up"],
         start=at_local(day, 10))
    at.button(key="bk_book").click().run()
    assert any("Dr. Amara Okafor already has a patient at" in m for m in errors(at))
    assert appointments_of(app_env, waiting) == []
    assert waitlist_state(app_env, entry) == ("waiting", None)


def test_booking_another_patient_into_the_freed_slot_leaves_the_waitlist_entry_open(signed_in, app_env):
    known = ids(app_env)
    day = working_day()
    waiting = new_patient(app_env, last_name="Passedover")
    walk_in = new_patient(app_env, last_name="Walkin")
    at, entry = cancel_with_a_waiting_patient(signed_in, app_env, known, day, waiting)
    at.button(key="bk_change_patient").click().run()
    pick_patient(at, walk_in, "Walkin")
    at.button(key="bk_book").click().run()
    assert appointments_of(app_env, walk_in) == [(at_local(day, 10), known["okafor"], "scheduled", None)]
    assert waitlist_state(app_env, entry) == ("waiting", None)


def test_a_clinician_sees_status_buttons_on_their_own_patients_only(signed_in, app_env):
    known = ids(app_env)
    day = working_day()
    own = book(app_env, patient_id=new_patient(app_env, last_name="Mine"), provider_id=known["okafor"],
               type_id=known["follow_up"], start=at_local(day, 10))
    colleagues = book(app_env, patient_id=new_patient(app_env, last_name="Theirs"), provider_id=known["reyes"],
                      type_id=known["follow_up"], start=at_local(day, 10))
    at = open_calendar(signed_in, role="clinician", day=day)
    act(at, click_value(colleagues, day, known["reyes"]))
    assert any(h.value.startswith("Theirs") for h in at.subheader)
    assert not [b for b in at.button if (b.key or "").startswith("dt_")]  # no status, cancel or move
    act(at, click_value(own, day, known["okafor"]))
    assert any(h.value.startswith("Mine") for h in at.subheader)
    assert not at.button(key="dt_confirmed").disabled
    at.button(key="dt_confirmed").click().run()
    assert not at.exception, at.exception
    with database(app_env) as conn:
        assert db.read_one(conn, "SELECT status FROM appointments WHERE id = ?", [own])[0] == "confirmed"


# --- no-show, a late arrival, undoing a mistake ---------------------------------------------------


def afternoon_visit(app_env, clinic_clock, *, last_name, at_hh_mm=(16, 25)):
    """A follow-up with Dr. Okafor at 16:25 on a working day, booked that morning."""
    known = ids(app_env)
    day = working_day()
    clinic_clock(at_local(day, 7))
    patient = new_patient(app_env, last_name=last_name)
    appointment = book(app_env, patient_id=patient, provider_id=known["okafor"], type_id=known["follow_up"],
                       start=at_local(day, *at_hh_mm))
    return known, day, patient, appointment


def set_status(path, appointment_id, to_status, now, reason=None):
    from db import appointments

    with database(path) as conn:
        appointments.change_status(conn, appointment_id, to_status, user="test", now=now, reason=reason)


def status_of(path, appointment_id) -> tuple:
    with database(path) as conn:
        return db.read_one(conn, "SELECT status, arrived_at FROM appointments WHERE id = ?", [appointment_id])


def test_no_show_waits_for_the_grace_period_then_asks_to_confirm(signed_in, app_env, clinic_clock):
    known, day, patient, appointment = afternoon_visit(app_env, clinic_clock, last_name="Latecomer")
    clinic_clock(at_local(day, 13, 31))
    at = open_calendar(signed_in, day=day)
    act(at, click_value(appointment, day, known["okafor"]))
    no_show = at.button(key="dt_no_show")
    assert no_show.disabled
    assert "Possible from 16:40" in no_show.help
    assert any("No-show possible from 16:40" in c.value for c in at.caption)
    # At 16:41 the button works, but one click only asks.
    clinic_clock(at_local(day, 16, 41))
    at = open_calendar(signed_in, day=day)
    act(at, click_value(appointment, day, known["okafor"]))
    at.button(key="dt_no_show").click().run()
    assert status_of(app_env, appointment)[0] == "scheduled"
    assert any("Mark this patient as a no-show?" in w.value for w in at.warning)
    at.button(key="dt_no_show_keep").click().run()
    assert not at.warning and status_of(app_env, appointment)[0] == "scheduled"
    at.button(key="dt_no_show").click().run()
    at.button(key="dt_no_show_confirm").click().run()
    assert status_of(app_env, appointment) == ("no_show", None)
    assert any("Latecomer, Alex: no-show." in s for s in successes(at))


def test_checking_in_a_no_show_whose_slot_was_booked_since_is_refused_next_to_the_buttons(
        signed_in, app_env, clinic_clock):
    known, day, patient, appointment = afternoon_visit(app_env, clinic_clock, last_name="Gaveaway")
    set_status(app_env, appointment, "no_show", at_local(day, 16, 41))
    clinic_clock(at_local(day, 16, 20))  # booked into the freed slot (the desk's clock is the page's)
    other = new_patient(app_env, last_name="Slottaker")
    book(app_env, patient_id=other, provider_id=known["okafor"], type_id=known["follow_up"],
         start=at_local(day, 16, 25))
    clinic_clock(at_local(day, 16, 45))
    at = open_calendar(signed_in, day=day)
    act(at, click_value(appointment, day, known["okafor"]))
    at.button(key="dt_checked_in").click().run()
    assert any("Dr. Amara Okafor already has a patient at" in e and "book them at another time" in e
               for e in errors(at))
    assert status_of(app_env, appointment) == ("no_show", None)
    assert appointments_of(app_env, other)[0][2] == "scheduled"


def test_undoing_a_mistaken_no_show_needs_a_reason_and_keeps_it_in_the_history(signed_in, app_env, clinic_clock):
    known, day, patient, appointment = afternoon_visit(app_env, clinic_clock, last_name="Mistaken")
    set_status(app_env, appointment, "no_show", at_local(day, 16, 41))
    clinic_clock(at_local(day, 16, 50))
    at = open_calendar(signed_in, day=day)
    act(at, click_value(appointment, day, known["okafor"]))
    assert "Undo no-show (a mistake)" in [e.label for e in at.expander]
    at.button(key="dt_undo").click().run()
    assert "Say why the no-show is undone." in errors(at)
    assert status_of(app_env, appointment)[0] == "no_show"
    at.text_input(key="undo_reason").input("Marked the wrong patient").run()
    at.button(key="dt_undo").click().run()
    assert status_of(app_env, appointment) == ("scheduled", None)  # no arrival made up
    assert any("Mistaken, Alex: undo no-show done, back to scheduled." in s for s in successes(at))
    act(at, click_value(appointment, day, known["okafor"]))
    history = at.dataframe[0].value
    assert list(history["to_status"])[-1] == "Scheduled"
    assert list(history["reason"])[-1] == "Marked the wrong patient"


def test_undoing_a_mistaken_completion_goes_back_to_checked_in_with_the_arrival_kept(signed_in, app_env, clinic_clock):
    known, day, patient, appointment = afternoon_visit(app_env, clinic_clock, last_name="Tooquick")
    set_status(app_env, appointment, "checked_in", at_local(day, 16, 20))
    set_status(app_env, appointment, "completed", at_local(day, 16, 30))
    clinic_clock(at_local(day, 16, 32))
    at = open_calendar(signed_in, day=day)
    act(at, click_value(appointment, day, known["okafor"]))
    assert "Undo completion (a mistake)" in [e.label for e in at.expander]
    at.text_input(key="undo_reason").input("Clicked the wrong row").run()
    at.button(key="dt_undo").click().run()
    assert status_of(app_env, appointment) == ("checked_in", at_local(day, 16, 20))


def test_a_clinician_can_undo_their_own_patients_no_show_but_not_a_colleagues(signed_in, app_env, clinic_clock):
    known, day, patient, own = afternoon_visit(app_env, clinic_clock, last_name="Ownpatient")
    colleagues = book(app_env, patient_id=new_patient(app_env, last_name="Otherpatient"), provider_id=known["reyes"],
                      type_id=known["follow_up"], start=at_local(day, 16, 25))
    for appointment in (own, colleagues):
        set_status(app_env, appointment, "no_show", at_local(day, 16, 41))
    clinic_clock(at_local(day, 16, 50))
    at = open_calendar(signed_in, role="clinician", day=day)
    act(at, click_value(colleagues, day, known["reyes"]))
    assert not [b for b in at.button if b.key == "dt_undo"]
    act(at, click_value(own, day, known["okafor"]))
    assert [b for b in at.button if b.key == "dt_undo"]
