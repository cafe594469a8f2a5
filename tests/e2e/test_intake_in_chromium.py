"""The intake form in a real browser: the front desk registers a walk-in, sees what is wrong first,
then the success message with the MRN; the blank paper form downloads."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import SCREENSHOTS

pytestmark = pytest.mark.e2e

DOB = date(1987, 9, 23)


def type_date(app, label: str, day: date) -> None:
    """Streamlit's date field is spin buttons (here month, day, year), typed into one by one."""
    field = app.page.get_by_role("group", name=label, exact=True)
    for part, value in (("month", f"{day:%m}"), ("day", f"{day:%d}"), ("year", f"{day:%Y}")):
        field.locator(f'[data-type="{part}"]').click()
        app.page.keyboard.type(value)


def box(page, label: str):
    return page.get_by_role("textbox", name=label, exact=True)


def test_the_front_desk_registers_a_walk_in(app):
    app.open("intake").sign_in("frontdesk")
    page = app.page
    # Streamlit scrolls inside its own container, so a full-page shot shows only the window: make it tall.
    page.set_viewport_size({"width": 1400, "height": 2400})
    app.wait_idle()
    expect(page.get_by_role("heading", name="New patient")).to_be_visible()
    app.screenshot("intake-blank")

    with page.expect_download(timeout=30_000) as info:
        page.get_by_role("button", name="Blank intake form (PDF)").click()
    assert info.value.suggested_filename == "intake-form-blank.pdf"
    assert info.value.path().read_bytes().startswith(b"%PDF-")

    box(page, "Legal last name").fill("Okonkwo-Lindqvist")
    box(page, "Mobile phone").fill("(332) 555-01")
    box(page, "Email").fill("chidi@@example")
    page.get_by_role("button", name="Register patient").click()
    app.wait_idle()
    for message in ("Enter the first name.", "Enter the date of birth.", "Choose one.",
                    "That is not a valid phone number.", "That is not a valid email address."):
        expect(page.get_by_text(message, exact=True)).to_be_visible()  # message
    expect(page.get_by_text(re.compile("^Nothing was saved"))).to_be_visible()
    expect(box(page, "Legal last name")).to_have_value("Okonkwo-Lindqvist")
    app.screenshot("intake-errors")

    box(page, "Legal first name").fill("Chidi")
    # 332 is none of the demo clinic's area codes, so no seeded patient can share this number
    # (a shared number is shown as a possible duplicate).
    type_date(app, "Date of birth", DOB)
    page.get_by_role("radio", name="Male", exact=True).check(force=True)
    box(page, "Mobile phone").fill("(332) 555-0187")
    box(page, "Email").fill("chidi.ol@example.org")
    box(page, "Address line 1").fill("7 Union Sq")
    box(page, "City").fill("New York")
    app.choose("State", "NY", typed=True)
    box(page, "ZIP code").fill("10003")
    page.get_by_label("Consents to text reminders", exact=True).check(force=True)
    app.choose("Payer", "Summit Care Plans (Commercial)", typed=True,
               within=page.locator(".st-key-intake_insurance1_payer_id"))
    box(page, "Member ID").first.fill("scp-4471-09")
    box(page, "Allergies").fill("Penicillin: hives")
    page.get_by_label("Privacy notice acknowledged", exact=True).check(force=True)
    app.screenshot("intake-filled")
    page.get_by_role("button", name="Register patient").click()
    app.wait_idle()

    success = page.get_by_text(re.compile(r"^Registered Chidi Okonkwo-Lindqvist: MRN \d+\.$"))
    success.wait_for(timeout=10_000)
    expect(page.get_by_role("button", name="Open patient file")).to_be_visible()
    expect(box(page, "Legal last name")).to_have_value("")
    app.screenshot("intake-saved")

    # The same person again, with a typo in the name: the front desk is shown the existing record.
    box(page, "Legal first name").fill("Chidi")
    box(page, "Legal last name").fill("Okonkwo-Lindqvst")
    type_date(app, "Date of birth", DOB)
    page.get_by_role("radio", name="Male", exact=True).check(force=True)
    box(page, "Mobile phone").fill("(332) 555-0188")
    page.get_by_role("button", name="Register patient").click()
    app.wait_idle()
    expect(page.get_by_text(re.compile("registered patients? looks? like this one"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"Okonkwo-Lindqvist, Chidi · MRN \d+ · born 09/23/1987"))).to_be_visible()
    expect(page.get_by_text("Same date of birth, similar name")).to_be_visible()
    app.screenshot("intake-duplicates")
    page.get_by_role("button", name="Create new anyway").click()
    app.wait_idle()
    page.get_by_text(re.compile(r"^Registered Chidi Okonkwo-Lindqvst: MRN \d+\.$")).wait_for(timeout=10_000)

    # From the new file back to its intake form, to update it.
    page.get_by_role("button", name="Open patient file").click()
    app.wait_idle()
    page.get_by_role("button", name="Edit intake").click()
    app.wait_idle()
    expect(page.get_by_role("heading", name="Update Chidi Okonkwo-Lindqvst")).to_be_visible()
    expect(box(page, "Mobile phone")).to_have_value("(332) 555-0188")
    with page.expect_download(timeout=30_000) as info:
        page.get_by_role("button", name="Prefilled intake form (PDF)").click()
    data = info.value.path().read_bytes()
    assert data.startswith(b"%PDF-") and re.fullmatch(r"intake-form-\d+\.pdf", info.value.suggested_filename)
    (SCREENSHOTS / "intake-prefilled.pdf").write_bytes(data)
    app.screenshot("intake-update")
    box(page, "Preferred name").fill("CJ")
    page.get_by_role("button", name="Save changes").click()
    app.wait_idle()
    page.get_by_text(re.compile(r"^Saved Chidi Okonkwo-Lindqvst \(MRN \d+\)\. Changed: Preferred name\.$")).wait_for(
        timeout=10_000)
    expect(box(page, "Preferred name")).to_have_value("CJ")
    app.screenshot("intake-updated")
    assert app.exceptions() == []
    assert app.console_errors == []
