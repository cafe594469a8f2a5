"""The inbox's small rules: ages, due labels, counts, and the log form's first checks."""

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


def test_the_log_form_reports_every_problem_at_once():
    with pytest.raises(ValidationError) as caught:
        followup.check_new_item(subject="  \n ", searched="Smith", patient_id=None, due_on=date(2026, 3, 1),
                                today=TODAY)
    assert set(caught.value.errors) == {"subject", "patient", "due_on"}


def test_a_call_about_no_patient_with_a_subject_and_no_due_date_passes():
    followup.check_new_item(subject="Pharmacy called", searched="", patient_id=None, due_on=None, today=TODAY)
    followup.check_new_item(subject="Refill", searched="Smith", patient_id=7, due_on=TODAY, today=TODAY)
