"""Browser tests: the real `streamlit run` on a free loopback port, driven by Debian's chromium.

Playwright cannot download its own browser here; it drives /usr/bin/chromium. Outside CI a
missing browser skips these tests with the reason; under CI (CI=true) it is a failure.
Screenshots land in artifacts/screenshots/ (git-ignored) for people to look at.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

import db
from tests.conftest import ROOT, SEED_TODAY, TZ, copy_database

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _browser_missing_reason() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is not installed (make test installs it with apt-get when run as root)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (make test installs requirements-dev.txt)"
    return None


@pytest.fixture(scope="session")
def browser():
    reason = _browser_missing_reason()
    if reason:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"browser tests cannot run under CI: {reason}")
        pytest.skip(f"no browser: {reason}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@dataclass(frozen=True)
class SeededDb:
    path: Path
    # Facts read before the server takes the file's lock, to compare with what pages show.
    booked_today: int
    active_patients: int


_E2E_TEMPLATE: dict[str, Path] = {}


def seed_for_e2e(path: Path) -> SeededDb:
    """A test-scale clinic seeded around the real today, with the facts pages should show.

    The clinic is seeded once per test process (about 4 s) and copied for every module that
    asks (a checkpointed, closed file: a plain copy is safe)."""
    from clinic import timeutil
    from db import settings
    from demo import seed

    today = str(timeutil.today(TZ))
    template = _E2E_TEMPLATE.get(today)
    if template is None:
        template = Path(tempfile.mkdtemp(prefix="clinicdesk-e2e-")) / "template.duckdb"
        conn = db.connect(template)
        # Seeded around the real today, so the Home page shows today's appointments.
        seed.seed(conn, scale="test", seed=11, timezone=TZ)
        conn.execute("CHECKPOINT")
        conn.close()
        _E2E_TEMPLATE[today] = template
    path.parent.mkdir(parents=True, exist_ok=True)
    copy_database(template, path)  # with its audit head file
    conn = db.connect(path)
    tz = settings.timezone(conn)
    start, end = timeutil.day_bounds(timeutil.today(tz), tz)
    booked_today = db.read(
        conn,
        "SELECT count(*) FROM appointments WHERE start_at >= ? AND start_at < ? AND status <> 'cancelled'",
        [start, end],
    )[0][0]
    active_patients = db.read(conn, "SELECT count(*) FROM patients WHERE status = 'active'")[0][0]
    conn.execute("CHECKPOINT")
    conn.close()
    return SeededDb(path, booked_today, active_patients)


@pytest.fixture(scope="session")
def server_db(tmp_path_factory) -> SeededDb:
    """The session's shared database. Tests write to it (they book, register, file documents):
    a test that compares counts with the database uses ``private_server`` instead."""
    return seed_for_e2e(tmp_path_factory.mktemp("e2e") / "clinic.duckdb")


def serve(path: Path, *, launcher: list[str] | None = None):
    """Run app.py on a free loopback port against the database at ``path``; yield its URL.

    ``launcher`` replaces `streamlit run` (e.g. a python -c that sets the clinic clock first); the
    app's path and the server options follow it."""
    port = _free_port()
    env = {**os.environ, "CLINICDESK_DB": str(path), "PYTHONUNBUFFERED": "1"}
    log_path = path.with_name("streamlit.log")
    log = open(log_path, "w")
    if launcher is None:
        launcher = [shutil.which("streamlit", path=str(Path(sys.executable).parent)) or "streamlit", "run"]
    proc = subprocess.Popen(
        [*launcher, str(ROOT / "app.py"), "--server.address", "127.0.0.1", "--server.port", str(port),
         "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("streamlit did not start:\n" + log_path.read_text())
        time.sleep(0.3)
    try:
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="session")
def server(server_db: SeededDb):
    """The app for the whole session, on the shared database; yields its base URL."""
    yield from serve(server_db.path)


@pytest.fixture(scope="module")
def private_db(tmp_path_factory) -> SeededDb:
    """A database of this module's own, untouched by other tests."""
    return seed_for_e2e(tmp_path_factory.mktemp("e2e-private") / "clinic.duckdb")


@pytest.fixture(scope="module")
def private_server(private_db: SeededDb):
    yield from serve(private_db.path)


# Counts the app's script runs in the page: every time stApp's script state turns "running".
_COUNT_RUNS_JS = """
window.__cdRuns = 0;
window.__cdDoc = Math.random();
new MutationObserver((changes) => {
  for (const change of changes) {
    if (change.target.getAttribute('data-test-script-state') === 'running') window.__cdRuns += 1;
  }
}).observe(document, {attributes: true, subtree: true, attributeFilter: ['data-test-script-state']});
// Counts the messages the page sends the server (a widget's change, a click, a file's arrival):
// a wait after an action that sent nothing need not give the server time to start a run.
window.__cdSent = 0;
const cdSend = WebSocket.prototype.send;
WebSocket.prototype.send = function (data) { window.__cdSent += 1; return cdSend.call(this, data); };
"""

# True once the app has been idle (script not running, no skeletons) long enough since this wait
# began: a moment when a run has happened since the last wait; longer when none has yet but the
# page has sent the server something since (the server may not have started the rerun a click
# asked for); a short calm when the page has sent nothing (a tab switch, a look at the screen).
# Polled every few milliseconds, not on every animation frame: polling on frames keeps headless
# chromium drawing 60 frames a second, about a sixth of the browser tests' CPU.
_SETTLED_JS = """([seen, doc, quick, patient, wait, sent, calm]) => {
  if (window.__cdWait !== wait) { window.__cdWait = wait; window.__cdIdleSince = null; }  // a new wait
  const app = document.querySelector('[data-testid="stApp"]');
  const idle = app && app.getAttribute('data-test-script-state') === 'notRunning'
    && document.querySelectorAll('[data-testid="stSkeleton"]').length === 0;
  const now = performance.now();
  if (!idle) { window.__cdIdleSince = null; return false; }
  if (window.__cdIdleSince == null) window.__cdIdleSince = now;
  const same = window.__cdDoc === doc;  // a new document counts its runs and messages from zero
  const ran = (window.__cdRuns || 0) > (same ? seen : 0);
  const asked = !same || (window.__cdSent || 0) > sent;
  return now - window.__cdIdleSince >= (ran ? quick : asked ? patient : calm);
}"""
_QUICK_MS = 100  # a run was seen: a moment of calm is enough
_PATIENT_MS = 1500  # none seen yet but the page asked: give the server a second and a half to start one
_CALM_MS = 300  # nothing sent, nothing ran: a widget that sends a moment late still gets its run waited for
_POLL_MS = 25


_COUNTING: set[int] = set()  # tabs that have the run-counting init script
VIEWPORT = {"width": 1400, "height": 900}


class AppPage:
    """A browser tab on the app with the helpers every e2e test needs."""

    def __init__(self, page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self._console_errors: list[str] = []
        self._probes = 0
        probe = re.compile(re.escape(base_url) + r"/[^/]+/_stcore/(?:health|host-config)$")

        def response(r):
            if r.status == 404 and probe.match(r.url):
                self._probes += 1

        self._listeners = [
            ("console", lambda m: m.type == "error" and self._console_errors.append(m.text)),
            ("pageerror", lambda e: self._console_errors.append(str(e))),
            ("requestfailed", lambda r: self._console_errors.append(f"request failed: {r.url} {r.failure}")),
            ("response", response),
        ]
        for event, listener in self._listeners:
            page.on(event, listener)
        self._runs_seen, self._document, self._waits, self._sent = 0, None, 0, 0
        if id(page) not in _COUNTING:  # once per tab: a shared tab keeps its init scripts
            page.add_init_script(_COUNT_RUNS_JS)
            _COUNTING.add(id(page))

    @property
    def console_errors(self) -> list[str]:
        """What the page logged as errors. Streamlit's frontend, loaded at a page's address
        (``/intake``), first looks for its server under that path (``/intake/_stcore/health``,
        ``host-config``), then at the root: those answers' 404s, and only as many as were seen,
        are not errors of the app."""
        left, skip = [], self._probes
        for text in self._console_errors:
            if skip and text.startswith("Failed to load resource: the server responded with a status of 404"):
                skip -= 1
                continue
            left.append(text)
        return left

    def detach(self) -> None:
        """Stop listening to the tab (a shared tab goes on to the next test)."""
        for event, listener in self._listeners:
            self.page.remove_listener(event, listener)

    def wait_idle(self, timeout: float = 30_000) -> None:
        """Wait until Streamlit has finished running the script for the last interaction.

        A click reaches the server a moment after it happens, so "not running" right after it may
        be the state from before. The page counts the app's runs and the messages it sends the
        server (an init script); this waits until a run newer than the last wait has finished and
        the app has stayed calm a tenth of a second; when no new run comes, until it has stayed
        calm a second and a half if the page sent the server anything since the last wait, or a
        moment if it sent nothing (nothing can be on its way).
        """
        self._waits += 1
        self.page.wait_for_function(
            _SETTLED_JS, arg=[self._runs_seen, self._document, _QUICK_MS, _PATIENT_MS, self._waits, self._sent,
                              _CALM_MS],
            polling=_POLL_MS, timeout=timeout)
        self._runs_seen, self._document, self._sent = self.page.evaluate(
            "[window.__cdRuns || 0, window.__cdDoc, window.__cdSent || 0]")

    def open(self, page: str = "") -> "AppPage":
        """Load the app at the sign-in form; with ``page`` (a page's address, "today"), at that
        page's address, which the app opens once signed in (one run, not Home's and then the page's)."""
        self.page.goto(f"{self.base_url}/{page}" if page else self.base_url)
        self.page.get_by_label("Username").wait_for(timeout=30_000)
        self.wait_idle()
        return self

    def sign_in(self, username: str, password: str = "demo") -> "AppPage":
        self.page.get_by_label("Username", exact=True).fill(username)
        self.page.get_by_label("Password", exact=True).fill(password)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.get_by_role("button", name="Sign out").wait_for(timeout=30_000)
        self.wait_idle()
        return self

    def go(self, title: str) -> "AppPage":
        self.page.locator('[data-testid="stSidebarNav"] a', has_text=title).first.click()
        self.wait_idle()
        return self

    def choose(self, label: str, option: str, *, within=None, typed: bool = False) -> "AppPage":
        """Pick ``option`` in the select box labelled ``label`` (inside ``within`` when given).

        A rerun that lands while the list is open redraws the box and closes the list under the
        click, so a pick that does not take is tried again, up to three times, and the box must
        then show the option. ``typed`` types the option first (long lists only draw the options
        in view)."""
        box = (within or self.page).get_by_role("combobox", name=label, exact=True)
        for attempt in range(3):
            try:
                expect(box).to_have_count(1)
                box.click()
                if typed:
                    self.page.keyboard.type(option)
                self.page.get_by_role("option", name=option, exact=True).click(timeout=5_000)
                break
            except PlaywrightTimeout:
                if attempt == 2:
                    raise
                self.page.keyboard.press("Escape")
                self.wait_idle()
        self.wait_idle()
        expect(box).to_have_value(re.compile(re.escape(option)))
        return self

    def click_until(self, target, shows) -> "AppPage":
        """Click ``target`` until ``shows`` is visible, up to three times.

        A click that lands while a rerun redraws the list it belongs to (search results, say) is
        dropped by Streamlit; the button is drawn again and a second click takes."""
        for attempt in range(3):
            if attempt == 0 or target.count():
                target.click()
            self.wait_idle()
            try:
                expect(shows).to_be_visible(timeout=5_000)
                return self
            except AssertionError:
                if attempt == 2:
                    raise
        return self

    def exceptions(self) -> list[str]:
        return self.page.locator('[data-testid="stException"]').all_inner_texts()

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture(scope="session")
def _shared_tab(browser):
    """One tab for all of a worker's browser tests. Opening the app in a tab that has run it
    before costs chromium a fifth of the CPU of a new tab (its renderer keeps Streamlit's compiled
    JavaScript), and opening the app is most of what a short browser test costs."""
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    holder = {"page": context.new_page()}
    yield holder
    context.close()


@pytest.fixture
def tab(_shared_tab):
    """``tab(base_url, viewport=...)``: the worker's tab as an :class:`AppPage` on ``base_url``,
    as a new browser would be: no cookies (no sign-in), an empty page, the given window size.
    Tests that need a context of their own (routes, a second browser) make one."""
    taken: list[AppPage] = []

    def take(base_url: str, *, viewport: dict | None = None) -> AppPage:
        page = _shared_tab["page"]
        if page.is_closed():
            page = _shared_tab["page"] = page.context.new_page()
        page.context.clear_cookies()
        page.goto("about:blank")
        page.set_viewport_size(viewport or VIEWPORT)
        taken.append(AppPage(page, base_url))
        return taken[-1]

    yield take
    for app_page in taken:
        app_page.detach()
    for extra in _shared_tab["page"].context.pages:  # tabs a test opened beside it
        if extra is not _shared_tab["page"]:
            extra.close()
    if not _shared_tab["page"].is_closed():
        _shared_tab["page"].goto("about:blank")  # leave the app: its session ends with the test


@pytest.fixture
def app(tab, server):
    return tab(server)


@pytest.fixture
def private_app(tab, private_server):
    """A browser tab on this module's own server (see ``private_db``)."""
    return tab(private_server)


__all__ = ["AppPage", "SEED_TODAY"]
