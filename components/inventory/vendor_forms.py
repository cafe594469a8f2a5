"""Vendors and service contractors: their tables, and the forms to add one or change one.

Each save is one call to ``db.vendors`` in the form's submit callback; a refusal shows every wrong
field's message under that field and keeps what was typed (the widgets keep their keys), and
nothing is written. Only managers and admins change them (action ``inventory.vendors``).
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from clinic.errors import ClinicError, NotAllowed, ValidationError
from clinic.intake import display_phone
from clinic.money import money_text
from components import forms
from components.text import md
from db import Connection
from db import vendors as vendors_db

VENDOR_FIELDS = ("name", "contact_person", "phone", "email", "account_number", "lead_time_days", "minimum_order",
                 "notes")
CONTRACTOR_FIELDS = ("name", "service", "contact_person", "phone", "email", "contract_start", "contract_end", "notes")


def _typed(prefix: str, fields: tuple[str, ...]) -> dict:
    ss = st.session_state
    values = {f: ss.get(f"{prefix}{f}") for f in fields}
    if f"{prefix}active" in ss:
        values["active"] = bool(ss[f"{prefix}active"])
    return values


def _refused(form: str, exc: ClinicError) -> None:
    if isinstance(exc, ValidationError):
        forms.set_errors(form, exc.errors)
    else:
        forms.set_errors(form, {exc.field or "": str(exc)})
        if isinstance(exc, NotAllowed):
            st.toast(str(exc), icon=":material/block:")


def _show_unplaced(form: str, fields: tuple[str, ...]) -> None:
    """A message for a field the form does not show (or none), above the form's end."""
    for field, message in forms.errors_for(form).items():
        if field not in fields:
            st.error(message, icon=":material/error:")


# --- vendors -----------------------------------------------------------------------------------------


def vendors_table(conn: Connection) -> None:
    rows = vendors_db.list_vendors(conn, include_inactive=True)
    if not rows:
        st.caption("No vendors yet.")
        return
    st.dataframe(
        pd.DataFrame([{"name": v.name, "contact": v.contact_person or "", "phone": display_phone(v.phone),
                       "email": v.email or "", "account": v.account_number or "", "lead_time": v.lead_time_days,
                       "minimum": money_text(v.minimum_order), "active": v.active} for v in rows]),
        hide_index=True, key="vendors_table",
        column_config={"name": st.column_config.TextColumn("Vendor", width="medium"), "contact": "Contact",
                       "phone": "Phone", "email": "Email", "account": "Our account number",
                       "lead_time": st.column_config.NumberColumn("Lead time (days)"), "minimum": "Minimum order",
                       "active": st.column_config.CheckboxColumn("Active")})


def _save_vendor(conn: Connection, user, form: str, prefix: str, vendor_id: int | None) -> None:
    ss = st.session_state
    try:
        vendors_db.save_vendor(conn, _typed(prefix, VENDOR_FIELDS), user=user, vendor_id=vendor_id)
    except ClinicError as exc:
        _refused(form, exc)
        return
    forms.clear_errors(form)
    name = " ".join(str(ss.get(f"{prefix}name", "")).split())
    if vendor_id is None:
        forms.flash(f"Added {md(name)}.")
        ss["_vendor_form_generation"] = ss.get("_vendor_form_generation", 0) + 1  # an empty add form
    else:
        forms.flash(f"Saved {md(name)}.")
        ss["edit_vendor_id"] = vendor_id


def _vendor_fields(form: str, prefix: str, vendor: vendors_db.Vendor | None) -> None:
    st.text_input("Name", value=vendor.name if vendor else "", key=f"{prefix}name", max_chars=120)
    forms.field_error(form, "name")
    st.text_input("Contact person", value=(vendor.contact_person or "") if vendor else "",
                  key=f"{prefix}contact_person", max_chars=120)
    st.text_input("Phone", value=display_phone(vendor.phone) if vendor else "", key=f"{prefix}phone", max_chars=40)
    forms.field_error(form, "phone")
    st.text_input("Email", value=(vendor.email or "") if vendor else "", key=f"{prefix}email", max_chars=254)
    forms.field_error(form, "email")
    st.text_input("Our account number", value=(vendor.account_number or "") if vendor else "",
                  key=f"{prefix}account_number", max_chars=60, help="Printed on purchase orders.")
    st.number_input("Lead time (days)", min_value=0, max_value=vendors_db.MAX_LEAD_TIME_DAYS, step=1,
                    value=vendor.lead_time_days if vendor else 7, key=f"{prefix}lead_time_days",
                    help="Days from ordering to delivery. Suggested orders cover the use during it.")
    forms.field_error(form, "lead_time_days")
    st.text_input("Minimum order ($)", value=f"{vendor.minimum_order:.2f}" if vendor else "",
                  key=f"{prefix}minimum_order", max_chars=12, help="Empty or 0 when they have none.")
    forms.field_error(form, "minimum_order")
    st.text_area("Notes", value=(vendor.notes or "") if vendor else "", key=f"{prefix}notes", max_chars=2000,
                 height=80)


def vendor_forms(conn: Connection, user) -> None:
    add_col, edit_col = st.columns(2, gap="large")
    with add_col:
        st.subheader("Add a vendor", divider="gray")
        form = "add_vendor"
        prefix = f"new_vendor_{st.session_state.get('_vendor_form_generation', 0)}_"
        with st.form(form):
            _vendor_fields(form, prefix, None)
            st.form_submit_button("Add vendor", type="primary", icon=":material/add:", on_click=_save_vendor,
                                  args=(conn, user, form, prefix, None))
        _show_unplaced(form, VENDOR_FIELDS)
    with edit_col:
        st.subheader("Change a vendor", divider="gray")
        known = {v.id: v for v in vendors_db.list_vendors(conn, include_inactive=True)}
        if not known:
            st.caption("No vendors yet.")
            return
        form = "edit_vendor"
        chosen_id = st.selectbox("Vendor", list(known), key="edit_vendor_id", on_change=forms.clear_errors,
                                 args=(form,),
                                 format_func=lambda i: known[i].name + ("" if known[i].active else " (inactive)"))
        chosen = known.get(chosen_id) or next(iter(known.values()))
        prefix = f"vendor_{chosen.id}_"
        with st.form(form):
            _vendor_fields(form, prefix, chosen)
            st.checkbox("Active (can be ordered from)", value=chosen.active, key=f"{prefix}active")
            st.form_submit_button("Save vendor", type="primary", icon=":material/save:", on_click=_save_vendor,
                                  args=(conn, user, form, prefix, chosen.id))
        _show_unplaced(form, VENDOR_FIELDS)


# --- service contractors -----------------------------------------------------------------------------


def contracts_due_notice(conn: Connection, today: date) -> None:
    due = vendors_db.contracts_due(conn, today=today)
    if not due:
        return
    lines = [f"- **{md(c.name)}** ({md(c.service)}): " + (f"ended {c.contract_end:%m/%d/%Y}" if c.contract_end < today
                                                         else f"ends {c.contract_end:%m/%d/%Y}") for c in due]
    st.warning("Contracts to renew (listed from 60 days before they end):\n" + "\n".join(lines),
               icon=":material/event_repeat:")


def contractors_table(conn: Connection, today: date) -> None:
    rows = vendors_db.list_contractors(conn, include_inactive=True)
    if not rows:
        st.caption("No service contractors yet.")
        return
    st.dataframe(
        pd.DataFrame([{"name": c.name, "service": c.service, "contact": c.contact_person or "",
                       "phone": display_phone(c.phone), "email": c.email or "", "start": c.contract_start,
                       "end": c.contract_end, "renewal_due": c.renewal_due(today), "active": c.active} for c in rows]),
        hide_index=True, key="contractors_table",
        column_config={"name": st.column_config.TextColumn("Contractor", width="medium"), "service": "Service",
                       "contact": "Contact", "phone": "Phone", "email": "Email",
                       "start": st.column_config.DateColumn("Contract start", format="MM/DD/YYYY"),
                       "end": st.column_config.DateColumn("Contract end", format="MM/DD/YYYY"),
                       "renewal_due": st.column_config.CheckboxColumn(
                           "Renewal due", help="From 60 days before the contract ends, until it is renewed."),
                       "active": st.column_config.CheckboxColumn("Active")})


def _save_contractor(conn: Connection, user, form: str, prefix: str, contractor_id: int | None) -> None:
    ss = st.session_state
    try:
        vendors_db.save_contractor(conn, _typed(prefix, CONTRACTOR_FIELDS), user=user, contractor_id=contractor_id)
    except ClinicError as exc:
        _refused(form, exc)
        return
    forms.clear_errors(form)
    name = " ".join(str(ss.get(f"{prefix}name", "")).split())
    if contractor_id is None:
        forms.flash(f"Added {md(name)}.")
        # A new generation of the add form: empty widgets, no stale dates.
        ss["_contractor_form_generation"] = ss.get("_contractor_form_generation", 0) + 1
    else:
        forms.flash(f"Saved {md(name)}.")
        ss["edit_contractor_id"] = contractor_id


def _contractor_fields(form: str, prefix: str, c: vendors_db.Contractor | None) -> None:
    st.text_input("Name", value=c.name if c else "", key=f"{prefix}name", max_chars=120)
    forms.field_error(form, "name")
    st.text_input("Service", value=c.service if c else "", key=f"{prefix}service", max_chars=120,
                  placeholder="Cleaning, equipment maintenance, waste disposal...")
    forms.field_error(form, "service")
    st.text_input("Contact person", value=(c.contact_person or "") if c else "", key=f"{prefix}contact_person",
                  max_chars=120)
    st.text_input("Phone", value=display_phone(c.phone) if c else "", key=f"{prefix}phone", max_chars=40)
    forms.field_error(form, "phone")
    st.text_input("Email", value=(c.email or "") if c else "", key=f"{prefix}email", max_chars=254)
    forms.field_error(form, "email")
    cols = st.columns(2)
    with cols[0]:
        st.date_input("Contract start", value=c.contract_start if c else None, key=f"{prefix}contract_start",
                      format="MM/DD/YYYY", min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))
        forms.field_error(form, "contract_start")
    with cols[1]:
        st.date_input("Contract end", value=c.contract_end if c else None, key=f"{prefix}contract_end",
                      format="MM/DD/YYYY", min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))
        forms.field_error(form, "contract_end")
    st.text_area("Notes", value=(c.notes or "") if c else "", key=f"{prefix}notes", max_chars=2000, height=80)


def contractor_forms(conn: Connection, user) -> None:
    add_col, edit_col = st.columns(2, gap="large")
    with add_col:
        st.subheader("Add a contractor", divider="gray")
        form = "add_contractor"
        prefix = f"new_contractor_{st.session_state.get('_contractor_form_generation', 0)}_"
        with st.form(form):
            _contractor_fields(form, prefix, None)
            st.form_submit_button("Add contractor", type="primary", icon=":material/add:", on_click=_save_contractor,
                                  args=(conn, user, form, prefix, None))
        _show_unplaced(form, CONTRACTOR_FIELDS)
    with edit_col:
        st.subheader("Change a contractor", divider="gray")
        known = {c.id: c for c in vendors_db.list_contractors(conn, include_inactive=True)}
        if not known:
            st.caption("No contractors yet.")
            return
        form = "edit_contractor"
        chosen_id = st.selectbox("Contractor", list(known), key="edit_contractor_id", on_change=forms.clear_errors,
                                 args=(form,), format_func=lambda i: f"{known[i].name} · {known[i].service}"
                                 + ("" if known[i].active else " (inactive)"))
        chosen = known.get(chosen_id) or next(iter(known.values()))
        prefix = f"contractor_{chosen.id}_"
        with st.form(form):
            _contractor_fields(form, prefix, chosen)
            st.checkbox("Active", value=chosen.active, key=f"{prefix}active")
            st.form_submit_button("Save contractor", type="primary", icon=":material/save:",
                                  on_click=_save_contractor, args=(conn, user, form, prefix, chosen.id))
        _show_unplaced(form, CONTRACTOR_FIELDS)
