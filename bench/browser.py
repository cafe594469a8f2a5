"""What a user waits for in a real browser: the real `streamlit run` driven by headless chromium.

AppTest (bench/pages.py) times the script alone. Here the figure is what the desk feels: from the
click on a page's link in the sidebar to the page settled (the script run finished, the skeletons
gone, every component drawn and the screen no longer changing), which adds the trip over the
WebSocket, the browser's drawing and the components' iframes (FullCalendar, charts) to the script.

Each page is opened by the role that uses it, once untimed (caches, the component's JavaScript),
then ``ctx.repeat`` times: a click on Home (untimed), then the click on the page's link (timed).
The baseline is the same click to a near-empty page in the same server and browser: Patients with
its search box still empty (the shared frame, a title, a text box and a hint). Patients itself is
timed as a search: "gar" typed, then the time from pressing Enter to the matches settled.

The clock stops in the page, not in Python: an init script stamps the click (or the Enter) and
every change of the DOM, in the page and in its iframes; the wait polls until the app has run and
stayed idle and unchanged for a calm period, and the figure is the last change minus the click. So
the calm period and the polling (which only say "it is over") are not in the figure.

A page that has not settled after PAGE_TIMEOUT_MS gets a row of its own saying so (no samples,
the timeout as its figures, the reason in ``extra["error"]``) instead of stopping the benchmark:
its session is left behind (the server is still running that script; Streamlit cannot stop a
query), so the billing clerk's Invoices, the page likeliest to be slow, is timed last.

Memory, after the timing: the server's peak resident size (VmHWM in /proc: the peak over its whole
life, so the timing's three sessions too) and its current size, once five more signed-in sessions,
each in its own browser context, have opened the five pages (those that settled in the timing) and
stay open. Its row's figures are megabytes (``extra["unit"]``), its target 1.5 GB: see ``memory_row``.

Only one process can open a DuckDB file: the caller must close ``ctx.conn`` before calling
:func:`cases` (it may be None); this module uses only ``ctx.path`` and ``ctx.repeat``, and gives
the server the clinic clock of this process (clinic.timeutil), frozen at the same instant.
Needs Playwright (requirements-dev.txt) and Debian's chromium at /usr/bin/chromium.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from bench.core import Context, Row, timed_row
from clinic import timeutil

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
VIEWPORT = {"width": 1400, "height": 900}
TARGET_MS = 1000  # the target for a page's median
MEMORY_TARGET_MB = 1536  # the 1.5 GB for the server with five signed-in sessions
PAGE_TIMEOUT_MS = 120_000  # a page on the large clinic on a loaded machine: generous, never the figure

# Runs `streamlit run` with the clinic clock frozen first (as tests/e2e do): argv = root, the
# instant in ISO form with its offset, then streamlit's own arguments.
LAUNCH = (
    "import sys, datetime\n"
    "sys.path.insert(0, sys.argv[1])\n"
    "from clinic import timeutil\n"
    "timeutil.set_clock(datetime.datetime.fromisoformat(sys.argv[2]))\n"
    "from streamlit.web.cli import main\n"
    "sys.argv = ['streamlit', 'run'] + sys.argv[3:]\n"
    "main()\n"
)

# In every frame (the page and the components' iframes, which are same-origin): count the app's
# script runs and the messages sent to the server (as tests/e2e do), and stamp in the top window
# the last change to any DOM and the first click or Enter since the stamp was cleared. Times are
# epoch milliseconds (timeOrigin + now), comparable across frames.
INIT_JS = """
(() => {
  const stamp = () => performance.timeOrigin + performance.now();
  const top = (() => { try { return window.top.document && window.top; } catch (e) { return window; } })();
  top.__cdLast = stamp();
  new MutationObserver((changes) => {
    top.__cdLast = stamp();
    for (const c of changes) {
      if (c.type === 'attributes' && c.attributeName === 'data-test-script-state'
          && c.target.getAttribute('data-test-script-state') === 'running') top.__cdRuns = (top.__cdRuns || 0) + 1;
    }
  }).observe(document, {attributes: true, childList: true, subtree: true, characterData: true});
  if (top !== window) return;
  window.__cdRuns = window.__cdRuns || 0;
  window.__cdSent = 0;
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) { window.__cdSent += 1; return send.call(this, data); };
  const act = () => { if (window.__cdActAt == null) window.__cdActAt = stamp(); };
  addEventListener('click', act, true);
  addEventListener('keydown', (e) => { if (e.key === 'Enter') act(); }, true);
})();
"""

# Settled: a run has started since the action and finished, no skeleton is left, ``ready`` (a
# page's own "drawn" test, e.g. FullCalendar's view in its iframe) holds, and no DOM anywhere has
# changed for ``calm`` ms.
SETTLED_JS = """([runs, calm, ready]) => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if ((window.__cdRuns || 0) <= runs || document.querySelector('[data-testid="stSkeleton"]')) return false;
  if (ready && !eval(ready)) return false;
  return performance.timeOrigin + performance.now() - window.__cdLast >= calm;
}"""
STATE_JS = """() => ({
  state: document.querySelector('[data-testid="stApp"]')?.getAttribute('data-test-script-state'),
  runs: window.__cdRuns, sent: window.__cdSent, clicked: window.__cdActAt != null, url: location.href,
  skeletons: document.querySelectorAll('[data-testid="stSkeleton"]').length,
  quiet_ms: Math.round(performance.timeOrigin + performance.now() - window.__cdLast)})"""
LOST_CLICK_MS = 3000  # a click that has sent the server nothing after this long was lost (see Tab.act)
CALM_MS = 400  # not in the figure: only how long "nothing changes" must last to call it over
POLL_MS = 25

# FullCalendar has drawn its view (with the day's events) inside the component's iframe.
CALENDAR_READY = ("document.querySelector('iframe[title=\"streamlit_calendar.calendar\"]')"
                  "?.contentDocument?.querySelector('.fc-view-harness .fc-view') != null")

# (row name, sidebar link, role that uses it, heading the settled page shows, extra ready test).
# Calendar opens in day view on today with every provider for anyone not linked to a provider
# (components.calendar_state's defaults), so the front desk gets "day view, every provider".
# Patients is timed as a search (SEARCH), after Today; Invoices comes last (see above).
PAGES = [
    ("Calendar, day view, every provider", "Calendar", "frontdesk", "Calendar", CALENDAR_READY),
    ("Today, every provider", "Today", "frontdesk", "Today", None),
    ("Analytics overview (No-shows tab)", "Analytics", "manager", "Analytics", None),
    ("Invoice ledger", "Invoices", "billing", "Invoices", None),
]
SEARCH = "gar"  # a name fragment with many matches (the limit's 20 rows on the large clinic)
BASELINE = "near-empty page (Patients, empty search box): click to settled"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(path: Path):
    """Run app.py on a free loopback port against ``path``, with this process's clinic clock;
    yield (url, pid). The server is stopped on the way out, also on error."""
    port = _free_port()
    log_dir = Path(tempfile.mkdtemp(prefix="clinicdesk-bench-"))
    log_path = log_dir / "streamlit.log"
    env = {**os.environ, "CLINICDESK_DB": str(path), "PYTHONUNBUFFERED": "1"}
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-c", LAUNCH, str(ROOT), timeutil.now_utc().isoformat(), str(ROOT / "app.py"),
             "--server.address", "127.0.0.1", "--server.port", str(port), "--server.headless", "true",
             "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 120
            while True:
                try:
                    with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("streamlit did not start (is the database still open in another "
                                       "process?):\n" + log_path.read_text()[-3000:])
                time.sleep(0.3)
            yield url, proc.pid
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    shutil.rmtree(log_dir, ignore_errors=True)


class NotSettled(RuntimeError):
    """The page did not settle within PAGE_TIMEOUT_MS (its session is still busy on the server)."""


class Tab:
    """A signed-in browser tab on the app that can time one action to the page settled."""

    def __init__(self, browser, url: str, username: str) -> None:
        self.context = browser.new_context(viewport=VIEWPORT)
        self.context.add_init_script(INIT_JS)
        self.page = self.context.new_page()
        self.lost_clicks = 0
        self.page.goto(url)  # the root first: a fresh server's first request must run app.py
        self.page.get_by_label("Username", exact=True).wait_for(timeout=PAGE_TIMEOUT_MS)
        self.page.get_by_label("Username", exact=True).fill(username)
        self.page.get_by_label("Password", exact=True).fill("demo")
        self.act(lambda: self.page.get_by_role("button", name="Sign in").click())
        self.page.get_by_role("button", name="Sign out").wait_for(timeout=PAGE_TIMEOUT_MS)
        self.at = "Home"  # the page shown (sign-in opens Home)

    def act(self, action, ready: str | None = None, *, leaves: str | None = None) -> float:
        """Do ``action`` and wait for the page settled; return ms from its click (or Enter) to the
        last change on screen.

        Now and then (about one click in seventy here, on a loaded machine) Streamlit takes a
        sidebar link's click, changes the address, and sends the server nothing: the page would
        never change. So when nothing has been sent within LOST_CLICK_MS the action is done again
        and timed from that second click (as a user would click again); ``lost_clicks`` counts
        them, and the rows report the count. ``leaves`` (a sidebar link's click: the address shown
        before it) also counts a click as lost when the address has not moved on within that time:
        a click landing as the sign-in's last run redraws the sidebar sends the server a message,
        yet the page stays where it was."""
        runs, sent = self.page.evaluate("window.__cdActAt = null; [window.__cdRuns || 0, window.__cdSent]")
        action()
        try:
            self.page.wait_for_function("([sent, path]) => window.__cdSent > sent"
                                        " && (path === null || location.pathname !== path)",
                                        arg=[sent, leaves], polling=POLL_MS, timeout=LOST_CLICK_MS)
        except Exception:
            self.lost_clicks += 1
            self.page.evaluate("window.__cdActAt = null")
            action()
        try:
            self.page.wait_for_function(SETTLED_JS, arg=[runs, CALM_MS, ready], polling=POLL_MS,
                                        timeout=PAGE_TIMEOUT_MS)
        except Exception as exc:  # say what the page was doing: running, never ran, or still changing
            state = self.page.evaluate(STATE_JS)
            raise NotSettled(f"not settled after {PAGE_TIMEOUT_MS / 1000:.0f} s at {self.page.url}: {state}, "
                             f"{runs} runs before the action") from exc
        return self.page.evaluate("window.__cdLast - window.__cdActAt")

    def go(self, link: str, ready: str | None = None) -> float | None:
        """Click ``link`` in the sidebar; None when it is the page shown (Streamlit ignores that click)."""
        if link == self.at:
            return None
        self.at = None  # until it has settled
        ms = self.act(self.page.locator('[data-testid="stSidebarNav"] a', has_text=link).first.click, ready,
                      leaves=self.page.evaluate("location.pathname"))
        self.at = link
        return ms

    def check(self, heading: str) -> None:
        """The page shown is the real one: its heading, and no exception box."""
        errors = self.page.locator('[data-testid="stException"]').all_inner_texts()
        if errors:
            raise RuntimeError(f"{heading} raised in the browser: {errors[0][:500]}")
        self.page.get_by_role("heading", name=heading, exact=True).first.wait_for(timeout=10_000)

    def shoot(self, path: Path | None) -> None:
        if path:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(path), full_page=True)

    def search(self) -> float:
        """On Patients: SEARCH typed, then Enter timed to the matches settled."""
        box = self.page.get_by_label("Find a patient", exact=True)
        box.fill(SEARCH)
        ms = self.act(lambda: box.press("Enter"))
        self.page.locator(".st-key-patient_find_results").wait_for(timeout=10_000)  # matches, not "none"
        return ms

    def clear_search(self) -> None:
        box = self.page.get_by_label("Find a patient", exact=True)
        box.fill("")
        self.act(lambda: box.press("Enter"))


def _page_samples(tab: Tab, link: str, heading: str, ready: str | None, repeat: int,
                  shot: Path | None = None) -> list[float]:
    """A warm-up visit (checked, and photographed to ``shot`` if given), then ``repeat`` timed
    clicks on ``link``, each from Home."""
    samples = []
    for i in range(repeat + 1):
        tab.go("Home")
        ms = tab.go(link, ready)
        if i == 0:
            tab.check(heading)
            tab.shoot(shot)
        else:
            samples.append(ms)
    return samples


def _search_samples(tab: Tab, repeat: int, shot: Path | None = None) -> list[float]:
    """On Patients, a warm-up search, then ``repeat`` timed ones; the box emptied between."""
    tab.go("Patients")
    samples = []
    for i in range(repeat + 1):
        ms = tab.search()
        if i:
            samples.append(ms)
        else:
            tab.check("Patients")
            tab.shoot(shot)
        tab.clear_search()
    return samples


def _status_mb(pid: int) -> dict[str, float]:
    """VmHWM (peak resident) and VmRSS of ``pid`` in MB, from /proc (Linux)."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            out[key] = round(int(value.split()[0]) / 1024, 1)  # kB
    return out


def memory_row(browser, url: str, pid: int, skip: set[str], sessions: int = 5) -> Row:
    """Five signed-in sessions (manager and admin in turn: the roles that may open all five pages),
    each opening the five pages but those in ``skip`` (they did not settle in the timing), all kept
    open; then the server's peak and current resident size.

    The row's figures are megabytes (``extra["unit"]``), as every row of the "memory" group:
    median and p95 both the peak, the target 1.5 GB."""
    tabs, errors = [], []
    try:
        for n in range(sessions):
            tab = Tab(browser, url, ("manager", "admin")[n % 2])
            tabs.append(tab)
            try:
                for _, link, _, heading, ready in PAGES:
                    if link not in skip:
                        tab.go(link, ready)
                        tab.check(heading)
                tab.go("Patients")
                tab.search()
            except NotSettled as exc:  # that session stays busy: on to the next one
                errors.append(str(exc))
        mb = _status_mb(pid)
    finally:
        for tab in tabs:
            tab.context.close()
    extra = {"unit": "MB", "rss_mb": mb["VmRSS"], "pages_skipped": sorted(skip)}
    if errors:
        extra["errors"] = errors
    return Row("memory", f"server peak RSS, {sessions} signed-in sessions (MB)", mb["VmHWM"], mb["VmHWM"], samples=1,
               target_ms=MEMORY_TARGET_MB, extra=extra)


def cases(ctx: Context, screenshots: Path | None = None, *, links: tuple[str, ...] | None = None,
          sessions: int = 5, chromium=None) -> list[Row]:
    """Start the server on ``ctx.path`` (``ctx.conn`` must be closed), then the click-to-settled
    rows of Calendar, Today, the Patients search, Analytics and Invoices, and the memory row. With
    ``screenshots`` (a folder), each page as settled on its warm-up visit goes there as bench-*.png,
    to look at: a figure is only worth something if the page drawn was the real one. ``links`` keeps
    only those pages (their sidebar links, e.g. ("Today",)) and ``sessions`` sets how many stay signed
    in for the memory figure: the test of the benchmark runs a small part of it. ``chromium``: a
    Playwright browser already running in this process (Playwright's sync API cannot start a
    second one beside it); otherwise one is launched and closed here."""
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is not installed (apt-get install chromium): the browser part cannot run")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        raise RuntimeError("the playwright package is not installed (pip install -r requirements-dev.txt)") from exc

    if chromium is not None:
        return _cases(ctx, chromium, screenshots, links, sessions)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            return _cases(ctx, browser, screenshots, links, sessions)
        finally:
            browser.close()


def _cases(ctx: Context, browser, screenshots: Path | None, links: tuple[str, ...] | None,
           sessions: int) -> list[Row]:
    repeat = max(1, ctx.repeat)
    with serve(Path(ctx.path)) as (url, pid):
        started_mb = _status_mb(pid)["VmRSS"]
        tabs: dict[str, Tab] = {}

        def tab_for(role: str) -> Tab:
            if role not in tabs:
                tabs[role] = Tab(browser, url, role)
            return tabs[role]

        def row(name: str, role: str, measure, **kwargs) -> Row:
            """The row of ``measure()``'s samples, or of its failure to settle (that tab is dropped)."""
            lost = tabs[role].lost_clicks if role in tabs else 0
            try:
                samples = measure()
                extra = {"role": role, "lost_clicks": tabs[role].lost_clicks - lost}
                return timed_row("browser", name, samples, extra=extra, **kwargs)
            except NotSettled as exc:
                if role in tabs:
                    tabs.pop(role).context.close()
                return Row("browser", name, PAGE_TIMEOUT_MS, PAGE_TIMEOUT_MS, samples=0,
                           extra={"role": role, "error": str(exc)}, **kwargs)

        try:
            base = row(BASELINE, "frontdesk",
                       lambda: _page_samples(tab_for("frontdesk"), "Patients", "Patients", None, repeat))
            rows = [base]
            kwargs = {"baseline": base.name, "baseline_ms": base.median_ms, "target_ms": TARGET_MS,
                      "target_on": "median_ms"}
            failed = set()  # pages that did not settle: the memory part leaves them out
            for name, link, role, heading, ready in PAGES:
                if links is not None and link not in links:
                    continue
                shot = screenshots / f"bench-{link.lower()}.png" if screenshots else None
                rows.append(row(f"{name}: click to settled", role,
                                lambda: _page_samples(tab_for(role), link, heading, ready, repeat, shot), **kwargs))
                if not rows[-1].samples:
                    failed.add(link)
                if link == "Today":  # the front desk's third page, in the report beside its other two
                    shot = screenshots / "bench-patients.png" if screenshots else None
                    rows.append(row(f"Patients, search “{SEARCH}”: Enter to settled", "frontdesk",
                                    lambda: _search_samples(tab_for("frontdesk"), repeat, shot), **kwargs))
            for tab in tabs.values():
                tab.context.close()
            tabs.clear()
            skipped = failed | {link for _, link, *_ in PAGES if links is not None and link not in links}
            memory = memory_row(browser, url, pid, skipped, sessions)
            memory.extra["rss_at_start_mb"] = started_mb
            rows.append(memory)
        finally:  # on an error: the sessions still open close (the browser may be the caller's)
            for tab in tabs.values():
                tab.context.close()
    return rows
