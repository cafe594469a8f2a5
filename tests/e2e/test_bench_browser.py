"""The benchmark's browser part (bench/browser.py) on the small seeded clinic, cut to one page and
one session: it starts the real server on the file, times the click from Home to Today settled
beside the near-empty page, the Patients search, and reads the server's peak memory. Timings are
never asserted; that each figure was measured, on the page it names, is."""

from __future__ import annotations

from bench import browser as bench_browser
from bench.core import Context
from tests.conftest import SEED_NOW, SEED_TODAY, TZ, copy_database


def test_the_browser_part_times_today_and_the_search_and_reads_the_servers_memory(seeded_template, tmp_path,
                                                                                  clinic_clock, browser):
    """``browser``: the browser tests' chromium (it skips or fails as they do when there is none)."""
    path = copy_database(seeded_template, tmp_path / "bench.duckdb")
    clinic_clock(SEED_NOW)  # the server's clinic clock is set to this process's
    shots = tmp_path / "shots"
    shots.mkdir()

    rows = {r.name: r for r in bench_browser.cases(Context(None, path, 1, SEED_TODAY, TZ, "test"), shots,
                                                   links=("Today",), sessions=1, chromium=browser)}

    base = rows[bench_browser.BASELINE]
    today = rows["Today, every provider: click to settled"]
    search = rows[f"Patients, search “{bench_browser.SEARCH}”: Enter to settled"]
    for row in (base, today, search):
        assert row.samples == 1 and row.median_ms > 0 and "error" not in row.extra, row
    assert today.baseline == base.name and today.baseline_ms == base.median_ms and today.target_ms == 1000
    assert not any(name.startswith("Calendar") for name in rows)  # only the page asked for

    memory = rows["server peak RSS, 1 signed-in sessions (MB)"]
    assert memory.group == "memory" and memory.extra["unit"] == "MB" and memory.target_ms == 1536
    assert memory.extra["rss_at_start_mb"] < memory.median_ms < 4096  # a Streamlit server's size, in MB
    # The page timed was the real one: its screenshot was taken as it settled.
    assert (shots / "bench-today.png").stat().st_size > 10_000
