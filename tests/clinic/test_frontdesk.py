"""The front desk's day, pure: row actions, waits, bookable gaps, the reminder day, waitlist days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from clinic import frontdesk as fd
from clinic.scheduling import STATUSES, Block, Interval, allowed_moves

TZ = "America/New_York"
NY = ZoneInfo(TZ)
MONDAY = date(2026, 3, 2)
HOURS = [Block(d, time(8), time(12)) for d in range(5)] + [Block(d, time(13), time(17)) for d in range(5)]


def at(hh, mm=0, day=MONDAY):
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=NY).astimezone(timezone.utc)


# --- row actions -------------------------------------------------------------------------------


def test_a_booked_patient_can_be_checked_in_or_marked_as_a_no_show():
    assert fd.row_actions("scheduled", started=False) == ["checked_in", "no_show"]
    assert fd.row_actions("confirmed", started=False) == ["checked_in", "no_show"]


def test_a_waiting_patient_can_be_taken_in_or_completed_and_once_taken_in_only_completed():
    assert fd.row_actions("checked_in", started=False) == ["start", "completed"]
    assert fd.row_actions("checked_in", started=True) == ["completed"]


def test_finished_visits_offer_nothing_but_a_no_show_can_still_arrive_late():
    assert fd.row_actions("completed", started=True) == []
    assert fd.row_actions("cancelled", started=False) == []
    assert fd.row_actions("no_show", started=False) == ["checked_in"]


@pytest.mark.parametrize("status", STATUSES)
def test_no_action_is_offered_that_the_status_table_forbids(status):
    for action in fd.row_actions(status, started=False):
        assert action == fd.START or action in allowed_moves(status)
    # Cancelling and confirming are not one-click actions on the Today page.
    assert not {"cancelled", "confirmed", "scheduled"} & set(fd.row_actions(status, started=False))


def test_the_primary_button_is_the_next_step_of_the_visit():
    assert fd.primary_action(["checked_in", "no_show"]) == "checked_in"
    assert fd.primary_action(["start", "completed"]) == "start"
    assert fd.primary_action(["completed"]) == "completed"
    assert fd.primary_action([]) is None


def test_attendance_is_recorded_today_and_for_past_days_not_ahead():
    assert fd.attendance_open(MONDAY, MONDAY)
    assert fd.attendance_open(MONDAY - timedelta(days=1), MONDAY)
    assert not fd.attendance_open(MONDAY + timedelta(days=1), MONDAY)


def test_the_day_arrows_move_one_day_across_a_month_end():
    assert fd.shift_day(date(2026, 2, 28), 1) == date(2026, 3, 1)
    assert fd.shift_day(date(2026, 3, 1), -1) == date(2026, 2, 28)


# --- waiting ----------------------------------------------------------------------------------


def test_waiting_minutes_count_whole_minutes_and_never_go_negative():
    assert fd.waiting_minutes(at(9, 0), at(9, 12) + timedelta(seconds=59)) == 12
    assert fd.waiting_minutes(at(9, 5), at(9, 0)) == 0


@pytest.mark.parametrize(
    "minutes, label",
    [(0, "just arrived"), (1, "waiting 1 min"), (59, "waiting 59 min"), (60, "waiting 1 h 00 min"),
     (125, "waiting 2 h 05 min")],
)
def test_a_wait_reads_as_a_person_would_say_it(minutes, label):
    assert fd.waited_label(minutes) == label


@dataclass(frozen=True)
class Row:
    """The attributes of ``db.appointments.AppointmentRow`` that the front-desk rules read."""

    id: int
    status: str
    start_at: datetime
    busy_until: datetime
    arrived_at: datetime | None
    started_at: datetime | None
    patient: str
    provider: str = "Dr. Ames"
    visit_type: str = "Follow-up"
    reminder_outcome: str | None = None


def row(id_, status, start, *, arrived=None, started=None, busy_until=None, patient=None, outcome=None):
    return Row(id_, status, start, busy_until or start + timedelta(minutes=15), arrived, started,
               patient or f"Patient {id_}", reminder_outcome=outcome)


def test_the_waiting_room_lists_checked_in_patients_not_yet_taken_in_longest_wait_first():
    now = at(10, 0)
    rows = [
        row(1, "checked_in", at(9, 30), arrived=at(9, 40), patient="Later, Ann"),
        row(2, "checked_in", at(9, 0), arrived=at(9, 10), started=at(9, 20), patient="Taken, In"),
        row(3, "checked_in", at(9, 45), arrived=at(9, 20), patient="Early, Bo"),
        row(4, "scheduled", at(10, 30)),
        row(5, "completed", at(8, 0), arrived=at(7, 55), started=at(8, 0)),
    ]
    waiting = fd.waiting_room(rows, now)
    assert [w.patient for w in waiting] == ["Early, Bo", "Later, Ann"]
    assert [w.minutes for w in waiting] == [40, 20]
    assert waiting[0].long


def test_a_wait_becomes_long_at_twenty_minutes():
    [short] = fd.waiting_room([row(1, "checked_in", at(9), arrived=at(9))], at(9, 19))
    [long_] = fd.waiting_room([row(1, "checked_in", at(9), arrived=at(9))], at(9, 20))
    assert not short.long and long_.long


def test_the_day_tiles_split_checked_in_patients_into_waiting_and_with_provider():
    rows = [row(1, "scheduled", at(8)), row(2, "confirmed", at(8)), row(3, "checked_in", at(8), arrived=at(8)),
            row(4, "checked_in", at(8), arrived=at(8), started=at(8, 5)), row(5, "completed", at(8)),
            row(6, "no_show", at(8))]
    assert fd.day_counts(rows) == fd.DayCounts(to_arrive=2, waiting=1, with_provider=1, completed=1, no_show=1)


# --- bookable gaps ------------------------------------------------------------------------------

EARLY = at(6, 0)  # before opening: nothing of the day has passed yet


def test_an_empty_day_is_one_gap_per_working_block():
    gaps = fd.bookable_gaps(MONDAY, TZ, HOURS, [], now=EARLY)
    assert [(g.start, g.end) for g in gaps] == [(at(8), at(12)), (at(13), at(17))]


def test_appointments_and_their_buffers_cut_the_gaps_and_short_gaps_are_dropped():
    busy = [Interval(at(8, 0), at(8, 55)),  # leaves 08:55-09:00: 5 minutes, too short
            Interval(at(9, 0), at(9, 30)),
            Interval(at(9, 45), at(10, 15)),  # a procedure with its buffer
            Interval(at(11, 50), at(12, 30))]  # runs past the block's end
    gaps = fd.bookable_gaps(MONDAY, TZ, HOURS, busy, now=EARLY)
    assert [(g.start, g.end, g.minutes) for g in gaps] == [
        (at(9, 30), at(9, 45), 15), (at(10, 15), at(11, 50), 95), (at(13), at(17), 240)]


def test_back_to_back_appointments_leave_no_gap_between_them():
    busy = [Interval(at(8, 0), at(8, 15)), Interval(at(8, 15), at(12, 0))]
    assert fd.bookable_gaps(MONDAY, TZ, HOURS, busy, now=EARLY)[0].start == at(13)


def test_time_already_past_is_not_offered_and_a_started_gap_begins_at_the_next_five_minutes():
    gaps = fd.bookable_gaps(MONDAY, TZ, HOURS, [Interval(at(13), at(16, 55))], now=at(10, 2) + timedelta(seconds=30))
    assert [(g.start, g.end) for g in gaps] == [(at(10, 5), at(12))]
    # At 16:50 ten minutes are left; at 16:51 the gap starts at 16:55 and is too short.
    assert [g.minutes for g in fd.bookable_gaps(MONDAY, TZ, HOURS, [], now=at(16, 50))] == [10]
    assert fd.bookable_gaps(MONDAY, TZ, HOURS, [], now=at(16, 51)) == []


def test_time_off_and_closures_are_not_bookable():
    away = [Interval(at(8), at(12), "Conference")]
    assert [(g.start, g.end) for g in fd.bookable_gaps(MONDAY, TZ, HOURS, [], now=EARLY, time_off=away)] == [
        (at(13), at(17))]
    assert fd.bookable_gaps(MONDAY, TZ, HOURS, [], now=EARLY, closed=True) == []


def test_a_provider_without_hours_that_weekday_has_no_gaps():
    saturday = date(2026, 3, 7)
    assert fd.bookable_gaps(saturday, TZ, HOURS, [], now=EARLY) == []


def test_gaps_follow_the_local_clock_on_the_day_clocks_spring_forward():
    spring = date(2026, 3, 8)  # a Sunday in New York; give this provider Sunday hours
    hours = [Block(6, time(8), time(12))]
    gaps = fd.bookable_gaps(spring, TZ, hours, [], now=at(0, 0, day=date(2026, 3, 7)))
    assert gaps[0].start == at(8, 0, day=spring) and gaps[0].minutes == 240
    assert gaps[0].start.hour == 12  # 08:00 EDT is 12:00 UTC (it was 13:00 UTC a day earlier)


def test_cancelled_and_no_show_appointments_free_their_time():
    rows = [row(1, "cancelled", at(9)), row(2, "no_show", at(10)), row(3, "confirmed", at(11))]
    assert fd.busy_intervals(rows) == [Interval(at(11), at(11, 15))]


# --- the reminder day ---------------------------------------------------------------------------

WEEKDAYS_OPEN = fd.working_day_test(range(5), [])


@pytest.mark.parametrize(
    "today, ahead, expected",
    [
        (date(2026, 3, 2), 1, date(2026, 3, 3)),  # Monday calls Tuesday
        (date(2026, 3, 6), 1, date(2026, 3, 9)),  # Friday calls Monday
        (date(2026, 3, 5), 2, date(2026, 3, 9)),  # Thursday, two working days ahead: Monday
        (date(2026, 3, 7), 1, date(2026, 3, 9)),  # someone working on Saturday calls Monday
    ],
)
def test_the_reminder_day_counts_working_days(today, ahead, expected):
    assert fd.reminder_day(today, ahead, WEEKDAYS_OPEN) == expected


def test_each_working_day_is_called_exactly_once_over_a_month():
    days = [date(2026, 3, 1) + timedelta(days=i) for i in range(60)]
    working = [d for d in days if WEEKDAYS_OPEN(d)]
    for ahead in (1, 2, 3):
        called = [fd.reminder_day(d, ahead, WEEKDAYS_OPEN) for d in working]
        assert len(set(called)) == len(called)
        assert set(working[ahead:len(working) - ahead]) <= set(called)


def test_the_reminder_day_skips_holidays_and_closures():
    thanksgiving = date(2026, 11, 26)
    closed = fd.working_day_test(range(5), [thanksgiving])
    assert fd.reminder_day(date(2026, 11, 25), 1, closed) == date(2026, 11, 27)
    # Called on the holiday itself (someone is in), the next working day is still Friday.
    assert fd.reminder_day(thanksgiving, 1, closed) == date(2026, 11, 27)


def test_a_clinic_with_no_working_day_falls_back_to_the_calendar_date():
    assert fd.reminder_day(MONDAY, 2, fd.working_day_test([], [])) == MONDAY + timedelta(days=2)


def test_reminder_counts_tell_who_still_needs_a_call():
    rows = [
        row(i, status, at(9), outcome=outcome)
        for i, (status, outcome) in enumerate([
            ("scheduled", None),
            ("scheduled", None),
            ("confirmed", "confirmed"),
            ("confirmed", None),  # confirmed when booked
            ("scheduled", "left_message"),
            ("scheduled", "no_answer"),
            ("scheduled", "wants_reschedule"),
        ])
    ]
    assert fd.reminder_counts(rows) == fd.ReminderCounts(to_call=2, confirmed=2, not_reached=2, wants_reschedule=1)


def test_not_reached_patients_still_need_a_call_but_confirmed_ones_do_not():
    assert fd.needs_call("scheduled", None)
    assert fd.needs_call("scheduled", "no_answer")
    assert not fd.needs_call("scheduled", "wants_reschedule")
    assert not fd.needs_call("confirmed", None)


def test_every_reminder_outcome_has_its_label():
    from db.appointments import REMINDER_OUTCOMES

    assert set(fd.REMINDER_LABELS) == set(REMINDER_OUTCOMES)
    assert fd.REMINDER_LABELS["wants_reschedule"] == "Wants to reschedule"


# --- waitlist ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "stored, label",
    [(None, "Any day"), ("", "Any day"), ("0", "Mon"), ("4,0,2", "Mon, Wed, Fri"),
     ("1,1,9,x", "Tue")],
)
def test_preferred_days_read_as_weekday_names(stored, label):
    assert fd.days_label(stored) == label


def test_preferred_days_are_searched_first():
    calls = []

    def search(weekdays):
        calls.append(weekdays)
        return ["wed 09:00"] if weekdays == [2] else ["mon 08:00"]

    assert fd.offer_slots(search, [2]) == (["wed 09:00"], True)
    assert calls == [[2]]


def test_with_nothing_free_on_the_preferred_days_other_days_are_offered_and_flagged():
    def search(weekdays):
        return [] if weekdays else ["mon 08:00"]

    assert fd.offer_slots(search, [5, 6]) == (["mon 08:00"], False)


def test_without_preferred_days_any_day_is_offered():
    assert fd.offer_slots(lambda weekdays: [weekdays], []) == ([None], True)
    assert fd.offer_slots(lambda weekdays: [], [1]) == ([], False)


@dataclass
class Callee:
    id: int
    reminder_opt_in: bool | None


def test_patients_who_opted_out_are_kept_apart_from_the_list_to_call():
    rows = [Callee(1, True), Callee(2, False), Callee(3, None), Callee(4, False)]
    to_call, not_to_call = fd.split_opted_out(rows)
    assert [r.id for r in to_call] == [1, 3]  # an unknown choice is not an opt-out
    assert [r.id for r in not_to_call] == [2, 4]


@pytest.mark.parametrize("total, number, expected", [
    (0, 0, fd.Page(0, 1, 0, 0, 0)),
    (25, 0, fd.Page(0, 1, 0, 25, 25)),
    (26, 1, fd.Page(1, 2, 25, 26, 26)),
    (60, 7, fd.Page(2, 3, 50, 60, 60)),  # past the end: the last page
    (60, -1, fd.Page(0, 3, 0, 25, 60)),
])
def test_a_long_list_comes_in_pages_and_a_page_number_out_of_range_is_brought_back(total, number, expected):
    assert fd.page_of(total, number, 25) == expected
