"""Reminder calls through the real app: the reminder day's patients with their phone numbers,
where each call stands (a badge), one click to record how it went, and the patients who opted out
listed apart, never to call. The clinic clock is set to the seeded Monday, so the reminder day is
the seeded Tuesday whatever the wall clock says."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

import db

from clinic import intake, timeutil
from components.text import md
from db import appointments
from tests.conftest import SEED_TODAY, TZ, database, make_appointment, make_patient

TUESDAY = SEED_TODAY + timedelta(days=1)  # the seeded database has bookings on it
CLOCK = timeutil.local_to_utc(datetime.combine(SEED_TODAY, time(9)), TZ)


@pytest.fixture(autouse=True)
def seeded_monday(clinic_clock):
    clinic_clock(CLOCK)


def open_reminders(signed_in, day=TUESDAY, role="front_desk", show=None):
    at = signed_in(role).run()
    at.switch_page("pages/reminders.py").run()
    at.date_input(key="reminders_day").set_value(day).run()
    if show:
        at.segmented_control(key="reminders_show").set_value(show).run()
    assert not at.exception, at.exception
    return at


def remindable(path, day=TUESDAY):
    with database(path) as conn:
        rows = appointments.list_rows(conn, *timeutil.day_bounds(day, TZ))
    return [r for r in rows if r.status in ("scheduled", "confirmed")]


def to_call(path):
    return [r for r in remindable(path) if r.reminder_opt_in is not False]


def opted_out(path):
    return [r for r in remindable(path) if r.reminder_opt_in is False]


def first_scheduled(path):
    return next(r for r in to_call(path) if r.status == "scheduled")


def saved(path, appointment_id):
    with database(path) as conn:
        return appointments.get(conn, appointment_id)


def tile(at, label):
    return int(next(m.value for m in at.metric if m.label == label))


def outcome_buttons(at):
    return {b.key for b in at.button if b.key and b.key.startswith("reminder_")}


def listed_ids(at):
    return {int(k.rsplit("_", 1)[1]) for k in outcome_buttons(at)}


def row_text(at, row):
    return " ".join(m.value for m in at.container(key=f"reminder_row_{row.id}").markdown)


def test_the_list_to_call_is_the_days_patients_who_accept_reminders_with_their_phone(signed_in, app_env):
    at = open_reminders(signed_in)
    rows = to_call(app_env)
    assert len(rows) > 5 and opted_out(app_env)
    still = [r.id for r in rows if r.status == "scheduled"]  # "Still to call" first, in time order
    assert listed_ids(at) == set(still[:25])
    with_phone = next(r for r in rows if r.phone and r.status == "scheduled")
    assert md(intake.display_phone(with_phone.phone, "US")) in row_text(at, with_phone)
    assert tile(at, "To call") + tile(at, "Confirmed") == len(rows)  # nobody has been called yet
    at.segmented_control(key="reminders_show").set_value("All").run()
    assert listed_ids(at) == {r.id for r in rows[:25]}


def test_patients_who_opted_out_are_never_listed_to_call_but_shown_apart_with_a_count(signed_in, app_env):
    at = open_reminders(signed_in, show="All")
    out = opted_out(app_env)
    assert not listed_ids(at) & {r.id for r in out}
    assert tile(at, "Not to be called") == len(out)
    (expander,) = [e for e in at.expander if "Not to be called" in e.label]
    assert expander.label.startswith(f"Not to be called ({len(out)})")
    table = expander.dataframe[0].value
    assert sorted(table["Patient"]) == sorted(r.patient for r in out)
    assert not any(b.key and b.key.startswith("reminder_") for b in expander.button)


def test_the_outcome_buttons_are_actions_and_where_the_call_stands_is_a_badge(signed_in, app_env):
    at = open_reminders(signed_in, show="All")
    buttons = [b for b in at.button if b.key and b.key.startswith("reminder_")]
    assert buttons and {b.proto.type for b in buttons} == {"secondary"}  # no solid button reads as a state
    shown = listed_ids(at)
    scheduled = next(r for r in to_call(app_env) if r.status == "scheduled" and r.id in shown)
    confirmed = next(r for r in to_call(app_env) if r.status == "confirmed" and r.id in shown)
    assert ":gray-badge[Not called yet]" in row_text(at, scheduled)
    assert "-badge[:material/check: Confirmed]" in row_text(at, confirmed)
    assert any("Log the call" in m.value for m in at.markdown)


def test_a_confirmed_call_confirms_the_appointment(signed_in, app_env):
    at = open_reminders(signed_in)
    row = first_scheduled(app_env)
    calls, confirmed = tile(at, "To call"), tile(at, "Confirmed")
    at.button(key=f"reminder_confirmed_{row.id}").click().run()
    assert not at.exception
    after = saved(app_env, row.id)
    assert after.status == "confirmed"
    assert after.reminder_outcome == "confirmed" and after.reminder_at == CLOCK
    assert (tile(at, "To call"), tile(at, "Confirmed")) == (calls - 1, confirmed + 1)
    assert any("confirmed" in t.value for t in at.toast)
    assert row.id not in listed_ids(at)  # done: off the list still to call


def test_no_answer_keeps_the_booking_and_counts_as_not_reached(signed_in, app_env):
    at = open_reminders(signed_in)
    row = first_scheduled(app_env)
    at.button(key=f"reminder_no_answer_{row.id}").click().run()
    after = saved(app_env, row.id)
    assert (after.status, after.reminder_outcome) == ("scheduled", "no_answer")
    assert tile(at, "Not reached") == 1
    shown = row_text(at, row)
    assert ":orange-badge[No answer]" in shown and "called Mon 09:00" in shown
    # Still worth another call: it stays on the "Still to call" list.
    assert f"reminder_no_answer_{row.id}" in outcome_buttons(at)


def test_still_to_call_hides_confirmed_patients_and_those_wanting_another_time(signed_in, app_env):
    at = open_reminders(signed_in)
    moving = first_scheduled(app_env).id
    at.button(key=f"reminder_wants_reschedule_{moving}").click().run()
    assert tile(at, "Wants to reschedule") == 1
    still = [r.id for r in to_call(app_env) if r.status == "scheduled" and r.id != moving]
    assert listed_ids(at) == set(still[:25])


def test_an_outcome_for_a_visit_cancelled_meanwhile_is_refused_next_to_the_row(signed_in, app_env):
    at = open_reminders(signed_in)
    row = first_scheduled(app_env)
    with database(app_env) as conn:
        appointments.cancel(conn, row.id, user="test", reason="Moved away")
    at.button(key=f"reminder_confirmed_{row.id}").click().run()
    assert not at.exception
    assert any("no longer waiting for a reminder" in e.value for e in at.error)
    assert saved(app_env, row.id).status == "cancelled"


def test_a_long_day_comes_a_page_at_a_time(signed_in, app_env):
    with database(app_env) as conn:
        provider = db.read_one(conn, "SELECT id FROM providers ORDER BY id LIMIT 1")[0]
        for i in range(30):
            start = timeutil.local_to_utc(datetime.combine(TUESDAY, time(7)) + timedelta(minutes=i), TZ)
            make_appointment(conn, provider_id=provider, start_at=start, patient_id=make_patient(conn))
    at = open_reminders(signed_in)
    total = len([r for r in to_call(app_env) if r.status == "scheduled"])
    first = listed_ids(at)
    assert len(first) == 25 and any(f"Patients 1–25 of {total}" in m.value for m in at.markdown)
    at.button(key="reminders_next").click().run()
    second = listed_ids(at)
    assert len(second) == total - 25 and not first & second
    assert at.button(key="reminders_next").disabled


def test_the_page_opens_on_the_next_working_day(signed_in):
    at = signed_in("front_desk").run()
    at.switch_page("pages/reminders.py").run()
    assert at.date_input(key="reminders_day").value == TUESDAY
    assert any("next reminder day" in c.value for c in at.caption)


def test_each_row_shows_its_no_show_risk_and_the_riskiest_call_comes_first(signed_in, app_env):
    still = [r for r in to_call(app_env) if r.status == "scheduled"]  # in time order
    habitual = still[-1]  # the last call by time, booked 40 days ahead for a patient who missed
    # all five visits they had
    with database(app_env) as conn:
        patient_id = make_patient(conn)
        conn.execute("UPDATE appointments SET patient_id = ?, booked_at = start_at - INTERVAL 40 DAY WHERE id = ?",
                     [patient_id, habitual.id])
        for weeks in range(1, 6):
            make_appointment(conn, patient_id=patient_id, provider_id=habitual.provider_id,
                             type_id=habitual.type_id, start_at=habitual.start_at - timedelta(weeks=weeks),
                             status="no_show")
    at = open_reminders(signed_in)

    def call_order():
        return [int(b.key.rsplit("_", 1)[1]) for b in at.button if b.key and b.key.startswith("reminder_confirmed_")]

    assert call_order()[0] == habitual.id  # riskiest first
    cell = next(m for m in at.container(key=f"reminder_row_{habitual.id}").markdown if "no-show risk" in m.value)
    assert cell.value.startswith(":red-badge[High no-show risk]")
    assert "5 of 5 missed" in cell.value
    assert "Chance of a no-show about" in cell.proto.help
    # Every row says its risk; and the list can still be read by time.
    assert all("no-show risk" in row_text(at, r) for r in still)
    at.segmented_control(key="reminders_order").set_value("By time").run()
    assert call_order() == [r.id for r in still]
