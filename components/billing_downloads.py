"""Download buttons for the invoice PDF and the patient statement PDF.

The PDF is built when the button is clicked, not on every rerun (``st.download_button`` with a
callable, as in ``components.downloads``), so a ledger can show a button per row at no cost. The
callable runs on another thread: it only reaches the shared connection through
``db.billing_documents``, whose reads open their own cursor. File names carry the invoice number
or the MRN, never the patient's name.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from clinic import billing_pdf
from clinic.errors import NotFound
from clinic.timeutil import today
from components.audit.downloads import audited
from components.downloads import pdf_fonts
from db import Connection, billing_documents, patients, settings


def invoice_pdf_button(conn: Connection, invoice_id: int, key: str, *, label: str = "Print invoice (PDF)") -> None:
    """A button giving invoice ``invoice_id`` as a PDF to print or send to the patient."""
    fonts = pdf_fonts()
    st.download_button(
        label,
        file_name=billing_pdf.invoice_filename(invoice_id),
        mime="application/pdf",
        icon=":material/print:",
        **audited("invoice_pdf", lambda: billing_documents.invoice_pdf(conn, invoice_id, fonts=fonts), category="billing", entity="invoice", entity_id=invoice_id),
        key=key,
        help="US Letter: the lines, what was paid, the balance due and how to pay.",
    )


def statement_pdf_button(conn: Connection, patient_id: int, key: str, *, as_of: date | None = None,
                         label: str = "Print statement (PDF)") -> None:
    """A button giving the patient's statement on ``as_of`` (default: the clinic's today) as a PDF.
    Shows nothing for a patient that does not exist."""
    try:
        mrn = patients.get(conn, patient_id).mrn
    except NotFound:
        return
    day = as_of or today(settings.timezone(conn))
    fonts = pdf_fonts()
    st.download_button(
        label,
        file_name=billing_pdf.statement_filename(mrn, day),
        mime="application/pdf",
        icon=":material/receipt_long:",
        **audited("statement_pdf", lambda: billing_documents.statement_pdf(conn, patient_id, as_of=day, fonts=fonts), category="billing", entity="patient", entity_id=patient_id, patient_id=patient_id,
                  detail={"as_of": day.isoformat()}),
        key=key,
        help="For the patient: what is due now and how old it is, insurance still pending, credit, "
             "the payment plan's next instalment, and how to pay.",
    )
