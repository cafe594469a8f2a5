"""Typed appointment rows: what the screens act on carries no NaN and matches the table."""

from __future__ import annotations

import math

from clinic import timeutil
from db import appointments
from tests.conftest import SEED_TODAY, TZ


def test_the_days_rows_are_typed_and_match_the_frame_the_screens_used_to_get(seeded):
    start, end = timeutil.day_bounds(SEED_TODAY, TZ)
    rows = appointments.list_rows(seeded, start, end)
    assert rows, "the seeded Monday has appointments"
    assert all(isinstance(r, appointments.AppointmentRow) for r in rows)
    assert [r.start_at for r in rows] == sorted(r.start_at for r in rows)
    for row in rows:
        for value in vars(row).values():
            assert not (isinstance(value, float) and math.isnan(value)), row
    count = seeded.execute(
        "SELECT count(*) FROM appointments WHERE start_at >= ? AND start_at < ? AND status <> 'cancelled'", [start, end]
    ).fetchone()[0]
    assert len(rows) == count


def test_rows_filter_by_provider_and_can_include_cancelled(seeded):
    start, end = timeutil.day_bounds(SEED_TODAY, TZ)
    every = appointments.list_rows(seeded, start, end, include_cancelled=True)
    provider_id = every[0].provider_id
    mine = appointments.list_rows(seeded, start, end, provider_id=provider_id, include_cancelled=True)
    assert mine and all(r.provider_id == provider_id for r in mine)
    assert len(every) >= len(appointments.list_rows(seeded, start, end))


def test_the_month_summary_counts_each_providers_appointments_per_clinic_local_day(conn):
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo

    from tests.conftest import make_appointment, make_provider

    ny = ZoneInfo(TZ)
    ames, berg = make_provider(conn, name="Dr. Ames"), make_provider(conn, name="Dr. Berg")

    def local(day, hh, mm=0):
        return datetime(2026, 3, day, hh, mm, tzinfo=ny).astimezone(timezone.utc)

    make_appointment(conn, provider_id=ames, start_at=local(2, 9))
    make_appointment(conn, provider_id=ames, start_at=local(2, 21, 30))  # 02:30 UTC on the 3rd: still the 2nd here
    make_appointment(conn, provider_id=berg, start_at=local(2, 10))
    make_appointment(conn, provider_id=berg, start_at=local(3, 10), status="cancelled")
    make_appointment(conn, provider_id=ames, start_at=local(9, 9))  # after the clocks went forward
    start, _ = timeutil.day_bounds(SEED_TODAY, TZ)
    end, _ = timeutil.day_bounds(SEED_TODAY.replace(day=31), TZ)
    counts = appointments.count_by_day_and_provider(conn, start, end, TZ)
    assert [(c.day.day, c.provider, c.count) for c in counts] == [(2, "Dr. Ames", 2), (2, "Dr. Berg", 1),
                                                                  (9, "Dr. Ames", 1)]
    with_cancelled = appointments.count_by_day_and_provider(conn, start, end, TZ, include_cancelled=True,
                                                            provider_ids=[berg])
    assert [(c.day.day, c.provider_id, c.count) for c in with_cancelled] == [(2, berg, 1), (3, berg, 1)]
