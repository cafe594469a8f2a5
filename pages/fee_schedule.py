"""Billing › Fee schedule (billing, manager, admin): the clinic's prices by procedure code, each with
the dates it is in force; add a price, change one, take one out of use; and each visit type's
default invoice lines, the draft that completing a visit of that type creates."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from clinic import timeutil
from clinic.access import can_do
from clinic.errors import ClinicError, NotAllowed, ValidationError
from clinic.money import money_text
from components import forms
from components.db_session import get_conn
from components.frame import require
from components.text import md
from db import fees, settings, visit_types

user = require("fee_schedule")
conn = get_conn()
today = timeutil.today(settings.get(conn, "timezone"))
may_manage = can_do(user.role, "billing.fees")

ADD, EDIT, LINES = "add_fee", "edit_fee", "visit_type_lines"
FIELDS = ("code", "description", "price", "effective_from", "effective_to")


def refused(form: str, exc: ClinicError) -> None:
    """Keep the messages of a refused save for the next run (what was typed stays in its widgets)."""
    forms.set_errors(form, exc.errors if isinstance(exc, ValidationError) else {exc.field or "": str(exc)})
    if isinstance(exc, NotAllowed):
        st.toast(str(exc), icon=":material/block:")


def save(form: str, prefix: str, *, fee_id: int | None = None, active: bool = True) -> bool:
    state = st.session_state
    try:
        fees.save_fee(conn, code=state.get(f"{prefix}code", ""), description=state.get(f"{prefix}description", ""),
                      price=state.get(f"{prefix}price", ""), effective_from=state.get(f"{prefix}from"),
                      effective_to=state.get(f"{prefix}to"), active=active, fee_id=fee_id, user=user)
    except ClinicError as exc:
        refused(form, exc)
        return False
    forms.clear_errors(form)
    return True


def add_fee() -> None:
    state = st.session_state
    if save(ADD, "new_fee_"):
        forms.flash(f"Added a price for {md(state['new_fee_code'].strip().upper())}.")
        # Set, not popped: a popped key would leave the old text showing in the browser.
        state.update(new_fee_code="", new_fee_description="", new_fee_price="", new_fee_to=None)


def change_fee(fee_id: int) -> None:
    prefix = f"fee_{fee_id}_"
    if save(EDIT, prefix, fee_id=fee_id, active=bool(st.session_state.get(f"{prefix}active", True))):
        forms.flash(f"Saved the price of {md(st.session_state[f'{prefix}code'].strip().upper())}.")


def deactivate(fee_id: int, code: str) -> None:
    try:
        fees.deactivate_fee(conn, fee_id, user=user)
    except ClinicError as exc:
        refused(EDIT, exc)
        return
    forms.clear_errors(EDIT)
    # The checkbox of the edit form shows the new state on the next run.
    st.session_state[f"fee_{fee_id}_active"] = False
    forms.flash(f"{md(code)} ({fee_id}) is out of use: new invoices no longer get this price.")


def fee_fields(form: str, prefix: str, fee: fees.Fee | None = None) -> None:
    """The fields of one price, inside ``form``; each with its error under it."""
    st.text_input("Procedure code", value=fee.code if fee else "", key=f"{prefix}code", max_chars=7,
                  help="HCPCS Level II (e.g. J1100) or the practice's own code: 3 to 7 letters and digits.")
    forms.field_error(form, "code")
    st.text_input("Description", value=fee.description if fee else "", key=f"{prefix}description", max_chars=200)
    forms.field_error(form, "description")
    st.text_input("Price ($)", value=str(fee.price) if fee else "", key=f"{prefix}price", max_chars=12,
                  placeholder="120.00")
    forms.field_error(form, "price")
    start, end = st.columns(2)
    with start:
        st.date_input("In force from", value=fee.effective_from if fee else today, key=f"{prefix}from",
                      format="MM/DD/YYYY")
        forms.field_error(form, "effective_from")
    with end:
        st.date_input("Until (empty: until further notice)", value=fee.effective_to if fee else None,
                      key=f"{prefix}to", format="MM/DD/YYYY")
        forms.field_error(form, "effective_to")


st.title("Fee schedule")
st.caption("The clinic's prices. A new price for a code starts on a date; the old one is given an end date "
           "(periods of a code may not overlap), so earlier visits keep the price of their day.")
forms.show_flashes()

# --- the list --------------------------------------------------------------------------------------

show_inactive = st.checkbox("Show prices out of use", key="fees_show_inactive")
all_fees = fees.list_fees(conn, include_inactive=True)
in_force = {f.id for f in fees.list_fees(conn, on=today)}
shown = [f for f in all_fees if f.active or show_inactive]
st.dataframe(
    pd.DataFrame(
        [{"code": f.code, "description": f.description, "price": money_text(f.price), "active": f.active,
          "today": f.id in in_force, "from": f.effective_from, "to": f.effective_to} for f in shown],
        columns=["code", "description", "price", "active", "today", "from", "to"],
    ),
    hide_index=True,
    key="fees_table",
    column_config={
        "code": "Code",
        "description": st.column_config.TextColumn("Description", width="large"),
        "price": "Price",
        "active": st.column_config.CheckboxColumn("Active"),
        "today": st.column_config.CheckboxColumn("In force today", help="The price a visit today is billed."),
        "from": st.column_config.DateColumn("From", format="MM/DD/YYYY"),
        "to": st.column_config.DateColumn("Until", format="MM/DD/YYYY", help="Empty: until further notice."),
    },
)
if not shown:
    st.caption("No prices yet: add the first one below.")

if not may_manage:
    st.caption("Your role cannot change the fee schedule.")
    st.stop()

# --- add and change a price --------------------------------------------------------------------------

add_col, edit_col = st.columns(2, gap="large")

with add_col:
    st.subheader("Add a price", divider="gray")
    with st.form(ADD):
        fee_fields(ADD, "new_fee_")
        st.form_submit_button("Add price", type="primary", icon=":material/add:", on_click=add_fee)
    forms.form_error(ADD)

with edit_col:
    st.subheader("Change a price", divider="gray")
    known = {f.id: f for f in all_fees}
    if not known:
        st.caption("No prices yet.")
    else:
        def fee_label(fee_id: int) -> str:
            fee = known[fee_id]
            return (f"{fee.code} · {money_text(fee.price)} · from {fee.effective_from:%m/%d/%Y}"
                    + ("" if fee.active else " (out of use)"))

        chosen_id = st.selectbox("Price", list(known), key="edit_fee_id", on_change=forms.clear_errors, args=(EDIT,),
                                 format_func=fee_label)
        chosen = known.get(chosen_id) or next(iter(known.values()))
        prefix = f"fee_{chosen.id}_"
        # Keys carry the fee's id, so choosing another price shows its own values.
        with st.form(EDIT):
            fee_fields(EDIT, prefix, chosen)
            st.checkbox("Active (new invoices get this price)", value=chosen.active, key=f"{prefix}active")
            st.form_submit_button("Save changes", type="primary", icon=":material/save:", on_click=change_fee,
                                  args=(chosen.id,))
        forms.form_error(EDIT)
        if chosen.active:
            st.button("Take this price out of use", key=f"{prefix}deactivate", icon=":material/block:",
                      on_click=deactivate, args=(chosen.id, chosen.code),
                      help="It stays in the list, inactive. A visit completed afterwards no longer gets it.")

# --- each visit type's default lines ---------------------------------------------------------------

st.subheader("What each visit type bills", divider="gray")
st.caption("Completing a visit creates a draft invoice with its visit type's lines, priced from this schedule "
           "on the visit's day. The clerk can still change the draft.")
types = {t.id: t for t in visit_types.list_all(conn)}
if not types:
    st.caption("No visit types yet (Admin › Schedule).")
    st.stop()
type_id = st.selectbox("Visit type", list(types), key="fee_visit_type", on_change=forms.clear_errors, args=(LINES,),
                       format_func=lambda i: types[i].name + ("" if types[i].active else " (inactive)"))
visit_type = types[type_id]
if visit_type.default_fee_code:
    st.markdown(f"First line: **{md(visit_type.default_fee_code)}**, the visit type's own code "
                "(set with the visit type on Admin › Schedule).")
else:
    st.markdown("This visit type has no code of its own (Admin › Schedule); only the lines below are billed.")

# A new editor key after each save, so the saved lines are shown instead of the edits replayed on them.
generation = st.session_state.setdefault("_fee_lines_generation", 0)
editor_key = f"vt_lines_{type_id}_{generation}"
edited = st.data_editor(
    pd.DataFrame(fees.visit_type_lines(conn, type_id), columns=["code", "quantity"]),
    num_rows="dynamic", hide_index=True, key=editor_key,
    column_config={
        "code": st.column_config.TextColumn("Further line: code", max_chars=7),
        "quantity": st.column_config.NumberColumn("Quantity", min_value=1, max_value=999, step=1, default=1),
    },
)
forms.field_error(LINES, "lines")
if st.button("Save the lines", key="save_visit_type_lines", icon=":material/save:"):
    rows = [(code, quantity) for code, quantity in edited[["code", "quantity"]].itertuples(index=False)
            if not (pd.isna(code) or str(code).strip() == "") or not pd.isna(quantity)]
    try:
        fees.set_visit_type_lines(conn, type_id, rows, user=user)
    except ClinicError as exc:
        refused(LINES, exc)
    else:
        forms.clear_errors(LINES)
        st.session_state["_fee_lines_generation"] = generation + 1
        forms.flash(f"Saved what a {md(visit_type.name)} visit bills.")
    st.rerun()
forms.form_error(LINES)

preview = fees.preview_lines(conn, type_id, today)
if preview:
    st.caption(f"A {md(visit_type.name)} visit completed today is billed:")
    st.dataframe(
        pd.DataFrame(
            [{"code": x.code, "description": x.description or "Not in the fee schedule today: the clerk sets the price",
              "quantity": x.quantity, "unit_price": money_text(x.unit_price)} for x in preview],
            columns=["code", "description", "quantity", "unit_price"],
        ),
        hide_index=True, key="fee_lines_preview",
        column_config={"code": "Code", "description": st.column_config.TextColumn("Description", width="large"),
                       "quantity": "Quantity", "unit_price": "Unit price"},
    )
else:
    st.caption(f"A {md(visit_type.name)} visit bills nothing yet: its draft invoice starts empty.")
