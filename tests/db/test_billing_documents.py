"""The invoice and statement PDFs against a real database: the numbers read back from the PDF equal
the ledger's (``db.billing.invoice_totals``, ``patient_credit``, the plan, the ``invoice_ar`` split)."""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

import db
from clinic.errors import NotFound
from clinic.money import money_text
from db import billing, billing_documents, users
from tests.clinic.pdf_helpers import pdf_text
from tests.conftest import make_patient, make_provider, make_user
from tests.db.billing_factories import make_fees, make_invoice

D = Decimal
NOON_MONDAY = datetime(2026, 3, 2, 15, 0, tzinfo=timezone.utc)  # 10:00 in New York


@pytest.fixture
def clerk(conn, clinic_clock):
    clinic_clock(NOON_MONDAY)
    make_fees(conn)
    return users.get(conn, make_user(conn, username="clerk", role="billing"))


def whole(text: str) -> bytes:
    """A string drawn as one cell by the built-in font (cp1252, parentheses escaped)."""
    return b"(" + text.encode("cp1252").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def in_order(text: bytes, *parts: str) -> bool:
    """The cells appear in this order, close together (one row of a table, or a label and its amount)."""
    return re.search(rb" Tj.{0,400}?".join(re.escape(whole(p)) for p in parts), text, re.S) is not None


def waiting_claim(conn, invoice_id: int, payer: str = "Acme Health") -> None:
    """A claim to ``payer`` submitted for the invoice and not answered yet (so insurance owes it)."""
    (payer_id,) = db.read(conn, "INSERT INTO payers (name, kind) VALUES (?, 'commercial') RETURNING id", [payer])[0]
    db.read(conn, "INSERT INTO claims (invoice_id, payer_id, rank, control_number, member_id, status)"
                  " VALUES (?, ?, 1, ?, 'M123', 'submitted') RETURNING id", [invoice_id, payer_id, f"C{invoice_id}"])


def give_address(conn, patient_id: int) -> None:
    db.read(conn, "UPDATE patients SET address_line1 = '4 Elm Road', city = 'Albany', state = 'NY',"
                  " postal_code = '12207' WHERE id = ? RETURNING id", [patient_id])


# --- the invoice -----------------------------------------------------------------------------


def test_the_invoice_pdf_shows_the_lines_and_the_ledgers_totals_to_the_cent(conn, clerk):
    patient = make_patient(conn, first_name="Ana", last_name="Tanaka")
    give_address(conn, patient)
    provider = make_provider(conn, name="Dr. Ruth Okafor")
    invoice = billing.create_invoice(conn, patient_id=patient, service_date=date(2026, 3, 2), provider_id=provider,
                                     user=clerk)
    version = billing.get(conn, invoice).version
    billing.add_line(conn, invoice, code="99213", version=version, user=clerk, diagnoses=["J02.9", "R50.9"])
    billing.add_line(conn, invoice, code="J1100", quantity=3, version=version + 1, user=clerk, diagnoses=["J02.9"])
    billing.finalize_invoice(conn, invoice, user=clerk)
    billing.post_patient_payment(conn, invoice_id=invoice, amount="40.00", method="cash", user=clerk)
    bounced = billing.post_patient_payment(conn, invoice_id=invoice, amount="10.00", method="check", user=clerk)
    billing.reverse_payment(conn, bounced, reason="Check bounced", user=clerk)
    billing.adjust_invoice(conn, invoice_id=invoice, kind="courtesy", amount="5.25", reason="Long wait", user=clerk)

    totals = billing.invoice_totals(conn, invoice)
    assert totals["refunds"] > 0 and totals["adjustments"] > 0  # every kind of money is on it
    text = pdf_text(billing_documents.invoice_pdf(conn, invoice, fonts={}))

    assert whole(f"Invoice {invoice}") in text
    for part in ("Ana Tanaka", "4 Elm Road", "Albany, NY 12207", "Dr. Ruth Okafor", "03/02/2026", "Partially paid"):
        assert whole(part) in text, part
    for line in billing.lines(conn, invoice):
        assert in_order(text, line.code, line.description, ", ".join(line.diagnoses), str(line.quantity),
                        money_text(line.unit_price), money_text(line.amount)), line.code
    assert in_order(text, "Charges", money_text(totals["charges"]), "Payments", money_text(-totals["payments"]),
                    "Adjustments", money_text(-totals["adjustments"]), "Refunds", money_text(totals["refunds"]),
                    "Balance due", money_text(totals["balance"]))
    assert totals["balance"] == D("100.25") and b"How to pay" in text


def test_an_invoice_whose_claim_waits_says_insurance_is_pending_and_asks_for_no_money(conn, clerk):
    invoice = make_invoice(conn, amount="150.00", user=clerk)
    waiting_claim(conn, invoice, "Acme Health")
    text = pdf_text(billing_documents.invoice_pdf(conn, invoice, fonts={}))
    assert b"Insurance pending" in text and b"Acme Health" in text and b"How to pay" not in text
    assert in_order(text, "Balance due", money_text(billing.invoice_totals(conn, invoice)["balance"]))


def test_an_unknown_invoice_or_patient_is_not_found(conn, clerk):
    with pytest.raises(NotFound):
        billing_documents.invoice_pdf(conn, 999)
    with pytest.raises(NotFound):
        billing_documents.statement_pdf(conn, 999)


# --- the statement ---------------------------------------------------------------------------


def test_the_statement_splits_insurance_pending_from_what_the_patient_owes_now(conn, clerk):
    patient = make_patient(conn)
    pending = make_invoice(conn, patient_id=patient, amount="150.00", service_date=date(2026, 2, 20), user=clerk)
    waiting_claim(conn, pending)
    old = make_invoice(conn, patient_id=patient, amount="300.00", service_date=date(2025, 11, 20), user=clerk)
    billing.post_patient_payment(conn, invoice_id=old, amount="100.00", method="card", user=clerk)
    recent = make_invoice(conn, patient_id=patient, amount="80.00", service_date=date(2026, 1, 15), user=clerk)
    billing.adjust_invoice(conn, invoice_id=recent, kind="courtesy", amount="12.34", reason="Long wait", user=clerk)
    settled = make_invoice(conn, patient_id=patient, amount="20.00", service_date=date(2026, 2, 1), user=clerk)
    billing.post_patient_payment(conn, invoice_id=settled, amount="45.00", method="cash", user=clerk)  # 25.00 credit
    make_invoice(conn, patient_id=patient, amount="999.00", finalize=False, user=clerk)  # a draft owes nothing
    plan_id = billing.create_plan(conn, patient_id=patient, instalments=3, frequency="monthly",
                                  first_due=date(2026, 3, 15), invoice_ids=[old, recent], user=clerk)
    billing.post_patient_payment(conn, invoice_id=old, amount="50.00", method="card", user=clerk)

    text = pdf_text(billing_documents.statement_pdf(conn, patient, fonts={}))

    owed = {i: billing.invoice_totals(conn, i) for i in (old, recent, pending)}
    for invoice, day, who in ((old, "11/20/2025", "You"), (recent, "01/15/2026", "You"),
                              (pending, "02/20/2026", "Insurance pending (Acme Health)")):
        t = owed[invoice]
        assert in_order(text, str(invoice), day, money_text(t["charges"]), money_text(t["payments"] - t["refunds"]),
                        money_text(t["adjustments"]), money_text(t["balance"]), who), invoice
    assert whole(str(settled)) not in text and b"$999.00" not in text

    due_now = owed[old]["balance"] + owed[recent]["balance"]
    (from_view,) = db.read(conn, "SELECT sum(balance) FROM invoice_ar WHERE patient_id = ? AND responsibility ="
                                 " 'patient'", [patient])[0]
    assert due_now == from_view == D("217.66")
    assert whole(f"Total due now: {money_text(due_now)}") in text
    assert b"(Insurance pending \\(not due from you yet\\): " + money_text(owed[pending]["balance"]).encode() in text
    # The aging line: 102 days since 20 Nov (91-120) and 46 since 15 Jan (31-60), adding up to what is due.
    assert in_order(text, "$0.00", money_text(owed[recent]["balance"]), "$0.00", money_text(owed[old]["balance"]),
                    "$0.00", money_text(due_now))
    assert b"Credit on account: " + money_text(billing.patient_credit(conn, patient)).encode() in text
    assert billing.patient_credit(conn, patient) == D("25.00")

    plan = billing.get_plan(conn, plan_id)
    upcoming = next(s for s in plan.instalments if s.left > 0)
    assert upcoming.number == 1 and upcoming.left == D("39.22")  # 267.66 in 3, of which 50.00 is paid
    assert f"next instalment 1 of 3, {money_text(upcoming.left)} due 03/15/2026".encode() in text
    assert re.search(rb"Left on the plan:.{0,80}?" + re.escape(money_text(plan.left).encode()), text, re.S)


def test_the_statement_date_is_the_clinics_own_day(conn, clerk, clinic_clock):
    patient = make_patient(conn)
    make_invoice(conn, patient_id=patient, amount="80.00", user=clerk)
    clinic_clock(datetime(2026, 3, 3, 3, 30, tzinfo=timezone.utc))  # still Monday evening in New York
    text = pdf_text(billing_documents.statement_pdf(conn, patient, fonts={}))
    assert b"Statement date 03/02/2026" in text and b"03/03/2026" not in text


def test_a_cyrillic_name_prints_as_typed_in_the_documents_as_the_app_serves_them(conn, clerk):
    patient = make_patient(conn, first_name="Иван", last_name="Петров")
    invoice = make_invoice(conn, patient_id=patient, amount="80.00", user=clerk)
    for pdf in (billing_documents.invoice_pdf(conn, invoice), billing_documents.statement_pdf(conn, patient)):
        assert b"/FontFile2" in pdf and b"<0418>" in pdf_text(pdf)  # И in the embedded font's map


def test_the_clinics_address_and_phone_come_from_its_settings(conn, clerk):
    from db import settings

    settings.set_many(conn, {"clinic_address": "12 Main Street\nSpringfield, NY 10001",
                             "clinic_phone": "(212) 555-0100"}, by="test")
    invoice = make_invoice(conn, amount="80.00", user=clerk)
    text = pdf_text(billing_documents.invoice_pdf(conn, invoice, fonts={}))
    for part in ("12 Main Street", "Springfield, NY 10001", "Phone (212) 555-0100"):
        assert whole(part) in text, part
    assert b"mailed to the address above" in text
