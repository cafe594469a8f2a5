"""The calendar's pure logic: FullCalendar's time strings read as clinic instants, callback values as
actions, which days a view shows, the working window, and what a selected range suggests."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest

from clinic import calendar_events as ce
from clinic.scheduling import Block, VisitType

NY = "America/New_York"
UTC = timezone.utc


# --- times from the component -----------------------------------------------------------------


def test_a_select_time_is_read_as_clinic_wall_clock_even_though_it_ends_in_z():
    # FullCalendar in UTC-coercion mode: a click on the 13:00 row of a New York calendar.
    assert ce.parse_wall_clock("2026-11-30T13:00:00.000Z", NY) == datetime(2026, 11, 30, 18, 0, tzinfo=UTC)


def test_naive_and_offset_strings_are_read_by_their_digits_too():
    assert ce.parse_wall_clock("2026-11-30T09:15:00", NY) == datetime(2026, 11, 30, 14, 15, tzinfo=UTC)
    assert ce.parse_wall_clock("2026-11-30T09:15:00-05:00", NY) == datetime(2026, 11, 30, 14, 15, tzinfo=UTC)
    assert ce.parse_wall_clock("2026-11-30", NY) == datetime(2026, 11, 30, 5, 0, tzinfo=UTC)


def test_the_same_wall_clock_time_maps_to_different_utc_hours_across_the_spring_forward_change():
    # US clocks go forward on Sunday 8 March 2026.
    before = ce.parse_wall_clock("2026-03-06T09:00:00.000Z", NY)
    after = ce.parse_wall_clock("2026-03-09T09:00:00.000Z", NY)
    assert (before.hour, after.hour) == (14, 13)
    assert ce.local_start(date(2026, 3, 9), time(9), NY) == after


def test_an_event_is_sent_as_naive_local_time_and_comes_back_to_the_same_instant():
    instant = datetime(2026, 11, 1, 14, 30, tzinfo=UTC)  # the day the clocks go back
    text = ce.wall_clock(instant, NY)
    assert text == "2026-11-01T09:30:00"
    assert ce.parse_wall_clock(text, NY) == instant


@pytest.mark.parametrize("bad", ["", "tomorrow", "2026-13-01T10:00:00", None])
def test_a_malformed_time_is_refused(bad):
    with pytest.raises(ValueError):
        ce.parse_wall_clock(bad, NY)


# --- callback values --------------------------------------------------------------------------


def test_a_select_in_a_provider_column_gives_the_range_and_the_provider():
    action = ce.parse_action({"callback": "select", "select": {
        "allDay": False, "start": "2026-11-30T10:00:00.000Z", "end": "2026-11-30T10:30:00.000Z",
        "view": {}, "resource": {"id": "7", "title": "Dr. X"}}}, NY)
    assert action.kind == "select"
    assert action.start == datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
    assert action.minutes == 30
    assert action.provider_id == 7


def test_a_date_click_without_a_resource_has_no_provider():
    value = {"callback": "dateClick", "dateClick": {"allDay": True, "date": "2026-11-30T00:00:00.000Z"}}
    action = ce.parse_action(value, NY)
    assert (action.kind, action.all_day, action.provider_id) == ("dateClick", True, None)


def change(old_start, new_start, old_end, new_end, old_resource="3", new_resource="3"):
    return {"callback": "eventChange", "eventChange": {
        "oldEvent": {"id": "42", "start": old_start, "end": old_end, "resourceId": old_resource,
                     "extendedProps": {"appointment_id": 42}},
        "event": {"id": "42", "start": new_start, "end": new_end, "resourceId": new_resource,
                  "extendedProps": {"appointment_id": 42}},
        "relatedEvents": []}}


def test_a_drag_to_another_time_and_column_is_a_move_not_a_stretch():
    action = ce.parse_action(change("2026-11-30T10:00:00", "2026-11-30T11:00:00", "2026-11-30T10:15:00",
                                    "2026-11-30T11:15:00", new_resource="4"), NY)
    assert action.appointment_id == 42
    assert action.start == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    assert action.provider_changed and action.provider_id == 4
    assert not action.only_end_changed


def test_pulling_the_bottom_edge_is_recognised_as_a_stretch():
    action = ce.parse_action(change("2026-11-30T10:00:00", "2026-11-30T10:00:00", "2026-11-30T10:15:00",
                                    "2026-11-30T10:45:00"), NY)
    assert action.only_end_changed


@pytest.mark.parametrize("value", [None, {}, {"callback": "eventsSet", "eventsSet": {}}, {"callback": "select"},
                                   {"callback": "select", "select": {"start": "garbage"}}])
def test_values_that_are_not_a_known_callback_give_nothing_to_do(value):
    assert ce.parse_action(value, NY) is None


# --- views ------------------------------------------------------------------------------------


def test_visible_days_cover_what_each_view_draws():
    monday = date(2026, 11, 30)
    assert ce.visible_days("day", date(2026, 12, 2)) == (date(2026, 12, 2), date(2026, 12, 3))
    assert ce.visible_days("week", date(2026, 12, 3)) == (monday, monday + timedelta(days=7))
    assert ce.visible_days("list", monday) == (monday, monday + timedelta(days=7))
    # November 2026 starts on a Sunday: the grid starts the Monday before, six weeks long.
    assert ce.visible_days("month", date(2026, 11, 17)) == (date(2026, 10, 26), date(2026, 12, 7))


def test_visible_bounds_follow_local_midnights_across_dst():
    start, end = ce.visible_bounds("day", date(2026, 3, 8), NY)
    assert end - start == timedelta(hours=23)


def test_the_arrows_step_by_the_view():
    day = date(2027, 1, 31)
    assert ce.shift("day", day, 1) == date(2027, 2, 1)
    assert ce.shift("week", day, -1) == date(2027, 1, 24)
    assert ce.shift("month", day, 1) == date(2027, 2, 1)
    assert ce.shift("month", date(2026, 12, 15), 1) == date(2027, 1, 1)
    assert ce.shift("month", date(2027, 1, 15), -1) == date(2026, 12, 1)


def test_the_time_grid_spans_the_working_hours_in_whole_hours():
    blocks = [Block(0, time(8), time(12)), Block(0, time(13), time(17, 30)), Block(2, time(9), time(12, 30))]
    assert ce.working_window(blocks) == (time(8), time(18))
    assert ce.working_window([]) == (time(7), time(19))


def test_closed_days_are_those_inside_the_view_in_day_order():
    closures = {date(2026, 12, 25): "Christmas Day", date(2026, 11, 26): "Thanksgiving Day", date(2027, 1, 1): None}
    assert ce.closed_days(closures, "day", date(2026, 11, 26)) == [(date(2026, 11, 26), "Thanksgiving Day")]
    assert ce.closed_days(closures, "week", date(2026, 12, 23)) == [(date(2026, 12, 25), "Christmas Day")]
    assert ce.closed_days(closures, "month", date(2026, 12, 1)) == [
        (date(2026, 12, 25), "Christmas Day"), (date(2027, 1, 1), None)]


# --- what a selection or a drag means ----------------------------------------------------------

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def test_only_future_scheduled_or_confirmed_appointments_can_be_moved():
    later = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
    assert ce.can_be_moved("scheduled", later, NOW)
    assert ce.can_be_moved("confirmed", later, NOW)
    assert not ce.can_be_moved("checked_in", later, NOW)
    assert not ce.can_be_moved("cancelled", later, NOW)
    assert not ce.can_be_moved("scheduled", NOW - timedelta(minutes=1), NOW)


def test_a_dragged_range_guesses_the_visit_type_only_when_one_type_fits():
    types = [VisitType(1, "New patient", 30), VisitType(2, "Follow-up", 15), VisitType(3, "Other", 15)]
    assert ce.guess_type(30, types) == 1
    assert ce.guess_type(15, types) is None
    assert ce.guess_type(45, types) is None


def test_find_next_free_times_never_starts_in_the_past():
    now = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
    assert ce.search_from(date(2026, 11, 30), NY, now) == now
    assert ce.search_from(date(2026, 12, 2), NY, now) == datetime(2026, 12, 2, 5, 0, tzinfo=UTC)


def test_a_dragged_half_hour_suggests_the_half_hour_type_but_a_click_or_a_day_suggests_nothing():
    types = [VisitType(1, "New patient", 30), VisitType(2, "Follow-up", 15)]
    start = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
    dragged = ce.CalendarAction("select", start=start, end=start + timedelta(minutes=30))
    clicked = ce.CalendarAction("select", start=start, end=start + timedelta(minutes=15))
    whole_day = ce.CalendarAction("select", start=datetime(2026, 11, 30, 5, tzinfo=UTC),
                                  end=datetime(2026, 12, 1, 5, tzinfo=UTC), all_day=True)
    assert ce.type_for_range(dragged, types) == 1
    assert ce.type_for_range(clicked, types) is None
    assert ce.type_for_range(whole_day, types) is None
    # A day picked in the month grid starts at the first working row, clinic time.
    assert ce.booking_start(whole_day, (time(8), time(18)), NY) == datetime(2026, 11, 30, 13, 0, tzinfo=UTC)
    assert ce.booking_start(dragged, (time(8), time(18)), NY) == start


def test_a_clicked_month_count_is_read_as_that_day_and_provider():
    value = {"callback": "eventClick", "eventClick": {"event": {
        "id": "day-2026-11-30-3", "title": "Dr. Okafor · 3", "start": "2026-11-30", "allDay": True,
        "extendedProps": {"day": "2026-11-30", "provider_id": 3, "count": 3}}}}
    clicked = ce.parse_action(value, NY)
    assert (clicked.day, clicked.provider_id, clicked.appointment_id) == (date(2026, 11, 30), 3, None)


def test_weekend_columns_appear_only_when_someone_works_weekends():
    assert not ce.works_weekends([Block(0, time(8), time(12)), Block(4, time(8), time(12))])
    assert ce.works_weekends([Block(5, time(9), time(12))])


# --- where the grid opens -------------------------------------------------------------------


WINDOW = (time(8), time(18))
MONDAY = date(2026, 11, 30)


def test_the_grid_opens_an_hour_before_where_the_user_last_worked_on_the_days_shown():
    place = (MONDAY, time(16, 40))
    assert ce.scroll_time("day", MONDAY, WINDOW, place=place, today=MONDAY, now=time(9)) == time(15, 30)
    # The week holds that Monday too; another day does not, and opens at the top.
    assert ce.scroll_time("week", date(2026, 12, 3), WINDOW, place=place, today=date(2026, 12, 20),
                          now=time(9)) == time(15, 30)
    assert ce.scroll_time("day", date(2026, 12, 1), WINDOW, place=place, today=date(2026, 12, 20),
                          now=time(9)) == time(8)


def test_today_opens_an_hour_before_now_and_never_above_the_working_window():
    assert ce.scroll_time("day", MONDAY, WINDOW, place=None, today=MONDAY, now=time(14, 7)) == time(13)
    assert ce.scroll_time("day", MONDAY, WINDOW, place=None, today=MONDAY, now=time(8, 20)) == time(8)
    assert ce.scroll_time("day", MONDAY, WINDOW, place=(date(2026, 11, 1), time(17)), today=MONDAY,
                          now=time(11, 59)) == time(10, 45)


def test_now_is_rounded_up_to_the_next_quarter_hour():
    assert ce.round_up(datetime(2026, 11, 30, 14, 7, 12, tzinfo=UTC)) == datetime(2026, 11, 30, 14, 15, tzinfo=UTC)
    assert ce.round_up(datetime(2026, 11, 30, 14, 45, tzinfo=UTC)) == datetime(2026, 11, 30, 14, 45, tzinfo=UTC)
    assert ce.round_up(datetime(2026, 11, 30, 23, 50, tzinfo=UTC)) == datetime(2026, 12, 1, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize("text, expected", [("2026-12-03", date(2026, 12, 3)), (" 2026-12-03 ", date(2026, 12, 3)),
                                            ("12/03/2026", None), ("2026-02-30", None), ("", None), (None, None)])
def test_the_day_in_the_address_is_read_only_when_it_is_a_real_date(text, expected):
    assert ce.day_from_address(text) == expected
