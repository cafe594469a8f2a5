"""The invoice ledger in a real browser: the billing clerk opens Invoices, filters on "Partially
paid", sees the totals the database gives for that selection (to the cent), and opens an invoice."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from playwright.sync_api import expect

import db
from clinic import timeutil
from clinic.money import money_text
from db import billing, settings
from db.invoice_ledger import ledger_totals
from tests.conftest import make_patient
from tests.db.billing_factories import make_invoice
from tests.e2e.conftest import SeededDb, seed_for_e2e

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def private_db(tmp_path_factory) -> SeededDb:
    """This module's own clinic with two partly paid invoices added; the expected totals for
    "Partially paid" are read before the server takes the file's lock."""
    seeded = seed_for_e2e(tmp_path_factory.mktemp("e2e-ledger") / "clinic.duckdb")
    conn = db.connect(seeded.path)
    try:
        served = timeutil.today(settings.timezone(conn)) - timedelta(days=20)
        ids = []
        for amount, paid in (("180.40", "60.15"), ("95.00", "0.01")):
            invoice_id = make_invoice(conn, patient_id=make_patient(conn), amount=amount, service_date=served)
            billing.post_patient_payment(conn, invoice_id=invoice_id, amount=paid, method="cash", user="test")
            ids.append(invoice_id)
        t = ledger_totals(conn, status="partially_paid")
        conn.execute("CHECKPOINT")
    finally:
        conn.close()
    seeded.path.with_name("ledger.json").write_text(json.dumps(
        {"invoice": ids[0], "count": t["count"], "charges": money_text(t["charges"]), "paid": money_text(t["paid"]),
         "balance": money_text(t["balance"])}))
    return seeded


def test_the_clerk_filters_the_ledger_and_sees_the_database_totals(private_app, private_db):
    expected = json.loads(private_db.path.with_name("ledger.json").read_text())
    app = private_app.open("invoices").sign_in("billing")
    page = app.page
    page.set_viewport_size({"width": 1500, "height": 1600})
    expect(page.get_by_role("heading", name="Invoices").first).to_be_visible()

    page.get_by_role("combobox", name="Status").click()
    page.get_by_role("option", name="Partially paid", exact=True).click()
    page.keyboard.press("Escape")
    app.wait_idle()
    metrics = page.locator('[data-testid="stMetric"]')
    expect(metrics.filter(has_text="Invoices")).to_contain_text(f"{expected['count']:,}")
    expect(metrics.filter(has_text="Charges")).to_contain_text(expected["charges"])
    expect(metrics.filter(has_text="Paid")).to_contain_text(expected["paid"])
    expect(metrics.filter(has_text="Balance")).to_contain_text(expected["balance"])
    expect(page.locator('[data-testid="stDataFrame"]').first).to_be_visible()

    page.get_by_label("Open invoice no.").fill(str(expected["invoice"]))
    page.get_by_label("Open invoice no.").press("Enter")
    app.wait_idle()
    expect(page.get_by_text(f"Invoice {expected['invoice']}", exact=False).first).to_be_visible()
    expect(page.get_by_role("button", name="Post payment")).to_be_visible()
    assert app.exceptions() == []
    app.screenshot("invoice-ledger")
