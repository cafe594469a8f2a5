"""The inbox and the payers list in a real browser: the doctor closes an item, the front desk logs
a refill request that goes to the clinicians, billing adds a payer."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_the_doctor_marks_an_item_done_with_a_note(app):
    app.open("inbox").sign_in("doctor")
    page = app.page
    expect(page.get_by_role("heading", name="Inbox")).to_be_visible()
    cards = page.locator('[class*="st-key-inbox_item_"]')
    count = cards.count()
    assert count > 0
    expect(page.get_by_text("Prescription refill request").first).to_be_visible()
    assert page.get_by_text("Appointment request", exact=True).count() == 0
    app.screenshot("inbox-doctor")

    first = cards.first
    subject = first.locator("strong").first.inner_text()
    first.get_by_placeholder("Note when done").fill("Called the pharmacy")
    first.get_by_role("button", name="Done").click()
    app.wait_idle()
    page.get_by_text(f"Done: “{subject}”.").wait_for(timeout=10_000)
    assert page.locator('[class*="st-key-inbox_item_"]').count() == count - 1
    app.screenshot("inbox-doctor-after-done")
    assert app.exceptions() == []
    assert app.console_errors == []


def test_the_front_desk_logs_a_refill_request_for_the_clinicians(app):
    app.open("inbox").sign_in("frontdesk")
    page = app.page
    app.screenshot("inbox-front-desk")
    # Find a patient by the MRN shown on one of the front desk's own items.
    label = page.locator('[class*="st-key-inbox_patient_"] button').first.inner_text()
    mrn = re.search(r"MRN (\d+)", label).group(1)
    page.get_by_role("tab", name="Log a call or message").click()
    page.get_by_label("Find patient").fill(mrn)
    page.get_by_label("Find patient").press("Enter")
    app.wait_idle()
    assert page.get_by_role("tab", name="Log a call or message").get_attribute("aria-selected") == "true"
    # The first match is chosen at once (the selectbox shows its value in its input).
    expect(page.get_by_role("combobox", name="Patient", exact=True)).to_have_value(re.compile(f"MRN {mrn}"))

    # An empty subject is refused next to the field, and what was typed stays.
    app.choose("Request", "Prescription refill request")
    expect(page.get_by_text("Goes to the inbox of every clinician user")).to_be_visible()
    page.get_by_label("Text").fill("Needs lisinopril before Friday.")
    page.get_by_role("button", name="Log it").click()
    app.wait_idle()
    expect(page.get_by_text("Enter a short subject.")).to_be_visible()
    expect(page.get_by_label("Text")).to_have_value("Needs lisinopril before Friday.")
    app.screenshot("inbox-front-desk-refused")

    page.get_by_label("Subject").fill("Refill of lisinopril")
    page.get_by_role("button", name="Log it").click()
    app.wait_idle()
    page.get_by_text("Logged “Refill of lisinopril”: it is in the inbox of every clinician user.").wait_for(timeout=10_000)
    expect(page.get_by_label("Subject")).to_have_value("")
    app.screenshot("inbox-front-desk-logged")
    assert app.exceptions() == []
    assert app.console_errors == []


def test_billing_sees_the_payers_and_adds_one(app):
    app.open("admin_payers").sign_in("billing")
    page = app.page
    expect(page.get_by_role("heading", name="Payers")).to_be_visible()
    expect(page.locator('[data-testid="stDataFrame"]')).to_be_visible()
    app.screenshot("payers-billing")
    form = page.locator('[data-testid="stForm"]').first
    form.get_by_label("Name", exact=True).fill("Lakeside Health")
    form.get_by_label("Payer ID", exact=True).fill("LKH09")
    form.get_by_role("button", name="Add payer").click()
    app.wait_idle()
    page.get_by_text("Added Lakeside Health.").wait_for(timeout=10_000)
    form = page.locator('[data-testid="stForm"]').first
    expect(form.get_by_label("Name", exact=True)).to_have_value("")  # ready for the next one
    expect(form.get_by_label("Payer ID", exact=True)).to_have_value("")
    form.get_by_label("Name", exact=True).fill("Medicare")
    form.get_by_role("button", name="Add payer").click()
    app.wait_idle()
    expect(page.get_by_text("Another payer already has that name.")).to_be_visible()
    app.screenshot("payers-billing-duplicate")

    # Taking the new payer out of use: the picker keeps it chosen, now marked inactive.
    app.choose("Payer", "Lakeside Health")
    edit = page.locator('[data-testid="stForm"]').nth(1)
    expect(edit.get_by_label("Payer ID", exact=True)).to_have_value("LKH09")
    edit.get_by_text("Active (can be chosen on a patient's insurance)").click()
    edit.get_by_role("button", name="Save changes").click()
    app.wait_idle()
    page.get_by_text("Saved Lakeside Health.").wait_for(timeout=10_000)
    expect(page.get_by_role("combobox", name="Payer", exact=True)).to_have_value("Lakeside Health (inactive)")
    app.screenshot("payers-billing-inactive")
    assert app.exceptions() == []
    assert app.console_errors == []
