"""The patient file in a real browser: find a patient, open the file, file a PDF through the real
file input, see it listed, download it and get the very same bytes back."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from fpdf import FPDF

pytestmark = pytest.mark.e2e

TABS = ("Appointments", "Documents", "Messages and calls", "Intake history")


def small_pdf(text: str) -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=14)
    pdf.cell(text=text)
    return bytes(pdf.output())


def test_the_front_desk_files_a_pdf_and_downloads_the_same_bytes(app, tmp_path):
    app.open("patients").sign_in("frontdesk")
    page = app.page
    page.set_viewport_size({"width": 1400, "height": 1600})
    page.get_by_label("Find a patient").fill("100001")
    page.get_by_label("Find a patient").press("Enter")
    app.wait_idle()
    results = page.locator(".st-key-patient_find_results")
    assert "MRN 100001" in results.inner_text()
    app.screenshot("patient-file-search")
    results.get_by_role("button", name="Open").first.click()
    app.wait_idle()
    expect(page.get_by_text("MRN 100001").first).to_be_visible()
    assert app.exceptions() == []
    app.screenshot("patient-file-header")

    for title in TABS:
        page.get_by_role("tab", name=title).click()
        app.wait_idle()
        shot = app.screenshot(f"patient-file-{re.sub(r'[^a-z]+', '-', title.lower())}")
        assert app.exceptions() == [], f"{title}: exception box (see {shot})"

    page.get_by_role("tab", name="Documents").click()
    app.wait_idle()
    content = small_pdf("Referral letter for the e2e round trip")
    upload = tmp_path / "referral-e2e.pdf"
    upload.write_bytes(content)
    panel = page.get_by_role("tabpanel")
    panel.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(upload))
    panel.locator('[data-testid="stFileChip"]', has_text="referral-e2e.pdf").wait_for(timeout=10_000)
    app.choose("Category", "Referral", within=panel)
    panel.get_by_label("Note").fill("From Dr. Example <b>bold?</b>")
    panel.get_by_role("button", name="File document").click()
    app.wait_idle()
    page.get_by_text("Filed “referral-e2e.pdf” as referral.").wait_for(timeout=10_000)
    # The rerun stays on the Documents tab and lists the new file with its note, as typed.
    assert page.get_by_role("tab", name="Documents").get_attribute("aria-selected") == "true"
    expect(panel.get_by_text("From Dr. Example <b>bold?</b>")).to_be_visible()
    # The form is blank again for the next document.
    expect(panel.get_by_label("Note")).to_have_value("")
    assert panel.locator('[data-testid="stFileChip"]').count() == 0
    app.screenshot("patient-file-documents-after-upload")

    row = panel.locator('[data-testid="stHorizontalBlock"]', has_text="referral-e2e.pdf").last
    with page.expect_download(timeout=30_000) as info:
        row.get_by_role("button", name="Download").click()
    download = info.value
    assert download.suggested_filename == "referral-e2e.pdf"
    assert download.path().read_bytes() == content

    # Log a refill call: it goes to the clinicians, and the form empties for the next call.
    page.get_by_role("tab", name="Messages and calls").click()
    app.wait_idle()
    panel = page.get_by_role("tabpanel")
    app.choose("Request", "Prescription refill request", within=panel)
    expect(panel.get_by_text("Goes to: Clinician")).to_be_visible()
    panel.get_by_label("Subject").fill("Refill from the e2e test")
    panel.get_by_label("Subject").press("Tab")
    app.wait_idle()
    panel.get_by_role("button", name="Log it").click()
    app.wait_idle()
    page.get_by_text("Logged “Refill from the e2e test”.").wait_for(timeout=10_000)
    expect(panel.get_by_label("Subject")).to_have_value("")
    app.screenshot("patient-file-messages-after-logging")

    assert app.exceptions() == []
    assert app.console_errors == []


def open_by_mrn(app, mrn: str) -> None:
    page = app.page
    page.get_by_label("Find a patient").fill(mrn)
    page.get_by_label("Find a patient").press("Enter")
    app.wait_idle()
    page.locator(".st-key-patient_find_results").get_by_role("button", name="Open").first.click()
    app.wait_idle()


def test_the_doctor_reads_the_notes_tab(app):
    app.open("patients").sign_in("doctor")
    app.page.set_viewport_size({"width": 1400, "height": 1800})
    open_by_mrn(app, "100003")
    app.page.get_by_role("tab", name="Notes").click()
    app.wait_idle()
    panel = app.page.get_by_role("tabpanel")
    expect(panel.get_by_role("heading", name="Write a visit note")).to_be_visible()
    app.screenshot("patient-file-notes-doctor")
    assert app.exceptions() == []
    assert app.console_errors == []


def test_the_manager_sees_the_merge_comparison(app):
    app.open("patients").sign_in("manager")
    app.page.set_viewport_size({"width": 1400, "height": 1800})
    open_by_mrn(app, "100002")
    page = app.page
    page.get_by_text("Merge a duplicate record into this one").click()
    page.get_by_label("Find the duplicate record").fill("100005")
    page.get_by_label("Find the duplicate record").press("Enter")
    app.wait_idle()
    page.get_by_role("button", name="Compare").first.click()
    app.wait_idle()
    expect(page.get_by_text("Merge in: the duplicate")).to_be_visible()
    assert page.get_by_role("button", name="Merge into this record").is_disabled()
    page.get_by_text("Merge in: the duplicate").scroll_into_view_if_needed()
    app.screenshot("patient-file-merge-manager")
    assert app.exceptions() == []
    assert app.console_errors == []
