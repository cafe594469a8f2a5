"""A patient file's address in a real browser: opening a file puts ``?patient=<id>`` in the
address bar; that address, opened signed out in a fresh browser, asks to sign in and then opens
the same file; a refresh keeps it; an address naming no patient says so."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import AppPage

pytestmark = pytest.mark.e2e


def test_a_files_address_opens_it_after_sign_in_and_survives_a_refresh(app, browser, server):
    app.open("patients").sign_in("frontdesk")
    page = app.page
    page.get_by_label("Find a patient").fill("100003")
    page.get_by_label("Find a patient").press("Enter")
    app.wait_idle()
    page.locator(".st-key-patient_find_results").get_by_role("button", name="Open").first.click()
    app.wait_idle()
    name = page.locator("h1, h2, h3").filter(has_text=",").first.inner_text()
    expect(page).to_have_url(re.compile(r"/patients\?patient=\d+$"))
    patient = parse_qs(urlparse(page.url).query)["patient"][0]

    # The same address in another browser (a bookmark, a link from a colleague): sign in first.
    other = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        tab = AppPage(other.new_page(), server)
        tab.page.goto(f"{server}/patients?patient={patient}")
        tab.page.get_by_label("Username").wait_for(timeout=30_000)
        tab.wait_idle()
        tab.sign_in("doctor")
        expect(tab.page.get_by_text(name, exact=True).first).to_be_visible()
        expect(tab.page.get_by_text("MRN 100003").first).to_be_visible()
        tab.screenshot("patient-address-after-sign-in")
        tab.page.reload()
        tab.page.get_by_role("button", name="Sign out").wait_for(timeout=30_000)
        tab.wait_idle()
        expect(tab.page.get_by_text("MRN 100003").first).to_be_visible()
        assert f"patient={patient}" in tab.page.url
        assert tab.exceptions() == []

        tab.page.goto(f"{server}/patients?patient=987654321")
        tab.page.get_by_role("button", name="Sign out").wait_for(timeout=30_000)
        tab.wait_idle()
        expect(tab.page.get_by_text("There is no patient number 987654321")).to_be_visible()
        tab.screenshot("patient-address-unknown")
    finally:
        other.close()
