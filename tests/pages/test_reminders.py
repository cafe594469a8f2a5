"""Reminder calls through the real app: the reminder day's patients with their phone numbers, and
one click to record what happened on the call. The clinic clock is set to the seeded Monday, so
the reminder day is the seeded Tuesday whatever the wall clock says."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from clinic import intake, timeutil
from components.text import md
from db import appointments
from tests.conftest import SEED_TODAY, TZ, database

TUESDAY = SEED_TODAY + timedelta(days=1)  # the seeded database has bookings on it
CLOCK = timeutil.local_to_utc(datetime.combine(SEED_TODAY, time(9)), TZ)


@pytest.fixture(autouse=True)
def seeded_monday(clinic_clock):
    clinic_clock(CLOCK)


def open_reminders(signed_in, day=TUESDAY, role="front_desk"):
    at = signed_in(role).run()
    at.switch_page("pages/reminders.py").run()
    at.date_input(key="reminders_day").set_value(day).run()
    assert not at.exception, at.exception
    return at


def remindable(path, day=TUESDAY):
    with database(path) as conn:
        rows = appointments.list_rows(conn, *timeutil.day_bounds(day, TZ))
    return [r for r in rows if r.status in ("scheduled", "confirmed")]


def first_scheduled(path):
    return next(r for r in remindable(path) if r.status == "scheduled")


def saved(path, appointment_id):
    with database(path) as conn:
        return appointments.get(conn, appointment_id)


def tile(at, label):
    return int(next(m.value for m in at.metric if m.label == label))


def outcome_buttons(at):
    return {b.key for b in at.button if b.key and b.key.startswith("reminder_")}


def test_every_booked_patient_of_the_day_is_listed_with_their_phone_and_opt_in(signed_in, app_env):
    at = open_reminders(signed_in)
    rows = remindable(app_env)
    assert len(rows) > 5
    expected = {f"reminder_{outcome}_{r.id}" for r in rows for outcome in appointments.REMINDER_OUTCOMES}
    assert outcome_buttons(at) == expected
    with_phone = next(r for r in rows if r.phone)
    shown = [m.value for m in at.markdown if md(with_phone.patient) in m.value]
    assert md(intake.display_phone(with_phone.phone, "US")) in shown[0]
    assert ("Opted in" if with_phone.reminder_opt_in else "Opted out") in shown[0]
    assert tile(at, "To call") + tile(at, "Confirmed") == len(rows)  # nobody has been called yet


def test_a_confirmed_call_confirms_the_appointment(signed_in, app_env):
    at = open_reminders(signed_in)
    row = first_scheduled(app_env)
    to_call, confirmed = tile(at, "To call"), tile(at, "Confirmed")
    at.button(key=f"reminder_confirmed_{row.id}").click().run()
    assert not at.exception
    after = saved(app_env, row.id)
    assert after.status == "confirmed"
    assert after.reminder_outcome == "confirmed" and after.reminder_at == CLOCK
    assert (tile(at, "To call"), tile(at, "Confirmed")) == (to_call - 1, confirmed + 1)
    assert any("confirmed" in t.value for t in at.toast)


def test_no_answer_keeps_the_booking_and_counts_as_not_reached(signed_in, app_env):
    at = open_reminders(signed_in)
    row = first_scheduled(app_env)
    at.button(key=f"reminder_no_answer_{row.id}").click().run()
    after = saved(app_env, row.id)
    assert (after.status, after.reminder_outcome) == ("scheduled", "no_answer")
    assert tile(at, "Not reached") == 1
    shown = [m.value for m in at.markdown if md(row.patient) in m.value]
    assert "No answer" in shown[0] and "called Mon 09:00" in shown[0]
    # Still worth another call: it stays on the "Still to call" list.
    at.segmented_control(key="reminders_show").set_value("Still to call").run()
    assert f"reminder_no_answer_{row.id}" in outcome_buttons(at)


def test_still_to_call_hides_confirmed_patients_and_those_wanting_another_time(signed_in, app_env):
    at = open_reminders(signed_in)
    rows = remindable(app_env)
    moving = first_scheduled(app_env).id
    at.button(key=f"reminder_wants_reschedule_{moving}").click().run()
    assert tile(at, "Wants to reschedule") == 1
    at.segmented_control(key="reminders_show").set_value("Still to call").run()
    listed = {int(k.rsplit("_", 1)[1]) for k in outcome_buttons(at)}
    assert listed == {r.id for r in rows if r.status == "scheduled"} - {moving}


def test_an_outcome_for_a_visit_cancelled_meanwhile_is_refused_next_to_the_row(signed_in, app_env):
    at = open_reminders(signed_in)
    row = first_scheduled(app_env)
    with database(app_env) as conn:
        appointments.cancel(conn, row.id, user="test", reason="Moved away")
    at.button(key=f"reminder_confirmed_{row.id}").click().run()
    assert not at.exception
    assert any("no longer waiting for a reminder" in e.value for e in at.error)
    assert saved(app_env, row.id).status == "cancelled"


def test_the_page_opens_on_the_next_working_day(signed_in):
    at = signed_in("front_desk").run()
    at.switch_page("pages/reminders.py").run()
    assert at.date_input(key="reminders_day").value == TUESDAY
    assert any("next reminder day" in c.value for c in at.caption)
