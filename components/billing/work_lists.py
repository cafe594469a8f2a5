"""The ledger's two work lists: completed visits with no invoice (billing leakage), oldest first,
with a button making a visit's draft invoice; and payment plans' overdue instalments, for a call."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from clinic.errors import ClinicError
from components import forms
from components.billing.ledger_view import OPEN
from components.report_cache import cached
from db import Connection, billing, invoice_ledger

UNBILLED = "inv_unbilled"
# Both lists are read on every run of the Invoices page (its tabs all run), and each looks through a
# clinic's history: kept until the next write (components.report_cache).
_ledger, _billing = cached(invoice_ledger), cached(billing)


def _bill(conn: Connection, user, appointment_id: int) -> None:
    forms.clear_errors(UNBILLED)
    try:
        invoice_id = billing.invoice_completed_visit(conn, appointment_id, user=user)
    except ClinicError as exc:
        forms.set_errors(UNBILLED, {"": str(exc)})
        return
    st.session_state[OPEN] = invoice_id
    st.session_state.pop(f"{UNBILLED}_pick", None)
    forms.flash(f"Draft invoice {invoice_id} made for the visit: it is open on the Invoices tab.")


def unbilled(conn: Connection, user, today: date, *, may_bill: bool) -> None:
    visits = _ledger.unbilled(conn, as_of=today)
    if not visits:
        st.success("Every completed visit has its invoice.", icon=":material/check_circle:")
        return
    st.caption(f"{len(visits):,} completed visit(s) with no invoice, oldest first: money the clinic is not asking for.")
    st.dataframe(pd.DataFrame({
        "Visit date": [v.service_date for v in visits],
        "Age (days)": [v.age_days for v in visits],
        "Patient": [v.patient_name for v in visits],
        "Provider": [v.provider_name or "" for v in visits],
        "Visit type": [v.visit_type or "" for v in visits],
    }), hide_index=True, height=300,
        column_config={"Visit date": st.column_config.DateColumn(format="MM/DD/YYYY")})
    if not may_bill:
        return
    by_id = {v.appointment_id: v for v in visits}
    pick_col, button_col = st.columns([3, 1], vertical_alignment="bottom")
    with pick_col:
        chosen = st.selectbox(
            "Visit to bill", list(by_id), key=f"{UNBILLED}_pick",
            format_func=lambda a: f"{by_id[a].service_date:%m/%d/%Y} · {by_id[a].patient_name} · "
                                  f"{by_id[a].visit_type or 'visit'} · {by_id[a].age_days} days ago")
    with button_col:
        st.button("Create draft invoice", key=f"{UNBILLED}_bill", icon=":material/receipt_long:", width="stretch",
                  on_click=_bill, args=(conn, user, chosen))
    forms.form_error(UNBILLED)


def overdue(conn: Connection, today: date) -> None:
    late = _billing.overdue_instalments(conn, as_of=today)
    if not late:
        st.success("No instalment of a payment plan is overdue.", icon=":material/check_circle:")
        return
    names = _ledger.patient_names(conn, tuple(r[1] for r in late))
    st.caption(f"{len(late):,} overdue instalment(s): call the patient.")
    st.dataframe(pd.DataFrame({
        "Due": [due for _plan, _patient, _n, due, _left in late],
        "Days late": [(today - due).days for _plan, _patient, _n, due, _left in late],
        "Patient": [names.get(patient, "") for _plan, patient, _n, _due, _left in late],
        "Plan": [plan for plan, *_rest in late],
        "Instalment": [n for _plan, _patient, n, _due, _left in late],
        "Left to pay": [left for *_rest, left in late],
    }), hide_index=True, column_config={"Due": st.column_config.DateColumn(format="MM/DD/YYYY"),
                                        "Left to pay": st.column_config.NumberColumn(format="dollar")})
