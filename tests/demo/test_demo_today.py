"""The demo seeded for the real today: today's visits before the clinic clock's "now" have played
out (completed, no-show, checked in), everything else is as if seeded at midnight."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

import db
from clinic.scheduling import TRANSITIONS
from tests.demo.seeding import DATA_HASHES, NOW, hashes, seeded_at

AFTERNOON = datetime(2026, 3, 2, 19, 10, tzinfo=timezone.utc)  # 14:10 in the clinic on TODAY
TODAYS_VISITS = (
    "SELECT status, count(*) FROM appointments WHERE start_at >= $midnight AND start_at < $until"
    " AND status <> 'cancelled' GROUP BY ALL"
)


@pytest.fixture(scope="module")
def demo_afternoon(tmp_path_factory):
    """The demo scale as someone opening it at 14:10 on TODAY gets it."""
    conn = seeded_at(tmp_path_factory.mktemp("seed") / "live.duckdb", AFTERNOON, scale="demo", seed=42)
    yield conn
    conn.close()


def test_the_demo_seeded_in_the_afternoon_shows_the_mornings_visits_done_not_still_scheduled(demo_afternoon):
    # An hour and more ago: every visit has an outcome, most of them completed.
    earlier = dict(db.read(demo_afternoon, TODAYS_VISITS, {"midnight": NOW, "until": AFTERNOON - timedelta(hours=1)}))
    assert set(earlier) <= {"completed", "no_show", "checked_in"}
    assert earlier["completed"] > 0.8 * sum(earlier.values()) and earlier.get("no_show", 0) >= 1
    # Later this afternoon: still to come.
    later = dict(db.read(demo_afternoon, TODAYS_VISITS, {"midnight": AFTERNOON + timedelta(hours=1),
                                                          "until": NOW + timedelta(days=1)}))
    assert later and set(later) <= {"scheduled", "confirmed"}


def test_patients_who_arrived_in_the_last_half_hour_or_so_are_checked_in(demo_afternoon):
    rows = db.read(
        demo_afternoon,
        "SELECT start_at, arrived_at, started_at FROM appointments WHERE status = 'checked_in'",
    )
    assert len(rows) >= 3
    for start_at, arrived_at, started_at in rows:
        assert AFTERNOON - timedelta(minutes=75) < start_at < AFTERNOON + timedelta(minutes=45)
        assert arrived_at <= AFTERNOON and (started_at is None or arrived_at <= started_at <= AFTERNOON)
    # Some are with the clinician already, some still in the waiting room.
    assert {started_at is None for _, _, started_at in rows} == {True, False}


def test_todays_events_and_notes_all_lie_before_the_clinic_clocks_now(demo_afternoon):
    moves = db.read(demo_afternoon, "SELECT DISTINCT from_status, to_status FROM appointment_events"
                                    " WHERE from_status IS NOT NULL")
    assert all(to_status in TRANSITIONS[from_status] for from_status, to_status in moves)
    assert db.read_one(demo_afternoon, "SELECT max(occurred_at) FROM appointment_events")[0] <= AFTERNOON
    assert db.read_one(demo_afternoon, "SELECT max(signed_at) FROM visit_notes")[0] <= AFTERNOON
    wrong = db.read_one(
        demo_afternoon,
        "SELECT count(*) FROM appointments a WHERE"
        " (SELECT count(*) FROM appointment_events e WHERE e.appointment_id = a.id)"
        "   <> CASE a.status WHEN 'scheduled' THEN 1 WHEN 'completed' THEN 3 ELSE 2 END"
        " OR (SELECT arg_max(to_status, id) FROM appointment_events e WHERE e.appointment_id = a.id) <> a.status"
        " OR (arrived_at IS NOT NULL) <> (status IN ('checked_in', 'completed'))",
    )[0]
    assert wrong == 0


def test_seeding_for_the_real_today_changes_only_todays_visits(demo, demo_afternoon):
    before_today = (
        "SELECT md5(string_agg(t::VARCHAR, chr(10) ORDER BY id)) FROM appointments t WHERE start_at < $midnight"
    )
    assert db.read_one(demo_afternoon, before_today, {"midnight": NOW}) == db.read_one(
        demo, before_today, {"midnight": NOW})
    assert db.read_one(demo, "SELECT count(*) FROM appointments WHERE status = 'checked_in'")[0] == 0


def test_the_test_scale_is_the_same_whatever_the_hour_it_is_seeded_at(small, tmp_path):
    afternoon = seeded_at(tmp_path / "t.duckdb", AFTERNOON)
    try:
        assert hashes(afternoon, DATA_HASHES) == hashes(small, DATA_HASHES)
    finally:
        afternoon.close()
