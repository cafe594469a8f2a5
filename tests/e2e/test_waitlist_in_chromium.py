"""The waitlist in a real browser: a caller who can only come on some days after 3 pm is put on
the list with those preferences (a backwards window is refused next to its field first), and
every slot offered keeps to them; booking one takes them off the list."""

from __future__ import annotations

import re
from datetime import time

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

OFFER = re.compile(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (\d\d) (\w{3}) · (\d\d):(\d\d)")


def one(locator):
    """The locator once exactly one element matches: while Streamlit redraws after a rerun, the
    old copy of a widget can linger beside the new one for a moment."""
    expect(locator).to_have_count(1)
    return locator


def set_time(page, label: str, text: str) -> None:
    """Type "HH:MM" into a Streamlit time input (an hour and a minute field) and leave it."""
    hours, minutes = text.split(":")
    one(page.get_by_role("spinbutton", name=f"hour, {label}")).click()
    page.keyboard.type(hours)
    one(page.get_by_role("spinbutton", name=f"minute, {label}")).click()
    page.keyboard.type(minutes)
    page.keyboard.press("Tab")


def test_a_caller_for_mondays_and_wednesdays_after_three_is_only_offered_those_times(app):
    page = app.page
    page.set_viewport_size({"width": 1400, "height": 1700})
    app.open("waitlist").sign_in("frontdesk")
    page.get_by_text("Add a patient to the waitlist").click()
    app.wait_idle()
    page.get_by_label("Patient", exact=True).fill("100003")
    page.get_by_label("Patient", exact=True).press("Enter")
    app.wait_idle()
    app.click_until(page.locator(".st-key-wl_search_results").get_by_role("button", name="Pick").first,
                    page.get_by_role("button", name="Change"))
    expect(page.get_by_text("MRN 100003")).to_be_visible()

    app.choose("Provider", "Dr. Amara Okafor")
    one(page.get_by_label("Preferred days", exact=True)).click()
    page.get_by_role("option", name="Mon", exact=True).click()
    page.get_by_role("option", name="Wed", exact=True).click()
    page.keyboard.press("Escape")
    app.wait_idle()
    set_time(page, "Earliest start", "15:00")
    app.wait_idle()
    set_time(page, "Latest start", "14:00")
    app.wait_idle()
    one(page.get_by_label("Note", exact=True)).fill("Works mornings; mobile only")
    one(page.get_by_role("button", name="Add to waitlist")).click()
    app.wait_idle()
    expect(page.get_by_text("The latest start must be later than the earliest start.")).to_be_visible()
    # Nothing was lost: the note and both times are still there to correct.
    expect(page.get_by_label("Note", exact=True)).to_have_value("Works mornings; mobile only")
    app.screenshot("waitlist-backwards-window")

    set_time(page, "Latest start", "16:30")
    app.wait_idle()
    one(page.get_by_role("button", name="Add to waitlist")).click()
    app.wait_idle()
    expect(page.get_by_text(re.compile(r"Added .* to the waitlist"))).to_be_visible()
    expect(page.get_by_text("The latest start must be later")).to_have_count(0)
    expect(page.get_by_text("on their preferred days and times (Mon, Wed · 15:00–16:30)")).to_be_visible()
    assert app.exceptions() == []
    app.screenshot("waitlist-added-with-preferences")

    offers = one(page.locator(".st-key-waitlist_slots"))
    found = OFFER.findall(offers.inner_text())
    assert found, offers.inner_text()
    for weekday, _, _, hh, mm in found:
        assert weekday in ("Mon", "Wed") and time(15) <= time(int(hh), int(mm)) <= time(16, 30), (weekday, hh, mm)

    offers.get_by_role("button", name="Book").first.click()
    app.wait_idle()
    weekday, day, month, hh, mm = found[0]
    expect(page.get_by_text(re.compile(rf"Booked .* at {hh}:{mm} and took them off the waitlist"))).to_be_visible()
    assert app.exceptions() == []
    app.screenshot("waitlist-booked-within-preferences")
