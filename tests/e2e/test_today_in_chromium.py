"""Today in a real browser, as the front desk lives it at 08:20 on a busy Monday: the day around
now with its late arrivals, finding a patient by name, checking in (only that provider's part and
the tiles redraw), a no-show that waits for its grace period and asks first, undoing it with a
reason, a patient's name leading to their file, a free gap leading to the booking filled in, and
an address with ``?day=`` opening that day.

This module runs its own server with the clinic clock frozen at that Monday 08:20 (the app reads
the clock through clinic.timeutil, set before Streamlit starts), on a test-scale clinic seeded for
that day, so the screens are the same whatever the wall clock says.
"""

from __future__ import annotations

import re
import sys
from datetime import datetime, time as dtime

import pytest
from playwright.sync_api import expect

import db
from clinic import timeutil
from tests.conftest import ROOT, SEED_TODAY, TZ, copy_database
from tests.e2e.conftest import serve

pytestmark = pytest.mark.e2e

CLOCK = datetime.combine(SEED_TODAY, dtime(8, 20))
LAUNCH = (
    "import sys, datetime\n"
    "sys.path.insert(0, sys.argv[1])\n"
    "from clinic import timeutil\n"
    "timeutil.set_clock(timeutil.local_to_utc(datetime.datetime.fromisoformat(sys.argv[2]), sys.argv[3]))\n"
    "from streamlit.web.cli import main\n"
    "sys.argv = ['streamlit', 'run'] + sys.argv[4:]\n"
    "main()\n"
)


@pytest.fixture(scope="module")
def monday(tmp_path_factory, seeded_template):
    """A test-scale clinic seeded for SEED_TODAY (every visit of the day still open: a copy of the
    session's seeded template), and facts about it read before the server takes the file."""
    from db import appointments

    path = copy_database(seeded_template, tmp_path_factory.mktemp("e2e-today") / "clinic.duckdb")
    conn = db.connect(path)
    rows = appointments.list_rows(conn, *timeutil.day_bounds(SEED_TODAY, TZ))
    conn.execute("CHECKPOINT")
    conn.close()
    return path, rows


@pytest.fixture(scope="module")
def clocked_server(monday):
    path, _ = monday
    yield from serve(path, launcher=[sys.executable, "-c", LAUNCH, str(ROOT), CLOCK.isoformat(), TZ])


@pytest.fixture
def desk(tab, clocked_server):
    return tab(clocked_server, viewport={"width": 1400, "height": 1000}).open("today").sign_in("frontdesk")


def local_time(instant) -> str:
    return f"{timeutil.to_local(instant, TZ):%H:%M}"


def row_of(app, row):
    return app.page.locator(f".st-key-today_row_{row.id}")


def card_of(app, provider_id):
    return app.page.locator(f".st-key-today_provider_{provider_id}")


def at(rows, hh, mm, provider):
    return next(r for r in rows if local_time(r.start_at) == f"{hh:02d}:{mm:02d}" and r.provider == provider)


def tile(app, label):
    return app.page.locator('[data-testid="stMetric"]').filter(has_text=label).locator('[data-testid="stMetricValue"]')


def test_the_day_opens_around_now_with_late_arrivals_marked_and_the_rest_folded(desk, monday):
    _, rows = monday
    page = desk.page
    late = at(rows, 8, 0, "Daniel Reyes, NP")
    expect(row_of(desk, late).get_by_text("Late 20 min")).to_be_visible()
    expect(page.get_by_text("— now 08:20 —").first).to_be_visible()
    later = [r for r in rows if r.provider_id == late.provider_id and local_time(r.start_at) >= "09:20"]
    card = card_of(desk, late.provider_id)
    expect(card.get_by_role("button", name=f"Show {len(later)} later visits")).to_be_visible()
    expect(row_of(desk, later[-1])).to_have_count(0)
    card.get_by_role("button", name=f"Show {len(later)} later visits").click()
    expect(row_of(desk, later[-1])).to_be_visible()
    shot = desk.screenshot("today-around-now")
    assert desk.exceptions() == [], shot
    assert desk.console_errors == []


def test_typing_a_name_shows_only_that_patients_visits(desk, monday):
    _, rows = monday
    page = desk.page
    page.get_by_role("textbox", name="Find a patient").fill("sakura")
    page.get_by_role("textbox", name="Find a patient").press("Enter")
    desk.wait_idle()
    sakuras = [r for r in rows if "Sakura" in r.patient]
    expect(page.locator('[class*="st-key-today_row_"]')).to_have_count(len(sakuras))
    for r in sakuras:
        expect(row_of(desk, r)).to_be_visible()
    desk.screenshot("today-name-filter")


def test_checking_in_updates_the_row_the_waiting_room_and_the_tiles(desk, monday):
    _, rows = monday
    row = at(rows, 8, 0, "Dr. Amara Okafor")
    expect(tile(desk, "Waiting")).to_have_text("0")
    row_of(desk, row).get_by_role("button", name="Check in").click()
    desk.wait_idle()
    expect(row_of(desk, row).get_by_text("Checked in")).to_be_visible()
    expect(row_of(desk, row).get_by_role("button", name="Start")).to_be_visible()
    expect(tile(desk, "Waiting")).to_have_text("1")
    waiting_room = desk.page.locator('[data-testid="stVerticalBlock"]').filter(
        has=desk.page.get_by_role("heading", name="Waiting room")).last
    expect(waiting_room.get_by_text(row.patient)).to_be_visible()
    assert desk.exceptions() == []


def test_a_no_show_waits_for_its_grace_period_asks_first_and_can_be_undone_with_a_reason(desk, monday):
    _, rows = monday
    too_soon, due = at(rows, 8, 15, "Grace Lindqvist, RN"), at(rows, 8, 0, "Daniel Reyes, NP")
    expect(row_of(desk, too_soon).get_by_role("button", name="No-show")).to_be_disabled()
    row = row_of(desk, due)
    # Each step waits for what the click shows before the next click.
    row.get_by_role("button", name="No-show").click()
    expect(row.get_by_text("as a no-show?")).to_be_visible()
    desk.wait_idle()
    row.get_by_role("button", name="Yes, no-show").click()
    expect(row.get_by_role("button", name="Undo no-show")).to_be_visible()
    expect(row.get_by_text("No-show", exact=True)).to_be_visible()
    desk.wait_idle()  # a click while the provider's part is still redrawing can be lost
    row.get_by_role("button", name="Undo no-show").click()  # the quiet one: it asks why
    reason = row.get_by_placeholder("Why undo?")
    expect(reason).to_be_visible()
    confirm = row.locator('[data-testid="stBaseButton-primary"]', has_text="Undo no-show")
    expect(row.get_by_role("button", name="Undo no-show")).to_have_count(1)
    desk.wait_idle()
    confirm.click()  # no reason yet
    expect(desk.page.get_by_text("Say why the no-show is undone.")).to_be_visible()
    reason.fill("Wrong patient marked")
    reason.press("Tab")
    desk.wait_idle()
    confirm.click()
    expect(row.get_by_role("button", name="Check in")).to_be_visible()
    expect(row.get_by_text("Scheduled", exact=True)).to_be_visible()
    shot = desk.screenshot("today-no-show-undone")
    assert desk.exceptions() == [], shot


def test_a_patients_name_opens_their_file(desk, monday):
    _, rows = monday
    row = at(rows, 8, 0, "Daniel Reyes, NP")
    row_of(desk, row).get_by_role("link", name=row.patient).click()
    desk.wait_idle()
    expect(desk.page).to_have_url(re.compile(rf"/patients\?patient={row.patient_id}$"))
    last, first = row.patient.split(", ")
    expect(desk.page.get_by_text(first, exact=False).first).to_be_visible()
    assert desk.exceptions() == []


def test_a_free_gap_opens_the_booking_with_the_slot_filled_in(desk, monday):
    _, rows = monday
    page = desk.page
    provider = "Grace Lindqvist, RN"
    provider_id = next(r.provider_id for r in rows if r.provider == provider)
    chip = page.get_by_role("radiogroup", name=provider).get_by_role("radio").first  # a gap's chip
    start = chip.inner_text().split("–")[0].strip()
    chip.click()
    desk.wait_idle()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("Book an appointment").wait_for(timeout=30_000)
    expect(dialog.get_by_role("combobox", name="Provider")).to_have_value(provider)
    assert dialog.get_by_role("spinbutton", name="hour, Time").inner_text() == start[:2]
    assert dialog.get_by_role("spinbutton", name="minute, Time").inner_text() == start[3:]
    assert dialog.get_by_role("spinbutton", name="day, Day").inner_text() == f"{SEED_TODAY:%d}"
    shot = desk.screenshot("today-gap-booking")
    assert desk.exceptions() == [], shot


def test_an_address_with_a_day_opens_today_on_that_day(desk):
    page = desk.page
    page.goto(desk.base_url + "/today?day=2026-03-04")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible(timeout=30_000)
    desk.wait_idle()
    expect(page.get_by_text("Wednesday 04 March 2026").first).to_be_visible()
    page.get_by_role("button", name="Jump to now").click()
    desk.wait_idle()
    expect(page.get_by_text("Monday 02 March 2026").first).to_be_visible()
    expect(page).to_have_url(re.compile(r"day=2026-03-02"))


def test_an_address_with_a_day_opened_while_signed_out_opens_that_day_after_signing_in(tab, clocked_server):
    app = tab(clocked_server, viewport={"width": 1400, "height": 1000})
    app.page.goto(clocked_server + "/today?day=2026-03-05")
    app.page.get_by_label("Username").wait_for(timeout=30_000)
    app.sign_in("frontdesk")
    expect(app.page.get_by_role("heading", name="Today", exact=True)).to_be_visible()
    expect(app.page.get_by_text("Thursday 05 March 2026").first).to_be_visible()
