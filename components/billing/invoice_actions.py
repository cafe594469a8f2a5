"""One invoice opened in the ledger: its heading and money, then what may be done with it by its
status: edit and finalise a draft (``invoice_editor``), post a patient payment (``payment_form``),
adjust, apply the patient's credit, make the insurance claim, void with a reason (refused once
money was applied: the message shows by the reason), and print.

Every write is one call to ``db.billing`` in a button callback; a refusal shows next to its field
and keeps what was typed.
"""

from __future__ import annotations

import streamlit as st

from clinic import billing as rules
from clinic.access import can_do
from clinic.errors import ClinicError
from clinic.money import money_text
from components import forms
from components.billing import dollars
from components.billing.invoice_editor import draft_editor
from components.billing.payment_form import payment_form
from components.text import md
from db import Connection, billing, invoice_ledger, patients, providers

try:  # the invoice PDF (issue 9, H3)
    from components.billing_downloads import invoice_pdf_button
except ImportError:  # pragma: no cover - depends on which part of issue 9 landed first
    invoice_pdf_button = None


def _status_badge(status: str) -> str:
    colour = {"draft": "gray", "open": "blue", "partially_paid": "orange", "paid": "green", "void": "red"}[status]
    return f":{colour}-badge[{rules.INVOICE_STATUS_LABELS[status]}]"


def _heading(conn: Connection, invoice: billing.Invoice, patient) -> None:
    st.markdown(f"#### Invoice {invoice.id} {_status_badge(invoice.status)}")
    provider = providers.get(conn, invoice.provider_id).name if invoice.provider_id else None
    st.markdown(f"**{md(patient.display_name)}** · MRN {md(patient.mrn)} · service {invoice.service_date:%m/%d/%Y}"
                + (f" · {md(provider)}" if provider else ""))
    if invoice.status == "void":
        st.caption(f"Voided: {md(invoice.void_reason or 'no reason recorded')}.")
    cols = st.columns(5)
    figures = (("Charges", invoice.charges), ("Paid", invoice.payments - invoice.refunds),
               ("Adjusted", invoice.adjustments), ("Balance", invoice.balance),
               ("Patient credit", billing.patient_credit(conn, invoice.patient_id)))
    for col, (label, amount) in zip(cols, figures):
        col.metric(label, money_text(amount), border=True)


def _void(conn: Connection, user, invoice_id: int, version: int) -> None:
    form = f"inv{invoice_id}_void"
    forms.clear_errors(form)
    ss = st.session_state
    try:
        new_id = billing.void_invoice(conn, invoice_id, reason=ss.get(f"{form}_reason", ""), user=user,
                                      version=version, rebill=bool(ss.get(f"{form}_rebill")))
    except ClinicError as exc:
        forms.set_errors(form, {exc.field if exc.field == "reason" else "": str(exc)})
        return
    ss[f"{form}_reason"] = ""
    if new_id is not None:
        ss["inv_open_no"] = new_id
        forms.flash(f"Invoice {invoice_id} voided. Its corrected copy, draft invoice {new_id}, is open below.")
    else:
        forms.flash(f"Invoice {invoice_id} voided.")


def _adjust(conn: Connection, user, invoice_id: int) -> None:
    form = f"inv{invoice_id}_adj"
    forms.clear_errors(form)
    ss = st.session_state
    try:
        billing.adjust_invoice(conn, invoice_id=invoice_id, kind=ss.get(f"{form}_kind") or "",
                               amount=ss.get(f"{form}_amount", ""), reason=ss.get(f"{form}_reason", ""), user=user)
    except ClinicError as exc:
        forms.set_errors(form, {exc.field if exc.field in ("kind", "amount", "reason") else "": str(exc)})
        return
    ss[f"{form}_amount"] = ""
    ss[f"{form}_reason"] = ""
    forms.flash(f"Adjustment posted on invoice {invoice_id}.")


def _apply_credit(conn: Connection, user, invoice_id: int) -> None:
    form = f"inv{invoice_id}_credit"
    forms.clear_errors(form)
    typed = st.session_state.get(f"{form}_amount", "").strip()
    try:
        applied = billing.apply_credit(conn, invoice_id=invoice_id, user=user, amount=typed or None)
    except ClinicError as exc:
        forms.set_errors(form, {"amount" if exc.field == "amount" else "": str(exc)})
        return
    st.session_state[f"{form}_amount"] = ""
    forms.flash(f"{dollars(applied)} of the patient's credit applied to invoice {invoice_id}.")


def _make_claim(conn: Connection, user, invoice_id: int) -> None:
    form = f"inv{invoice_id}_claim"
    forms.clear_errors(form)
    try:
        claim_id = billing.create_claim(conn, invoice_id, user=user)
    except ClinicError as exc:
        forms.set_errors(form, {"": str(exc)})
        return
    claim = billing.get_claim(conn, claim_id)
    forms.flash(f"Claim {md(claim.control_number)} to {md(claim.payer_name)} made from invoice {invoice_id}: "
                "submit it on the Claims page.")


def _money_actions(conn: Connection, user, invoice: billing.Invoice) -> None:
    role = user.role
    if invoice.status in rules.TAKES_MONEY and can_do(role, "billing.payment"):
        st.markdown("**Patient payment**")
        payment_form(conn, user, invoice_id=invoice.id, key=f"inv{invoice.id}_pay")
    if invoice.status not in rules.OWING or not can_do(role, "billing.adjust"):
        return
    form = f"inv{invoice.id}_adj"
    with st.expander("Adjust the balance", icon=":material/tune:"):
        kind_col, amount_col = st.columns(2)
        with kind_col:
            st.selectbox("Kind", list(rules.ADJUSTMENT_KINDS), key=f"{form}_kind",
                         format_func=rules.ADJUSTMENT_KIND_LABELS.get)
            forms.field_error(form, "kind")
        with amount_col:
            st.text_input("Amount", key=f"{form}_amount", placeholder="e.g. 10.00", max_chars=14)
            forms.field_error(form, "amount")
        st.text_input("Reason", key=f"{form}_reason", max_chars=300, placeholder="Why the balance is reduced")
        forms.field_error(form, "reason")
        st.button("Post adjustment", key=f"{form}_post", icon=":material/tune:",
                  on_click=_adjust, args=(conn, user, invoice.id))
        forms.form_error(form)
    credit = billing.patient_credit(conn, invoice.patient_id)
    if credit > 0:
        form = f"inv{invoice.id}_credit"
        with st.expander(f"Apply the patient's credit ({dollars(credit)} available)", icon=":material/redeem:"):
            st.text_input("Amount", key=f"{form}_amount", max_chars=14,
                          placeholder=f"Blank: as much as possible ({money_text(min(credit, invoice.balance))})")
            forms.field_error(form, "amount")
            st.button("Apply credit", key=f"{form}_apply", icon=":material/redeem:",
                      on_click=_apply_credit, args=(conn, user, invoice.id))
            forms.form_error(form)


def _claims(conn: Connection, user, invoice: billing.Invoice) -> None:
    existing = billing.claims_for_invoice(conn, invoice.id)
    for claim in existing:
        st.markdown(f"Claim `{md(claim.control_number)}` to {md(claim.payer_name)} · "
                    f"{rules.CLAIM_STATUS_LABELS.get(claim.status, claim.status)}"
                    + (" (secondary)" if claim.rank == 2 else ""))
    if existing or invoice.status not in rules.OWING or not can_do(user.role, "billing.claim"):
        return
    form = f"inv{invoice.id}_claim"
    if not invoice_ledger.has_coverage(conn, invoice.patient_id):
        st.caption("No insurance on file for this patient: no claim can be made, the patient is billed.")
        return
    st.button("Make insurance claim", key=f"{form}_make", icon=":material/note_add:",
              on_click=_make_claim, args=(conn, user, invoice.id))
    forms.form_error(form)


def _void_form(conn: Connection, user, invoice: billing.Invoice) -> None:
    if invoice.status == "void" or not can_do(user.role, "billing.invoice"):
        return
    form = f"inv{invoice.id}_void"
    with st.expander("Void this invoice", icon=":material/block:"):
        st.text_input("Reason", key=f"{form}_reason", max_chars=300, placeholder="e.g. billed to the wrong patient")
        forms.field_error(form, "reason")
        st.checkbox("Make a corrected copy as a new draft", key=f"{form}_rebill",
                    help="The new draft copies these lines, to fix and finalise again.")
        st.button("Void invoice", key=f"{form}_button", icon=":material/block:",
                  on_click=_void, args=(conn, user, invoice.id, invoice.version))
        forms.form_error(form)


def invoice_panel(conn: Connection, user, invoice_id: int) -> None:
    """Everything about one invoice, for the ledger page."""
    try:
        invoice = billing.get(conn, invoice_id)
    except ClinicError as exc:
        st.warning(str(exc))
        return
    patient = patients.get(conn, invoice.patient_id)
    with st.container(border=True, key=f"inv{invoice_id}_panel"):
        _heading(conn, invoice, patient)
        if invoice.status == "draft":
            draft_editor(conn, user, invoice, may_edit=can_do(user.role, "billing.invoice"))
        else:
            _lines_readonly(conn, invoice)
        _money_actions(conn, user, invoice)
        _claims(conn, user, invoice)
        _void_form(conn, user, invoice)
        if invoice_pdf_button is not None and invoice.status != "draft":
            invoice_pdf_button(conn, invoice.id, key=f"inv{invoice.id}_pdf")


def _lines_readonly(conn: Connection, invoice: billing.Invoice) -> None:
    for line in billing.lines(conn, invoice.id):
        dx = ", ".join(line.diagnoses) or "no diagnosis"
        st.markdown(f"`{md(line.code)}` {md(line.description)} · {line.quantity} × {md(money_text(line.unit_price))}"
                    f" = **{md(money_text(line.amount))}** · {md(dx)}")
