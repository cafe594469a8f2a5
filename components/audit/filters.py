"""The audit report's filters: the period (clinic-local days, the last 7 by default), the user,
the action, the data category, the outcome and one patient, and the sort (a key of
db.audit_report.SORTS). They give a :class:`db.audit_report.Filters` (the period as UTC instants),
the sort and a sentence saying what it covers.
"""

from __future__ import annotations

from datetime import date, timedelta

import streamlit as st

from clinic import timeutil
from components.patient_search import patient_search
from components.text import md
from db import Connection, audit_report, patients

PATIENT = "audit_f_patient"
DATES = "audit_f_dates"
DEFAULT_DAYS = 7

CATEGORY_LABELS = {c: c.capitalize() for c in audit_report.categories()}
OUTCOME_LABELS = {"success": "Success", "failure": "Failure", "refused": "Refused"}
SORT_LABELS = {"newest": "Newest first", "oldest": "Oldest first", "user": "User", "action": "Action",
               "category": "Category", "outcome": "Outcome", "patient": "Patient"}


def _clear_patient() -> None:
    st.session_state.pop(PATIENT, None)


def period_days(today: date) -> tuple[date, date]:
    """The first and last clinic-local day of the period picked (both included)."""
    picked = st.session_state.get(DATES) or ()
    if isinstance(picked, date):
        picked = (picked,)
    if not picked:
        return today - timedelta(days=DEFAULT_DAYS - 1), today
    return picked[0], picked[-1]


def filters(conn: Connection, today: date, tz: str) -> tuple[audit_report.Filters, str, str]:
    """Draw the filters and the sort; return what they select, the sort key and a caption of it."""
    period_col, user_col, action_col = st.columns([1.2, 1.4, 1.4])
    with period_col:
        st.date_input("Period", value=(today - timedelta(days=DEFAULT_DAYS - 1), today), key=DATES,
                      format="MM/DD/YYYY", help="Clinic-local days, both included.")
    first, last = period_days(today)
    names = dict(audit_report.users(conn))
    with user_col:
        user = st.selectbox("User", [None, *names], key="audit_f_user",
                            format_func=lambda u: "Everyone" if u is None else (
                                f"{u} ({names[u]})" if names.get(u) else u))
    with action_col:
        action = st.selectbox("Action", [None, *audit_report.actions(conn)], key="audit_f_action",
                              format_func=lambda a: "Every action" if a is None else a)
    category_col, outcome_col, sort_col = st.columns([1.2, 1.4, 1.4])
    with category_col:
        category = st.selectbox("Category", [None, *CATEGORY_LABELS], key="audit_f_category",
                                format_func=lambda c: "Every category" if c is None else CATEGORY_LABELS[c])
    with outcome_col:
        outcome = st.selectbox("Outcome", [None, *OUTCOME_LABELS], key="audit_f_outcome",
                               format_func=lambda o: "Any outcome" if o is None else OUTCOME_LABELS[o])
    with sort_col:
        sort = st.selectbox("Sort by", list(SORT_LABELS), format_func=SORT_LABELS.get, key="audit_sort")

    picked = patient_search("audit_f_patient_find", label="Patient", button_label="Only this patient",
                            icon=":material/filter_alt:", limit=8)
    if picked is not None:
        st.session_state[PATIENT] = picked
    patient_id = st.session_state.get(PATIENT)
    about = ""
    if patient_id is not None:
        record = patients.get(conn, patient_id)
        name_col, button_col = st.columns([4, 1], vertical_alignment="center")
        name_col.markdown(f"Only rows about **{md(record.display_name)}** (MRN {md(record.mrn)})")
        button_col.button("All patients", key="audit_f_patient_clear", icon=":material/close:",
                          on_click=_clear_patient)
        about = f", about MRN {md(record.mrn)}"

    since, _ = timeutil.day_bounds(first, tz)
    _, until = timeutil.day_bounds(max(first, last), tz)
    chosen = audit_report.Filters(since=since, until=until, user=user, patient_id=patient_id, action=action,
                                  category=category, outcome=outcome)
    span = f"{first:%m/%d/%Y}" if first == last else f"{first:%m/%d/%Y} to {last:%m/%d/%Y}"
    return chosen, sort, f"{span}{about}"
