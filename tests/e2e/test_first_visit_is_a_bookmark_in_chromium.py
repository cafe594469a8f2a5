"""A server just started, and its very first visitor opens a page's address (a bookmark): the
app's own navigation and sign-in gate apply, not Streamlit's old file-list sidebar."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_a_bookmark_opened_first_on_a_fresh_server_asks_to_sign_in_then_opens_that_page(tab, private_server):
    app = tab(private_server)
    app.page.goto(private_server + "/today")  # nothing has opened "/" on this server yet
    expect(app.page.get_by_label("Username")).to_be_visible(timeout=30_000)
    # Signed out, the sidebar lists no screens at all (the old style listed every file).
    expect(app.page.locator('[data-testid="stSidebarNav"] a')).to_have_count(0)
    app.sign_in("frontdesk")
    expect(app.page.get_by_role("heading", name="Today")).to_be_visible(timeout=30_000)
    # The role's navigation: the front desk has no admin screens in its sidebar.
    nav = app.page.locator('[data-testid="stSidebarNav"]')
    expect(nav.get_by_text("Reminder calls")).to_be_visible()
    expect(nav.get_by_text("Users", exact=True)).to_have_count(0)
    expect(nav.get_by_text("admin_users")).to_have_count(0)
    assert app.exceptions() == []
