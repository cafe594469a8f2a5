"""The schedule's rules, without a database: weekly hours, time off, closures, booking rules."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest

from clinic import hours
from clinic.errors import ValidationError
from clinic.scheduling import Block

TZ = "America/New_York"
NOW = datetime(2026, 3, 2, 14, 0, tzinfo=timezone.utc)  # Monday 09:00 in New York


# --- weekly hours ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed, expected",
    [("08:30", time(8, 30)), ("8:30", time(8, 30)), (" 13:05 ", time(13, 5)), ("09:00:00.000", time(9)),
     ("17:00:00", time(17)), (time(7, 45), time(7, 45))],
)
def test_times_are_read_as_people_type_them_and_as_the_browser_sends_them(typed, expected):
    assert hours.parse_time(typed) == expected


@pytest.mark.parametrize("typed", ["", "noon", "25:00", "0830", "8", "12:60"])
def test_text_that_is_not_a_clock_time_is_refused_with_an_example(typed):
    with pytest.raises(ValidationError) as err:
        hours.parse_time(typed, field="start")
    assert err.value.errors == {"start": "Enter times like 08:30."}


def test_table_rows_become_blocks_and_empty_rows_are_skipped():
    rows = [
        {"weekday": "Monday", "start": time(8), "end": time(12)},
        {"weekday": None, "start": None, "end": None},
        {},
        {"weekday": "Saturday", "start": "09:00:00.000", "end": "12:00:00.000"},
    ]
    assert hours.blocks_from_rows(rows) == [Block(0, time(8), time(12)), Block(5, time(9), time(12))]


@pytest.mark.parametrize(
    "row, errors",
    [
        ({"weekday": "Sunday", "start": "09:00:00.000"},
         {"": "Fill in the weekday, start and end of every row (or delete the row)."}),
        ({"weekday": "Funday", "start": "09:00", "end": "10:00"}, {"weekday": "Choose a weekday."}),
        ({"weekday": "Monday", "start": "nine", "end": "10:00"}, {"start": "Enter times like 08:30."}),
    ],
)
def test_a_row_that_cannot_be_a_block_is_refused(row, errors):
    with pytest.raises(ValidationError) as err:
        hours.blocks_from_rows([{"weekday": "Monday", "start": "08:00", "end": "12:00"}, row])
    assert err.value.errors == errors


def test_a_week_of_blocks_comes_back_in_order_and_back_to_back_blocks_are_fine():
    week = [Block(1, time(13), time(17)), Block(0, time(12), time(13)), Block(0, time(8), time(12))]
    assert hours.check_blocks(week) == [Block(0, time(8), time(12)), Block(0, time(12), time(13)),
                                        Block(1, time(13), time(17))]


@pytest.mark.parametrize(
    "blocks, errors",
    [
        ([Block(0, time(8), time(12)), Block(0, time(11), time(14))], {"start": "Two blocks on the same day overlap."}),
        ([Block(2, time(12), time(8))], {"end": "A block must end after it starts."}),
        ([Block(2, time(9), time(9))], {"end": "A block must end after it starts."}),
        ([Block(7, time(8), time(9))], {"weekday": "Choose a weekday."}),
    ],
)
def test_overlapping_backwards_and_dayless_blocks_are_refused(blocks, errors):
    with pytest.raises(ValidationError) as err:
        hours.check_blocks(blocks)
    assert err.value.errors == errors


def test_the_same_hours_on_two_days_do_not_overlap():
    assert len(hours.check_blocks([Block(0, time(8), time(12)), Block(1, time(8), time(12))])) == 2


# --- time off --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind, details, reason",
    [("Vacation", "", "Vacation"), ("Meeting", "  Board  \n review ", "Meeting: Board review"),
     ("Other", "Jury duty", "Jury duty")],
)
def test_the_reason_stored_names_the_kind_and_the_details(kind, details, reason):
    assert hours.time_off_reason(kind, details) == reason


def test_other_time_off_needs_details_and_an_unknown_kind_is_refused():
    with pytest.raises(ValidationError) as err:
        hours.time_off_reason("Other", "   ")
    assert err.value.errors == {"reason": "Say what the time off is for."}
    with pytest.raises(ValidationError):
        hours.time_off_reason("Holiday", "")


def test_whole_days_off_run_from_local_midnight_to_local_midnight_across_the_clock_change():
    # 7 to 9 March 2026: New York springs forward on the 8th, so the span is 71 hours, not 72.
    start, end = hours.time_off_span(date(2026, 3, 7), date(2026, 3, 9), TZ)
    assert start == datetime(2026, 3, 7, 5, 0, tzinfo=timezone.utc)
    assert end == datetime(2026, 3, 10, 4, 0, tzinfo=timezone.utc)
    assert end - start == timedelta(hours=71)


def test_time_off_with_times_is_clinic_local_on_its_first_and_last_day():
    start, end = hours.time_off_span(date(2026, 3, 3), date(2026, 3, 4), TZ, start=time(13), end=time(10, 30))
    assert (start, end) == (datetime(2026, 3, 3, 18, 0, tzinfo=timezone.utc),
                            datetime(2026, 3, 4, 15, 30, tzinfo=timezone.utc))


def test_time_off_must_end_after_it_starts_and_not_be_over_already():
    later = NOW + timedelta(days=1)
    with pytest.raises(ValidationError) as err:
        hours.check_time_off(later, later - timedelta(hours=1), "Meeting", now=NOW)
    assert err.value.errors == {"end": "Time off must end after it starts."}
    with pytest.raises(ValidationError) as err:
        hours.check_time_off(NOW - timedelta(days=2), NOW, "Vacation", now=NOW)
    assert err.value.errors == {"end": "That time off is already over: check the dates."}


def test_time_off_under_way_is_accepted_and_its_reason_is_tidied_and_capped():
    reason = hours.check_time_off(NOW - timedelta(hours=1), NOW + timedelta(hours=1), "  Sick \t day " + "x" * 300,
                                  now=NOW)
    assert reason.startswith("Sick day x") and len(reason) == hours.REASON_MAX
    assert hours.check_time_off(NOW, NOW + timedelta(hours=1), None, now=NOW) == ""


# --- closures --------------------------------------------------------------------------------


def test_the_clinic_can_close_today_or_later_but_not_on_a_day_gone_by():
    today = date(2026, 3, 2)
    assert hours.check_closure(today, "  Staff   training ", today=today) == "Staff training"
    assert hours.check_closure(today + timedelta(days=30), None, today=today) == ""
    with pytest.raises(ValidationError) as err:
        hours.check_closure(today - timedelta(days=1), "Too late", today=today)
    assert err.value.errors == {"day": "Choose today or a later day."}


# --- booking rules ---------------------------------------------------------------------------


def test_booking_rules_are_whole_numbers_in_range_and_every_wrong_one_is_named():
    assert hours.check_rules({"min_notice_min": "60", "max_days_ahead": 90.0}) == {"min_notice_min": 60,
                                                                                   "max_days_ahead": 90}
    with pytest.raises(ValidationError) as err:
        hours.check_rules({"min_notice_min": -1, "max_days_ahead": 0, "late_cancel_hours": "soon",
                           "reminder_days_ahead": 15})
    assert err.value.errors == {
        "min_notice_min": "Enter a number from 0 to 10080.",
        "max_days_ahead": "Enter a number from 1 to 730.",
        "late_cancel_hours": "Enter a whole number.",
        "reminder_days_ahead": "Enter a number from 1 to 14.",
    }
