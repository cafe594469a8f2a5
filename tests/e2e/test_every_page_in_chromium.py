"""Sign in as each demo user in a real browser, open every page, and look for errors."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from clinic.access import pages_for
from tests.conftest import DEMO_USER_FOR_ROLE

pytestmark = pytest.mark.e2e


# In the browser: the administrator, who may open every page (each of the other roles sees a subset
# of the administrator's pages). Every role on every page runs through AppTest in
# tests/pages/test_every_page.py; the browser adds what only a browser sees (console errors).
@pytest.mark.parametrize("role", ["admin"])
def test_every_page_opens_without_an_error_for_each_demo_user(app, role):
    app.open().sign_in(DEMO_USER_FOR_ROLE[role])
    links = app.page.locator('[data-testid="stSidebarNav"] a').all_inner_texts()
    # A link's text is its icon's ligature name, then its title: keep the title.
    titles = [t.strip().splitlines()[-1].strip() for t in links if t.strip()]
    allowed = len(pages_for(role))
    # Streamlit draws no navigation menu for an app of one page.
    assert len(titles) == (allowed if allowed > 1 else 0), titles
    app.screenshot(f"{role}-start")
    assert app.exceptions() == []
    for title in titles:
        app.go(title)
        shot = app.screenshot(f"{role}-{re.sub(r'[^a-z]+', '-', title.lower())}")
        assert app.exceptions() == [], f"{title}: exception box (see {shot})"
    assert app.console_errors == []


def tile_value(app, label: str) -> int:
    tile = app.page.locator('[data-testid="stMetric"]', has_text=label)
    return int(tile.locator('[data-testid="stMetricValue"]').inner_text().replace(",", ""))


def test_the_home_page_counts_match_the_database(private_app, private_db):
    # On a database of its own: other browser tests register patients and book on the shared one.
    private_app.open().sign_in("admin")
    assert tile_value(private_app, "Appointments today") == private_db.booked_today
    assert tile_value(private_app, "Active patients") == private_db.active_patients > 0
    private_app.screenshot("admin-home-counts")


def test_a_wrong_password_shows_the_message_and_stays_signed_out(app):
    app.open()
    app.page.get_by_label("Username", exact=True).fill("frontdesk")
    app.page.get_by_label("Password", exact=True).fill("wrong")
    app.page.get_by_role("button", name="Sign in").click()
    app.wait_idle()
    expect(app.page.get_by_text("Wrong username or password.")).to_be_visible()
    assert app.page.get_by_role("button", name="Sign out").count() == 0
    app.screenshot("sign-in-refused")
