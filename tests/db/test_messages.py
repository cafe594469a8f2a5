"""The communication log on a real DuckDB file: one log_message for every screen, with every
check (the due-date rule included), and closing or parking an item."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

import db
from clinic import timeutil
from clinic.errors import ClinicError, ValidationError
from db import messages, users
from tests.conftest import make_patient, make_user

MONDAY_NOON = datetime(2026, 3, 2, 17, 0, tzinfo=timezone.utc)  # 12:00 in New York


@pytest.fixture
def desk(conn):
    return users.get(conn, make_user(conn, username="desk"))


@pytest.fixture(autouse=True)
def clock():
    timeutil.set_clock(MONDAY_NOON)
    yield
    timeutil.set_clock(None)


def count(conn) -> int:
    return db.read(conn, "SELECT count(*) FROM messages")[0][0]


def test_a_due_date_before_the_clinics_today_is_refused_and_nothing_is_logged(conn, desk):
    pid = make_patient(conn)
    with pytest.raises(ValidationError) as refused:
        messages.log_message(conn, patient_id=pid, channel="phone_in", request_type="refill", subject="Refill",
                             due_on=date(2026, 3, 1), by=desk)
    assert refused.value.errors == {"due_on": "The due date is in the past."}
    assert count(conn) == 0
    for due in (date(2026, 3, 2), date(2026, 3, 3), None):
        messages.log_message(conn, patient_id=pid, channel="phone_in", request_type="refill", subject="Refill",
                             due_on=due, by=desk)
    assert count(conn) == 3


def test_the_due_date_rule_follows_the_clinic_day_not_the_utc_day(conn, desk):
    # 02:00 UTC on Tuesday is still Monday evening in New York: Monday is not in the past yet.
    timeutil.set_clock(datetime(2026, 3, 3, 2, 0, tzinfo=timezone.utc))
    messages.log_message(conn, patient_id=None, channel="phone_in", request_type="other", subject="Late call",
                         due_on=date(2026, 3, 2), by=desk)
    assert count(conn) == 1


def test_every_problem_of_a_new_item_is_reported_at_once(conn, desk):
    with pytest.raises(ValidationError) as refused:
        messages.log_message(conn, patient_id=None, channel="fax", request_type="gossip", subject="  ",
                             status="lost", assignee_role="janitor", due_on=date(2026, 2, 1), by=desk)
    assert set(refused.value.errors) == {"channel", "request_type", "subject", "status", "assignee", "due_on"}
    assert count(conn) == 0


def test_a_message_about_a_patient_who_does_not_exist_is_refused(conn, desk):
    with pytest.raises(ValidationError) as refused:
        messages.log_message(conn, patient_id=999999, channel="phone_in", request_type="other", subject="Who?",
                             by=desk)
    assert set(refused.value.errors) == {"patient"}


def test_an_item_logged_as_done_is_closed_by_whoever_logged_it(conn, desk):
    message_id = messages.log_message(conn, patient_id=None, channel="phone_in", request_type="other",
                                      subject="Handled on the phone", status="done", by=desk)
    assert db.read(conn, "SELECT status, closed_by, closed_at FROM messages WHERE id = ?", [message_id]) == [
        ("done", desk.id, MONDAY_NOON)]


def test_closing_an_item_twice_is_refused(conn, desk):
    message_id = messages.log_message(conn, patient_id=None, channel="phone_in", request_type="other",
                                      subject="Call back", by=desk)
    messages.set_status(conn, message_id, "done", note="Called back", by=desk)
    with pytest.raises(ClinicError, match="already done"):
        messages.set_status(conn, message_id, "done", by=desk)
    messages.set_status(conn, message_id, "open", by=desk)
    assert db.read(conn, "SELECT status, closed_at, closed_note FROM messages WHERE id = ?", [message_id]) == [
        ("open", None, "Called back")]
