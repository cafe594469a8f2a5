"""The communication log's rules: ages, due labels, counts, routing, and what a new item must hold."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from clinic import followup
from clinic.errors import ValidationError

TODAY = date(2026, 3, 2)
TZ = "America/New_York"


def test_counts_take_overdue_and_due_today_from_open_items_only():
    items = [("open", date(2026, 2, 27)), ("open", TODAY), ("open", None), ("open", date(2026, 3, 5)),
             ("waiting", date(2026, 2, 1)), ("done", date(2026, 2, 1))]
    assert followup.counts(items, TODAY) == followup.Counts(open=4, overdue=1, due_today=1, waiting=1)


def test_an_item_logged_late_in_the_evening_is_aged_by_the_clinic_day_not_the_utc_day():
    # 02:30 UTC on 2 March is still 1 March in New York.
    assert followup.age_label(datetime(2026, 3, 2, 2, 30, tzinfo=timezone.utc), TODAY, TZ) == "yesterday"
    assert followup.age_label(datetime(2026, 3, 2, 15, 0, tzinfo=timezone.utc), TODAY, TZ) == "today"
    assert followup.age_label(datetime(2026, 2, 20, 15, 0, tzinfo=timezone.utc), TODAY, TZ) == "10 days ago"


@pytest.mark.parametrize("due, label", [
    (None, "no due date"), (date(2026, 3, 1), "overdue by 1 day (was due Sun 01 Mar)"),
    (date(2026, 2, 23), "overdue by 7 days (was due Mon 23 Feb)"),
    (TODAY, "due today"), (date(2026, 3, 3), "due tomorrow"), (date(2026, 3, 6), "due Fri 06 Mar"),
])
def test_due_labels_say_how_late_or_when(due, label):
    assert followup.due_label(due, TODAY) == label


def test_a_new_item_reports_every_problem_at_once():
    with pytest.raises(ValidationError) as caught:
        followup.check_message(patient_id=None, channel="fax", request_type="refill", subject="  \n ",
                               due_on=date(2026, 3, 1), today=TODAY)
    assert set(caught.value.errors) == {"channel", "subject", "due_on"}
    assert caught.value.errors["due_on"] == "The due date is in the past."


def test_a_call_about_no_patient_with_a_subject_and_no_due_date_passes_and_is_routed():
    item = followup.check_message(patient_id=None, channel="phone_in", request_type="refill",
                                  subject="  Pharmacy   called ", today=TODAY)
    assert (item.subject, item.body, item.due_on, item.routing) == (
        "Pharmacy called", None, None, followup.Routing(None, "clinician"))
    due_today = followup.check_message(patient_id=7, channel="email", request_type="billing", subject="Refill",
                                       assignee_user=12, due_on=TODAY, today=TODAY)
    assert due_today.routing == followup.Routing(12, None)


@pytest.mark.parametrize("request_type, role", [("refill", "clinician"), ("results", "clinician"),
                                                ("billing", "billing"), ("appointment", "front_desk"),
                                                ("other", "front_desk")])
def test_requests_go_to_the_role_that_handles_them_unless_someone_is_chosen(request_type, role):
    assert followup.route(request_type, user_id=None, role=None) == followup.Routing(None, role)
    assert followup.route(request_type, user_id=None, role="manager") == followup.Routing(None, "manager")


def test_a_search_typed_without_a_patient_chosen_is_a_mistake():
    assert set(followup.unchosen_patient("Smith", None)) == {"patient"}
    assert followup.unchosen_patient("Smith", 7) == {}
    assert followup.unchosen_patient("   ", None) == {}
