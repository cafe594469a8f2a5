"""The analytics formulas (clinic.analytics): the no-show rate, lead-time buckets and age groups
exactly as DESIGN.md names them, reminder groups, KPI deltas and the period presets."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from clinic import analytics
from clinic.scheduling import STATUSES


def test_the_buckets_are_the_design_labels_in_order():
    assert analytics.LEAD_TIME_BUCKETS == ("0", "1-2", "3-7", "8-14", "15-30", "31+")
    assert analytics.AGE_GROUPS == ("0-12", "13-17", "18-39", "40-64", "65+")


@pytest.mark.parametrize(("days", "label"), [
    (-3, "0"), (0, "0"), (1, "1-2"), (2, "1-2"), (3, "3-7"), (7, "3-7"), (8, "8-14"), (14, "8-14"),
    (15, "15-30"), (30, "15-30"), (31, "31+"), (400, "31+"),
])
def test_lead_time_bucket_edges(days, label):
    assert analytics.lead_time_bucket(days) == label


@pytest.mark.parametrize(("years", "label"), [
    (0, "0-12"), (12, "0-12"), (13, "13-17"), (17, "13-17"), (18, "18-39"), (39, "18-39"), (40, "40-64"),
    (64, "40-64"), (65, "65+"), (104, "65+"),
])
def test_age_group_edges(years, label):
    assert analytics.age_group(years) == label


def test_every_whole_number_lands_in_exactly_the_bucket_its_label_spells():
    for days in range(0, 200):
        label = analytics.lead_time_bucket(days)
        low, _, high = label.rstrip("+").partition("-")
        assert int(low) <= days and (label.endswith("+") or days <= int(high or low))


def test_age_counts_full_years_and_a_leap_day_birthday_from_1_march():
    assert analytics.age_on(date(1990, 6, 15), date(2026, 6, 14)) == 35
    assert analytics.age_on(date(1990, 6, 15), date(2026, 6, 15)) == 36
    assert analytics.age_on(date(2008, 2, 29), date(2026, 2, 28)) == 17
    assert analytics.age_on(date(2008, 2, 29), date(2026, 3, 1)) == 18


def test_reminder_groups_cover_every_call_outcome():
    from db.appointments import REMINDER_OUTCOMES

    assert set(analytics.REMINDER_GROUP_OF) == set(REMINDER_OUTCOMES)
    assert analytics.reminder_group("confirmed") == "confirmed"
    assert analytics.reminder_group("no_answer") == analytics.reminder_group("left_message") == "not reached"
    assert analytics.reminder_group(None) == "no reminder recorded"
    # An imported visit whose reminder was a text message, with no call recorded:
    assert analytics.reminder_group(None, True) == "reminder sent"
    assert analytics.reminder_group(None, False) == "no reminder recorded"
    assert analytics.reminder_group("confirmed", False) == "confirmed"


def test_the_no_show_rate_and_booked_count():
    assert analytics.no_show_rate(1, 3) == 0.25
    assert analytics.no_show_rate(2, 0) == 1.0
    assert analytics.no_show_rate(0, 0) is None
    counts = dict.fromkeys(STATUSES, 1)
    assert analytics.booked_count(counts) == 5  # every status but cancelled, no-shows included
    assert analytics.utilization_rate(90, 120) == 0.75 and analytics.utilization_rate(30, 0) is None


def test_delta_is_absolute_and_relative_and_none_safe():
    assert analytics.delta(12, 10) == analytics.Delta(2, 0.2)
    assert analytics.delta(0.15, 0.2).relative == pytest.approx(-0.25)
    assert analytics.delta(Decimal("150.00"), Decimal("100.00")) == analytics.Delta(Decimal("50.00"), 0.5)
    assert analytics.delta(5, 0) == analytics.Delta(5, None)
    assert analytics.delta(None, 3) == analytics.Delta(None, None)
    assert analytics.delta(3, None) == analytics.Delta(None, None)


TODAY = date(2026, 5, 20)  # a Wednesday in the second quarter


@pytest.mark.parametrize(("name", "period"), [
    ("last_7_days", (date(2026, 5, 13), date(2026, 5, 20))),
    ("last_30_days", (date(2026, 4, 20), date(2026, 5, 20))),
    ("last_90_days", (date(2026, 2, 19), date(2026, 5, 20))),
    ("this_month", (date(2026, 5, 1), date(2026, 5, 21))),
    ("last_month", (date(2026, 4, 1), date(2026, 5, 1))),
    ("this_quarter", (date(2026, 4, 1), date(2026, 5, 21))),
    ("last_quarter", (date(2026, 1, 1), date(2026, 4, 1))),
    ("year_to_date", (date(2026, 1, 1), date(2026, 5, 21))),
])
def test_period_presets_end_exclusive(name, period):
    assert name in analytics.PERIOD_PRESETS
    assert analytics.preset_period(name, TODAY) == period


def test_last_month_and_quarter_cross_the_new_year():
    assert analytics.preset_period("last_month", date(2026, 1, 15)) == (date(2025, 12, 1), date(2026, 1, 1))
    assert analytics.preset_period("last_quarter", date(2026, 2, 1)) == (date(2025, 10, 1), date(2026, 1, 1))


def test_an_unknown_preset_is_refused():
    with pytest.raises(ValueError):
        analytics.preset_period("last_8_days", TODAY)
    with pytest.raises(ValueError):
        analytics.preset_period("fortnight", TODAY)


def test_the_previous_period_has_the_same_length_just_before():
    assert analytics.previous_period(date(2026, 5, 1), date(2026, 5, 21)) == (date(2026, 4, 11), date(2026, 5, 1))
    assert analytics.previous_period(date(2026, 3, 1), date(2026, 4, 1)) == (date(2026, 1, 29), date(2026, 3, 1))
    with pytest.raises(ValueError):
        analytics.previous_period(date(2026, 3, 1), date(2026, 3, 1))
