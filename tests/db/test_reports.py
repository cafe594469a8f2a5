"""The no-show and utilization reports (db.reports) against tiny scenes computed by hand: every
grouping, the clinic-local day, hour and week (a daylight-saving week included), end-exclusive
periods, empty periods, revenue lost at the fee in force on the day, and available minutes net of
time off and closures. The clinic is in New York (the settings' default)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from clinic import analytics
from db import reports, utilization_reports
from tests.conftest import make_appointment, make_patient, make_provider, make_visit_type

NY = ZoneInfo("America/New_York")
UTC = timezone.utc


def local(y: int, m: int, d: int, hh: int = 9, mm: int = 0) -> datetime:
    """A New York wall-clock time as the UTC instant the database stores."""
    return datetime(y, m, d, hh, mm, tzinfo=NY).astimezone(UTC)


def visit(conn, start: datetime, status: str = "completed", *, booked_at: datetime | None = None,
          reminder: str | None = None, late_cancel: bool | None = None, **overrides) -> int:
    """One appointment at ``start`` with the columns the factory does not take set afterwards."""
    appointment_id = make_appointment(conn, start_at=start, status=status, **overrides)
    conn.execute("UPDATE appointments SET booked_at = ?, reminder_outcome = ?, late_cancel = ? WHERE id = ?",
                 [booked_at or start - timedelta(days=10), reminder, late_cancel, appointment_id])
    return appointment_id


def rows(frame: pd.DataFrame, *columns: str) -> list[tuple]:
    """The frame's rows as plain tuples (a NaN rate as None, a midnight Timestamp as its date)."""
    def plain(value):
        if isinstance(value, pd.Timestamp):
            return value.date()
        if isinstance(value, float) and value != value:
            return None
        return value.item() if hasattr(value, "item") else value
    columns = columns or tuple(frame.columns)
    return [tuple(plain(v) for v in r) for r in frame[list(columns)].itertuples(index=False)]


MARCH = {"start": date(2026, 3, 1), "end": date(2026, 4, 1)}


@pytest.fixture
def doctor(conn):
    return make_provider(conn, name="Dr. Adams")


@pytest.fixture
def checkup(conn):
    return make_visit_type(conn, name="Check-up", duration_min=15, default_fee_code="99213")


# --- no_show_rates: every grouping ---------------------------------------------------------------


def test_rates_by_weekday_go_monday_to_sunday_in_clinic_local_days(conn, doctor, checkup):
    same = {"provider_id": doctor, "type_id": checkup}
    visit(conn, local(2026, 3, 2), **same)                       # Monday
    visit(conn, local(2026, 3, 2, 11), "no_show", **same)        # Monday
    visit(conn, local(2026, 3, 4), "no_show", **same)            # Wednesday
    # Sunday 8 March, the US spring-forward day, 23:30 EDT = Monday 03:30 UTC: still Sunday here.
    visit(conn, local(2026, 3, 8, 23, 30), **same)
    visit(conn, local(2026, 3, 3), "scheduled", **same)          # outcome unknown: not counted
    visit(conn, local(2026, 3, 3), "cancelled", **same)          # not counted

    frame = reports.no_show_rates(conn, "weekday", **MARCH)

    assert list(frame.columns) == ["group", "appointments", "no_shows", "rate"]
    assert rows(frame) == [("Monday", 2, 1, 0.5), ("Wednesday", 1, 1, 1.0), ("Sunday", 1, 0, 0.0)]


def test_rates_by_hour_use_the_local_hour_on_both_sides_of_the_clock_change(conn, doctor, checkup):
    same = {"provider_id": doctor, "type_id": checkup}
    visit(conn, local(2026, 3, 6, 9), "no_show", **same)   # 14:00 UTC in EST
    visit(conn, local(2026, 3, 9, 9), **same)              # 13:00 UTC in EDT
    visit(conn, local(2026, 3, 9, 14, 45), **same)

    frame = reports.no_show_rates(conn, "hour", **MARCH)

    assert rows(frame) == [(9, 2, 1, 0.5), (14, 1, 0, 0.0)]


def test_rates_by_provider_are_alphabetical_and_can_be_narrowed_to_one_visit_type(conn, checkup):
    baker, adams = make_provider(conn, name="Dr. Baker"), make_provider(conn, name="Dr. Adams")
    other = make_visit_type(conn, name="Flu shot")
    visit(conn, local(2026, 3, 2), "no_show", provider_id=baker, type_id=checkup)
    visit(conn, local(2026, 3, 2), provider_id=adams, type_id=checkup)
    visit(conn, local(2026, 3, 3), "no_show", provider_id=adams, type_id=other)

    assert rows(reports.no_show_rates(conn, "provider", **MARCH)) == [
        ("Dr. Adams", 2, 1, 0.5), ("Dr. Baker", 1, 1, 1.0)]
    assert rows(reports.no_show_rates(conn, "provider", **MARCH, type_id=checkup)) == [
        ("Dr. Adams", 1, 0, 0.0), ("Dr. Baker", 1, 1, 1.0)]
    assert rows(reports.no_show_rates(conn, "visit_type", **MARCH)) == [
        ("Check-up", 2, 1, 0.5), ("Flu shot", 1, 1, 1.0)]
    assert rows(reports.no_show_rates(conn, "visit_type", **MARCH, provider_id=baker)) == [("Check-up", 1, 1, 1.0)]


def test_lead_time_counts_clinic_calendar_days_into_the_design_buckets(conn, doctor, checkup):
    same = {"provider_id": doctor, "type_id": checkup}
    start = local(2026, 3, 20, 9)
    # Booked at 23:30 the evening before (already the 20th in UTC): 1 day ahead, not 0.
    visit(conn, start, "no_show", booked_at=local(2026, 3, 19, 23, 30), **same)
    for days, status in [(0, "no_show"), (2, "completed"), (3, "no_show"), (7, "completed"), (8, "completed"),
                         (14, "no_show"), (15, "completed"), (30, "completed"), (31, "no_show"), (90, "no_show")]:
        visit(conn, start, status, booked_at=start - timedelta(days=days), **same)

    frame = reports.no_show_rates(conn, "lead_time", **MARCH)

    assert rows(frame) == [("0", 1, 1, 1.0), ("1-2", 2, 1, 0.5), ("3-7", 2, 1, 0.5), ("8-14", 2, 1, 0.5),
                           ("15-30", 2, 0, 0.0), ("31+", 2, 2, 1.0)]


def test_age_groups_use_the_age_on_the_appointments_day(conn, doctor, checkup):
    day = date(2026, 3, 10)
    ages = [(date(2013, 3, 11), "no_show"),    # 12, thirteen tomorrow
            (date(2013, 3, 10), "completed"),  # 13 today
            (date(2008, 3, 11), "no_show"),    # 17
            (date(2008, 3, 10), "completed"),  # 18
            (date(1986, 3, 11), "completed"),  # 39
            (date(1961, 3, 11), "no_show"),    # 64
            (date(1961, 3, 10), "completed")]  # 65
    for born, status in ages:
        visit(conn, local(2026, 3, 10), status, patient_id=make_patient(conn, date_of_birth=born), provider_id=doctor,
              type_id=checkup)

    frame = reports.no_show_rates(conn, "age_group", **MARCH)

    assert [analytics.age_on(born, day) for born, _ in ages] == [12, 13, 17, 18, 39, 64, 65]
    assert rows(frame) == [("0-12", 1, 1, 1.0), ("13-17", 2, 1, 0.5), ("18-39", 2, 0, 0.0), ("40-64", 1, 1, 1.0),
                           ("65+", 1, 0, 0.0)]


def test_reminder_groups_follow_what_the_call_came_to_or_whether_a_reminder_was_sent(conn, doctor, checkup):
    same = {"provider_id": doctor, "type_id": checkup}
    scene = [("confirmed", None, "completed"), ("confirmed", None, "completed"), ("wants_reschedule", None, "no_show"),
             ("left_message", None, "no_show"), ("no_answer", None, "completed"), (None, None, "no_show"),
             # Imported visits (the public no-show file): a text reminder sent or not, no call outcome.
             (None, True, "completed"), (None, True, "no_show"), (None, True, "completed"), (None, False, "completed"),
             ("confirmed", True, "completed")]
    for outcome, sent, status in scene:
        appointment_id = visit(conn, local(2026, 3, 5), status, reminder=outcome, **same)
        conn.execute("UPDATE appointments SET reminder_sent = ? WHERE id = ?", [sent, appointment_id])

    frame = reports.no_show_rates(conn, "reminder", **MARCH)

    assert rows(frame) == [("confirmed", 3, 0, 0.0), ("wants to reschedule", 1, 1, 1.0), ("not reached", 2, 1, 0.5),
                           ("reminder sent", 3, 1, 1 / 3), ("no reminder recorded", 2, 1, 0.5)]
    assert [analytics.reminder_group(o, s) for o, s, _ in scene].count("reminder sent") == 3


def test_new_is_the_patients_first_seen_or_missed_visit_ever(conn, doctor, checkup):
    same = {"provider_id": doctor, "type_id": checkup}
    before = make_patient(conn)   # missed a visit in February: returning in March
    visit(conn, local(2026, 2, 10), "no_show", patient_id=before, **same)
    visit(conn, local(2026, 3, 10), "no_show", patient_id=before, **same)
    first = make_patient(conn)    # first visit in March, missed; the next one is returning
    visit(conn, local(2026, 3, 3), "no_show", patient_id=first, **same)
    visit(conn, local(2026, 3, 12), "completed", patient_id=first, **same)
    cancelled = make_patient(conn)  # only a cancelled visit before: still new in March
    visit(conn, local(2026, 2, 3), "cancelled", patient_id=cancelled, **same)
    visit(conn, local(2026, 3, 4), "completed", patient_id=cancelled, **same)

    frame = reports.no_show_rates(conn, "new_vs_returning", **MARCH)

    assert rows(frame) == [("new", 2, 1, 0.5), ("returning", 2, 1, 0.5)]


def test_sql_buckets_agree_with_the_python_labels(conn, doctor, checkup):
    """Lead times from -2 to 45 days and ages 0 to 99 (one visit each): the SQL puts each where
    clinic.analytics.lead_time_bucket / age_group does."""
    same = {"provider_id": doctor, "type_id": checkup}
    start = local(2026, 3, 20, 10)
    expected_lead: dict[str, int] = {}
    for days in range(-2, 46):
        visit(conn, start, booked_at=start - timedelta(days=days), **same)
        expected_lead[analytics.lead_time_bucket(days)] = expected_lead.get(analytics.lead_time_bucket(days), 0) + 1
    expected_age: dict[str, int] = {}
    for n, years in enumerate(range(100)):
        born = date(2026 - years, 1 + n % 12, 1 + n % 28)
        visit(conn, local(2026, 3, 21), patient_id=make_patient(conn, date_of_birth=born), **same)
        group = analytics.age_group(analytics.age_on(born, date(2026, 3, 21)))
        expected_age[group] = expected_age.get(group, 0) + 1
    lead = reports.no_show_rates(conn, "lead_time", start=date(2026, 3, 20), end=date(2026, 3, 21))
    age = reports.no_show_rates(conn, "age_group", start=date(2026, 3, 21), end=date(2026, 3, 22))

    assert rows(lead, "group", "appointments") == [(g, expected_lead[g]) for g in analytics.LEAD_TIME_BUCKETS]
    assert rows(age, "group", "appointments") == [(g, expected_age[g]) for g in analytics.AGE_GROUPS]


@pytest.mark.parametrize("zone", ["America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"])
def test_local_days_and_hours_agree_with_zoneinfo_across_two_years_of_clock_changes(conn, doctor, checkup, zone):
    """Random instants over 2025-2026 plus the minutes around each change (Lord Howe moves its
    clocks by half an hour; Kolkata never): SQL's weekday, hour and week are zoneinfo's."""
    import random

    tz = ZoneInfo(zone)
    rng = random.Random(42)
    instants = [datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(730 * 86400)) for _ in range(150)]
    hour = timedelta(hours=1)
    probe = datetime(2025, 1, 1, tzinfo=UTC)
    while probe < datetime(2027, 1, 1, tzinfo=UTC):  # every change, found hour by hour
        if (probe + hour).astimezone(tz).utcoffset() != probe.astimezone(tz).utcoffset():
            instants += [probe + timedelta(minutes=m) for m in (-1, 0, 29, 30, 59, 60, 61)]
        probe += hour
    patient = make_patient(conn)
    for instant in instants:
        visit(conn, instant, provider_id=doctor, type_id=checkup, patient_id=patient)
    period = {"start": date(2025, 1, 2), "end": date(2026, 12, 31), "tz": zone}
    kept = [i.astimezone(tz) for i in instants if period["start"] <= i.astimezone(tz).date() < period["end"]]

    def counted(keys) -> list[tuple]:
        return sorted((k, keys.count(k)) for k in set(keys))

    by_hour = reports.no_show_rates(conn, "hour", **period)
    by_day = reports.no_show_rates(conn, "weekday", **period)
    weekly = reports.weekly_no_show_rate(conn, **period)

    assert rows(by_hour, "group", "appointments") == counted([t.hour for t in kept])
    assert sorted(rows(by_day, "group", "appointments")) == sorted(
        (analytics.WEEKDAYS[k], n) for k, n in counted([t.weekday() for t in kept]))
    assert [r for r in rows(weekly, "week", "appointments") if r[1]] == counted(
        [t.date() - timedelta(days=t.weekday()) for t in kept])


def test_an_unknown_grouping_is_refused(conn):
    with pytest.raises(ValueError):
        reports.no_show_rates(conn, "postcode", **MARCH)


# --- periods, empty data -----------------------------------------------------------------------


@pytest.mark.parametrize("by", reports.BY)
def test_an_empty_period_has_no_groups(conn, doctor, checkup, by):
    visit(conn, local(2026, 2, 27), "no_show", provider_id=doctor, type_id=checkup)  # before the period

    assert reports.no_show_rates(conn, by, **MARCH).empty


def test_a_period_with_no_completed_visits_has_no_rate_until_an_outcome_is_known(conn, doctor, checkup):
    visit(conn, local(2026, 3, 3), "scheduled", provider_id=doctor, type_id=checkup)
    visit(conn, local(2026, 3, 3, 10), "confirmed", provider_id=doctor, type_id=checkup)

    summary = reports.no_show_summary(conn, **MARCH)
    weekly = reports.weekly_no_show_rate(conn, start=date(2026, 3, 2), end=date(2026, 3, 9))

    assert summary["rate"] is None and summary["appointments"] == 0 and summary["booked"] == 2
    assert rows(weekly) == [(date(2026, 3, 2), 0, 0, None)]

    visit(conn, local(2026, 3, 4), "no_show", provider_id=doctor, type_id=checkup)  # only no-shows: 100 %
    assert reports.no_show_summary(conn, **MARCH)["rate"] == 1.0


def test_the_end_date_is_excluded_and_the_start_date_included_in_clinic_time(conn, doctor, checkup):
    same = {"provider_id": doctor, "type_id": checkup}
    visit(conn, local(2026, 3, 1, 0, 0), "no_show", **same)      # first minute of the period
    visit(conn, local(2026, 3, 31, 23, 59), **same)              # last minute
    visit(conn, local(2026, 4, 1, 0, 0), "no_show", **same)      # the end date: next period
    visit(conn, local(2026, 2, 28, 23, 59), "no_show", **same)   # 04:59 UTC on 1 March: February here

    summary = reports.no_show_summary(conn, **MARCH)

    assert (summary["completed"], summary["no_shows"]) == (1, 1)
    assert summary["rate"] == analytics.no_show_rate(1, 1)


def test_weekly_rates_list_every_week_and_keep_a_dst_sunday_in_its_week(conn, doctor, checkup):
    same = {"provider_id": doctor, "type_id": checkup}
    visit(conn, local(2026, 3, 2), **same)
    visit(conn, local(2026, 3, 8, 23, 30), "no_show", **same)  # Sunday of the change, 03:30 UTC Monday
    visit(conn, local(2026, 3, 9, 0, 0), **same)               # Monday 9th: the next week
    visit(conn, local(2026, 3, 23), "no_show", provider_id=make_provider(conn), type_id=checkup)

    frame = reports.weekly_no_show_rate(conn, start=date(2026, 3, 4), end=date(2026, 3, 25))
    one = reports.weekly_no_show_rate(conn, start=date(2026, 3, 4), end=date(2026, 3, 25), provider_id=doctor)

    # The period starts on a Wednesday: its first week is still named by its Monday, and the
    # Monday 2 March visit (before the period) is not in it.
    assert rows(frame) == [(date(2026, 3, 2), 1, 1, 1.0), (date(2026, 3, 9), 1, 0, 0.0),
                           (date(2026, 3, 16), 0, 0, None),
                           (date(2026, 3, 23), 1, 1, 1.0)]
    assert rows(one, "week", "appointments") == [(date(2026, 3, 2), 1), (date(2026, 3, 9), 1), (date(2026, 3, 16), 0),
                                                 (date(2026, 3, 23), 0)]


# --- repeat no-shows, revenue lost, late cancellations, summary ---------------------------------


def test_repeat_no_shows_lists_patients_missing_at_least_the_minimum(conn, doctor, checkup):
    same = {"provider_id": doctor, "type_id": checkup}
    often = make_patient(conn, first_name="Ann", last_name="Often")
    twice = make_patient(conn, first_name="Bob", last_name="Twice")
    once = make_patient(conn)
    for day in (2, 9, 16):
        visit(conn, local(2026, 3, day), "no_show", patient_id=often, **same)
    visit(conn, local(2026, 3, 20), patient_id=often, **same)
    visit(conn, local(2026, 3, 3), "no_show", patient_id=twice, **same)
    visit(conn, local(2026, 3, 25), "no_show", patient_id=twice, **same)
    visit(conn, local(2026, 3, 4), "no_show", patient_id=once, **same)
    visit(conn, local(2026, 2, 4), "no_show", patient_id=once, **same)  # outside the period

    frame = reports.repeat_no_shows(conn, **MARCH)

    assert rows(frame, "patient", "appointments", "no_shows", "rate", "last_no_show") == [
        ("Often, Ann", 4, 3, 0.75, date(2026, 3, 16)), ("Twice, Bob", 2, 2, 1.0, date(2026, 3, 25))]
    assert len(reports.repeat_no_shows(conn, **MARCH, min_count=3)) == 1


def test_revenue_lost_prices_each_no_show_at_its_visit_types_fee_on_the_day(conn, doctor, checkup):
    conn.execute("INSERT INTO fee_schedule (code, description, price, effective_from, effective_to) VALUES"
                 " ('99213', 'Office visit', 100.10, DATE '2025-01-01', DATE '2026-03-15'),"
                 " ('99213', 'Office visit', 120.25, DATE '2026-03-16', NULL),"
                 " ('99214', 'Old price', 999.00, DATE '2025-01-01', NULL)")
    conn.execute("UPDATE fee_schedule SET active = FALSE WHERE code = '99214'")
    lower = make_visit_type(conn, name="Lower-case code", default_fee_code=" 99213 ")
    unpriced = make_visit_type(conn, name="No fee", default_fee_code=None)
    inactive = make_visit_type(conn, name="Inactive fee", default_fee_code="99214")
    same = {"provider_id": doctor}
    visit(conn, local(2026, 3, 15, 23, 30), "no_show", type_id=checkup, **same)  # the old price's last day
    visit(conn, local(2026, 3, 16, 8), "no_show", type_id=checkup, **same)        # the new price
    visit(conn, local(2026, 3, 17), "no_show", type_id=lower, **same)
    visit(conn, local(2026, 3, 17), "no_show", type_id=unpriced, **same)
    visit(conn, local(2026, 3, 18), "no_show", type_id=inactive, **same)
    visit(conn, local(2026, 3, 18), "completed", type_id=checkup, **same)          # came: nothing lost

    total = reports.revenue_lost(conn, **MARCH)
    detail = reports.revenue_lost_detail(conn, **MARCH)
    weekly = reports.revenue_lost_by_week(conn, start=date(2026, 3, 9), end=date(2026, 3, 23))

    assert total == Decimal("340.60") and isinstance(total, Decimal)
    assert detail == {"revenue_lost": Decimal("340.60"), "no_shows": 5, "unpriced": 2}
    assert rows(weekly, "week", "no_shows", "unpriced") == [(date(2026, 3, 9), 1, 0), (date(2026, 3, 16), 4, 2)]
    assert [Decimal(str(v)) for v in weekly["revenue_lost"]] == [Decimal("100.10"), Decimal("240.50")]
    assert reports.revenue_lost(conn, start=date(2026, 4, 1), end=date(2026, 5, 1)) == Decimal("0.00")


def test_late_cancellations_sit_beside_no_shows_by_week(conn, doctor, checkup):
    same = {"provider_id": doctor, "type_id": checkup}
    visit(conn, local(2026, 3, 3), "cancelled", late_cancel=True, **same)
    visit(conn, local(2026, 3, 4), "cancelled", late_cancel=False, **same)   # in good time: not counted
    visit(conn, local(2026, 3, 4), "no_show", **same)
    visit(conn, local(2026, 3, 10), "cancelled", late_cancel=True, **same)
    visit(conn, local(2026, 3, 11), "completed", **same)

    frame = reports.late_cancellations(conn, start=date(2026, 3, 2), end=date(2026, 3, 16))
    summary = reports.no_show_summary(conn, start=date(2026, 3, 2), end=date(2026, 3, 16))

    assert list(frame.columns) == ["week", "late_cancellations", "no_shows"]
    assert rows(frame) == [(date(2026, 3, 2), 1, 1), (date(2026, 3, 9), 1, 0)]
    assert (summary["late_cancels"], summary["no_shows"], summary["booked"]) == (2, 1, 2)


# --- utilization -------------------------------------------------------------------------------

WEEK = {"start": date(2026, 3, 9), "end": date(2026, 3, 16)}  # Monday to Sunday, after the change


def time_off(conn, provider_id: int, start: datetime, end: datetime) -> None:
    conn.execute("INSERT INTO provider_time_off (provider_id, start_at, end_at) VALUES (?, ?, ?)",
                 [provider_id, start, end])


def test_utilization_is_booked_over_available_minutes_net_of_time_off_and_closures(conn, checkup):
    doctor = make_provider(conn, name="Dr. Adams")  # Mon-Fri 08:00-12:00 and 13:00-17:00: 480 min a day
    # Tuesday 09:00-11:00 and 10:00-12:30 overlap: 09:00-12:30 off, 180 minutes of the morning block.
    time_off(conn, doctor, local(2026, 3, 10, 9), local(2026, 3, 10, 11))
    time_off(conn, doctor, local(2026, 3, 10, 10), local(2026, 3, 10, 12, 30))
    conn.execute("INSERT INTO clinic_closures (day, reason) VALUES (DATE '2026-03-11', 'Staff training')")
    same = {"provider_id": doctor, "type_id": checkup}
    make_appointment(conn, start_at=local(2026, 3, 9, 9), minutes=60, status="completed", **same)
    make_appointment(conn, start_at=local(2026, 3, 9, 11), minutes=30, status="no_show", **same)  # held its slot
    make_appointment(conn, start_at=local(2026, 3, 12, 9), minutes=15, status="scheduled", **same)
    make_appointment(conn, start_at=local(2026, 3, 13, 9), minutes=45, status="cancelled", **same)  # freed it
    make_appointment(conn, start_at=local(2026, 3, 16, 9), minutes=60, status="completed", **same)  # next week

    frame = utilization_reports.utilization(conn, **WEEK)

    assert list(frame.columns) == ["week", "provider_id", "provider", "booked_min", "available_min", "rate"]
    assert rows(frame, "week", "provider", "booked_min", "available_min") == [
        (date(2026, 3, 9), "Dr. Adams", 105, 5 * 480 - 180 - 480)]
    assert frame["rate"][0] == pytest.approx(analytics.utilization_rate(105, 1740))
    # The tiles' totals: the same minutes; one provider-day with a completed visit (Monday).
    summary = utilization_reports.utilization_summary(conn, **WEEK)
    assert (summary["booked_min"], summary["available_min"]) == (105, 1740)
    assert summary["rate"] == pytest.approx(105 / 1740)
    assert (summary["visits"], summary["provider_days"], summary["visits_per_day"]) == (1, 1, 1.0)
    assert summary["new_patients"] == 1


def test_utilization_counts_a_block_on_the_spring_forward_night_as_it_really_is(conn):
    # Sunday 8 March 2026 01:00-04:00 on the clock is two real hours (02:00 does not exist).
    night = make_provider(conn, name="Dr. Night", hours=[(6, time(1), time(4))])
    solo = {"start": date(2026, 3, 8), "end": date(2026, 3, 9)}

    frame = utilization_reports.utilization(conn, **solo)
    assert rows(frame, "week", "available_min", "booked_min") == [(date(2026, 3, 2), 120, 0)]
    assert utilization_reports.utilization(conn, **solo, provider_id=night)["provider"].tolist() == ["Dr. Night"]


def test_utilization_for_one_provider_and_who_appears(conn, checkup):
    adams, baker = make_provider(conn, name="Dr. Adams"), make_provider(conn, name="Dr. Baker")
    gone = make_provider(conn, name="Dr. Gone", active=False)
    make_appointment(conn, start_at=local(2026, 3, 10, 9), minutes=30, status="completed", provider_id=baker,
                     type_id=checkup)
    # Booked outside any hours (a Saturday): counted, so the rate can pass 100 %.
    weekend = make_provider(conn, name="Dr. Weekend", hours=[])
    make_appointment(conn, start_at=local(2026, 3, 14, 9), minutes=30, status="completed", provider_id=weekend,
                     type_id=checkup)

    everyone = utilization_reports.utilization(conn, **WEEK)
    one = utilization_reports.utilization(conn, **WEEK, provider_id=baker)

    assert rows(everyone, "provider", "booked_min", "available_min", "rate") == [
        ("Dr. Adams", 0, 2400, 0.0), ("Dr. Baker", 30, 2400, 30 / 2400), ("Dr. Weekend", 30, 0, None)]
    assert gone not in everyone["provider_id"].tolist() and adams in everyone["provider_id"].tolist()
    assert rows(one, "provider", "booked_min") == [("Dr. Baker", 30)]
    assert utilization_reports.utilization(conn, start=date(2026, 3, 9), end=date(2026, 3, 9)).empty


def test_a_public_holiday_has_no_available_time(conn):
    make_provider(conn, name="Dr. Adams")
    # Monday 25 May 2026 is Memorial Day (the clinic's country is the US by default).
    frame = utilization_reports.utilization(conn, start=date(2026, 5, 25), end=date(2026, 5, 27))

    assert rows(frame, "week", "available_min") == [(date(2026, 5, 25), 480)]


# --- new patients, visits per provider-day -----------------------------------------------------


def test_new_patients_are_counted_in_the_month_of_their_first_completed_visit(conn, doctor, checkup):
    same = {"provider_id": doctor, "type_id": checkup}
    old, march, april = make_patient(conn), make_patient(conn), make_patient(conn)
    visit(conn, local(2026, 1, 5), patient_id=old, **same)
    visit(conn, local(2026, 3, 5), patient_id=old, **same)
    visit(conn, local(2026, 3, 2), "no_show", patient_id=march, **same)   # a miss does not make them seen
    visit(conn, local(2026, 3, 31, 23), patient_id=march, **same)        # 03:00 UTC on 1 April
    visit(conn, local(2026, 4, 2), patient_id=april, **same)

    frame = utilization_reports.new_patients_by_month(conn, start=date(2026, 2, 1), end=date(2026, 5, 1))

    assert rows(frame) == [(date(2026, 2, 1), 0), (date(2026, 3, 1), 1), (date(2026, 4, 1), 1)]


def test_visits_per_provider_day_divides_completed_visits_by_days_seen(conn, checkup):
    adams, baker = make_provider(conn, name="Dr. Adams"), make_provider(conn, name="Dr. Baker")
    for when in (local(2026, 3, 2, 9), local(2026, 3, 2, 10), local(2026, 3, 2, 23), local(2026, 3, 3)):
        visit(conn, when, provider_id=adams, type_id=checkup)
    visit(conn, local(2026, 3, 4), "no_show", provider_id=adams, type_id=checkup)  # not a visit
    visit(conn, local(2026, 3, 4), provider_id=baker, type_id=checkup)

    frame = utilization_reports.visits_per_provider_day(conn, **MARCH)

    assert rows(frame, "provider", "days", "visits", "visits_per_day") == [("Dr. Adams", 2, 4, 2.0),
                                                                           ("Dr. Baker", 1, 1, 1.0)]
