"""The Home page's numbers are the database's numbers. The clinic clock is set to a Monday four
weeks after the seeded one (past its bookings), so "today" starts empty whatever the wall clock says."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

import db
from clinic import timeutil
from tests.conftest import SEED_TODAY, TZ, database, make_appointment

TODAY = SEED_TODAY + timedelta(weeks=4)


@pytest.fixture(autouse=True)
def quiet_monday(clinic_clock):
    clinic_clock(timeutil.local_to_utc(datetime.combine(TODAY, time(6)), TZ))


def tile(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def add_today(path, statuses):
    with database(path) as conn:
        today = timeutil.today(TZ)
        provider = db.read(conn, "SELECT id FROM providers ORDER BY id LIMIT 1")[0][0]
        for i, status in enumerate(statuses):
            start = timeutil.local_to_utc(datetime.combine(today, time(7, 0)) + timedelta(minutes=20 * i), TZ)
            make_appointment(conn, provider_id=provider, start_at=start, status=status)
        yesterday_start, _ = timeutil.day_bounds(today - timedelta(days=1), TZ)
        make_appointment(conn, provider_id=provider, start_at=yesterday_start + timedelta(hours=12), status="no_show")


def test_todays_tiles_count_todays_appointments_by_status(signed_in, app_env):
    add_today(app_env, ["scheduled", "confirmed", "checked_in", "completed", "no_show", "cancelled"])
    at = signed_in("front_desk").run()
    assert not at.exception
    assert tile(at, "Appointments today") == "5"  # the cancelled one does not count
    assert tile(at, "Checked in now") == "1"
    assert tile(at, "Completed today") == "1"
    assert tile(at, "No-shows today") == "1"
    table = at.dataframe[0].value
    assert len(table) == 5
    assert list(table["status"]) == ["Scheduled", "Confirmed", "Checked in", "Completed", "No-show"]
    assert [t.strftime("%H:%M") for t in table["start_at"]] == ["07:00", "07:20", "07:40", "08:00", "08:20"]


def test_the_manager_sees_the_no_show_rate_of_the_last_30_days(signed_in, app_env):
    add_today(app_env, ["completed"])
    with database(app_env) as conn:
        start, end = timeutil.last_days_bounds(timeutil.today(TZ), 30, TZ)
        no_show, completed = db.read(
            conn,
            "SELECT count(*) FILTER (WHERE status = 'no_show'), count(*) FILTER (WHERE status = 'completed')"
            " FROM appointments WHERE start_at >= ? AND start_at < ?", [start, end])[0]
    at = signed_in("manager").run()
    assert no_show >= 1
    assert tile(at, "No-show rate, last 30 days") == f"{no_show / (no_show + completed):.1%}"


def test_open_messages_count_what_is_assigned_to_the_role(signed_in, app_env):
    with database(app_env) as conn:
        expected = db.read(conn, "SELECT count(*) FROM messages WHERE status = 'open' AND assignee_role = 'clinician'"
                                 " AND assignee_user IS NULL")[0][0]
    at = signed_in("clinician").run()
    assert expected > 0
    assert tile(at, "Open messages for you") == str(expected)


def test_with_nothing_today_the_next_clinic_day_is_shown(signed_in, app_env):
    later = timeutil.today(TZ) + timedelta(days=3)
    with database(app_env) as conn:
        provider = db.read(conn, "SELECT id FROM providers ORDER BY id LIMIT 1")[0][0]
        make_appointment(conn, provider_id=provider, start_at=timeutil.local_to_utc(datetime.combine(later, time(9)), TZ))
    at = signed_in("front_desk").run()
    assert any(f"next clinic day: {later:%A %d %B}" in h.value for h in at.subheader)
    assert len(at.dataframe[0].value) == 1


def test_the_doctors_counts_cover_only_their_own_patients(signed_in, app_env):
    with database(app_env) as conn:
        own = db.read_one(conn, "SELECT id FROM providers WHERE user_id = (SELECT id FROM users WHERE username = 'doctor')")[0]
        other = db.read_one(conn, "SELECT id FROM providers WHERE id <> ? ORDER BY id LIMIT 1", [own])[0]
        today = timeutil.today(TZ)
        for i, (provider, status) in enumerate([(own, "scheduled"), (own, "checked_in"), (own, "completed"),
                                                (other, "scheduled"), (other, "checked_in"), (other, "no_show")]):
            start = timeutil.local_to_utc(datetime.combine(today, time(8)) + timedelta(minutes=20 * i), TZ)
            make_appointment(conn, provider_id=provider, start_at=start, status=status)
        start, end = timeutil.day_bounds(today, TZ)
        expected = dict(db.read(conn, "SELECT status, count(*) FROM appointments WHERE provider_id = ?"
                                      " AND start_at >= ? AND start_at < ? GROUP BY status", [own, start, end]))
    at = signed_in("clinician").run()
    assert tile(at, "Appointments today") == str(sum(n for s, n in expected.items() if s != "cancelled")) == "3"
    assert tile(at, "Checked in now") == str(expected.get("checked_in", 0))
    assert tile(at, "No-shows today") == "0"  # the other provider's no-show is not theirs
    assert len(at.dataframe[0].value) == 3
    # The front desk still sees the whole clinic.
    desk = signed_in("front_desk").run()
    assert tile(desk, "Appointments today") == "6"


@pytest.mark.parametrize("role, greeting", [("clinician", "Hello, Dr\\. Okafor"), ("front_desk", "Hello, Maya")])
def test_the_greeting_uses_a_name_never_a_bare_title(signed_in, role, greeting):
    at = signed_in(role).run()
    assert at.title[0].value == greeting


def test_a_visit_without_a_reason_shows_a_dash_not_none(signed_in, app_env):
    with database(app_env) as conn:
        start = timeutil.local_to_utc(datetime.combine(timeutil.today(TZ), time(9)), TZ)
        make_appointment(conn, start_at=start, reason=None)
    at = signed_in("front_desk").run()
    assert list(at.dataframe[0].value["reason"]) == ["—"]


def test_the_stock_office_sees_the_low_stock_count_of_the_database(signed_in, app_env):
    from db import stock_alerts
    from tests.db.inventory_factories import make_item, stock

    with database(app_env) as conn:
        stock(conn, make_item(conn, reorder_point=10), 4)  # low
        stock(conn, make_item(conn, reorder_point=0), 1)   # not low
        expected = len(stock_alerts.low_stock(conn, today=timeutil.today(TZ)))
    at = signed_in("front_desk").run()
    assert not at.exception, at.exception
    assert expected >= 1
    assert tile(at, "Items low on stock") == str(expected)
    billing = signed_in("billing").run()
    assert "Items low on stock" not in [m.label for m in billing.metric]  # billing orders no stock
