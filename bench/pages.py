"""Every page's whole script through Streamlit's AppTest, signed in as the role that uses it: the
first run (a new session, Streamlit's data caches emptied) and warm reruns, each beside its floor.

A "warm rerun" is what the user waits for after a click: the whole script (app.py's frame and the
page) run again with the connection and caches already open. The **floor** of a page is what it
could not go below: the SQL its warm rerun sent, run straight on DuckDB (recorded during one rerun,
replayed on the same connection), plus an empty page's rerun (Streamlit's and AppTest's own fixed
cost), measured in the same process. A page's ratio to its floor is the share of its time spent on
neither the database nor Streamlit's fixed cost: Python building widgets, data frames, charts.

The replay runs only the reads: the few writes a page makes on being shown (the audit row of a
patient file opened) are counted (``extra.writes``) but not replayed, so the database is unchanged.

AppTest is Streamlit's test harness: this module is the one place outside the UI layers that
imports ``streamlit`` (its testing package and its data cache, to empty it for first runs).
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

from bench.core import Context, Row, timed_row

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
EMPTY_PAGE = 'import streamlit as st\nst.title("Empty")\n'
# A page run longer than this is reported as failed (the run goes on with the next page).
TIMEOUT_S = 300
# A click that changes something, timed on a different button each time: name -> (page key, key prefix).
# On Today a check-in reruns only that provider's part and the tiles.
CLICKS = {"Today, a check-in click (frontdesk)": ("today", "checkin_")}
# Which demo user opens which page: the first of these whose role may open it (clinic.access).
USERS = ("frontdesk", "billing", "manager", "admin")
_READ = re.compile(r"^\s*(SELECT|WITH|FROM|PRAGMA|DESCRIBE|SHOW|SUMMARIZE|EXPLAIN|\()", re.IGNORECASE)


@dataclass(frozen=True)
class PageCase:
    """One page to time: its key (clinic.access.PAGES, its file is pages/<key>.py), the name the
    report gives it, and session state set before it is opened (a patient's file, say)."""

    key: str
    name: str
    state: tuple[tuple[str, object], ...] = ()


class _Recorder:
    """Stands in for the process's connection while a rerun is recorded: every ``execute`` on it
    or on a cursor from it is noted (SQL and parameters) and passed on; everything else is the
    real connection's."""

    def __init__(self, real, log: list | None):
        self._real, self.log = real, log

    def cursor(self):
        return _Recorder(self._real.cursor(), self.log)

    def execute(self, sql, params=None):
        if self.log is not None:
            self.log.append((sql, params))
        self._real.execute(sql, params or [])
        return self

    def __getattr__(self, name):
        return getattr(self._real, name)


def like_the_server() -> None:
    """Make AppTest run the app as the real server does (the page tests do it too, through
    tests/conftest.py): app.py on every run, the installed components scanned once, and each
    script compiled once. Safe to call again."""
    _keep_navigation_v2()
    _scan_installed_components_once()
    _share_compiled_scripts()


def _keep_navigation_v2() -> None:
    """AppTest resets ``PagesManager.uses_pages_directory`` before each run; because our screens
    live in ``pages/``, it then takes the app for an old-style (v1) multipage app and, from the
    second run on, runs the page file alone, skipping app.py (its sign-in gate and sidebar).
    The real server sets the flag once, when app.py first calls st.navigation, and keeps it."""
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.testing.v1 import app_test as app_test_module

    class NavigationPagesManager(PagesManager):
        def __init__(self, *args, **kwargs):
            PagesManager.uses_pages_directory = False
            super().__init__(*args, **kwargs)

    app_test_module.PagesManager = NavigationPagesManager


def _scan_installed_components_once() -> None:
    """Every new AppTest scans every installed package's metadata for Streamlit components
    (about a tenth of a second); the packages do not change while this process runs."""
    import functools

    from streamlit.components.v2 import manifest_scanner

    if not hasattr(manifest_scanner.scan_component_manifests, "cache_info"):
        manifest_scanner.scan_component_manifests = functools.cache(manifest_scanner.scan_component_manifests)


def _share_compiled_scripts() -> None:
    """AppTest makes a new script cache for every run, so app.py and the page are read, rewritten
    for Streamlit's "magic" and compiled again each time (tens of milliseconds a run); the server
    keeps one cache for all sessions. One cache here too, keyed by file and modification time (a
    test that writes a script of its own gets it compiled afresh)."""
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import app_test as app_test_module
    from streamlit.testing.v1 import local_script_runner

    if getattr(app_test_module.ScriptCache, "shared", False):
        return

    class SharedScriptCache(ScriptCache):
        def get_bytecode(self, script_path: str):
            key = (script_path, os.stat(script_path).st_mtime_ns)
            with self._lock:
                code = self._cache.get(key)
            if code is None:
                code = ScriptCache.get_bytecode(ScriptCache(), script_path)
                with self._lock:
                    self._cache[key] = code
            return code

    one = SharedScriptCache()

    def shared() -> ScriptCache:
        return one

    shared.shared = True
    app_test_module.ScriptCache = shared
    local_script_runner.ScriptCache = shared


def _run(at, what: str) -> float:
    """Run ``at`` once; its milliseconds. A page that raised or showed an exception stops the run."""
    started = time.perf_counter()
    at.run()
    elapsed = (time.perf_counter() - started) * 1000
    if at.exception:
        raise RuntimeError(f"{what} raised: {at.exception[0].message if at.exception else ''}")
    return elapsed


def default_cases(ctx: Context) -> list[PageCase]:
    """Every page, plus a patient's file open (the Patients page's real work): the patient with the
    most appointments, so the file is as long as the clinic has."""
    import db
    from components.nav import SECTIONS

    cases = [PageCase(key, title) for pages in SECTIONS.values() for key, _, title, _ in pages]

    row = db.read_one(ctx.conn, "SELECT patient_id FROM appointments GROUP BY patient_id ORDER BY count(*) DESC,"
                                " patient_id LIMIT 1")
    if row:
        cases.append(PageCase("patients", "Patients, a long file open", (("_nav_patient_id", int(row[0])),)))
    return cases


def cases(ctx: Context, pages: list[PageCase] | None = None, *, keys: tuple[str, ...] | None = None,
          first_runs: int = 2, clicks: dict[str, tuple[str, str]] | None = None) -> list[Row]:
    """A row per page's warm rerun (baseline: its floor) and per page's first run (baseline: the
    empty page's first run), and the empty page's own row. ``clicks`` maps a name to (page key,
    button key prefix): a click that changes something, each on a different button (e.g. check in)."""
    from streamlit import logger
    from streamlit.testing.v1 import AppTest

    from clinic import access
    from components import db_session
    from db import users

    import streamlit as st

    st.cache_data.clear()  # creates the loggers a clear outside a script run warns on...
    logger.set_log_level("error")  # ...so that this quiets them too
    like_the_server()
    os.environ["CLINICDESK_DB"] = str(ctx.path)  # read when the app first opens its connection
    pages = pages if pages is not None else default_cases(ctx)
    if keys:  # only these pages (manage.py bench --pages)
        pages = [case for case in pages if case.key in keys]
    clicks = CLICKS if clicks is None else clicks
    accounts = {name: users.find_by_username(ctx.conn, name) for name in USERS}

    empty = AppTest.from_string(EMPTY_PAGE, default_timeout=TIMEOUT_S)
    empty_first = [_run(empty, "the empty page")]
    for _ in range(first_runs - 1):
        fresh = AppTest.from_string(EMPTY_PAGE, default_timeout=TIMEOUT_S)
        empty_first.append(_run(fresh, "the empty page"))
    _run(empty, "the empty page")
    empty_warm = [_run(empty, "the empty page") for _ in range(ctx.repeat)]
    empty_row = timed_row("pages", "empty page: warm rerun", empty_warm)
    rows = [timed_row("pages", "empty page: first run", empty_first), empty_row]

    # Every run below goes through the recorder; it notes only while a list is given to it.
    real_open = db_session._open
    recorder = _Recorder(None, None)

    def recording_open(path: str):
        recorder._real = real_open(path)
        return recorder

    db_session._open = recording_open
    try:
        for case in pages:
            username = next(u for u in USERS if access.can_open(accounts[u].role, case.key))
            label = f"{case.name} ({username})"
            try:
                rows.extend(_page_rows(ctx, case, accounts[username], label, recorder, rows[0], empty_row,
                                       first_runs, clicks))
            except RuntimeError as exc:  # a page that raised or ran past the timeout: said, and the run goes on
                rows.append(Row("pages", f"{label}: FAILED", 0.0, 0.0, extra={"error": str(exc)[:500]}))
    finally:
        db_session._open = real_open
        # The app's connection closes with the part, as a stopped server's would: the file's size
        # after the run is then the checkpointed one.
        if recorder._real is not None:
            recorder._real.close()
        real_open.clear()
    return rows


def _page_rows(ctx: Context, case: PageCase, user, label: str, recorder: _Recorder, empty_first: Row,
               empty_row: Row, first_runs: int, clicks: dict[str, tuple[str, str]] | None) -> list[Row]:
    """One page's rows: its first runs, its warm reruns beside its floor, and its clicks."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from components import report_cache

    def opened():
        at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
        at.session_state["user_id"] = user.id
        for key, value in case.state:
            at.session_state[key] = value
        return at

    rows, first = [], []
    for _ in range(first_runs):
        st.cache_data.clear()  # a first run: nothing of this page's data cached yet
        report_cache.clear()  # (its shared results too)
        at = opened()
        at.switch_page(f"pages/{case.key}.py")
        first.append(_run(at, label))
    rows.append(timed_row("pages", f"{label}: first run", first, baseline=empty_first.name,
                          baseline_ms=empty_first.median_ms, target_ms=2000))
    _run(at, label)  # warm-up
    warm = [_run(at, label) for _ in range(ctx.repeat)]
    recorder.log = []
    try:
        _run(at, label)
        statements = recorder.log
    finally:
        recorder.log = None
    replay = _replay(recorder._real, statements, ctx.repeat)
    writes = sum(1 for sql, _ in statements if not _READ.match(sql))
    rows.append(timed_row(
        "pages", f"{label}: warm rerun", warm, baseline="floor: its SQL on DuckDB + empty page",
        baseline_ms=replay + empty_row.median_ms, target_ms=300,
        extra={"queries": len(statements) - writes, "writes": writes, "sql_ms": round(replay, 2)}))
    for click_name, (click_page, prefix) in (clicks or {}).items():
        if click_page == case.key:
            timing = _clicks(at, prefix, ctx.repeat)
            if timing:
                rows.append(timed_row("pages", click_name, timing, baseline=empty_row.name,
                                      baseline_ms=empty_row.median_ms, target_ms=300))
    return rows


def _replay(conn, statements: list, repeat: int) -> float:
    """Median milliseconds of running a rerun's reads again, each on a fresh cursor and fetched."""
    import statistics

    reads = [(sql, params) for sql, params in statements if _READ.match(sql)]
    if not reads:
        return 0.0
    samples = []
    for _ in range(repeat + 1):
        started = time.perf_counter()
        for sql, params in reads:
            cur = conn.cursor()
            try:
                cur.execute(sql, params or []).fetchall()
            finally:
                cur.close()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples[1:])


def _clicks(at, key_prefix: str, repeat: int) -> list[float]:
    """Click ``repeat`` different buttons whose key starts with ``key_prefix`` (each a real
    change, e.g. a check-in), timing each click's rerun; a full rerun, untimed, between clicks
    brings the whole page back. Empty when the page offers no such button."""
    samples = []
    for _ in range(repeat):
        keys = [b.key for b in at.button if b.key and b.key.startswith(key_prefix) and not b.disabled]
        if not keys:
            break
        at.button(key=keys[0]).click()
        samples.append(_run(at, f"the click on {keys[0]}"))
        at.run()
    return samples
