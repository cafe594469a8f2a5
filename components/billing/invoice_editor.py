"""A draft invoice's lines, edited one by one: procedure code (the fee schedule's on the service
date, or any code with a price typed), description, quantity, unit price and up to 4 ICD-10-CM
codes, a diagnosis lookup, removing a line, adding one, and finalising the invoice.

Each save sends back the invoice's version as the clerk saw it (``db.invoices`` refuses a stale
one). A refused save shows every bad field's message under that field and keeps what was typed;
nothing is written. Writes run in button callbacks, so the page drawn next shows the new lines.
"""

from __future__ import annotations

import streamlit as st

from clinic.errors import ClinicError, StaleRecord, ValidationError
from clinic.money import money_text
from components import forms
from components.text import md
from db import Connection, billing, diagnoses
from db.invoices import Invoice, InvoiceLine

MAX_DX = 4
LINE_FIELDS = ("code", "description", "quantity", "unit_price", "diagnoses", "modifiers")
STALE = "Someone changed this invoice meanwhile: the lines below are the current ones. Check them and save again."


def line_form(invoice_id: int, line_id: int | str) -> str:
    return f"inv{invoice_id}_line{line_id}"


def _k(form: str, field: str) -> str:
    return f"{form}_{field}"


def _show_error(form: str, exc: ClinicError) -> None:
    if isinstance(exc, ValidationError):
        forms.set_errors(form, {f if f in LINE_FIELDS else "": m for f, m in exc.errors.items()})
    elif isinstance(exc, StaleRecord):
        forms.set_errors(form, {"": STALE})
    else:
        forms.set_errors(form, {exc.field if exc.field in LINE_FIELDS else "": str(exc)})


def _typed(form: str) -> dict:
    ss = st.session_state
    return {
        "code": ss.get(_k(form, "code"), ""),
        "description": ss.get(_k(form, "description"), ""),
        "quantity": ss.get(_k(form, "quantity"), ""),
        "unit_price": ss.get(_k(form, "unit_price"), ""),
        "diagnoses": [ss.get(_k(form, f"dx{n}"), "") for n in range(1, MAX_DX + 1)],
    }


def _forget(form: str) -> None:
    """Drop the form's widget values so the next run fills them from the saved line."""
    for field in ("fee", "code", "description", "quantity", "unit_price", *(f"dx{n}" for n in range(1, MAX_DX + 1))):
        st.session_state.pop(_k(form, field), None)


def _save_line(conn: Connection, user, invoice_id: int, line_id: int, version: int) -> None:
    form = line_form(invoice_id, line_id)
    forms.clear_errors(form)
    typed = _typed(form)
    try:
        billing.update_line(conn, line_id, code=typed["code"], quantity=typed["quantity"],
                            unit_price=typed["unit_price"], description=typed["description"],
                            diagnoses=typed["diagnoses"], version=version, user=user)
    except ClinicError as exc:
        _show_error(form, exc)
        return
    _forget(form)
    forms.flash(f"Line saved on invoice {invoice_id}.")


def _remove_line(conn: Connection, user, invoice_id: int, line_id: int, version: int) -> None:
    form = line_form(invoice_id, line_id)
    forms.clear_errors(form)
    try:
        billing.remove_line(conn, line_id, version=version, user=user)
    except ClinicError as exc:
        _show_error(form, exc)
        return
    _forget(form)
    forms.flash(f"Line removed from invoice {invoice_id}.")


def _add_line(conn: Connection, user, invoice_id: int, version: int) -> None:
    form = line_form(invoice_id, "new")
    forms.clear_errors(form)
    typed = _typed(form)
    try:
        # A blank price or description takes the fee schedule's for the code on the service date.
        billing.add_line(conn, invoice_id, code=typed["code"], quantity=typed["quantity"] or 1,
                         unit_price=typed["unit_price"] or None, description=typed["description"] or None,
                         diagnoses=typed["diagnoses"], version=version, user=user)
    except ClinicError as exc:
        _show_error(form, exc)
        return
    _forget(form)
    forms.flash(f"Line added to invoice {invoice_id}.")


def _finalise(conn: Connection, user, invoice_id: int) -> None:
    form = f"inv{invoice_id}_finalise"
    forms.clear_errors(form)
    try:
        billing.finalize_invoice(conn, invoice_id, user=user)
    except ClinicError as exc:
        forms.set_errors(form, {"": str(exc)})
        return
    forms.flash(f"Invoice {invoice_id} finalised: it is open for payment and can be claimed.")


def _pick_fee(form: str, fees: dict[str, tuple[str, str]]) -> None:
    """A code chosen from the fee schedule fills the code, description and price (still editable)."""
    code = st.session_state.get(_k(form, "fee"))
    if code in fees:
        description, price = fees[code]
        st.session_state[_k(form, "code")] = code
        st.session_state[_k(form, "description")] = description
        st.session_state[_k(form, "unit_price")] = price


def _fields(form: str, line: InvoiceLine | None, fee_codes: dict[str, str]) -> None:
    """The line's inputs, filled from the saved line the first time they are drawn."""
    ss = st.session_state
    if line is not None and _k(form, "code") not in ss:
        ss[_k(form, "code")] = line.code
        ss[_k(form, "description")] = line.description
        ss[_k(form, "quantity")] = str(line.quantity)
        ss[_k(form, "unit_price")] = f"{line.unit_price:.2f}"
        for n in range(1, MAX_DX + 1):
            ss[_k(form, f"dx{n}")] = line.diagnoses[n - 1] if n <= len(line.diagnoses) else ""
    code_col, desc_col, qty_col, price_col = st.columns([1.1, 3, 0.7, 1])
    with code_col:
        st.text_input("Code", key=_k(form, "code"), max_chars=7,
                      placeholder="e.g. 99213" if line is None else None,
                      help="A procedure code. In the fee schedule: " + (", ".join(sorted(fee_codes)) or "none yet")
                      if line is None else None)
        forms.field_error(form, "code")
    with desc_col:
        st.text_input("Description", key=_k(form, "description"), max_chars=200,
                      placeholder="Blank: the fee schedule's" if line is None else None)
        forms.field_error(form, "description")
    with qty_col:
        st.text_input("Qty", key=_k(form, "quantity"), max_chars=3, placeholder="1" if line is None else None)
        forms.field_error(form, "quantity")
    with price_col:
        st.text_input("Unit price", key=_k(form, "unit_price"), max_chars=14,
                      placeholder="Blank: the fee schedule's" if line is None else None)
        forms.field_error(form, "unit_price")
    for n, col in enumerate(st.columns(MAX_DX), start=1):
        with col:
            st.text_input(f"Diagnosis {n}", key=_k(form, f"dx{n}"), max_chars=8,
                          placeholder="ICD-10-CM, e.g. I10" if n == 1 else None)
    forms.field_error(form, "diagnoses")
    forms.field_error(form, "modifiers")


@st.cache_resource(show_spinner=False)
def _warm_diagnosis_list(_conn: Connection) -> None:
    """Once per server process, as soon as someone may edit a draft: load the ICD-10-CM list on a
    background thread (the package parses it for seconds), so the first check or search is quick."""
    diagnoses.load_in_background(_conn)


def _lookup(conn: Connection, invoice_id: int) -> None:
    text = st.text_input("Look up a diagnosis code", key=f"inv{invoice_id}_dx_lookup", max_chars=60,
                         placeholder="Code or words, e.g. E11 or type 2 diabetes")
    if not text.strip():
        return
    found = diagnoses.search(conn, text, limit=12)
    if not found:
        st.caption("No billable ICD-10-CM code matches.")
        return
    st.markdown("  \n".join(f"`{code}` {md(description)}" for code, description in found))


def draft_editor(conn: Connection, user, invoice: Invoice, *, may_edit: bool) -> None:
    """The lines of a draft invoice, editable when ``may_edit``, and the Finalise button."""
    if may_edit:
        _warm_diagnosis_list(conn)
    fees = {f.code: (f.description, f"{f.price:.2f}") for f in billing.list_fees(conn, on=invoice.service_date)}
    fee_codes = {code: description for code, (description, _price) in fees.items()}
    lines = billing.lines(conn, invoice.id)
    st.markdown(f"**Lines** · {md(money_text(invoice.lines_total))} in all (billed when finalised)")
    if not lines:
        st.caption("No lines yet: add the services given.")
    for line in lines:
        form = line_form(invoice.id, line.id)
        with st.container(border=True, key=f"{form}_box"):
            if not may_edit:
                dx = ", ".join(line.diagnoses) or "no diagnosis"
                st.markdown(f"`{md(line.code)}` {md(line.description)} · {line.quantity} × "
                            f"{md(money_text(line.unit_price))} = **{md(money_text(line.amount))}** · {md(dx)}")
                continue
            _fields(form, line, fee_codes)
            save_col, remove_col, _rest = st.columns([1, 1, 3])
            save_col.button("Save line", key=f"{form}_save", icon=":material/save:", width="stretch",
                            on_click=_save_line, args=(conn, user, invoice.id, line.id, invoice.version))
            remove_col.button("Remove", key=f"{form}_remove", icon=":material/delete:", width="stretch",
                              on_click=_remove_line, args=(conn, user, invoice.id, line.id, invoice.version))
            forms.form_error(form)
    if not may_edit:
        return
    form = line_form(invoice.id, "new")
    with st.expander("Add a line", expanded=not lines, icon=":material/add:"):
        if fees:
            st.selectbox("From the fee schedule", list(fees), key=_k(form, "fee"), index=None,
                         placeholder="Choose a code to fill the line", on_change=_pick_fee, args=(form, fees),
                         format_func=lambda c: f"{c} · {fees[c][0]} · {money_text(fees[c][1])}")
        _fields(form, None, fee_codes)
        st.button("Add line", key=f"{form}_save", icon=":material/add:",
                  on_click=_add_line, args=(conn, user, invoice.id, invoice.version))
        forms.form_error(form)
    _lookup(conn, invoice.id)
    st.button("Finalise invoice", key=f"inv{invoice.id}_finalise_button", type="primary", icon=":material/lock:",
              on_click=_finalise, args=(conn, user, invoice.id),
              help="The lines are then fixed and the invoice is open for payment and claims.")
    forms.form_error(f"inv{invoice.id}_finalise")
