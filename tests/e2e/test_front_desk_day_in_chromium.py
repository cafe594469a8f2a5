"""The front desk's day in a real browser: Today, Reminder calls and Waitlist, as the front desk
and as the doctor. The e2e database is seeded around the real today, which may be a holiday or a
weekend, so the tests pick the next working day through the date input, as a person would."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from clinic import frontdesk, timeutil
from clinic.closures import public_holidays
from tests.conftest import TZ

pytestmark = pytest.mark.e2e

TALL = {"width": 1400, "height": 2200}  # Streamlit scrolls inside the page: make room for a full screenshot


def next_working_day() -> date:
    # The seeded providers work Monday to Friday; the clinic closes on New York's public holidays.
    today = timeutil.today(TZ)
    closed = public_holidays("US", "NY", [today.year, today.year + 1])
    return frontdesk.reminder_day(today, 1, frontdesk.working_day_test(range(5), closed))


def pick_date(app, label: str, day: date) -> None:
    """Type a date into a Streamlit date input (month, day and year segments) and leave the field."""
    app.page.get_by_role("spinbutton", name=f"month, {label}").click()
    app.page.keyboard.type(f"{day:%m%d%Y}")
    app.page.get_by_role("heading", level=1).first.click()
    app.page.mouse.move(0, 0)  # no hover effects in the screenshot
    app.wait_idle()


def full_screenshot(app, name: str):
    app.page.set_viewport_size(TALL)
    app.wait_idle()
    return app.screenshot(name)


def test_the_front_desk_sees_the_next_working_day_with_its_gaps(app):
    day = next_working_day()
    app.open("today").sign_in("frontdesk")
    pick_date(app, "Day", day)
    page = app.page
    expect(page.get_by_text(f"{day:%A %d %B %Y}").first).to_be_visible()
    expect(page.get_by_role("heading", name="Waiting room")).to_be_visible()
    expect(page.get_by_role("heading", name="Bookable gaps")).to_be_visible()
    # A working day seeded with bookings shows each provider's visits and some free time.
    assert page.locator('[data-testid="stMarkdownContainer"]', has_text="Scheduled").count() > 0
    assert page.get_by_text("min", exact=False).count() > 0
    shot = full_screenshot(app, "front-desk-today-next-working-day")
    assert app.exceptions() == [], shot
    assert app.console_errors == []


def test_a_reminder_call_outcome_is_recorded_with_one_click(app):
    app.open("reminders").sign_in("frontdesk")
    page = app.page
    # The default day is the next working day: its patients are listed with their phone numbers.
    expect(page.get_by_text(f"{next_working_day():%A %d %B %Y}").first).to_be_visible()
    first = page.locator('[class*="st-key-reminder_row_"]').first
    expect(first.get_by_text("Not called yet")).to_be_visible()
    # Hold on to this patient's row by its key: the list is sorted riskiest first, so a row may move.
    key = re.search(r"st-key-reminder_row_\S+", first.get_attribute("class")).group(0)
    row = page.locator(f".{key}")
    # Every outcome is an action (no solid button that could read as a state).
    assert row.locator('[data-testid="stBaseButton-primary"]').count() == 0
    row.get_by_role("button", name="No answer").click()
    # The row now says where the call stands (a badge beside the buttons, and when it was made).
    expect(row.get_by_text("No answer", exact=True)).to_have_count(2)
    expect(row.get_by_text("called", exact=False)).to_be_visible()
    expect(row.get_by_text("Not called yet")).to_have_count(0)
    # Patients who opted out of reminders are apart, counted, not on the list to call.
    expect(page.get_by_text(re.compile(r"Not to be called \(\d+\): opted out of reminders"))).to_be_visible()
    shot = full_screenshot(app, "front-desk-reminder-calls")
    assert app.exceptions() == [], shot
    assert app.console_errors == []


def test_a_patient_is_put_on_the_waitlist_and_offered_free_slots(app):
    app.open("waitlist").sign_in("frontdesk")
    page = app.page
    page.get_by_text("Add a patient to the waitlist").click()
    app.wait_idle()
    search = page.get_by_label("Patient", exact=True)
    search.fill("a")
    search.press("Enter")
    app.wait_idle()
    app.click_until(page.get_by_role("button", name="Pick").first,
                    page.get_by_role("button", name="Change"))
    page.get_by_role("button", name="Add to waitlist").click()
    app.wait_idle()
    expect(page.get_by_text("to the waitlist for", exact=False)).to_be_visible()
    # The new entry is chosen for "Offer a slot": the next free slots, each with a Book button.
    expect(page.get_by_role("button", name="Book").first).to_be_visible(timeout=30_000)
    shot = full_screenshot(app, "front-desk-waitlist")
    assert app.exceptions() == [], shot
    assert app.console_errors == []


def test_the_doctor_reads_their_own_day_and_has_no_desk_lists(app):
    day = next_working_day()
    app.open().sign_in("doctor")
    titles = app.page.locator('[data-testid="stSidebarNav"] a').all_inner_texts()
    assert not [t for t in titles if "Reminder calls" in t or "Waitlist" in t]
    app.go("Today")
    pick_date(app, "Day", day)
    # Their own provider is chosen, so only their part of the day shows.
    expect(app.page.get_by_role("heading", name="Dr. Amara Okafor")).to_be_visible()
    assert app.page.get_by_role("heading", name="Daniel Reyes, NP").count() == 0
    shot = full_screenshot(app, "doctor-today-next-working-day")
    assert app.exceptions() == [], shot
    assert app.console_errors == []
