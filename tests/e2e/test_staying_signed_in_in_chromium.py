"""Staying signed in, in chromium: a refresh, a second tab and a bookmark keep the user signed in;
signing out ends it for every tab; a page's address opened while signed out asks to sign in and
then opens that page (no "Page not found")."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import AppPage

pytestmark = pytest.mark.e2e


def signed_in(page) -> None:
    expect(page.get_by_role("button", name="Sign out")).to_be_visible(timeout=30_000)


def test_a_refresh_and_a_second_tab_keep_the_user_signed_in(app):
    app.open().sign_in("frontdesk")
    cookie = [c for c in app.page.context.cookies() if c["name"] == "clinicdesk_session"]
    assert cookie and cookie[0]["sameSite"] == "Strict"
    app.page.reload()
    signed_in(app.page)
    second = AppPage(app.page.context.new_page(), app.base_url)
    second.page.goto(app.base_url + "/today")
    signed_in(second.page)
    expect(second.page.get_by_role("heading", name="Today")).to_be_visible()
    assert not second.exceptions()


def test_signing_out_signs_out_the_other_tabs_too(app):
    app.open().sign_in("manager")
    other = AppPage(app.page.context.new_page(), app.base_url)
    other.page.goto(app.base_url)
    signed_in(other.page)
    app.page.get_by_role("button", name="Sign out").click()
    expect(app.page.get_by_label("Username")).to_be_visible(timeout=30_000)
    other.page.reload()
    expect(other.page.get_by_label("Username")).to_be_visible(timeout=30_000)


def test_a_bookmarked_page_opens_after_signing_in(app):
    app.page.goto(app.base_url + "/calendar")
    expect(app.page.get_by_label("Username")).to_be_visible(timeout=30_000)
    expect(app.page.get_by_text("Page not found")).to_have_count(0)
    app.sign_in("frontdesk")
    expect(app.page.get_by_role("heading", name="Calendar")).to_be_visible(timeout=30_000)
    assert app.page.url.rstrip("/").endswith("/calendar")
