"""Waitlist preferences, pure: what fits a weekday-and-window preference, how it reads, and what
the desk may enter given the hours someone sees patients."""

from __future__ import annotations

from datetime import datetime, time, timezone
from zoneinfo import ZoneInfo

import pytest

from clinic import waitlist as prefs
from clinic.errors import ValidationError
from clinic.scheduling import Block

NY = "America/New_York"
WEEKDAYS_8_TO_5 = [Block(d, time(8), time(12)) for d in range(5)] + [Block(d, time(13), time(17)) for d in range(5)]


def local(y, m, d, hh, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=ZoneInfo(NY)).astimezone(timezone.utc)


@pytest.mark.parametrize("hh, mm, fits", [(14, 45, False), (14, 59, False), (15, 0, True), (16, 30, True),
                                          (16, 31, False)])
def test_both_ends_of_the_window_are_included_and_nothing_outside(hh, mm, fits):
    wanted = prefs.Preferences((), time(15), time(16, 30))
    assert wanted.fits(local(2026, 3, 2, hh, mm), NY) is fits


def test_the_window_is_wall_clock_time_on_either_side_of_a_clock_change():
    after_three = prefs.Preferences(earliest_start=time(15))
    # 20:00 UTC is 15:00 before the spring-forward and 16:00 after; 19:00 UTC is 14:00 then 15:00.
    assert after_three.fits(datetime(2026, 3, 6, 20, tzinfo=timezone.utc), NY)
    assert not after_three.fits(datetime(2026, 3, 6, 19, tzinfo=timezone.utc), NY)
    assert after_three.fits(datetime(2026, 3, 9, 19, tzinfo=timezone.utc), NY)
    assert not after_three.fits(datetime(2026, 3, 9, 18, 45, tzinfo=timezone.utc), NY)


def test_weekdays_are_the_clinics_weekdays_not_utcs():
    mondays = prefs.Preferences((0,))
    assert mondays.fits(local(2026, 3, 2, 20, 30), NY)  # Monday evening in New York, Tuesday in UTC
    assert not mondays.fits(local(2026, 3, 3, 9), NY)


@pytest.mark.parametrize("stored, earliest, latest, label", [
    (None, None, None, "Any day · Any time"),
    ("0,2", time(15), None, "Mon, Wed · from 15:00"),
    ("4", None, time(11, 30), "Fri · until 11:30"),
    ("", time(9), time(11), "Any day · 09:00–11:00"),
    ("2,0,9,x", None, None, "Mon, Wed · Any time"),
])
def test_a_stored_entry_reads_as_days_and_times(stored, earliest, latest, label):
    assert prefs.from_stored(stored, earliest, latest).label == label


def test_what_the_desk_enters_comes_back_sorted_and_storable():
    wanted = prefs.check([4, 0, 0], time(9), time(11), hours=WEEKDAYS_8_TO_5)
    assert (wanted.weekdays, wanted.stored_days) == ((0, 4), "0,4")
    assert prefs.check(None, None, None, hours=WEEKDAYS_8_TO_5).stored_days is None


def test_the_hours_of_the_chosen_days_are_the_ones_that_count():
    hours = [Block(0, time(8), time(12)), Block(3, time(13), time(19))]
    assert prefs.check([3], time(18), None, hours=hours).earliest_start == time(18)
    with pytest.raises(ValidationError) as err:
        prefs.check([0], time(18), None, hours=hours, who="Dr. Ames")
    assert err.value.errors == {
        "earliest_start": "Choose a start time within Dr. Ames’s hours (08:00–12:00 on those days)."}


def test_without_any_hours_set_up_only_the_order_of_the_times_is_checked():
    assert prefs.check([6], time(5), time(23), hours=[]).weekdays == (6,)
    with pytest.raises(ValidationError, match="later than the earliest"):
        prefs.check(None, time(10), time(9), hours=[])
