"""Availability on a real DuckDB file: hours, time off and closures keep their rules whoever calls,
every change is made by an account allowed to make it now, and time off is read in one query."""

from __future__ import annotations

from datetime import date, datetime, time, timezone

import pytest

import db
from clinic.errors import NotAllowed, NotFound, ValidationError
from clinic.scheduling import Block, Interval
from db import availability, users
from tests.conftest import make_provider, make_user

NOW = datetime(2026, 3, 2, 14, 0, tzinfo=timezone.utc)  # Monday 09:00 in New York (the default zone)


def at(day: int, hh: int) -> datetime:
    return datetime(2026, 3, day, hh, tzinfo=timezone.utc)


COUNTS = {
    "audit": "SELECT count(*) FROM audit_log",
    "off": "SELECT count(*) FROM provider_time_off",
    "closures": "SELECT count(*) FROM clinic_closures",
    "hours": "SELECT count(*) FROM provider_hours",
    "overrides": "SELECT count(*) FROM holiday_overrides",
    "settings": "SELECT count(*) FROM settings",
}


def count(conn, table: str) -> int:
    return db.read_one(conn, COUNTS[table])[0]


# --- the rules hold whoever calls --------------------------------------------------------------


def test_time_off_already_over_is_refused_here_too_not_only_on_the_screen(conn):
    pid = make_provider(conn)
    with pytest.raises(ValidationError) as err:
        availability.add_time_off(conn, pid, at(1, 13), at(1, 17), "Meeting", by="test", now=NOW)
    assert err.value.errors == {"end": "That time off is already over: check the dates."}
    assert count(conn, "off") == 0


def test_time_off_for_no_provider_or_a_missing_one_is_refused(conn):
    with pytest.raises(ValidationError) as err:
        availability.add_time_off(conn, None, at(3, 13), at(3, 17), "Meeting", by="test", now=NOW)
    assert err.value.errors == {"provider": "Choose a provider."}
    with pytest.raises(NotFound):
        availability.add_time_off(conn, 4242, at(3, 13), at(3, 17), "Meeting", by="test", now=NOW)
    assert count(conn, "off") == 0


def test_a_day_gone_by_cannot_become_a_closure_but_today_can(conn):
    with pytest.raises(ValidationError) as err:
        availability.add_closure(conn, date(2026, 3, 1), "Too late", by="test", now=NOW)
    assert err.value.errors == {"day": "Choose today or a later day."}
    availability.add_closure(conn, date(2026, 3, 2), "  Burst   pipe ", by="test", now=NOW)
    assert [(c.day, c.reason) for c in availability.list_closures(conn)] == [(date(2026, 3, 2), "Burst pipe")]


def test_overlapping_hours_are_refused_and_the_old_hours_stay(conn):
    pid = make_provider(conn)
    before = availability.hours_for(conn, pid)
    with pytest.raises(ValidationError):
        availability.set_hours(conn, pid, [Block(0, time(8), time(12)), Block(0, time(11), time(13))], by="test")
    assert availability.hours_for(conn, pid) == before


# --- typed rows ------------------------------------------------------------------------------


def test_upcoming_time_off_comes_with_provider_names_in_start_order(conn):
    ames, berg = make_provider(conn, name="Dr. Ames"), make_provider(conn, name="Dr. Berg")
    availability.add_time_off(conn, berg, at(4, 13), at(4, 17), "", by="test", now=NOW)
    availability.add_time_off(conn, ames, at(3, 13), at(3, 17), "Meeting: Board", by="test", now=NOW)
    listed = availability.list_time_off(conn, from_day=NOW)
    assert [(t.provider_id, t.provider, t.start_at, t.end_at, t.reason) for t in listed] == [
        (ames, "Dr. Ames", at(3, 13), at(3, 17), "Meeting: Board"),
        (berg, "Dr. Berg", at(4, 13), at(4, 17), None),
    ]
    assert availability.list_time_off(conn, from_day=at(4, 0))[0].provider == "Dr. Berg"


# --- time off of many providers in one query ---------------------------------------------------


def test_time_off_by_provider_gives_each_provider_what_overlaps_the_range(conn):
    ames, berg, cruz = (make_provider(conn, name=n) for n in ("Dr. Ames", "Dr. Berg", "Dr. Cruz"))
    availability.add_time_off(conn, ames, at(3, 13), at(3, 17), "Meeting", by="test", now=NOW)
    availability.add_time_off(conn, ames, at(5, 13), at(5, 17), "Vacation", by="test", now=NOW)
    availability.add_time_off(conn, berg, at(2, 20), at(3, 14), "Other", by="test", now=NOW)
    availability.add_time_off(conn, cruz, at(4, 13), at(4, 17), "Away", by="test", now=NOW)
    day = (at(3, 5), at(4, 5))  # 3 March in New York
    assert availability.time_off_by_provider(conn, *day) == {
        ames: [Interval(at(3, 13), at(3, 17), "Meeting")],
        berg: [Interval(at(2, 20), at(3, 14), "Other")],
    }
    assert availability.time_off_by_provider(conn, *day, provider_ids=[berg, cruz]) == {
        berg: [Interval(at(2, 20), at(3, 14), "Other")]}
    assert availability.time_off_by_provider(conn, at(3, 5), at(6, 5), provider_ids=[ames]) == {
        ames: [Interval(at(3, 13), at(3, 17), "Meeting"), Interval(at(5, 13), at(5, 17), "Vacation")]}
    # The same answer, provider by provider, as the one query gives for all.
    for pid in (ames, berg, cruz):
        assert availability.time_off_by_provider(conn, *day).get(pid, []) == availability.time_off_between(
            conn, pid, *day)


# --- rights are read again inside each write ---------------------------------------------------


@pytest.fixture
def demoted(conn):
    """A manager as the page loaded her, who was made front desk before she clicked."""
    manager = users.get(conn, make_user(conn, username="mia", role="manager"))
    users.set_role(conn, manager.id, "front_desk", by="test")
    return manager


def schedule_writes(conn, pid, off_id, closure_id):
    return {
        "set_hours": lambda by: availability.set_hours(conn, pid, [], by=by),
        "add_time_off": lambda by: availability.add_time_off(conn, pid, at(9, 13), at(9, 17), "Meeting", by=by,
                                                             now=NOW),
        "remove_time_off": lambda by: availability.remove_time_off(conn, off_id, by=by),
        "add_closure": lambda by: availability.add_closure(conn, date(2026, 3, 20), "Move", by=by, now=NOW),
        "remove_closure": lambda by: availability.remove_closure(conn, closure_id, by=by),
        "set_holiday_closed": lambda by: availability.set_holiday_closed(conn, date(2026, 5, 25), False, by=by),
        "save_rules": lambda by: availability.save_rules(conn, {"min_notice_min": 60}, by=by),
    }


WRITES = ("set_hours", "add_time_off", "remove_time_off", "add_closure", "remove_closure", "set_holiday_closed",
          "save_rules")


@pytest.mark.parametrize("write", WRITES)
def test_a_manager_demoted_after_the_page_was_drawn_changes_no_schedule(conn, demoted, write):
    pid = make_provider(conn)
    off_id = availability.add_time_off(conn, pid, at(10, 13), at(10, 17), "Vacation", by="test", now=NOW)
    closure_id = availability.add_closure(conn, date(2026, 3, 27), "Training", by="test", now=NOW)
    before = {t: count(conn, t) for t in ("audit", "off", "closures", "hours", "overrides", "settings")}
    with pytest.raises(NotAllowed, match=r"Your role \(Front desk\) does not allow this"):
        schedule_writes(conn, pid, off_id, closure_id)[write](demoted)
    # Nothing changed; the refusal itself is audited, once, with the role she has now.
    assert {t: count(conn, t) for t in before} == {**before, "audit": before["audit"] + 1}
    assert db.read(conn, "SELECT username, role, action, outcome FROM audit_log ORDER BY id DESC LIMIT 1") == [
        ("mia", "front_desk", "schedule.manage", "refused")]


@pytest.mark.parametrize("write", WRITES)
def test_a_manager_may_make_every_schedule_change_and_each_is_audited_under_her_name(conn, write):
    manager = users.get(conn, make_user(conn, username="nia", role="manager"))
    pid = make_provider(conn)
    off_id = availability.add_time_off(conn, pid, at(10, 13), at(10, 17), "Vacation", by="test", now=NOW)
    closure_id = availability.add_closure(conn, date(2026, 3, 27), "Training", by="test", now=NOW)
    before = count(conn, "audit")
    schedule_writes(conn, pid, off_id, closure_id)[write](manager)
    assert db.read(conn, "SELECT user_id, username FROM audit_log ORDER BY id DESC LIMIT 1") == [(manager.id, "nia")]
    assert count(conn, "audit") == before + 1
