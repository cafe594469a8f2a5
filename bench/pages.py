"""Warm rerun times of the desk's busiest screens, through Streamlit's AppTest on the large clinic.

A "warm rerun" is what the user waits for after a click: the whole script (app.py's frame and the
page) run again with the connection and caches already open. Each screen is opened once, then
rerun ``repeat`` times; the median and the 95th percentile are reported with their ratio to the
rerun of an empty page measured in the same process (AppTest's own overhead and a slow machine
shift both alike).

AppTest is Streamlit's test harness: the benchmark drives the app the way tests/pages do, so this
module is the one place outside the UI layers that imports ``streamlit`` (its testing package only).
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
EMPTY_PAGE = 'import streamlit as st\nst.title("Empty")\n'


@dataclass(frozen=True)
class Timing:
    median_ms: float
    p95_ms: float
    # CPU time of this process per rerun (every thread): what a shared, busy machine changes
    # least, since other programs' load does not count in it.
    cpu_median_ms: float = 0.0

    def ratio(self, baseline: Timing) -> float:
        return self.median_ms / baseline.median_ms


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def time_reruns(at, repeat: int) -> Timing:
    """``at`` has run once (cold); rerun it ``repeat`` times more, untouched."""
    at.run()  # warm-up
    samples, cpu = [], []
    for _ in range(repeat):
        started, cpu_started = time.perf_counter(), time.process_time()
        at.run()
        samples.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
        if at.exception:
            raise RuntimeError(f"the page raised: {at.exception}")
    return Timing(statistics.median(samples), _percentile(samples, 0.95), statistics.median(cpu))


def time_clicks(at, key_prefix: str, repeat: int) -> Timing | None:
    """Click ``repeat`` different buttons whose key starts with ``key_prefix`` (each a real
    change, e.g. a check-in), timing each click's rerun; a full rerun, untimed, between clicks
    brings the whole page back. None when the page offers no such button."""
    samples, cpu = [], []
    for _ in range(repeat):
        keys = [b.key for b in at.button if b.key and b.key.startswith(key_prefix) and not b.disabled]
        if not keys:
            break
        started, cpu_started = time.perf_counter(), time.process_time()
        at.button(key=keys[0]).click().run()
        samples.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
        if at.exception:
            raise RuntimeError(f"the click raised: {at.exception}")
        at.run()
    if not samples:
        return None
    return Timing(statistics.median(samples), _percentile(samples, 0.95), statistics.median(cpu))


def _keep_navigation_v2() -> None:
    """Make AppTest run app.py on every run, as the real server does (see tests/conftest.py:
    AppTest otherwise takes a ``pages/`` folder for an old-style app and skips app.py after the
    first run)."""
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.testing.v1 import app_test as app_test_module

    class NavigationPagesManager(PagesManager):
        def __init__(self, *args, **kwargs):
            PagesManager.uses_pages_directory = False
            super().__init__(*args, **kwargs)

    app_test_module.PagesManager = NavigationPagesManager


def page_reruns(db_path: Path, user_id: int, repeat: int, pages: dict[str, str],
                clicks: dict[str, tuple[str, str]] | None = None) -> tuple[Timing, dict[str, Timing]]:
    """(the empty page's timing, each page's timing): ``pages`` maps a name to a page file;
    ``clicks`` maps a name to (page file, button key prefix) for timing clicks (:func:`time_clicks`).

    The app reads the database at ``db_path`` (the process must not hold another connection
    to it with a different configuration) and is signed in as ``user_id``.
    """
    from streamlit import logger
    from streamlit.testing.v1 import AppTest

    logger.set_log_level("error")
    _keep_navigation_v2()
    os.environ["CLINICDESK_DB"] = str(db_path)  # read when the app first opens its connection

    empty = AppTest.from_string(EMPTY_PAGE, default_timeout=120)
    empty.run()
    baseline = time_reruns(empty, repeat)

    results = {}
    for name, page in pages.items():
        at = AppTest.from_file(APP, default_timeout=120)
        at.session_state["user_id"] = user_id
        at.run()
        at.switch_page(page).run()
        if at.exception:
            raise RuntimeError(f"{page} raised: {at.exception}")
        results[name] = time_reruns(at, repeat)
        for click_name, (click_page, prefix) in (clicks or {}).items():
            if click_page == page:
                timing = time_clicks(at, prefix, repeat)
                if timing is not None:
                    results[click_name] = timing
    return baseline, results


def report(baseline: Timing, results: dict[str, Timing], emit: Callable[[str], None] = print) -> None:
    rows = {"empty page (AppTest rerun)": baseline, **results}
    width = max(len(k) for k in rows)
    emit(f"{'warm rerun':<{width}}  {'median ms':>10}  {'p95 ms':>8}  {'× empty':>8}  {'cpu ms':>7}")
    for name, t in rows.items():
        emit(f"{name:<{width}}  {t.median_ms:>10.1f}  {t.p95_ms:>8.1f}  {t.ratio(baseline):>8.1f}"
             f"  {t.cpu_median_ms:>7.1f}")
