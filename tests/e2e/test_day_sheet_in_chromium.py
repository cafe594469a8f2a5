"""The day sheet in a real browser: the doctor's day on screen, and both downloads really arrive."""

from __future__ import annotations

from datetime import date, timedelta

import holidays
import pytest
from playwright.sync_api import expect
from icalendar import Calendar

from clinic import timeutil
from tests.conftest import TZ
from tests.e2e.conftest import SCREENSHOTS

pytestmark = pytest.mark.e2e


def a_recent_working_day() -> date:
    """The last weekday before today that is not a public holiday: the e2e database, seeded
    around the real today, has appointments on it (today itself may be a holiday)."""
    closed = holidays.country_holidays("US", subdiv="NY")
    day = timeutil.today(TZ) - timedelta(days=1)
    while day.weekday() >= 5 or day in closed:
        day -= timedelta(days=1)
    return day


def day_label(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def choose_day(app, day: date) -> None:
    """Type a date into Streamlit's date field (React Aria segments: month, day, year). The
    value is sent when the field loses focus (Tab stays inside it, on the calendar button), so
    click the page title, then wait for the sheet of that day."""
    field = app.page.locator('[data-testid="stDateInput"]')
    field.locator('[role="spinbutton"][data-type="month"]').click()
    app.page.keyboard.type(f"{day:%m%d%Y}")
    app.page.locator("h1", has_text="Day sheet").click()
    app.page.locator('[data-testid="stHeading"]', has_text=day_label(day)).wait_for(timeout=30_000)
    app.wait_idle()


def download(app, button: str):
    with app.page.expect_download(timeout=30_000) as info:
        app.page.get_by_role("button", name=button).click()
    return info.value


def test_the_doctor_reads_their_day_and_downloads_the_sheet_and_the_schedule(app):
    day = a_recent_working_day()
    app.open("day_sheet").sign_in("doctor")
    choose_day(app, day)
    page = app.page
    heading = page.locator('[data-testid="stHeading"]', has_text="Amara Okafor")
    expect(heading).to_be_visible()
    assert day_label(day) in heading.inner_text()
    expect(page.locator('[data-testid="stDataFrame"]')).to_be_visible()
    summary = page.locator('[data-testid="stCaptionContainer"]').first.inner_text()
    assert "patient" in summary
    app.screenshot("day-sheet-doctor")

    pdf = download(app, "Download day sheet (PDF)")
    assert pdf.suggested_filename == f"day-sheet-{day.isoformat()}-dr-amara-okafor.pdf"
    data = pdf.path().read_bytes()
    assert data.startswith(b"%PDF-")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "day-sheet-doctor.pdf").write_bytes(data)

    ics = download(app, "Download schedule (.ics)")
    assert ics.suggested_filename.endswith(f"{day.isoformat()}.ics")
    events = Calendar.from_ical(ics.path().read_bytes()).walk("VEVENT")
    assert events, "the schedule file holds the day's appointments"
    start, end = timeutil.day_bounds(day, TZ)
    assert all(start <= e.decoded("dtstart") < end for e in events)
    assert all(str(e["uid"]).startswith("appointment-") for e in events)

    assert app.exceptions() == []
    assert app.console_errors == []
