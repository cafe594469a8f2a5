"""What Today shows of a busy day, pure: late arrivals, the name filter, the part of the day around
now, and the ``?day=`` address."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from clinic import today_view as tv

TZ = "America/New_York"
NY = ZoneInfo(TZ)
MONDAY = date(2026, 3, 2)


def at(hh, mm=0, day=MONDAY):
    return datetime.combine(day, time(hh, mm), tzinfo=NY).astimezone(timezone.utc)


@dataclass
class Row:
    id: int
    status: str
    start_at: datetime
    arrived_at: datetime | None = None
    patient: str = "Doe, Jane"
    mrn: str = "100001"


@pytest.mark.parametrize("status, arrived, now, minutes", [
    ("scheduled", None, at(10, 5), None),  # five minutes: not late yet
    ("scheduled", None, at(10, 6), 6),
    ("confirmed", None, at(11, 30), 90),
    ("checked_in", at(10, 10), at(11), None),  # arrived
    ("no_show", None, at(11), None),
    ("completed", at(9, 55), at(11), None),
    ("scheduled", None, at(9, 30), None),  # not started yet
])
def test_a_patient_is_late_once_more_than_five_minutes_pass_without_a_check_in(status, arrived, now, minutes):
    assert tv.late_minutes(Row(1, status, at(10), arrived), now) == minutes


def test_a_late_badge_reads_in_minutes_then_hours():
    assert tv.late_label(12) == "Late 12 min"
    assert tv.late_label(125) == "Late 2 h 05 min"


@pytest.mark.parametrize("query, found", [
    ("", True), ("  ", True), (None, True),
    ("nunez", True), ("NÚÑEZ", True), ("maria", True), ("núñez maría", True), ("Núñez, María", True),
    ("maria lopez", False), ("1002", True), ("2002", False), ("ez ma", True),
])
def test_the_name_filter_matches_every_word_typed_without_case_or_accents_or_the_mrn(query, found):
    assert tv.matches(Row(1, "scheduled", at(9), patient="Núñez, María", mrn="100234"), query) is found


def test_the_window_runs_from_the_current_hour_to_an_hour_from_now():
    window = tv.now_window(at(10, 40), TZ)
    assert (window.start, window.end) == (at(10), at(11, 40))


def test_the_hour_starts_on_the_clinic_clock_on_the_day_clocks_spring_forward():
    # 8 March 2026, 03:30 in New York is 07:30 UTC; the local hour began at 03:00 (07:00 UTC).
    spring = date(2026, 3, 8)
    assert tv.hour_start(at(3, 30, spring), TZ) == at(3, 0, spring)


def test_around_now_finished_visits_before_the_hour_fold_away_and_open_ones_stay():
    rows = [
        Row(1, "completed", at(8), at(7, 55)),
        Row(2, "scheduled", at(8, 30)),  # late: stays
        Row(3, "checked_in", at(9, 15), at(9, 10)),  # waiting: stays
        Row(4, "no_show", at(9, 30)),
        Row(5, "scheduled", at(10, 10)),
        Row(6, "confirmed", at(11, 20)),
        Row(7, "scheduled", at(12)),
    ]
    part = tv.split(rows, tv.now_window(at(10, 30), TZ))
    assert [r.id for r in part.earlier] == [1, 4]
    assert [r.id for r in part.shown] == [2, 3, 5, 6]
    assert [r.id for r in part.later] == [7]


def test_an_unbounded_window_shows_everything():
    rows = [Row(i, "scheduled", at(8 + i)) for i in range(3)]
    assert tv.split(rows, tv.Window()) == tv.Part([], rows, [])


def test_a_preview_keeps_the_first_visits_and_folds_the_rest():
    rows = [Row(i, "scheduled", at(8) + timedelta(minutes=20 * i)) for i in range(9)]
    part = tv.split(rows, tv.preview_window(rows, 6))
    assert (len(part.shown), len(part.later)) == (6, 3)
    assert tv.preview_window(rows[:6], 6) == tv.Window()


@pytest.mark.parametrize("text, day", [(None, None), ("", None), ("2026-03-04", date(2026, 3, 4)),
                                       (" 2026-03-04 ", date(2026, 3, 4))])
def test_the_day_in_the_address_is_read_as_year_month_day(text, day):
    assert tv.parse_day(text) == day


@pytest.mark.parametrize("text", ["03/04/2026", "2026-02-30", "tomorrow", "2026-3-4", "20260304"])
def test_a_day_in_the_address_that_is_not_a_date_is_refused_with_a_message(text):
    with pytest.raises(tv.BadDay, match="not a date written YYYY-MM-DD"):
        tv.parse_day(text)
