"""The invoice and statement PDFs, pure: built from hand-made data and read back as text."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from clinic import billing_pdf, printing
from clinic.billing_pdf import (
    Addressee,
    ClinicInfo,
    InvoiceDoc,
    InvoiceLineDoc,
    PlanDoc,
    StatementDoc,
    StatementRow,
)
from tests.clinic.pdf_helpers import pdf_text

D = Decimal
CLINIC = ClinicInfo("Riverside Family Practice", ("12 Main Street", "Springfield, NY 10001"), "(212) 555-0100")
PATIENT = Addressee("Ana María Tanaka", "100015", ("4 Elm Road", "Albany, NY 12207"))
AS_OF = date(2026, 3, 2)


def invoice(**overrides) -> InvoiceDoc:
    values = dict(
        clinic=CLINIC, number=42, invoice_date=date(2026, 3, 3), service_date=date(2026, 3, 2),
        provider="Dr. Ruth Okafor", patient=PATIENT,
        lines=(InvoiceLineDoc("99213", "Office visit, established patient", ("J02.9", "R50.9"), 1, D("120.00"),
                              D("120.00")),
               InvoiceLineDoc("J1100", "Dexamethasone sodium phosphate, 1 mg", ("J02.9",), 3, D("8.50"), D("25.50"))),
        lines_total=D("145.50"), charges=D("145.50"), payments=D("40.00"), adjustments=D("5.25"), refunds=D("10.00"),
        balance=D("110.25"), status="partially_paid", printed_at=datetime(2026, 3, 3, 9, 30))
    values.update(overrides)
    return InvoiceDoc(**values)


def statement(**overrides) -> StatementDoc:
    values = dict(
        clinic=CLINIC, as_of=AS_OF, patient=PATIENT,
        rows=(StatementRow(7, date(2025, 10, 20), D("300.00"), D("100.00"), D("0.00"), D("200.00")),
              StatementRow(9, date(2026, 1, 15), D("80.00"), D("0.00"), D("12.34"), D("67.66")),
              StatementRow(11, date(2026, 2, 20), D("150.00"), D("0.00"), D("0.00"), D("150.00"), "Acme Health")),
        credit=D("0.00"), printed_at=datetime(2026, 3, 2, 10, 0))
    values.update(overrides)
    return StatementDoc(**values)


def text_of(pdf: bytes) -> bytes:
    return pdf_text(pdf)


def b(text: str) -> bytes:
    """How the built-in font's text appears in the PDF (cp1252, parentheses escaped)."""
    return text.encode("cp1252").replace(b"(", b"\\(").replace(b")", b"\\)")


def whole(text: str) -> bytes:
    """One string drawn as it is (a cell of its own)."""
    return b"(" + b(text) + b")"


# --- the invoice -----------------------------------------------------------------------------


def test_the_invoice_shows_who_is_billed_each_line_and_how_the_balance_comes_about():
    text = text_of(billing_pdf.invoice_pdf(invoice()))
    for part in ("Invoice 42", "Riverside Family Practice", "12 Main Street", "Phone (212) 555-0100",
                 "Ana María Tanaka", "MRN 100015", "4 Elm Road", "Albany, NY 12207", "03/03/2026", "03/02/2026",
                 "Dr. Ruth Okafor", "Partially paid",
                 "99213", "Office visit, established patient", "J02.9, R50.9", "$120.00",
                 "J1100", "3", "$8.50", "$25.50"):
        assert whole(part) in text, part
    # charges - payments - adjustments + refunds = balance, each on its own labelled line
    for label, amount in (("Charges", "$145.50"), ("Payments", "-$40.00"), ("Adjustments", "-$5.25"),
                          ("Refunds", "$10.00"), ("Balance due", "$110.25")):
        assert re.search(re.escape(whole(label)) + rb" Tj.{0,120}?" + re.escape(whole(amount)), text, re.S), label
    assert b"How to pay" in text and b"invoice 42" in text


def test_an_invoice_waiting_for_the_insurer_tells_the_patient_not_to_pay_yet():
    text = text_of(billing_pdf.invoice_pdf(invoice(insurance_pending="Acme Health")))
    assert b"Insurance pending" in text and b"Acme Health" in text and b"You do not need" in text
    assert b"How to pay" not in text


def test_a_paid_invoice_shows_a_zero_balance_and_no_payment_instructions():
    doc = invoice(payments=D("145.50"), adjustments=D("0.00"), refunds=D("0.00"), balance=D("0.00"), status="paid")
    text = text_of(billing_pdf.invoice_pdf(doc))
    assert b"(Paid)" in text and b"($0.00)" in text and b"How to pay" not in text


def test_a_draft_invoice_says_it_is_not_billed_yet():
    doc = invoice(status="draft", charges=D("0.00"), payments=D("0.00"), adjustments=D("0.00"), refunds=D("0.00"),
                  balance=D("0.00"))
    text = text_of(billing_pdf.invoice_pdf(doc))
    assert b"(Invoice 42 \\(draft\\))" in text and b"not billed yet" in text and b"($145.50)" in text
    assert b"Balance due" not in text


def test_many_lines_run_onto_a_second_page_with_the_column_headings_again():
    line = InvoiceLineDoc("36415", "Routine venipuncture", ("Z00.00",), 1, D("15.00"), D("15.00"))
    text = text_of(billing_pdf.invoice_pdf(invoice(lines=(line,) * 45)))
    assert b"Page 2 of 2" in text and text.count(b"(Unit price)") == 2


# --- the statement ---------------------------------------------------------------------------


def test_the_statement_totals_only_what_the_patient_owes_and_ages_it_by_service_date():
    doc = statement()
    assert doc.due_now == D("267.66") and doc.insurance_pending == D("150.00")
    assert doc.aging == {"0-30": D("0.00"), "31-60": D("67.66"), "61-90": D("0.00"), "91-120": D("0.00"),
                         "120+": D("200.00"), "total": D("267.66")}
    text = text_of(billing_pdf.statement_pdf(doc))
    assert b"(Total due now: $267.66)" in text
    assert b"(Insurance pending \\(not due from you yet\\): $150.00)" in text
    for label in ("0-30 days", "31-60 days", "61-90 days", "91-120 days", "120+ days", "Total"):
        assert whole(label) in text, label
    aging_row = re.search(rb"\(\$0\.00\).*?\(\$67\.66\).*?\(\$0\.00\).*?\(\$0\.00\).*?\(\$200\.00\).*?\(\$267\.66\)",
                          text, re.S)
    assert aging_row is not None
    for part in ("7", "10/20/2025", "$300.00", "$100.00", "$200.00", "You",
                 "9", "01/15/2026", "$12.34", "$67.66",
                 "11", "02/20/2026", "$150.00", "Insurance pending (Acme Health)"):
        assert whole(part) in text, part


def test_credit_on_account_and_the_plans_next_instalment_are_on_the_statement():
    plan = PlanDoc("monthly", D("300.00"), D("200.00"), 3, 2, date(2026, 3, 15), D("100.00"), D("0.00"))
    text = text_of(billing_pdf.statement_pdf(statement(credit=D("25.00"), plans=(plan,))))
    assert b"Credit on account: $25.00" in text
    assert b"next instalment 2 of 3, $100.00 due 03/15/2026" in text
    assert re.search(rb"Left on the plan:.{0,80}?\$200\.00", text, re.S)
    assert b"Overdue" not in text


def test_an_overdue_instalment_is_called_out():
    plan = PlanDoc("weekly", D("90.00"), D("60.00"), 3, 2, date(2026, 2, 23), D("30.00"), D("30.00"))
    text = text_of(billing_pdf.statement_pdf(statement(plans=(plan,))))
    assert b"Overdue now: $30.00" in text and b"weekly" in text


def test_a_patient_who_owes_nothing_gets_a_statement_that_says_so():
    text = text_of(billing_pdf.statement_pdf(statement(rows=())))
    assert b"(Total due now: $0.00)" in text and b"Nothing is owed" in text


def test_without_an_address_the_clinic_asks_for_checks_without_naming_one():
    doc = statement(clinic=ClinicInfo("Riverside Family Practice"))
    text = text_of(billing_pdf.statement_pdf(doc))
    assert b"mailed to the address above" not in text and b"call the front desk to pay by card" in text
    assert b"mailed to the address above" in text_of(billing_pdf.statement_pdf(statement()))


# --- names, scripts and file names -----------------------------------------------------------


def test_file_names_carry_the_number_or_mrn_never_the_name():
    assert billing_pdf.invoice_filename(42) == "invoice-42.pdf"
    assert billing_pdf.statement_filename("100015", AS_OF) == "statement-100015-2026-03-02.pdf"
    assert billing_pdf.statement_filename("../x y", AS_OF) == "statement-xy-2026-03-02.pdf"


def test_with_the_bundled_font_a_cyrillic_name_is_printed_as_typed():
    doc = statement(patient=Addressee("Иванова Анна", "100016"))
    pdf = billing_pdf.statement_pdf(doc, **printing.bundled_fonts())
    assert b"/FontFile2" in pdf and b"<0418>" in pdf_text(pdf)  # И in the embedded font's map


def test_in_the_built_in_font_a_name_outside_it_becomes_question_marks_not_an_error():
    text = text_of(billing_pdf.invoice_pdf(invoice(patient=replace(PATIENT, name="王芳 Łaski"))))
    assert b"(?? Laski)" in text


@settings(max_examples=25, deadline=None)
@given(name=st.text(max_size=60), description=st.text(max_size=200), payer=st.text(max_size=40))
def test_the_builders_never_crash_on_any_text(name, description, payer):
    line = InvoiceLineDoc("99213", description, (), 1, D("1.00"), D("1.00"))
    assert billing_pdf.invoice_pdf(invoice(patient=replace(PATIENT, name=name), lines=(line,),
                                           insurance_pending=payer or None)).startswith(b"%PDF-")
    rows = (StatementRow(1, AS_OF, D("1.00"), D("0.00"), D("0.00"), D("1.00"), payer or None),)
    assert billing_pdf.statement_pdf(statement(patient=replace(PATIENT, name=name), rows=rows)).startswith(b"%PDF-")
