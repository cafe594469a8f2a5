"""The Calendar page through the real app (AppTest).

The calendar is a custom component: AppTest sees it as an unknown element whose JSON args hold
the events and options, and a user's click or drag is injected as the component's value under
its key, exactly as streamlit-calendar 1.4.0 sends it: ``select`` times end in ``Z`` but carry
the clinic's wall-clock digits (FullCalendar runs in UTC-coercion mode, see
clinic/calendar_events.py); ``eventChange`` times are naive local strings.

The clinic clock is SEED_NOW (2026-03-02 10:00 New York, set by the ``app_env`` fixture), never the
wall clock. The seeded test database's schedule fills the two weeks from then, so bookings go on
a fixed working day after it (``working_day()``), or on a time read free from the database.
"""

from __future__ import annotations

from datetime import date, time, timedelta, timezone

import db
from components.text import md
from tests.conftest import SEED_TODAY, TZ, database
from tests.pages.calendar_helpers import (
    ZONE,
    act,
    appointments_of,
    at_local,
    book,
    change_value,
    component,
    errors,
    free_quarter_hour,
    ids,
    new_patient,
    open_calendar,
    pick_patient,
    select_value,
    start_of,
    successes,
    titles_at,
    wall,
    working_day,
)


# --- the screen -------------------------------------------------------------------------------


def test_the_day_view_has_a_column_per_provider_in_clinic_time_with_the_gpl_key(signed_in, app_env):
    known = ids(app_env)
    day = working_day()
    patient = new_patient(app_env, first_name="Wren", last_name="Calloway")
    book(app_env, patient_id=patient, provider_id=known["okafor"], type_id=known["follow_up"],
         start=at_local(day, 9, 30))
    at = open_calendar(signed_in, day=day)
    args = component(at)
    options = args["options"]
    assert options["initialView"] == "resourceTimeGridDay"
    assert options["timeZone"] == TZ
    assert args["license_key"] == "GPL-My-Project-Is-Open-Source"
    assert {r["title"] for r in options["resources"]} >= {"Dr. Amara Okafor", "Daniel Reyes, NP"}
    assert "eventsSet" not in args["callbacks"]
    # Shown at 09:30 clinic time in Dr. Okafor's column, with patient, type and status.
    (ours,) = [e for e in args["events"] if "Calloway" in e["title"]]
    assert ours["start"] == wall(day, 9, 30, z=False)
    assert ours["resourceId"] == str(known["okafor"])
    assert ours["title"] == "Calloway, Wren · Follow-up · Scheduled"


def test_filters_narrow_the_calendar_to_a_provider_and_a_visit_type(signed_in, app_env):
    known = ids(app_env)
    day = working_day()
    patient = new_patient(app_env, last_name="Filterson")
    other = new_patient(app_env, last_name="Elsewhere")
    book(app_env, patient_id=patient, provider_id=known["okafor"], type_id=known["follow_up"], start=at_local(day, 9))
    book(app_env, patient_id=other, provider_id=known["reyes"], type_id=known["follow_up"], start=at_local(day, 9))
    at = open_calendar(signed_in, day=day)
    at.multiselect(key="cal_providers").select(known["okafor"]).run()
    args = component(at)
    assert [r["title"] for r in args["options"]["resources"]] == ["Dr. Amara Okafor"]
    assert any("Filterson" in t for t in titles_at(at, wall(day, 9, z=False)))
    assert not any("Elsewhere" in t for t in titles_at(at, wall(day, 9, z=False)))
    at.multiselect(key="cal_types").select(known["new_patient"]).run()
    assert titles_at(at, wall(day, 9, z=False)) == []


# --- booking through the dialog -----------------------------------------------------------------


def test_booking_through_the_dialog_writes_one_appointment_and_shows_it(signed_in, app_env):
    known = ids(app_env)
    day = working_day()
    patient = new_patient(app_env, first_name="Ines", last_name="Quarterman")
    at = open_calendar(signed_in, day=day)
    act(at, select_value(day, 10, 0, 15, known["okafor"]))
    # Prefilled from the click: the column's provider, the clicked day and time.
    assert at.selectbox(key="bk_provider").value == known["okafor"]
    assert at.date_input(key="bk_date").value == day
    assert at.time_input(key="bk_time").value == time(10, 0)
    pick_patient(at, patient, "Quarterman")
    at.selectbox(key="bk_type").select(known["follow_up"]).run()
    at.text_input(key="bk_reason").input("Knee pain").run()
    at.button(key="bk_book").click().run()
    assert not at.exception, at.exception
    assert any(f"Booked {md('Quarterman, Ines')} with {md('Dr. Amara Okafor')}" in s for s in successes(at))
    rows = appointments_of(app_env, patient)
    assert rows == [(at_local(day, 10), known["okafor"], "scheduled", None)]
    assert titles_at(at, wall(day, 10, z=False)) == ["Quarterman, Ines · Follow-up · Scheduled"]
    assert "bk_book" not in [b.key for b in at.button]  # the dialog closed


def test_booking_a_taken_slot_says_why_next_to_the_time_and_writes_nothing(signed_in, app_env):
    known = ids(app_env)
    day = working_day()
    holder = new_patient(app_env, last_name="Holder")
    caller = new_patient(app_env, first_name="Tess", last_name="Latecomer")
    book(app_env, patient_id=holder, provider_id=known["okafor"], type_id=known["follow_up"], start=at_local(day, 10))
    at = open_calendar(signed_in, day=day)
    act(at, select_value(day, 10, 0, 15, known["okafor"]))
    pick_patient(at, caller, "Latecomer")
    at.selectbox(key="bk_type").select(known["follow_up"]).run()
    at.text_input(key="bk_reason").input("Sore throat").run()
    at.button(key="bk_book").click().run()
    assert any("Dr. Amara Okafor already has a patient at" in m for m in errors(at))
    assert appointments_of(app_env, caller) == []
    # The dialog is still open with what was typed.
    assert at.text_input(key="bk_reason").value == "Sore throat"
    assert at.time_input(key="bk_time").value == time(10, 0)


def test_a_slot_in_the_past_is_refused(signed_in, app_env):
    known = ids(app_env)
    past = SEED_TODAY - timedelta(days=7)  # a Monday more than a week before the clinic's today
    hh, mm = free_quarter_hour(app_env, known["okafor"], past, start=(10, 0))  # refused for the time, not a clash
    patient = new_patient(app_env, last_name="Pastime")
    at = open_calendar(signed_in, day=past)
    act(at, select_value(past, hh, mm, 15, known["okafor"]))
    pick_patient(at, patient, "Pastime")
    at.selectbox(key="bk_type").select(known["follow_up"]).run()
    at.button(key="bk_book").click().run()
    assert "That time has already passed." in errors(at)
    assert appointments_of(app_env, patient) == []


def test_quick_add_shows_each_wrong_field_next_to_it_and_writes_nothing(signed_in, app_env):
    known = ids(app_env)
    day = working_day()
    with database(app_env) as conn:
        before = db.read_one(conn, "SELECT count(*) FROM patients")[0]
    at = open_calendar(signed_in, day=day)
    act(at, select_value(day, 10, 0, 15, known["okafor"]))
    at.button_group(key="bk_mode").set_value("new").run()
    at.text_input(key="bk_last").input("Newcomb").run()
    at.text_input(key="bk_phone").input("12").run()
    at.button(key="bk_quick_add").click().run()
    messages = errors(at)
    assert "Enter the first name." in messages
    assert "Enter the date of birth." in messages
    assert any("phone number" in m for m in messages)
    assert not any("last name" in m for m in messages)
    assert at.text_input(key="bk_last").value == "Newcomb"
    with database(app_env) as conn:
        assert db.read_one(conn, "SELECT count(*) FROM patients")[0] == before
    # Corrected, the caller is added and chosen for the booking.
    at.text_input(key="bk_first").input("Nora").run()
    at.date_input(key="bk_dob").set_value(date(1988, 4, 2)).run()
    at.text_input(key="bk_phone").input("(347) 555-7731").run()
    at.button(key="bk_quick_add").click().run()
    assert any("Added Newcomb, Nora" in s for s in successes(at))
    at.selectbox(key="bk_type").select(known["new_patient"]).run()
    at.button(key="bk_book").click().run()
    with database(app_env) as conn:
        (added,) = db.read_one(conn, "SELECT id FROM patients WHERE last_name = 'Newcomb'")
    assert appointments_of(app_env, added) == [(at_local(day, 10), known["okafor"], "scheduled", None)]


def test_the_same_callback_value_returned_on_later_runs_is_handled_once(signed_in, app_env):
    known = ids(app_env)
    day = working_day()
    at = open_calendar(signed_in, day=day)
    act(at, select_value(day, 10, 0, 15, known["okafor"]))
    # The user changes the prefilled time; the component keeps returning the same select on
    # every rerun, which must not open the dialog afresh (and put 10:00 back).
    at.time_input(key="bk_time").set_value(time(11, 30)).run()
    at.text_input(key="bk_reason").input("Cough").run()
    assert at.time_input(key="bk_time").value == time(11, 30)
    assert at.text_input(key="bk_reason").value == "Cough"


def test_a_drag_across_the_spring_forward_change_books_the_right_instant(signed_in, app_env):
    known = ids(app_env)
    # The clinic's today is SEED_TODAY; the next US spring-forward (second Sunday of March) is 2026-03-08.
    second_sunday = date(2026, 3, 8)
    assert SEED_TODAY < second_sunday and second_sunday.weekday() == 6
    monday_after, friday_before = second_sunday + timedelta(days=1), second_sunday - timedelta(days=2)
    # The seeded schedule fills both days: the same wall-clock quarter hour free on both, from the database.
    hh, mm = free_quarter_hour(app_env, known["okafor"], friday_before)
    while (later := free_quarter_hour(app_env, known["okafor"], monday_after, start=(hh, mm))) != (hh, mm):
        hh, mm = free_quarter_hour(app_env, known["okafor"], friday_before, start=later)
    patient = new_patient(app_env, last_name="Springer")
    for day in (friday_before, monday_after):
        at = open_calendar(signed_in, day=day)
        act(at, select_value(day, hh, mm, 15, known["okafor"]))
        pick_patient(at, patient, "Springer")
        at.selectbox(key="bk_type").select(known["follow_up"]).run()
        at.button(key="bk_book").click().run()
        assert not errors(at), errors(at)
    starts = [row[0] for row in appointments_of(app_env, patient)]
    # hh:mm in New York is hh+5 UTC before the change and hh+4 UTC after it (09:00 → 14:00, 13:00).
    assert [(s.astimezone(timezone.utc).hour, s.minute) for s in starts] == [(hh + 5, mm), (hh + 4, mm)]


def test_find_next_free_times_fills_the_start_with_the_chosen_slot(signed_in, app_env):
    known = ids(app_env)
    day = working_day()
    at = open_calendar(signed_in, day=day)
    act(at, select_value(day, 10, 0, 15, known["okafor"]))
    at.selectbox(key="bk_type").select(known["follow_up"]).run()
    at.button(key="bk_find").click().run()
    assert len([b for b in at.button if b.key and b.key.startswith("bk_slot_")]) == 8
    at.button(key="bk_slot_1").click().run()
    from db import slots

    with database(app_env) as conn:
        expected = slots.find_next_available(conn, known["follow_up"], provider_id=known["okafor"],
                                             after=at_local(day, 0), limit=8)[1]
    local = expected.start.astimezone(ZONE)
    assert at.date_input(key="bk_date").value == local.date()
    assert at.time_input(key="bk_time").value == local.time()
    assert at.selectbox(key="bk_provider").value == expected.provider_id


def test_a_weekly_series_shows_the_dates_that_cannot_be_booked_before_booking_the_rest(signed_in, app_env):
    known = ids(app_env)
    day = working_day()
    patient = new_patient(app_env, last_name="Weekley")
    holder = new_patient(app_env, last_name="Blocker")
    book(app_env, patient_id=holder, provider_id=known["okafor"], type_id=known["follow_up"],
         start=at_local(day + timedelta(weeks=1), 10))
    at = open_calendar(signed_in, day=day)
    act(at, select_value(day, 10, 0, 15, known["okafor"]))
    pick_patient(at, patient, "Weekley")
    at.selectbox(key="bk_type").select(known["follow_up"]).run()
    at.toggle(key="bk_repeat").set_value(True).run()
    at.number_input(key="bk_times").set_value(3).run()
    at.button(key="bk_plan_series").click().run()
    plan = at.dataframe[0].value
    assert list(plan["Can be booked"]) == ["Yes", "No", "Yes"]
    assert "already has a patient" in plan["Why not"][1]
    assert appointments_of(app_env, patient) == []  # nothing written before confirming
    assert any("1 of 3 dates cannot be booked" in w.value for w in at.warning)
    at.button(key="bk_book_series").click().run()
    rows = appointments_of(app_env, patient)
    assert [r[0] for r in rows] == [at_local(day, 10), at_local(day + timedelta(weeks=2), 10)]
    assert rows[0][3] is not None and rows[0][3] == rows[1][3]  # one series
    assert any("Booked 2 appointments for Weekley" in s for s in successes(at))


# --- moving by dragging -------------------------------------------------------------------------


def test_dragging_an_appointment_reschedules_it(signed_in, app_env):
    known = ids(app_env)
    day = working_day()
    patient = new_patient(app_env, first_name="Milo", last_name="Mover")
    appointment = book(app_env, patient_id=patient, provider_id=known["okafor"], type_id=known["follow_up"],
                       start=at_local(day, 10))
    at = open_calendar(signed_in, day=day)
    act(at, change_value(appointment, day, (10, 0), (11, 0), known["okafor"], new_provider_id=known["reyes"]))
    assert start_of(app_env, appointment) == at_local(day, 11)
    assert appointments_of(app_env, patient)[0][1] == known["reyes"]
    assert any("Moved Mover, Milo to" in s and "Daniel Reyes, NP" in s for s in successes(at))
    assert titles_at(at, wall(day, 11, z=False)) == ["Mover, Milo · Follow-up · Scheduled"]


def test_a_refused_drag_leaves_the_appointment_where_it_was_and_says_why(signed_in, app_env):
    known = ids(app_env)
    day = working_day()
    moved = new_patient(app_env, first_name="Dana", last_name="Dragged")
    other = new_patient(app_env, last_name="Sitting")
    appointment = book(app_env, patient_id=moved, provider_id=known["okafor"], type_id=known["follow_up"],
                       start=at_local(day, 10))
    book(app_env, patient_id=other, provider_id=known["okafor"], type_id=known["follow_up"], start=at_local(day, 11))
    at = open_calendar(signed_in, day=day)
    key_before = component(at)["key"]
    act(at, change_value(appointment, day, (10, 0), (11, 0), known["okafor"]))
    assert start_of(app_env, appointment) == at_local(day, 10)
    assert any(m.startswith("Not moved: Dr. Amara Okafor already has a patient at") for m in errors(at))
    # The component is remounted from the database: the event is back at 10:00.
    assert component(at)["key"] != key_before
    assert titles_at(at, wall(day, 10, z=False)) == ["Dragged, Dana · Follow-up · Scheduled"]
    # Outside working hours is refused as well, with its own reason.
    act(at, change_value(appointment, day, (10, 0), (18, 0), known["okafor"]))
    assert any("is not working at that time" in m for m in errors(at))
    assert start_of(app_env, appointment) == at_local(day, 10)


def test_stretching_an_appointment_is_refused_because_its_type_sets_its_length(signed_in, app_env):
    known = ids(app_env)
    day = working_day()
    patient = new_patient(app_env, last_name="Stretch")
    appointment = book(app_env, patient_id=patient, provider_id=known["okafor"], type_id=known["follow_up"],
                       start=at_local(day, 10))
    at = open_calendar(signed_in, day=day)
    act(at, change_value(appointment, day, (10, 0), (10, 0), known["okafor"], old_end=(10, 15), new_end=(10, 45)))
    assert any("cannot be stretched or shortened" in m for m in errors(at))
    with database(app_env) as conn:
        assert db.read_one(conn, "SELECT start_at, end_at FROM appointments WHERE id = ?", [appointment]) == (
            at_local(day, 10), at_local(day, 10, 15))


# --- the month and the time off ---------------------------------------------------------------


def test_clicking_a_providers_count_in_the_month_opens_that_day_by_provider(signed_in, app_env):
    known = ids(app_env)
    day = working_day()
    for hour in (9, 10):
        book(app_env, patient_id=new_patient(app_env), provider_id=known["okafor"], type_id=known["follow_up"],
             start=at_local(day, hour))
    at = open_calendar(signed_in, day=day)
    at.button_group(key="cal_view").set_value("month").run()
    assert component(at)["options"]["initialView"] == "dayGridMonth"
    (entry,) = [e for e in component(at)["events"] if e["start"] == day.isoformat() and "display" not in e]
    assert entry["title"] == "Dr. Amara Okafor · 2"
    act(at, {"callback": "eventClick", "eventClick": {"event": entry, "view": {"type": "dayGridMonth"}}})
    options = component(at)["options"]
    assert (options["initialView"], options["initialDate"]) == ("resourceTimeGridDay", day.isoformat())
    assert at.date_input(key="cal_day").value == day


def test_the_month_view_shows_each_providers_count_per_day_as_the_database_has_it(signed_in, app_env):
    at = open_calendar(signed_in, day=SEED_TODAY)
    at.button_group(key="cal_view").set_value("month").run()
    first = SEED_TODAY.replace(day=1) - timedelta(days=SEED_TODAY.replace(day=1).weekday())
    with database(app_env) as conn:
        expected = db.read(
            conn,
            "SELECT CAST(timezone(?, a.start_at) AS DATE) AS day, pr.name, count(*) FROM appointments a"
            " JOIN providers pr ON pr.id = a.provider_id"
            " WHERE a.status <> 'cancelled' AND pr.active AND a.start_at >= ? AND a.start_at < ?"
            " GROUP BY ALL ORDER BY day, pr.name",
            [TZ, at_local(first, 0), at_local(first + timedelta(days=42), 0)])
    assert len(expected) > 20, "the seeded month is busy"
    shown = [(date.fromisoformat(e["start"]), *e["title"].rsplit(" · ", 1)) for e in component(at)["events"]
             if "display" not in e]
    assert [(d, name, int(n)) for d, name, n in shown] == expected
    total = sum(n for _, _, n in expected)
    assert any(f"· {total} appointments" in m.value for m in at.markdown)


def test_time_off_of_every_shown_provider_is_shaded_in_their_own_column(signed_in, app_env):
    from db import availability

    known = ids(app_env)
    day = working_day()
    with database(app_env) as conn:
        for provider, (start, end) in ((known["okafor"], (9, 11)), (known["reyes"], (14, 15))):
            availability.add_time_off(conn, provider, at_local(day, start), at_local(day, end), "Training", by="test")
    at = open_calendar(signed_in, day=day)
    bands = {(e["resourceId"], e["start"], e["end"]) for e in component(at)["events"]
             if e.get("title") == "Away: Training"}
    assert bands == {(str(known["okafor"]), wall(day, 9, z=False), wall(day, 11, z=False)),
                     (str(known["reyes"]), wall(day, 14, z=False), wall(day, 15, z=False))}


# --- a quick-add that looks like someone registered -----------------------------------------------


def quick_add_twin(at, day, known, *, first="Perpetua", last="Lookalike", dob=date(1979, 6, 14),
                   phone="(347) 555-7288"):
    act(at, select_value(day, 10, 0, 15, known["okafor"]))
    at.button_group(key="bk_mode").set_value("new").run()
    at.text_input(key="bk_first").input(first).run()
    at.text_input(key="bk_last").input(last).run()
    at.date_input(key="bk_dob").set_value(dob).run()
    at.text_input(key="bk_phone").input(phone).run()
    at.button(key="bk_quick_add").click().run()
    assert not at.exception, at.exception
    return at


def patient_count(path) -> int:
    with database(path) as conn:
        return db.read_one(conn, "SELECT count(*) FROM patients")[0]


def test_a_quick_add_that_looks_like_a_registered_patient_lists_them_and_books_the_one_chosen(signed_in, app_env):
    known = ids(app_env)
    day = working_day()
    twin = new_patient(app_env, first_name="Perpetua", last_name="Lookalike", date_of_birth=date(1979, 6, 14),
                       phone_mobile="+16465552873")
    with database(app_env) as conn:
        (mrn,) = db.read_one(conn, "SELECT mrn FROM patients WHERE id = ?", [twin])
    before = patient_count(app_env)
    at = open_calendar(signed_in, day=day)
    quick_add_twin(at, day, known)
    # The look-alike, with what tells people apart: name, birth date, phone and MRN.
    (line,) = [m.value.replace("\\", "") for m in at.markdown if "Lookalike, Perpetua" in m.value]
    assert "06/14/1979" in line and "(646) 555-2873" in line and f"MRN {mrn}" in line
    assert any("1 registered patient looks like this one" in w.value for w in at.warning)
    assert patient_count(app_env) == before, "nothing is written before the user decides"
    # What was typed stays.
    assert (at.text_input(key="bk_first").value, at.text_input(key="bk_phone").value) == ("Perpetua", "(347) 555-7288")
    assert at.date_input(key="bk_dob").value == date(1979, 6, 14)
    at.button(key=f"bk_dup_use_{twin}").click().run()
    at.selectbox(key="bk_type").select(known["follow_up"]).run()
    at.button(key="bk_book").click().run()
    assert not errors(at), errors(at)
    assert patient_count(app_env) == before
    assert appointments_of(app_env, twin) == [(at_local(day, 10), known["okafor"], "scheduled", None)]


def test_adding_a_look_alike_anyway_registers_a_new_patient_books_them_and_audits_the_decision(signed_in, app_env):
    known = ids(app_env)
    day = working_day()
    twin = new_patient(app_env, first_name="Perpetua", last_name="Lookalike", date_of_birth=date(1979, 6, 14))
    before = patient_count(app_env)
    at = open_calendar(signed_in, day=day)
    quick_add_twin(at, day, known)
    at.button(key="bk_quick_add_anyway").click().run()
    assert any("Added Lookalike, Perpetua" in s for s in successes(at))
    assert patient_count(app_env) == before + 1
    with database(app_env) as conn:
        (added,) = db.read_one(conn, "SELECT max(id) FROM patients WHERE last_name = 'Lookalike'")
        audited = db.read(conn, "SELECT action FROM audit_log WHERE patient_id = ? ORDER BY id", [added])
    assert added != twin
    assert ("patient.create_despite_duplicates",) in audited
    at.selectbox(key="bk_type").select(known["new_patient"]).run()
    at.button(key="bk_book").click().run()
    assert appointments_of(app_env, added) == [(at_local(day, 10), known["okafor"], "scheduled", None)]
    assert appointments_of(app_env, twin) == []


def test_changing_the_details_after_the_look_alikes_are_shown_checks_them_again(signed_in, app_env):
    known = ids(app_env)
    day = working_day()
    new_patient(app_env, first_name="Perpetua", last_name="Lookalike", date_of_birth=date(1979, 6, 14))
    at = open_calendar(signed_in, day=day)
    quick_add_twin(at, day, known)
    assert "bk_quick_add_anyway" in [b.key for b in at.button]
    # The caller spells their birth date differently: not the same person after all.
    at.date_input(key="bk_dob").set_value(date(1997, 6, 14)).run()
    assert "bk_quick_add_anyway" not in [b.key for b in at.button]
    at.button(key="bk_quick_add").click().run()
    assert any("Added Lookalike, Perpetua" in s for s in successes(at))


# --- where the calendar opens -------------------------------------------------------------------


def test_new_appointment_opens_the_booking_at_the_next_free_time_of_the_provider_filtered_to(
        signed_in, app_env, clinic_clock):
    from db import slots

    known = ids(app_env)
    day = working_day()
    now = at_local(day, 9, 7)
    clinic_clock(now)
    # The next quarter hour is taken: the free time is after it.
    book(app_env, patient_id=new_patient(app_env), provider_id=known["okafor"], type_id=known["follow_up"],
         start=at_local(day, 9, 15))
    at = open_calendar(signed_in)
    assert at.date_input(key="cal_day").value == day
    at.multiselect(key="cal_providers").select(known["okafor"]).run()
    at.button(key="cal_new").click().run()
    assert not at.exception, at.exception
    with database(app_env) as conn:
        (shortest,) = db.read_one(conn, "SELECT id FROM visit_types WHERE active ORDER BY duration_min, name LIMIT 1")
        (expected,) = slots.find_next_available(conn, shortest, provider_id=known["okafor"], after=now, limit=1)
    assert expected.start >= at_local(day, 9, 30)
    assert at.selectbox(key="bk_provider").value == known["okafor"]
    local = expected.start.astimezone(ZONE)
    assert (at.date_input(key="bk_date").value, at.time_input(key="bk_time").value) == (local.date(), local.time())


def test_today_opens_scrolled_to_an_hour_before_now(signed_in, app_env, clinic_clock):
    day = working_day()
    clinic_clock(at_local(day, 14, 7))
    options = component(open_calendar(signed_in))["options"]
    assert (options["initialDate"], options["scrollTime"]) == (day.isoformat(), "13:00:00")


def test_after_a_booking_late_in_the_day_the_calendar_reopens_there_on_the_same_day(signed_in, app_env):
    known = ids(app_env)
    day = working_day()
    patient = new_patient(app_env, last_name="Latebird")
    at = open_calendar(signed_in, day=day)
    key_before = component(at)["key"]
    act(at, select_value(day, 16, 0, 15, known["okafor"]))
    pick_patient(at, patient, "Latebird")
    at.selectbox(key="bk_type").select(known["follow_up"]).run()
    at.time_input(key="bk_time").set_value(time(16, 30)).run()  # the caller prefers half past
    at.button(key="bk_book").click().run()
    assert appointments_of(app_env, patient) == [(at_local(day, 16, 30), known["okafor"], "scheduled", None)]
    args = component(at)
    assert args["key"] != key_before, "remounted from the database"
    assert (args["options"]["initialDate"], args["options"]["scrollTime"]) == (day.isoformat(), "15:30:00")
    # An unrelated rerun keeps it there.
    at.run()
    assert component(at)["options"]["scrollTime"] == "15:30:00"


def test_after_a_drag_the_calendar_reopens_where_the_appointment_went(signed_in, app_env):
    known = ids(app_env)
    day = working_day()
    appointment = book(app_env, patient_id=new_patient(app_env), provider_id=known["okafor"],
                       type_id=known["follow_up"], start=at_local(day, 10))
    at = open_calendar(signed_in, day=day)
    act(at, change_value(appointment, day, (10, 0), (16, 15), known["okafor"]))
    assert start_of(app_env, appointment) == at_local(day, 16, 15)
    assert component(at)["options"]["scrollTime"] == "15:15:00"


def test_an_address_with_a_day_opens_that_day_and_the_address_follows_the_day_shown(signed_in, app_env):
    day = working_day(weeks_ahead=3, weekday=2)
    at = signed_in("front_desk").run()
    at.query_params["day"] = day.isoformat()
    at.switch_page("pages/calendar.py").run()
    assert not at.exception, at.exception
    assert at.date_input(key="cal_day").value == day
    assert component(at)["options"]["initialDate"] == day.isoformat()
    at.button(key="cal_next").click().run()
    assert at.date_input(key="cal_day").value == day + timedelta(days=1)
    assert at.query_params.get("day") == (day + timedelta(days=1)).isoformat()
    # Today is the plain address.
    at.button(key="cal_today").click().run()
    assert at.date_input(key="cal_day").value == SEED_TODAY  # the clinic clock's today
    assert "day" not in at.query_params


def test_an_address_with_something_else_than_a_day_opens_today(signed_in, app_env):
    at = signed_in("front_desk").run()
    at.query_params["day"] = "next tuesday"
    at.switch_page("pages/calendar.py").run()
    assert not at.exception, at.exception
    assert at.date_input(key="cal_day").value == SEED_TODAY  # the clinic clock's today


def test_the_day_and_view_are_kept_while_the_user_is_on_another_page(signed_in, app_env):
    day = working_day(weeks_ahead=2)
    at = open_calendar(signed_in, day=day)
    at.button_group(key="cal_view").set_value("week").run()
    at.switch_page("pages/today.py").run()
    at.switch_page("pages/calendar.py").run()
    assert not at.exception, at.exception
    assert at.date_input(key="cal_day").value == day
    options = component(at)["options"]
    assert (options["initialView"], options["initialDate"]) == ("timeGridWeek", day.isoformat())
