"""Admin › Providers and hours in a real browser: add a closure, and look at every tab."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from clinic import timeutil
from tests.conftest import TZ

pytestmark = pytest.mark.e2e

TABS = ("Providers", "Weekly hours", "Time off", "Closures and holidays", "Visit types", "Booking rules")


def test_an_admin_adds_a_closure_and_every_tab_renders(app):
    app.open("admin_schedule").sign_in("admin")
    page = app.page
    expect(page.get_by_role("heading", name="Providers and hours")).to_be_visible()

    page.get_by_role("tab", name="Closures and holidays").click()
    app.wait_idle()
    # A day not yet a closure nor a holiday, and where no other browser test books: a Wednesday
    # some four months out.
    day = timeutil.today(TZ) + timedelta(days=120)
    day += timedelta(days=(2 - day.weekday()) % 7)
    panel = page.get_by_role("tabpanel")
    # Streamlit's date field is three spin buttons (year, month, day), typed into one by one.
    day_field = panel.get_by_role("group", name="Day", exact=True)
    for part, value in (("year", f"{day:%Y}"), ("month", f"{day:%m}"), ("day", f"{day:%d}")):
        day_field.locator(f'[data-type="{part}"]').click()
        page.keyboard.type(value)
    panel.get_by_label("Reason", exact=True).fill("Staff training")
    panel.get_by_role("button", name="Add closure").click()
    app.wait_idle()
    message = f"The clinic is closed on {day:%A %d %B %Y}."
    page.get_by_text(message).first.wait_for(timeout=10_000)
    # The rerun stays on the tab the admin was using, and the new closure can be picked for removal
    # (the table itself is drawn on a canvas, out of reach of text locators).
    assert page.get_by_role("tab", name="Closures and holidays").get_attribute("aria-selected") == "true"
    panel.get_by_label("Closure to remove").click()
    expect(page.get_by_role("option", name=f"{day:%a %d %b %Y} · Staff training")).to_be_visible()
    page.keyboard.press("Escape")
    assert app.exceptions() == []

    # Streamlit scrolls inside its own container, so a full-page shot shows only the window: make it tall.
    page.set_viewport_size({"width": 1400, "height": 2200})
    for title in TABS:
        page.get_by_role("tab", name=title).click()
        app.wait_idle()
        shot = app.screenshot(f"admin-schedule-{re.sub(r'[^a-z]+', '-', title.lower())}")
        assert app.exceptions() == [], f"{title}: exception box (see {shot})"
    assert app.console_errors == []


def test_a_time_typed_into_the_weekly_hours_table_reaches_the_rules(app):
    """The table sends times as the browser formats them; an overlap typed there is refused by
    name, which shows the typed time was read (the refusal writes nothing: the shared server's
    hours stay as they were for the other browser tests)."""
    app.open("admin_schedule").sign_in("admin")
    page = app.page
    page.get_by_role("tab", name="Weekly hours").click()
    app.wait_idle()
    panel = page.get_by_role("tabpanel")
    expect(panel.get_by_label("Provider")).to_be_visible()
    # The grid is drawn on a canvas: its first row (Monday 08:00-12:00) is one row height (35 px)
    # below the header, its End column at the right.
    box = panel.locator('[data-testid="stDataFrame"]').bounding_box()
    page.mouse.dblclick(box["x"] + box["width"] * 0.85, box["y"] + 35 + 17)
    time_field = page.locator("input[type=time]")
    time_field.fill("14:00")  # into the 13:00-17:00 block that follows on Monday
    page.keyboard.press("Enter")
    expect(time_field).to_have_count(0)
    app.wait_idle()  # the edit reaches the server as a rerun of its own
    app.screenshot("admin-schedule-hours-edited")
    panel.get_by_role("button", name="Save hours").click()
    app.wait_idle()
    expect(panel.get_by_text("Two blocks on the same day overlap.")).to_be_visible()
    assert app.exceptions() == []
    assert app.console_errors == []
