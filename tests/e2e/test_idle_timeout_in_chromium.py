"""The idle timeout in a real browser: the front desk types a message, is away longer than the
idle limit (15 minutes), and clicks "Log it". Nothing is logged; the app asks to sign in again
and says why; after signing in again the message they had typed is back, and logging it works.

This module runs its own server whose clinic clock can be moved forward: the launcher makes
``clinic.timeutil.now_utc`` add the minutes written in a file, so being away 20 minutes takes no
waiting (the server holds the database file, so the test cannot move the session's last-seen time
instead).
"""

from __future__ import annotations

import sys

import pytest
from playwright.sync_api import expect

from tests.conftest import ROOT
from tests.e2e.conftest import AppPage, seed_for_e2e, serve

pytestmark = pytest.mark.e2e

LAUNCH = (
    "import sys, datetime, pathlib\n"
    "sys.path.insert(0, sys.argv[1])\n"
    "from clinic import timeutil\n"
    "ahead = pathlib.Path(sys.argv[2])\n"
    "real_now = timeutil.now_utc\n"
    "def now_utc():\n"
    "    text = ahead.read_text().strip() if ahead.exists() else ''\n"
    "    return real_now() + datetime.timedelta(minutes=float(text or 0))\n"
    "timeutil.now_utc = now_utc\n"
    "from streamlit.web.cli import main\n"
    "sys.argv = ['streamlit', 'run'] + sys.argv[3:]\n"
    "main()\n"
)


@pytest.fixture(scope="module")
def clock_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("e2e-idle-clock") / "minutes-ahead.txt"
    path.write_text("0")
    return path


@pytest.fixture(scope="module")
def idle_server(tmp_path_factory, clock_file):
    seeded = seed_for_e2e(tmp_path_factory.mktemp("e2e-idle") / "clinic.duckdb")
    yield from serve(seeded.path, launcher=[sys.executable, "-c", LAUNCH, str(ROOT), str(clock_file)])


@pytest.fixture
def desk(tab, idle_server):
    return tab(idle_server, viewport={"width": 1400, "height": 1000})


def open_the_log_tab(app: AppPage):
    tab = app.page.get_by_role("tab", name="Log a call or message")
    tab.click()
    expect(tab).to_have_attribute("aria-selected", "true")
    return app.page


def test_after_the_idle_limit_a_click_asks_to_sign_in_again_and_what_was_typed_comes_back(desk, clock_file):
    desk.open("inbox").sign_in("frontdesk")
    page = open_the_log_tab(desk)
    page.get_by_label("Subject").fill("Refill of lisinopril")
    page.get_by_label("Subject").press("Tab")
    desk.wait_idle()
    page.get_by_label("Text").fill("Asks for a 90-day supply before Friday.")

    clock_file.write_text("20")  # away from the desk for 20 minutes
    page.get_by_role("button", name="Log it").click()
    desk.wait_idle()

    expect(page.get_by_label("Username")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("You were signed out after 20 minutes without activity")).to_be_visible()
    expect(page.get_by_label("Username")).to_have_value("frontdesk")
    expect(page.get_by_text("Logged “Refill of lisinopril”")).to_have_count(0)
    desk.screenshot("idle-timeout-sign-in-again")

    desk.sign_in("frontdesk")
    expect(page.get_by_role("heading", name="Inbox")).to_be_visible(timeout=30_000)
    page = open_the_log_tab(desk)
    expect(page.get_by_label("Subject")).to_have_value("Refill of lisinopril")
    expect(page.get_by_label("Text")).to_have_value("Asks for a 90-day supply before Friday.")
    desk.screenshot("idle-timeout-typed-text-back")

    page.get_by_role("button", name="Log it").click()
    desk.wait_idle()
    expect(page.get_by_text("Logged “Refill of lisinopril”")).to_be_visible(timeout=10_000)
    assert desk.exceptions() == []
