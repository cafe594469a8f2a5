"""The invoice and the patient statement as PDF bytes: their figures read from the ledger and laid
out by ``clinic.billing_pdf``.

Each document is read on ONE cursor inside one transaction, so its numbers come from one snapshot
(a payment posted meanwhile is either wholly on the paper or not at all). Money comes from the
ledger's views (``invoice_balances``; ``invoice_ar`` for who owes each balance: insurance while a
claim waits for its answer, else the patient), as DECIMAL, so the paper equals the screen to the
cent. The statement's active payment plans are read just after, through ``db.payment_plans``.

The clinic's address and phone come from the optional settings ``clinic_address`` (lines separated
by newlines) and ``clinic_phone``; without them the documents print the clinic's name only.

``fonts`` is the ``font``/``bold_font`` pair for ``clinic.printing.ClinicPDF``; the default is the
bundled Unicode font, so a name in Cyrillic or Greek prints as typed. ``{}`` gives the built-in
Helvetica (the tests read its text back).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path

from clinic import billing_pdf, payment_plans, printing
from clinic.billing_pdf import Addressee, ClinicInfo, InvoiceDoc, InvoiceLineDoc, PlanDoc, StatementDoc, StatementRow
from clinic.errors import NotFound
from clinic.money import ZERO
from clinic.timeutil import now_utc, to_local, today
from db import Connection, settings, transaction
from db.ledger import credit_in
from db.payment_plans import active_plans_for

_PATIENT = ("p.first_name, p.middle_name, p.last_name, p.mrn, p.address_line1, p.address_line2, p.city, p.state,"
            " p.postal_code")
_INVOICE_SQL = (
    "SELECT i.id, i.service_date, i.status, i.finalized_at, pr.name, b.lines_total, b.charges, b.payments,"
    " b.adjustments, b.refunds, b.balance, " + _PATIENT +
    " FROM invoices i JOIN invoice_balances b ON b.invoice_id = i.id JOIN patients p ON p.id = i.patient_id"
    " LEFT JOIN providers pr ON pr.id = i.provider_id WHERE i.id = ?"
)
_LINES_SQL = ("SELECT code, description, dx1, dx2, dx3, dx4, quantity, unit_price,"
              " CAST(quantity * unit_price AS DECIMAL(18, 2)) FROM invoice_lines WHERE invoice_id = ?"
              " ORDER BY position, id")
# The payer whose claim waits for an answer on this invoice (the invoice_ar rule), if any.
_PENDING_SQL = ("SELECT coalesce(py.name, 'your insurer') FROM invoice_ar a LEFT JOIN payers py ON py.id = a.payer_id"
                " WHERE a.invoice_id = ? AND a.responsibility = 'insurance'")
_PATIENT_SQL = "SELECT " + _PATIENT + " FROM patients p WHERE p.id = ?"
# Every owed invoice of the patient, oldest service first, with who owes it.
_ROWS_SQL = (
    "SELECT a.invoice_id, a.service_date, b.charges, CAST(b.payments - b.refunds AS DECIMAL(18, 2)), b.adjustments,"
    " a.balance, CASE WHEN a.responsibility = 'insurance' THEN coalesce(py.name, 'your insurer') END"
    " FROM patients_invoice_ar($p) a JOIN patients_invoice_balances($p) b ON b.invoice_id = a.invoice_id"
    " LEFT JOIN payers py ON py.id = a.payer_id ORDER BY a.service_date, a.invoice_id"
)


def _clinic(conn: Connection) -> tuple[ClinicInfo, str]:
    """The clinic as the documents print it, and its time zone."""
    values = settings.get_all(conn)
    address = tuple(line.strip() for line in (values.get("clinic_address") or "").splitlines() if line.strip())
    return ClinicInfo(values["clinic_name"], address, (values.get("clinic_phone") or "").strip()), values["timezone"]


def _addressee(row: tuple) -> Addressee:
    first, middle, last, mrn, line1, line2, city, state, postal = row
    name = " ".join(part.strip() for part in (first, middle, last) if part and part.strip())
    region = " ".join(p.strip() for p in (state, postal) if p and p.strip())
    place = ", ".join(p for p in ((city or "").strip(), region) if p)
    return Addressee(name, mrn or "", tuple(p.strip() for p in (line1, line2, place) if p and p.strip()))


def invoice_document(conn: Connection, invoice_id: int) -> InvoiceDoc:
    """What the invoice prints. Raises NotFound."""
    clinic, tz = _clinic(conn)
    with transaction(conn) as cur:
        head = cur.execute(_INVOICE_SQL, [invoice_id]).fetchone()
        if head is None:
            raise NotFound("That invoice does not exist.")
        lines = cur.execute(_LINES_SQL, [invoice_id]).fetchall()
        pending = cur.execute(_PENDING_SQL, [invoice_id]).fetchone()
    number, service_date, status, finalized_at, provider, lines_total, charges, paid, adjusted, refunds, balance = \
        head[:11]
    printed_at = to_local(now_utc(), tz)
    return InvoiceDoc(
        clinic=clinic, number=number,
        invoice_date=to_local(finalized_at, tz).date() if finalized_at is not None else printed_at.date(),
        service_date=service_date, provider=provider or "", patient=_addressee(head[11:]),
        lines=tuple(InvoiceLineDoc(code, description, tuple(d for d in (d1, d2, d3, d4) if d), quantity, price,
                                   amount)
                    for code, description, d1, d2, d3, d4, quantity, price, amount in lines),
        lines_total=lines_total, charges=charges, payments=paid, adjustments=adjusted, refunds=refunds,
        balance=balance, status=status, insurance_pending=pending[0] if pending else None, printed_at=printed_at)


def statement_document(conn: Connection, patient_id: int, *, as_of: date | None = None) -> StatementDoc:
    """What the patient's statement prints on ``as_of`` (default: the clinic's today). Raises NotFound."""
    clinic, tz = _clinic(conn)
    as_of = as_of or today(tz)
    with transaction(conn) as cur:
        head = cur.execute(_PATIENT_SQL, [patient_id]).fetchone()
        if head is None:
            raise NotFound("That patient does not exist.")
        rows = cur.execute(_ROWS_SQL, {"p": [patient_id]}).fetchall()
        credit = credit_in(cur, patient_id)
    plans = []
    for plan in active_plans_for(conn, patient_id):
        upcoming = payment_plans.next_due(plan.instalments)
        plans.append(PlanDoc(
            frequency=plan.frequency, total=plan.total, left=plan.left, instalments=len(plan.instalments),
            next_number=upcoming.number if upcoming else None, next_due=upcoming.due if upcoming else None,
            next_amount=upcoming.left if upcoming else ZERO,
            overdue=sum((s.left for s in payment_plans.overdue(plan.instalments, as_of)), ZERO)))
    return StatementDoc(clinic=clinic, as_of=as_of, patient=_addressee(head),
                        rows=tuple(StatementRow(*r) for r in rows),
                        credit=credit, plans=tuple(plans), printed_at=to_local(now_utc(), tz))


def _fonts(fonts: Mapping[str, Path] | None) -> Mapping[str, Path]:
    return printing.bundled_fonts() if fonts is None else fonts


def invoice_pdf(conn: Connection, invoice_id: int, *, fonts: Mapping[str, Path] | None = None) -> bytes:
    """The invoice as PDF bytes (see the module's note on ``fonts``). Raises NotFound."""
    return billing_pdf.invoice_pdf(invoice_document(conn, invoice_id), **_fonts(fonts))


def statement_pdf(conn: Connection, patient_id: int, *, as_of: date | None = None,
                  fonts: Mapping[str, Path] | None = None) -> bytes:
    """The patient's statement on ``as_of`` (default: the clinic's today) as PDF bytes. Raises NotFound."""
    return billing_pdf.statement_pdf(statement_document(conn, patient_id, as_of=as_of), **_fonts(fonts))
