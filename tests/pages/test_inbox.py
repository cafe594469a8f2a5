"""Inbox through the real app: what each role sees, done and waiting, logging a call or message."""

from __future__ import annotations

import re
from datetime import date, datetime, timezone

import pytest

from clinic import timeutil
from db import users
from tests.conftest import SEED_TODAY, user_id_for, query, database


def open_inbox(signed_in, role: str):
    at = signed_in(role).run()
    at.switch_page("pages/inbox.py").run()
    assert not at.exception, at.exception
    return at


def shown_ids(at, prefix: str = "inbox_wait_") -> set[int]:
    """Ids of the items with a button whose key starts with ``prefix``: by default the open items
    (each has a "Waiting" button; parked ones have "Back to open" instead)."""
    return {int(b.key.removeprefix(prefix)) for b in at.button if b.key and b.key.startswith(prefix)}


def tile(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_a_clinicians_inbox_lists_refills_referrals_and_results_but_not_appointment_requests(signed_in, app_env):
    at = open_inbox(signed_in, "clinician")
    expected = {r[0] for r in query(app_env, "SELECT id FROM messages WHERE status = 'open' AND assignee_role = 'clinician'")}
    types = {r[0] for r in query(app_env, "SELECT DISTINCT request_type FROM messages WHERE id IN (SELECT unnest(?))",
                                 [list(expected)])}
    assert expected and types == {"refill", "referral", "results"}
    assert shown_ids(at) == expected
    text = " ".join(m.value for m in at.markdown)
    assert "Prescription refill request" in text and "Referral request" in text and "Results question" in text
    assert "Appointment request" not in text
    assert tile(at, "Open for you") == str(len(expected))
    # Each item offers the patient's file, labelled with the patient's name.
    patient = query(app_env, "SELECT p.last_name FROM messages m JOIN patients p ON p.id = m.patient_id"
                             " WHERE m.id = ?", [min(expected)])[0][0]
    assert patient in at.button(key=f"inbox_patient_{min(expected)}").label


def test_the_front_desk_inbox_has_the_appointment_requests_and_a_waiting_section(signed_in, app_env):
    at = open_inbox(signed_in, "front_desk")
    open_ids = {r[0] for r in query(app_env, "SELECT id FROM messages WHERE status = 'open' AND assignee_role = 'front_desk'")}
    waiting = {r[0] for r in query(app_env, "SELECT id FROM messages WHERE status = 'waiting' AND assignee_role = 'front_desk'")}
    assert shown_ids(at) == open_ids
    assert waiting and shown_ids(at, "inbox_reopen_") == waiting
    assert shown_ids(at, "inbox_done_") == open_ids | waiting  # a waiting item can be closed directly too
    assert tile(at, "Waiting") == str(len(waiting))
    assert any(e.label.startswith("Waiting (") for e in at.expander)


def test_overdue_items_come_first_in_red_and_are_counted(signed_in, app_env):
    from datetime import timedelta

    from db import messages

    today = SEED_TODAY  # the clinic clock (SEED_NOW) the app runs on
    with database(app_env) as conn:
        later = messages.log_message(conn, patient_id=None, channel="phone_in", request_type="refill",
                                     subject="Due later", due_on=today + timedelta(days=1), by="test")
        now = messages.log_message(conn, patient_id=None, channel="phone_in", request_type="refill",
                                   subject="Due now", due_on=today, by="test")
    due = dict(query(app_env, "SELECT id, due_on FROM messages WHERE status = 'open' AND assignee_role = 'clinician'"))
    overdue_ids = {i for i, d in due.items() if d is not None and d < today}
    due_today = [i for i, d in due.items() if d == today]
    assert overdue_ids, "the seeded inbox has items due before the clinic's today"
    at = open_inbox(signed_in, "clinician")
    order = [int(b.key.removeprefix("inbox_wait_")) for b in at.button if b.key and b.key.startswith("inbox_wait_")]
    assert set(order) == set(due)
    # Every overdue item first; then the rest by due date: today's (the new one among them), then tomorrow's.
    assert set(order[:len(overdue_ids)]) == overdue_ids
    rest = [due[i] for i in order[len(overdue_ids):]]
    assert rest == sorted(rest) and rest[0] == today
    assert order.index(later) > order.index(now)
    assert all(due[i] == today for i in order[len(overdue_ids):order.index(now) + 1])
    overdue = [m.value for m in at.markdown if "overdue by" in m.value]
    assert len(overdue) == len(overdue_ids) and all(":red[" in m for m in overdue)
    assert any("due today" in m.value for m in at.markdown) and any("due tomorrow" in m.value for m in at.markdown)
    assert tile(at, "Overdue") == str(len(overdue_ids))
    assert tile(at, "Due today") == str(len(due_today))


def test_done_with_a_note_takes_the_item_out_of_the_inbox_and_writes_an_audit_row(signed_in, app_env):
    at = open_inbox(signed_in, "clinician")
    item = min(shown_ids(at))
    at.text_input(key=f"inbox_note_{item}").input("Sent to pharmacy")
    at.button(key=f"inbox_done_{item}").click().run()
    assert not at.exception
    assert item not in shown_ids(at, "inbox_done_")
    assert any(s.value.startswith("Done:") for s in at.success)
    status, note, closed_by = query(app_env, "SELECT status, closed_note, closed_by FROM messages WHERE id = ?", [item])[0]
    assert (status, note, closed_by) == ("done", "Sent to pharmacy", user_id_for(app_env, "doctor"))
    audit = query(app_env, "SELECT username, detail FROM audit_log WHERE action = 'message.status' AND entity_id = ?",
                  [str(item)])
    assert len(audit) == 1 and audit[0][0] == "doctor" and '"to": "done"' in audit[0][1]


def test_waiting_parks_an_item_and_back_to_open_returns_it(signed_in, app_env):
    at = open_inbox(signed_in, "clinician")
    item = min(shown_ids(at))
    before = int(tile(at, "Open for you"))
    at.button(key=f"inbox_wait_{item}").click().run()
    assert item not in shown_ids(at) and item in shown_ids(at, "inbox_reopen_")
    assert tile(at, "Open for you") == str(before - 1)
    assert query(app_env, "SELECT status FROM messages WHERE id = ?", [item])[0][0] == "waiting"
    at.button(key=f"inbox_reopen_{item}").click().run()
    assert item in shown_ids(at)
    assert query(app_env, "SELECT status FROM messages WHERE id = ?", [item])[0][0] == "open"


def pick_patient(at, app_env) -> tuple[int, str]:
    patient_id, last_name = query(app_env, "SELECT id, last_name FROM patients WHERE status = 'active'"
                                           " AND last_name NOT LIKE '% %' ORDER BY id LIMIT 1")[0]
    at.text_input(key="log_search").input(last_name).run()
    at.selectbox(key="log_patient").select(patient_id).run()
    return patient_id, last_name


def test_a_refill_request_logged_by_the_front_desk_lands_in_the_doctors_inbox(signed_in, app_env):
    at = open_inbox(signed_in, "front_desk")
    patient_id, _ = pick_patient(at, app_env)
    at.selectbox(key="log_channel").select("phone_in")
    at.selectbox(key="log_type").select("refill").run()
    assert any("Goes to **the inbox of every clinician user**" in m.value for m in at.markdown)
    assert at.selectbox(key="log_assignee").value == "default"
    at.text_input(key="log_subject").input("Refill of lisinopril")
    at.text_area(key="log_body").input("Pharmacy on Main St.")
    at.button(key="log_submit").click().run()
    assert not at.exception
    assert any("Logged “Refill of lisinopril”" in s.value and "clinician" in s.value for s in at.success)
    assert at.text_input(key="log_subject").value == ""  # the form is ready for the next call
    (message_id, role, created_by), = query(
        app_env, "SELECT id, assignee_role, created_by FROM messages WHERE subject = 'Refill of lisinopril'"
                 " AND patient_id = ?", [patient_id])
    assert role == "clinician" and created_by == user_id_for(app_env, "frontdesk")
    assert message_id not in shown_ids(at)  # not in the front desk's own inbox

    doctor = open_inbox(signed_in, "clinician")
    assert message_id in shown_ids(doctor)


def test_an_item_assigned_to_one_person_goes_to_them_only(signed_in, app_env):
    at = open_inbox(signed_in, "front_desk")
    billing = user_id_for(app_env, "billing")
    at.selectbox(key="log_type").select("referral").run()
    at.selectbox(key="log_assignee").select(f"user:{billing}").run()
    assert any("Goes to **Leo Brennan’s inbox**" in m.value for m in at.markdown)
    at.text_input(key="log_subject").input("Ask about the referral form")
    at.button(key="log_submit").click().run()
    assert query(app_env, "SELECT assignee_user, assignee_role FROM messages WHERE subject = ?",
                 ["Ask about the referral form"]) == [(billing, None)]


def test_an_empty_subject_writes_nothing_and_keeps_what_was_typed(signed_in, app_env):
    at = open_inbox(signed_in, "front_desk")
    before = query(app_env, "SELECT count(*) FROM messages")[0][0]
    patient_id, last_name = pick_patient(at, app_env)
    at.selectbox(key="log_type").select("referral")
    at.text_input(key="log_subject").input("   ")
    at.text_area(key="log_body").input("Needs a cardiology referral")
    at.button(key="log_submit").click().run()
    assert not at.exception
    assert "Enter a short subject." in [e.value for e in at.error]
    assert at.text_area(key="log_body").value == "Needs a cardiology referral"
    assert at.text_input(key="log_search").value == last_name
    assert at.selectbox(key="log_patient").value == patient_id
    assert at.selectbox(key="log_type").value == "referral"
    assert query(app_env, "SELECT count(*) FROM messages")[0][0] == before


def test_a_search_without_a_chosen_patient_is_refused(signed_in, app_env):
    at = open_inbox(signed_in, "front_desk")
    before = query(app_env, "SELECT count(*) FROM messages")[0][0]
    at.text_input(key="log_search").input("Zzzzqx").run()
    at.text_input(key="log_subject").input("Call back")
    at.button(key="log_submit").click().run()
    assert any(re.search("Choose the patient from the list", e.value) for e in at.error)
    assert at.text_input(key="log_subject").value == "Call back"
    assert query(app_env, "SELECT count(*) FROM messages")[0][0] == before


def test_a_subject_with_markdown_is_shown_as_typed(signed_in, app_env):
    at = open_inbox(signed_in, "front_desk")
    at.selectbox(key="log_assignee").select("role:front_desk").run()
    at.text_input(key="log_subject").input("**Urgent** [call](http://x)")
    at.button(key="log_submit").click().run()
    assert not at.exception
    shown = [m.value for m in at.markdown if "Urgent" in m.value]
    assert shown and all(r"\*\*Urgent\*\*" in m for m in shown)


def test_the_patient_button_opens_that_patients_file(signed_in, app_env):
    at = open_inbox(signed_in, "clinician")
    item = min(shown_ids(at))
    patient_id = query(app_env, "SELECT patient_id FROM messages WHERE id = ?", [item])[0][0]
    at.button(key=f"inbox_patient_{item}").click().run()
    assert not at.exception
    assert "Inbox" not in [t.value for t in at.title]
    assert at.session_state["_nav_patient_id"] == patient_id  # components.nav's hand-over to the file


# --- the acting account and the due-date rule --------------------------------------------------


@pytest.fixture
def clock():
    """Set the clinic clock (the app runs in this process); back to the real clock afterwards."""
    yield timeutil.set_clock
    timeutil.set_clock(None)


def test_a_front_desk_user_deactivated_while_the_inbox_is_open_cannot_close_an_item(signed_in, app_env):
    at = open_inbox(signed_in, "front_desk")
    item = min(shown_ids(at))
    at.text_input(key=f"inbox_note_{item}").input("Closing after being let go")
    with database(app_env) as conn:
        users.set_active(conn, user_id_for(app_env, "frontdesk"), False, by="test")
    at.button(key=f"inbox_done_{item}").click().run()
    assert not at.exception
    assert query(app_env, "SELECT status, closed_note FROM messages WHERE id = ?", [item]) == [("open", None)]
    assert query(app_env, "SELECT count(*) FROM audit_log WHERE action = 'message.status'") == [(0,)]
    assert at.text_input(key="login_username"), "the sign-in form is shown instead"


def test_a_due_date_that_has_passed_since_the_form_was_filled_in_is_refused(signed_in, app_env, clock):
    clock(datetime(2026, 3, 2, 21, 0, tzinfo=timezone.utc))  # Monday 16:00 in New York
    at = open_inbox(signed_in, "front_desk")
    before = query(app_env, "SELECT count(*) FROM messages")[0][0]
    at.text_input(key="log_subject").input("Call the lab back")
    at.date_input(key="log_due").set_value(date(2026, 3, 2)).run()
    clock(datetime(2026, 3, 3, 14, 0, tzinfo=timezone.utc))  # the form was left open overnight
    at.button(key="log_submit").click().run()
    assert not at.exception
    assert "The due date is in the past." in [e.value for e in at.error]
    assert query(app_env, "SELECT count(*) FROM messages")[0][0] == before
    assert at.text_input(key="log_subject").value == "Call the lab back"
