"""The patient file's Billing tab in a real browser: the front desk finds a patient who owes, opens
the Billing tab, takes a card payment, sees the balance drop in the tab and in the header, and
prints the statement (a real PDF download)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

import db
from clinic import timeutil
from db import settings
from tests.conftest import make_patient
from tests.db.billing_factories import make_invoice
from tests.e2e.conftest import SeededDb, seed_for_e2e

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def private_db(tmp_path_factory) -> SeededDb:
    """This module's own clinic, with one patient owing 80.25 on a finalised invoice (written
    before the server takes the file's lock)."""
    seeded = seed_for_e2e(tmp_path_factory.mktemp("e2e-billing") / "clinic.duckdb")
    conn = db.connect(seeded.path)
    try:
        patient = make_patient(conn, first_name="Penny", last_name="Payswell")
        served = timeutil.today(settings.timezone(conn)) - timedelta(days=12)
        make_invoice(conn, patient_id=patient, amount="80.25", service_date=served)
        (mrn,) = db.read_one(conn, "SELECT mrn FROM patients WHERE id = ?", [patient])
        conn.execute("CHECKPOINT")
    finally:
        conn.close()
    seeded.path.with_name("billing-mrn.txt").write_text(mrn)
    return seeded


def test_the_front_desk_takes_a_payment_on_the_billing_tab_and_prints_the_statement(private_app, private_db):
    mrn = private_db.path.with_name("billing-mrn.txt").read_text()
    app = private_app.open("patients").sign_in("frontdesk")
    page = app.page
    page.set_viewport_size({"width": 1400, "height": 1600})
    page.get_by_label("Find a patient").fill(mrn)
    page.get_by_label("Find a patient").press("Enter")
    app.wait_idle()
    results = page.locator(".st-key-patient_find_results")
    app.click_until(results.get_by_role("button", name="Open").first, page.get_by_role("tab", name="Billing"))
    header = page.locator('[data-testid="stColumn"]', has_text="Balance due").first
    expect(header).to_contain_text("$80.25")

    page.get_by_role("tab", name="Billing").click()
    app.wait_idle()
    panel = page.get_by_role("tabpanel")
    expect(panel.get_by_role("button", name="Print statement (PDF)")).to_be_visible()
    panel.get_by_label("Amount").fill("30.25")
    app.choose("Method", "Card", within=panel)
    panel.get_by_role("button", name="Post payment").click()
    app.wait_idle()
    expect(panel.get_by_text("Payment of $30.25 posted on invoice")).to_be_visible()
    # Still on the Billing tab, with the new balance in the tab and in the header.
    assert page.get_by_role("tab", name="Billing").get_attribute("aria-selected") == "true"
    expect(panel.locator('[data-testid="stMetric"]', has_text="Balance due")).to_contain_text("$50.00")
    expect(header).to_contain_text("$50.00")
    expect(panel.get_by_label("Amount")).to_have_value("")
    assert app.exceptions() == []
    app.screenshot("patient-billing-tab")

    with page.expect_download(timeout=30_000) as info:
        panel.get_by_role("button", name="Print statement (PDF)").click()
    download = info.value
    assert download.suggested_filename.endswith(".pdf") and mrn in download.suggested_filename
    assert download.path().read_bytes().startswith(b"%PDF")
