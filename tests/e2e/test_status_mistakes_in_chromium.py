"""Status mistakes in a real browser, from the calendar's details dialog: checking in a no-show
whose slot was booked since is refused (no double booking), and a mistaken no-show is undone
with a reason that the appointment's history keeps.

The scene is written before the server starts (it holds the file afterwards) on the last
working day before today, with a provider of its own so no seeded visit is in the way: Lena
Latecomer's 16:25 was marked no-show and Tom Taker was booked into it; Mia Mistake's 15:00 was
marked no-show by mistake. What the clicks change is read back through the UI.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pytest
from playwright.sync_api import expect

import db
from clinic import timeutil
from clinic.closures import public_holidays
from tests.conftest import TZ, make_patient, make_provider
from tests.e2e.conftest import SeededDb, seed_for_e2e, serve

pytestmark = pytest.mark.e2e

CALENDAR = 'iframe[title="streamlit_calendar.calendar"]'
PROVIDER = "Dr. Nadia Undo"


@dataclass(frozen=True)
class Scene:
    day: date


def last_working_day() -> date:
    """The last weekday before today (clinic time) that is not a public holiday."""
    day = timeutil.today(TZ) - timedelta(days=1)
    holidays = public_holidays("US", "NY", [day.year - 1, day.year])
    while day.weekday() >= 5 or day in holidays:
        day -= timedelta(days=1)
    return day


def write_scene(path) -> Scene:
    from db import appointments

    day = last_working_day()

    def local(hh: int, mm: int = 0) -> datetime:
        return timeutil.local_to_utc(datetime.combine(day, time(hh, mm)), TZ)

    conn = db.connect(path)
    provider = make_provider(conn, name=PROVIDER, hours=[(wd, time(8), time(18)) for wd in range(7)])
    (visit,) = db.read_one(conn, "SELECT id FROM visit_types WHERE name = 'Follow-up'")

    def book(first: str, last: str, start: datetime) -> int:
        patient = make_patient(conn, first_name=first, last_name=last)
        return appointments.book(conn, patient_id=patient, provider_id=provider, type_id=visit, start=start,
                                 user="test", now=local(7))

    late = book("Lena", "Latecomer", local(16, 25))
    appointments.change_status(conn, late, "no_show", user="test", now=local(16, 41))
    book("Tom", "Taker", local(16, 25))  # the freed slot, given away
    mistake = book("Mia", "Mistake", local(15))
    appointments.change_status(conn, mistake, "no_show", user="test", now=local(15, 20))
    conn.execute("CHECKPOINT")
    conn.close()
    return Scene(day)


@pytest.fixture(scope="module")
def scene_db(tmp_path_factory) -> tuple[SeededDb, Scene]:
    seeded = seed_for_e2e(tmp_path_factory.mktemp("e2e-status") / "clinic.duckdb")
    return seeded, write_scene(seeded.path)


@pytest.fixture(scope="module")
def server(scene_db):
    """This module changes statuses: it runs its own server on its own database."""
    yield from serve(scene_db[0].path)


def go_to_day(app, day: date) -> None:
    app.page.locator('[data-testid="stDateInput"] [data-type="month"]').first.click()
    app.page.keyboard.type(f"{day:%m%d%Y}")
    app.page.locator("h1").first.click()  # the date field commits on blur
    app.wait_idle()


def open_appointment(app, patient: str):
    """Click the patient's appointment on the calendar; return the details dialog."""
    frame = app.page.frame_locator(CALENDAR)
    event = frame.locator(".fc-timegrid-event", has_text=patient)
    event.wait_for(timeout=30_000)
    event.scroll_into_view_if_needed()
    event.click()
    dialog = app.page.get_by_role("dialog")
    dialog.get_by_text(patient).first.wait_for(timeout=30_000)
    app.wait_idle()
    return dialog


def close_dialog(app) -> None:
    old = app.page.locator(CALENDAR).element_handle()
    app.page.keyboard.press("Escape")
    app.page.wait_for_function("frame => !frame.isConnected", arg=old, timeout=30_000)
    app.wait_idle()


def test_a_late_check_in_into_a_given_away_slot_is_refused_and_a_mistaken_no_show_is_undone(app, scene_db):
    scene = scene_db[1]
    app.open("calendar").sign_in("frontdesk")
    go_to_day(app, scene.day)

    # Lena arrives late, but her 16:25 went to Tom after her no-show: checking her in is refused.
    dialog = open_appointment(app, "Latecomer, Lena")
    expect(dialog.get_by_text("No-show", exact=True).first).to_be_visible()
    dialog.get_by_role("button", name="Check in").click()
    app.wait_idle()
    refusal = dialog.get_by_text("already has a patient at")
    refusal.wait_for(timeout=30_000)
    assert f"{PROVIDER} already has a patient at" in refusal.inner_text()
    assert "book them at another time" in refusal.inner_text()
    app.screenshot("status-check-in-refused")
    close_dialog(app)
    dialog = open_appointment(app, "Latecomer, Lena")
    expect(dialog.get_by_text("No-show", exact=True).first).to_be_visible()  # still, read back from the database
    expect(dialog.get_by_text("Arrived:")).to_have_count(0)
    close_dialog(app)

    # Mia's no-show was a mistake: undoing it asks why, then puts her back as scheduled.
    dialog = open_appointment(app, "Mistake, Mia")
    dialog.get_by_text("Undo no-show (a mistake)").click()
    undo = dialog.get_by_role("button", name="Undo no-show")
    undo.click()
    app.wait_idle()
    expect(dialog.get_by_text("Say why the no-show is undone.")).to_be_visible()
    dialog.get_by_label("Why undo it?").fill("Marked the wrong patient")
    dialog.get_by_label("Why undo it?").press("Enter")
    app.wait_idle()
    undo.click()
    app.wait_idle()
    app.page.get_by_text("Mistake, Mia: undo no-show done, back to scheduled.").wait_for(timeout=30_000)
    dialog = open_appointment(app, "Mistake, Mia")
    expect(dialog.get_by_text("Scheduled", exact=True).first).to_be_visible()
    expect(dialog.get_by_text("Arrived:")).to_have_count(0)  # no arrival made up
    history = dialog.locator('[data-testid="stDataFrame"]')
    expect(history).to_contain_text("Marked the wrong patient")
    app.screenshot("status-no-show-undone")
    assert app.exceptions() == []
    assert app.console_errors == []
