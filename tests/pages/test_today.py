"""Today through the real app: the day per provider, one-click status changes, the waiting room,
and the gaps a walk-in could take. The clinic clock is set to the seeded Monday (SEED_TODAY)
morning, so the page opens on that day whatever the wall clock says."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

import db
from clinic import frontdesk, timeutil
from clinic.closures import public_holidays
from components.text import md
from db import appointments, availability, providers
from tests.conftest import SEED_TODAY, TZ, make_appointment, make_patient, user_id_for, database


CLOCK = timeutil.local_to_utc(datetime.combine(SEED_TODAY, time(7, 30)), TZ)


@pytest.fixture(autouse=True)
def seeded_monday_morning(clinic_clock):
    clinic_clock(CLOCK)


def open_today(signed_in, role="front_desk", day=SEED_TODAY):
    at = signed_in(role).run()
    at.switch_page("pages/today.py").run()
    at.date_input(key="today_day").set_value(day).run()
    assert not at.exception, at.exception
    return at


def day_rows(path, day=SEED_TODAY, **filters):
    with database(path) as conn:
        return appointments.list_rows(conn, *timeutil.day_bounds(day, TZ), **filters)


def first_with_status(path, status):
    return next(r for r in day_rows(path) if r.status == status)


def status_of(path, appointment_id):
    with database(path) as conn:
        return appointments.get(conn, appointment_id)


def button_keys(at):
    return {b.key for b in at.button}


def markdown_with(at, *parts):
    return [m.value for m in at.markdown if all(p in m.value for p in parts)]


def test_every_booked_visit_of_the_day_is_listed_with_a_check_in_button(signed_in, app_env):
    at = open_today(signed_in)
    rows = day_rows(app_env)
    waiting_to_arrive = [r for r in rows if r.status in ("scheduled", "confirmed")]
    assert len(waiting_to_arrive) > 10
    assert {f"checkin_{r.id}" for r in waiting_to_arrive} <= button_keys(at)
    assert next(m.value for m in at.metric if m.label == "To arrive") == str(len(waiting_to_arrive))
    # Each provider of the day has their own section, and patients appear by name.
    for name in {r.provider for r in rows}:
        assert markdown_with(at, f"#### {md(name)}")
    assert markdown_with(at, md(rows[0].patient))


def test_checking_in_records_the_arrival_and_puts_the_patient_in_the_waiting_room(signed_in, app_env):
    at = open_today(signed_in)
    row = first_with_status(app_env, "scheduled")
    assert not markdown_with(at, md(row.patient), "just arrived")
    at.button(key=f"checkin_{row.id}").click().run()
    assert not at.exception
    saved = status_of(app_env, row.id)
    assert saved.status == "checked_in" and saved.arrived_at == CLOCK
    assert markdown_with(at, f"**{md(row.patient)}**", "just arrived")
    assert any("Checked in" in t.value for t in at.toast)
    assert next(m.value for m in at.metric if m.label == "Waiting") == "1"
    # The row now offers the next steps instead of check-in.
    keys = button_keys(at)
    assert f"checkin_{row.id}" not in keys
    assert {f"start_{row.id}", f"complete_{row.id}"} <= keys


def test_taking_a_patient_in_ends_their_wait_and_completing_finishes_the_visit(signed_in, app_env):
    at = open_today(signed_in)
    row = first_with_status(app_env, "confirmed")
    appointment_id = row.id
    at.button(key=f"checkin_{appointment_id}").click().run()
    at.button(key=f"start_{appointment_id}").click().run()
    assert status_of(app_env, appointment_id).started_at == CLOCK
    assert not markdown_with(at, f"**{md(row.patient)}**", "just arrived")
    assert next(m.value for m in at.metric if m.label == "With provider") == "1"
    assert f"start_{appointment_id}" not in button_keys(at)
    at.button(key=f"complete_{appointment_id}").click().run()
    assert status_of(app_env, appointment_id).status == "completed"
    assert not {k for k in button_keys(at) if k.endswith(f"_{appointment_id}")}


def test_a_no_show_can_still_be_checked_in_but_offers_nothing_else(signed_in, app_env):
    at = open_today(signed_in)
    appointment_id = first_with_status(app_env, "scheduled").id
    at.button(key=f"noshow_{appointment_id}").click().run()
    assert status_of(app_env, appointment_id).status == "no_show"
    assert {k for k in button_keys(at) if k.endswith(f"_{appointment_id}")} == {f"checkin_{appointment_id}"}


def test_moves_the_status_table_forbids_are_not_offered(signed_in, app_env):
    at = open_today(signed_in)
    keys = button_keys(at)
    scheduled = first_with_status(app_env, "scheduled").id
    assert f"complete_{scheduled}" not in keys and f"start_{scheduled}" not in keys
    # Cancelled visits are not listed at all, and nothing offers to cancel or confirm.
    cancelled = [r.id for r in day_rows(app_env, include_cancelled=True) if r.status == "cancelled"]
    assert cancelled
    assert not {k for k in keys for i in cancelled if k.endswith(f"_{i}")}
    assert not [k for k in keys if k.startswith(("cancel", "confirm"))]


def change_elsewhere(path, appointment_id, to_status, **kwargs):
    """Another desk changes the appointment while this page is open."""
    with database(path) as conn:
        appointments.change_status(conn, appointment_id, to_status, user="test", **kwargs)


def test_a_click_on_a_row_changed_elsewhere_says_why_next_to_it_and_changes_nothing(signed_in, app_env):
    at = open_today(signed_in)
    appointment_id = first_with_status(app_env, "scheduled").id
    change_elsewhere(app_env, appointment_id, "checked_in")
    at.button(key=f"noshow_{appointment_id}").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == ["A checked in appointment cannot be marked no-show."]
    assert status_of(app_env, appointment_id).status == "checked_in"
    # The row shows its true state now, with the actions that fit it.
    assert f"start_{appointment_id}" in button_keys(at)


def test_a_click_on_a_visit_cancelled_elsewhere_names_the_patient_and_changes_nothing(signed_in, app_env):
    at = open_today(signed_in)
    row = first_with_status(app_env, "scheduled")
    change_elsewhere(app_env, row.id, "cancelled", reason="Called to cancel")
    at.button(key=f"checkin_{row.id}").click().run()
    assert not at.exception
    message = "A cancelled appointment cannot be marked checked in."
    assert [e.value for e in at.error] == [f"{md(row.patient)}: {message}"]
    assert status_of(app_env, row.id).status == "cancelled"


def test_a_clinician_sees_their_own_day_and_acts_only_on_their_own_patients(signed_in, app_env):
    with database(app_env) as conn:
        own = providers.for_user(conn, user_id_for(app_env, "doctor"))
    at = open_today(signed_in, "clinician")
    assert at.selectbox(key="today_provider").value == own.id
    mine = day_rows(app_env, provider_id=own.id)
    others = [r for r in day_rows(app_env) if r.provider_id != own.id]
    assert markdown_with(at, f"#### {md(own.name)}")
    assert not markdown_with(at, f"#### {md(others[0].provider)}")
    assert {f"checkin_{r.id}" for r in mine if r.status == "scheduled"} <= button_keys(at)
    # With every provider shown, the others' rows are there to read, without buttons.
    at.selectbox(key="today_provider").select(0).run()
    assert markdown_with(at, f"#### {md(others[0].provider)}")
    assert not {k for k in button_keys(at) for r in others if k.endswith(f"_{r.id}")}


def next_weekday_after_today(skip=3):
    today = timeutil.today(TZ)
    closed = public_holidays("US", "NY", [today.year, today.year + 1])
    return frontdesk.reminder_day(today, skip, frontdesk.working_day_test(range(5), closed))


def test_a_day_ahead_shows_its_bookings_and_free_gaps_but_no_check_in_yet(signed_in, app_env):
    day = next_weekday_after_today(skip=15)  # past the seeded bookings (two weeks ahead)
    with database(app_env) as conn:
        okafor = db.read_one(conn, "SELECT id FROM providers WHERE name = 'Dr. Amara Okafor'")[0]
        start = timeutil.local_to_utc(datetime.combine(day, time(10, 0)), TZ)
        appointment_id = make_appointment(conn, provider_id=okafor, patient_id=make_patient(conn, last_name="Ahead"),
                                          start_at=start, minutes=15)
    at = open_today(signed_in, day=day)
    assert markdown_with(at, "Ahead")
    assert f"checkin_{appointment_id}" not in button_keys(at)
    assert any("Check-in opens on the day" in c.value for c in at.caption)
    gaps = markdown_with(at, "**Dr\\. Amara Okafor**", "green-badge")
    assert gaps and "08:00–10:00 · 120 min" in gaps[0] and "10:15–12:00 · 105 min" in gaps[0]


def test_time_off_is_not_offered_as_a_gap_for_any_provider_shown(signed_in, app_env):
    day = next_weekday_after_today(skip=15)
    with database(app_env) as conn:
        names = dict(db.read(conn, "SELECT name, id FROM providers WHERE active"))
        okafor = names["Dr. Amara Okafor"]
        morning = [timeutil.local_to_utc(datetime.combine(day, time(hh)), TZ) for hh in (8, 11)]
        availability.add_time_off(conn, okafor, *morning, "Conference", by="test")
    at = open_today(signed_in, day=day)
    okafor_gaps = markdown_with(at, "**Dr\\. Amara Okafor**", "green-badge")
    assert okafor_gaps and "08:00" not in okafor_gaps[0] and "11:00–12:00 · 60 min" in okafor_gaps[0]
    # Only Dr. Okafor is away: a colleague working that morning keeps it free.
    assert any(m.startswith(f"**{md(n)}**") and "[08:00–" in m
               for n in names if n != "Dr. Amara Okafor" for m in markdown_with(at, "green-badge"))


def test_a_past_day_offers_no_gaps(signed_in, app_env):
    at = open_today(signed_in, day=SEED_TODAY - timedelta(days=3))
    assert any(c.value == "This day is over." for c in at.caption)
    assert not markdown_with(at, "min]", "green-badge")


def test_the_page_opens_on_the_clinics_today(signed_in):
    at = signed_in("front_desk").run()
    at.switch_page("pages/today.py").run()
    assert not at.exception
    assert at.date_input(key="today_day").value == SEED_TODAY


@pytest.mark.parametrize("key, shift", [("today_prev", -1), ("today_next", 1)])
def test_the_arrows_move_one_day(signed_in, key, shift):
    at = open_today(signed_in)
    at.button(key=key).click().run()
    assert at.date_input(key="today_day").value == SEED_TODAY + timedelta(days=shift)
    at.button(key="today_back").click().run()
    assert at.date_input(key="today_day").value == SEED_TODAY
