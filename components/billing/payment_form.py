"""The patient-payment form, shared by the invoice ledger, check-out and the patient's Billing tab:
amount (as typed), method, reference; posts through ``db.billing.post_patient_payment``.

A bad amount (negative, zero, more than 2 decimals, text, NaN, Infinity) is refused by
``clinic.money.parse_amount`` inside that call: the message shows right under the Amount field,
what was typed stays in it, and nothing is written. The write runs in the button's callback, before
the page is drawn again, so balances shown after a payment are the new ones.
"""

from __future__ import annotations

import streamlit as st

from clinic import billing as rules
from clinic.errors import ClinicError
from components import forms
from components.billing import dollars
from db import Connection, billing

FIELDS = ("amount", "method", "reference")


def _done_key(key: str) -> str:
    return f"{key}_done"


def _post(conn: Connection, user, invoice_id: int | None, patient_id: int | None, key: str) -> None:
    ss = st.session_state
    forms.clear_errors(key)
    ss.pop(_done_key(key), None)
    typed = {"amount": ss.get(f"{key}_amount", ""), "method": ss.get(f"{key}_method") or "",
             "reference": ss.get(f"{key}_reference", ""), "user": user}
    try:
        if invoice_id is None:
            payment_id = billing.post_payment_on_account(conn, patient_id=patient_id, **typed)
        else:
            payment_id = billing.post_patient_payment(conn, invoice_id=invoice_id, **typed)
    except ClinicError as exc:
        # Keep what was typed (the widgets keep their keys); only say what is wrong, where.
        forms.set_errors(key, {exc.field if exc.field in FIELDS else "": str(exc)})
        return
    payment = billing.get_payment(conn, payment_id)
    if invoice_id is None:
        message = (f"Payment of {dollars(payment.amount)} posted on account: it is the patient's credit until "
                   "applied to an invoice")
    else:
        message = f"Payment of {dollars(payment.amount)} posted on invoice {invoice_id}"
        if payment.unapplied > 0:
            message += f"; {dollars(payment.unapplied)} more than was due went on the patient's credit"
    ss[_done_key(key)] = message + "."
    ss[f"{key}_amount"] = ""
    ss[f"{key}_reference"] = ""


def payment_form(conn: Connection, user, *, invoice_id: int | None, key: str, patient_id: int | None = None) -> None:
    """Draw the form for a patient's payment on ``invoice_id``, or, when it is None, on account of
    ``patient_id`` (kept as credit: a copay before the invoice is ready). ``key`` prefixes every widget key
    (``{key}_amount``, ``{key}_method``, ``{key}_reference``, ``{key}_post``) and names the form's
    errors (``components.forms``), so several forms can live on one page."""
    amount_col, method_col, ref_col = st.columns([1, 1, 1.4])
    with amount_col:
        st.text_input("Amount", key=f"{key}_amount", placeholder="e.g. 25.00", max_chars=14)
        forms.field_error(key, "amount")
    with method_col:
        st.selectbox("Method", list(rules.PAYMENT_METHODS), key=f"{key}_method",
                     format_func=rules.PAYMENT_METHOD_LABELS.get)
        forms.field_error(key, "method")
    with ref_col:
        st.text_input("Reference", key=f"{key}_reference", placeholder="Check number, card slip… (optional)",
                      max_chars=100)
        forms.field_error(key, "reference")
    st.button("Post payment", key=f"{key}_post", type="primary", icon=":material/payments:",
              on_click=_post, args=(conn, user, invoice_id, patient_id, key))
    forms.form_error(key)
    done = st.session_state.pop(_done_key(key), None)
    if done:
        st.success(done, icon=":material/check_circle:")
    elif invoice_id is not None:
        st.caption("More than the invoice owes goes on the patient's credit.")
