"""components.report_cache on the seeded clinic: a cached report gives the report's own figures,
serves them again without recomputing until a write commits, and after any committed write (every
write goes through db.transaction) gives the new figures."""

from __future__ import annotations

from datetime import timedelta

import db
from components.report_cache import cached
from db import reports
from tests.conftest import SEED_TODAY

PERIOD = {"start": SEED_TODAY - timedelta(days=30), "end": SEED_TODAY}


def _no_shows(conn) -> int:
    return reports.no_show_summary(conn, **PERIOD)["no_shows"]


def test_a_cached_report_is_the_reports_figures_until_a_write_commits(seeded):
    cached_reports = cached(reports)
    first = cached_reports.no_show_summary(seeded, **PERIOD)
    assert first == reports.no_show_summary(seeded, **PERIOD) and first["no_shows"] > 0
    (visit,) = db.read_one(seeded, "SELECT id FROM appointments WHERE status = 'completed' AND start_at >= ?"
                                   " ORDER BY id LIMIT 1", [SEED_TODAY - timedelta(days=20)])

    # Changed behind the app's back (a raw cursor, no db.transaction): the cache does not know, which
    # is how it shows that the second read was served from it, not recomputed.
    seeded.cursor().execute("UPDATE appointments SET status = 'no_show' WHERE id = ?", [visit])
    assert _no_shows(seeded) == first["no_shows"] + 1
    assert cached_reports.no_show_summary(seeded, **PERIOD) == first

    # Any committed write through db.transaction (here: another visit marked) makes it stale.
    with db.transaction(seeded) as cur:
        cur.execute("UPDATE appointments SET status = 'no_show' WHERE id = (SELECT min(id) FROM appointments"
                    " WHERE status = 'completed' AND start_at >= ?)", [SEED_TODAY - timedelta(days=20)])
    fresh = cached_reports.no_show_summary(seeded, **PERIOD)
    assert fresh["no_shows"] == first["no_shows"] + 2 == _no_shows(seeded)

    # Other arguments are another entry; module constants pass through untouched.
    assert cached_reports.no_show_summary(seeded, start=PERIOD["start"] - timedelta(days=30), end=PERIOD["start"]) \
        == reports.no_show_summary(seeded, start=PERIOD["start"] - timedelta(days=30), end=PERIOD["start"])
    assert cached_reports.BY == reports.BY


def test_two_databases_never_share_a_cached_figure(seeded, tmp_path):
    """The same report with the same arguments on another file (with other data) is its own entry."""
    cached_reports = cached(reports)
    before = cached_reports.no_show_summary(seeded, **PERIOD)
    seeded.cursor().execute("UPDATE appointments SET status = 'no_show' WHERE status = 'completed'")
    other = db.connect(tmp_path / "other.duckdb")  # an empty clinic: no visits at all
    try:
        assert cached_reports.no_show_summary(other, **PERIOD)["appointments"] == 0
    finally:
        other.close()
    assert cached_reports.no_show_summary(seeded, **PERIOD) == before  # its own entry, still cached


def test_a_shared_report_is_the_one_object_until_a_write_then_new_and_clear_forgets_it(seeded):
    """``shared=True`` (the claims work list): every read gets the same object, not a copy, until a
    write commits; ``clear`` (the benchmark's first runs) forgets it."""
    from components import report_cache

    shared = cached(reports, shared=True)
    first = shared.no_show_summary(seeded, **PERIOD)
    assert first == reports.no_show_summary(seeded, **PERIOD)
    assert shared.no_show_summary(seeded, **PERIOD) is first
    assert cached(reports).no_show_summary(seeded, **PERIOD) is not cached(reports).no_show_summary(seeded, **PERIOD)

    with db.transaction(seeded) as cur:
        cur.execute("UPDATE appointments SET status = 'no_show' WHERE id = (SELECT min(id) FROM appointments"
                    " WHERE status = 'completed' AND start_at >= ?)", [SEED_TODAY - timedelta(days=20)])
    fresh = shared.no_show_summary(seeded, **PERIOD)
    assert fresh is not first and fresh["no_shows"] == first["no_shows"] + 1 == _no_shows(seeded)

    report_cache.clear()
    assert shared.no_show_summary(seeded, **PERIOD) is not fresh
