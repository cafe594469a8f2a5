"""The patient's invoice and statement as PDFs: the data each prints (dataclasses) and the layout.

Pure: fpdf2 through :class:`clinic.printing.ClinicPDF` (header, footer, fonts, text cleaning), no
streamlit, no duckdb. ``db.billing_documents`` reads the figures (Decimal, from the ledger's
views) into :class:`InvoiceDoc` / :class:`StatementDoc`; nothing here adds money up except what
the statement prints as its own totals (the sum of the rows it shows, and their aging), so the
paper and the screen agree to the cent. Amounts print through :func:`clinic.money.money_text`.

Words a patient reads: "Balance due", "Total due now", "Insurance pending" (a claim is waiting for
the insurer's answer, so the patient need not pay that balance yet: the ``invoice_ar`` rule).
File names carry the invoice number or the MRN, never the patient's name (downloads folders are
not private).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path


from clinic.billing import AGING_KEYS, INVOICE_STATUS_LABELS, age_balances
from clinic.money import ZERO, money_text
from clinic.payment_plans import FREQUENCY_LABELS
from clinic.printing import GREY, INK, MARGIN, ClinicPDF

AGING_LABELS = {"0-30": "0-30 days", "31-60": "31-60 days", "61-90": "61-90 days", "91-120": "91-120 days",
                "120+": "120+ days"}

# --- the data --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClinicInfo:
    name: str
    address: tuple[str, ...] = ()  # lines, as the clinic's settings give them
    phone: str = ""

    def how_to_pay(self, reference: str) -> str:
        """How to pay, naming what to quote with the money (the invoice number or the MRN)."""
        phone = (f" or call us on {self.phone} to pay by card" if self.phone
                 else " or call the front desk to pay by card")
        mail = (f" Checks payable to {self.name}, mailed to the address above" if self.address
                else f" Checks payable to {self.name}")
        return (f"Pay at the front desk (cash, card or check){phone}.{mail}; please write {reference} on the "
                "check. Questions about your bill? Ask the front desk.")


@dataclass(frozen=True)
class Addressee:
    name: str
    mrn: str
    address: tuple[str, ...] = ()


@dataclass(frozen=True)
class InvoiceLineDoc:
    code: str
    description: str
    diagnoses: tuple[str, ...]
    quantity: int
    unit_price: Decimal
    amount: Decimal


@dataclass(frozen=True)
class InvoiceDoc:
    clinic: ClinicInfo
    number: int
    invoice_date: date  # the day it was finalised (clinic-local); today's for a draft
    service_date: date
    provider: str
    patient: Addressee
    lines: tuple[InvoiceLineDoc, ...]
    lines_total: Decimal
    charges: Decimal
    payments: Decimal
    adjustments: Decimal
    refunds: Decimal
    balance: Decimal
    status: str
    insurance_pending: str | None = None  # the payer whose claim is waiting for an answer
    printed_at: datetime | None = None  # clinic-local

    @property
    def status_label(self) -> str:
        return INVOICE_STATUS_LABELS.get(self.status, self.status)


@dataclass(frozen=True)
class StatementRow:
    invoice: int
    service_date: date
    charges: Decimal
    paid: Decimal  # payments applied less refunds of them
    adjusted: Decimal
    balance: Decimal  # charges - paid - adjusted
    insurance: str | None = None  # the payer whose claim waits (None: the patient owes it)

    @property
    def who_owes(self) -> str:
        return f"Insurance pending ({self.insurance})" if self.insurance else "You"


@dataclass(frozen=True)
class PlanDoc:
    """One active payment plan as the statement shows it."""

    frequency: str
    total: Decimal
    left: Decimal  # of the plan, in all
    instalments: int
    next_number: int | None  # None: every instalment is paid
    next_due: date | None
    next_amount: Decimal  # what is left of that instalment
    overdue: Decimal  # left of instalments due before the statement date


@dataclass(frozen=True)
class StatementDoc:
    clinic: ClinicInfo
    as_of: date
    patient: Addressee
    rows: tuple[StatementRow, ...]
    credit: Decimal
    plans: tuple[PlanDoc, ...] = field(default_factory=tuple)
    printed_at: datetime | None = None

    @property
    def due_now(self) -> Decimal:
        """What the patient owes now: balances with no claim waiting."""
        return sum((r.balance for r in self.rows if r.insurance is None), ZERO)

    @property
    def insurance_pending(self) -> Decimal:
        return sum((r.balance for r in self.rows if r.insurance is not None), ZERO)

    @property
    def aging(self) -> dict[str, Decimal]:
        """What is due now by days since the service date (DESIGN's buckets plus ``total``)."""
        return age_balances([(r.service_date, r.balance) for r in self.rows if r.insurance is None], self.as_of)


def invoice_filename(number: int) -> str:
    return f"invoice-{number}.pdf"


def statement_filename(mrn: str, as_of: date) -> str:
    return f"statement-{re.sub(r'[^A-Za-z0-9-]+', '', mrn) or 'patient'}-{as_of.isoformat()}.pdf"


def _d(day: date | None) -> str:
    return "" if day is None else f"{day:%m/%d/%Y}"


# --- the layout ------------------------------------------------------------------------------

_NOTE = (255, 247, 222)


class _BillingPDF(ClinicPDF):
    footer_note = "Confidential: contains patient information."
    header_gap = 5.0

    def __init__(self, *, clinic: ClinicInfo, title: str, file_title: str, lead: str,
                 printed_at: datetime | None, font: Path | None, bold_font: Path | None) -> None:
        super().__init__(clinic_name=clinic.name, title=title, file_title=file_title,
                         stamp=None if printed_at is None else f"Printed {printed_at:%m/%d/%Y %H:%M}",
                         font=font, bold_font=bold_font)
        self.clinic = clinic
        self.lead = lead
        self.size = self.table_size

    def subheader(self) -> None:
        self.set_font(self.family, "", 10.5)
        self.cell(0, 6, self.clean(self.lead), new_x="LMARGIN", new_y="NEXT")

    def say(self, size: float, value: str, *, bold: bool = False, color=INK, h: float = 4.6, w: float = 0,
             align: str = "L") -> None:
        self.set_font(self.family, "B" if bold else "", size)
        self.set_text_color(*color)
        self.cell(w, h, self.clean(value), align=align, new_x="LMARGIN" if w == 0 else "RIGHT",
                  new_y="NEXT" if w == 0 else "TOP")

    def blocks(self, left: tuple[str, Sequence[str]], right: tuple[str, Sequence[str]]) -> None:
        """Two labelled blocks side by side: who is billed, and who is paid."""
        top = self.get_y()
        bottom = top
        half = self.content_width / 2
        for x, (label, lines) in ((MARGIN, left), (MARGIN + half + 4, right)):
            self.set_xy(x, top)
            self.set_font(self.family, "", 7.5)
            self.set_text_color(*GREY)
            self.cell(half - 4, 4, label, new_x="LEFT", new_y="NEXT")
            for n, line in enumerate(lines):
                self.set_font(self.family, "B" if n == 0 else "", 10 if n == 0 else 9.5)
                self.set_text_color(*INK)
                self.cell(half - 4, 4.8, self.fit(self.clean(line), half - 4), new_x="LEFT", new_y="NEXT")
            bottom = max(bottom, self.get_y())
        self.set_xy(MARGIN, bottom + 3)

    def sums(self, rows: Sequence[tuple[str, str, bool]], *, width: float = 80) -> None:
        """Label/amount pairs at the right of the page; bold ones are ruled above."""
        self.ensure_room(len(rows) * 5.6 + 2)
        x = self.w - MARGIN - width
        for label, amount, bold in rows:
            if bold:
                self.set_draw_color(*INK)
                self.set_line_width(0.3)
                self.line(x, self.get_y() + 0.4, self.w - MARGIN, self.get_y() + 0.4)
                self.ln(0.8)
            self.set_x(x)
            size = 11 if bold else 10
            self.say(size, label, bold=bold, w=width - 34, h=5.6)
            self.say(size, amount, bold=bold, w=34, h=5.6, align="R")
            self.ln(5.6)
        self.ln(2)

    def note(self, text: str) -> None:
        """A shaded box (the insurance-pending note)."""
        self.set_font(self.family, "", 9.5)
        lines = self.multi_cell(self.content_width - 6, 4.6, self.clean(text), dry_run=True, output="LINES")
        height = len(lines) * 4.6 + 4
        self.ensure_room(height + 3)
        top = self.get_y()
        self.set_fill_color(*_NOTE)
        self.rect(MARGIN, top, self.content_width, height, style="F")
        self.set_text_color(*INK)
        for n, line in enumerate(lines):
            self.set_xy(MARGIN + 3, top + 2 + n * 4.6)
            self.cell(self.content_width - 6, 4.6, line)
        self.set_xy(MARGIN, top + height + 3)

    def heading(self, title: str) -> None:
        self.ensure_room(18)
        self.say(11, title, bold=True, h=6)
        self.ln(0.5)

    def paragraph(self, text: str) -> None:
        self.set_font(self.family, "", 9.5)
        self.set_text_color(*INK)
        self.multi_cell(0, 4.6, self.clean(text), align="L", new_x="LMARGIN", new_y="NEXT")
        self.ln(1.5)


def _address_lines(who: Addressee) -> list[str]:
    return [who.name, f"MRN {who.mrn}", *who.address]


def _clinic_lines(clinic: ClinicInfo) -> list[str]:
    return [clinic.name, *clinic.address, *([f"Phone {clinic.phone}"] if clinic.phone else [])]


_LINE_COLUMNS = (("Code", 20, "LEFT"), ("Description", 72, "LEFT"), ("Diagnoses", 31, "LEFT"),
                 ("Qty", 12, "RIGHT"), ("Unit price", 27.5, "RIGHT"), ("Amount", 28, "RIGHT"))


def invoice_pdf(doc: InvoiceDoc, *, font: Path | None = None, bold_font: Path | None = None) -> bytes:
    """The invoice: who is billed for what, its lines, its money and how to pay it."""
    title = f"Invoice {doc.number}" + {"draft": " (draft)", "void": " (void)"}.get(doc.status, "")
    lead = f"Service on {_d(doc.service_date)}" + (f" with {doc.provider}" if doc.provider else "")
    pdf = _BillingPDF(clinic=doc.clinic, title=title, file_title=f"Invoice {doc.number}", lead=lead,
                      printed_at=doc.printed_at, font=font, bold_font=bold_font)
    pdf.add_page()
    pdf.blocks(("Bill to", _address_lines(doc.patient)), ("Pay to", _clinic_lines(doc.clinic)))
    pdf.facts([("Invoice number", str(doc.number)), ("Invoice date", _d(doc.invoice_date)),
               ("Service date", _d(doc.service_date)), ("Provider", doc.provider or "-"),
               ("Status", doc.status_label)])
    pdf.table_of(_LINE_COLUMNS, [
        (line.code, line.description, ", ".join(line.diagnoses), str(line.quantity), money_text(line.unit_price),
         money_text(line.amount)) for line in doc.lines])
    if doc.status == "draft":
        pdf.sums([("Lines total (draft, not billed yet)", money_text(doc.lines_total), True)])
    elif doc.status == "void":
        pdf.sums([("Lines total (void, not owed)", money_text(doc.lines_total), True)])
    else:
        pdf.sums([("Charges", money_text(doc.charges), False),
                  ("Payments", money_text(-doc.payments), False),
                  ("Adjustments", money_text(-doc.adjustments), False),
                  ("Refunds", money_text(doc.refunds), False),
                  ("Balance due", money_text(doc.balance), True)])
    if doc.insurance_pending and doc.balance > 0:
        pdf.note(f"Insurance pending: a claim for this visit has been sent to {doc.insurance_pending} and is "
                 "waiting for their answer. You do not need to pay this balance yet; we will send you a "
                 "statement of your share once they have answered.")
    if doc.status in ("open", "partially_paid") and doc.balance > 0 and not doc.insurance_pending:
        pdf.heading("How to pay")
        pdf.paragraph(doc.clinic.how_to_pay(f"invoice {doc.number}"))
    return pdf.to_bytes()


_ROW_COLUMNS = (("Invoice", 15, "LEFT"), ("Service date", 25, "LEFT"), ("Charges", 22, "RIGHT"),
                ("Paid", 22, "RIGHT"), ("Adjusted", 22, "RIGHT"), ("Balance", 23, "RIGHT"),
                ("Who owes it", 61.5, "LEFT"))


def _plan_text(plan: PlanDoc) -> str:
    how = FREQUENCY_LABELS.get(plan.frequency, plan.frequency).lower()
    head = f"Payment plan ({how}, {plan.instalments} instalments of {money_text(plan.total)} in all): "
    if plan.next_number is None:
        return head + "every instalment is paid."
    text = (head + f"next instalment {plan.next_number} of {plan.instalments}, {money_text(plan.next_amount)} "
            f"due {_d(plan.next_due)}. Left on the plan: {money_text(plan.left)}.")
    if plan.overdue > 0:
        text += f" Overdue now: {money_text(plan.overdue)}."
    return text


def statement_pdf(doc: StatementDoc, *, font: Path | None = None, bold_font: Path | None = None) -> bytes:
    """The patient's statement: each owed invoice and who owes it, the total due now, its aging,
    credit on account, any payment plan's next instalment, and how to pay."""
    lead = f"{doc.patient.name}  ·  MRN {doc.patient.mrn}  ·  Statement date {_d(doc.as_of)}"
    pdf = _BillingPDF(clinic=doc.clinic, title="Statement", file_title=f"Statement {_d(doc.as_of)}", lead=lead,
                      printed_at=doc.printed_at, font=font, bold_font=bold_font)
    pdf.add_page()
    pdf.blocks(("Statement for", _address_lines(doc.patient)), ("Pay to", _clinic_lines(doc.clinic)))
    pdf.say(14, f"Total due now: {money_text(doc.due_now)}", bold=True, h=8)
    if doc.insurance_pending > 0:
        pdf.say(9.5, f"Insurance pending (not due from you yet): {money_text(doc.insurance_pending)}")
    if doc.credit > 0:
        pdf.say(9.5, f"Credit on account: {money_text(doc.credit)} (ask the front desk to apply it to what you owe)")
    pdf.ln(3)

    aging = doc.aging
    pdf.heading("What you owe, by age (days since the service date)")
    width = pdf.content_width / (len(AGING_KEYS) + 1)
    pdf.table_of([(AGING_LABELS[k], width, "RIGHT") for k in AGING_KEYS] + [("Total", width, "RIGHT")],
                 [[money_text(aging[k]) for k in AGING_KEYS] + [money_text(aging["total"])]])

    pdf.heading("Invoices with a balance")
    if doc.rows:
        pdf.table_of(_ROW_COLUMNS, [
            (str(r.invoice), _d(r.service_date), money_text(r.charges), money_text(r.paid), money_text(r.adjusted),
             money_text(r.balance), r.who_owes) for r in doc.rows])
    else:
        pdf.paragraph("Nothing is owed. Thank you.")

    for plan in doc.plans:
        pdf.note(_plan_text(plan))

    pdf.heading("How to pay")
    pdf.paragraph(doc.clinic.how_to_pay(f"your MRN {doc.patient.mrn}"))
    return pdf.to_bytes()
