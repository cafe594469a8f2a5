"""Moving between screens with a record in hand (e.g. from the calendar to a patient's file), and
the patient file's address.

The target page reads the id with the matching ``*_target`` function. A patient's file also has
an address of its own, ``/patients?patient=<id>``: :func:`open_patient` goes there, the file
keeps the address in step with the patient it shows (:func:`show_patient_in_address`), so a
refresh, a second tab or a bookmark opens the same file (after signing in, when needed).

Why an id in the URL is acceptable: it is the database's internal row number, not PHI (no name,
birth date, MRN or phone), so browser history and server logs learn only that some record was
opened. Reading the address grants nothing: the Patients page still checks the signed-in role
before reading any data, and every opening is audited like one from the search.
"""

from __future__ import annotations

import streamlit as st

# (page key, file, title, icon) per section. The key is the file stem and the key in
# clinic.access.PAGES; a page appears only for roles allowed to open it.
SECTIONS: dict[str, list[tuple[str, str, str, str]]] = {
    "": [("home", "pages/home.py", "Home", ":material/home:")],
    "Front desk": [
        ("today", "pages/today.py", "Today", ":material/today:"),
        ("calendar", "pages/calendar.py", "Calendar", ":material/calendar_month:"),
        ("patients", "pages/patients.py", "Patients", ":material/folder_shared:"),
        ("intake", "pages/intake.py", "New patient", ":material/person_add:"),
        ("inbox", "pages/inbox.py", "Inbox", ":material/inbox:"),
        ("reminders", "pages/reminders.py", "Reminder calls", ":material/phone_in_talk:"),
        ("waitlist", "pages/waitlist.py", "Waitlist", ":material/hourglass_top:"),
        ("day_sheet", "pages/day_sheet.py", "Day sheet", ":material/assignment:"),
    ],
    "Billing": [
        ("invoices", "pages/invoices.py", "Invoices", ":material/receipt_long:"),
        ("claims", "pages/claims.py", "Claims", ":material/fact_check:"),
        ("ar_aging", "pages/ar_aging.py", "A/R aging", ":material/hourglass_bottom:"),
        ("fee_schedule", "pages/fee_schedule.py", "Fee schedule", ":material/price_change:"),
        ("admin_payers", "pages/admin_payers.py", "Payers", ":material/account_balance:"),
    ],
    "Inventory": [
        ("inventory", "pages/inventory.py", "Stock", ":material/inventory_2:"),
        ("purchase_orders", "pages/purchase_orders.py", "Purchase orders", ":material/local_shipping:"),
        ("vendors", "pages/vendors.py", "Vendors and contractors", ":material/storefront:"),
        ("stock_items", "pages/stock_items.py", "Items and rooms", ":material/category:"),
        ("stock_reports", "pages/stock_reports.py", "Stock charts", ":material/monitoring:"),
    ],
    "Manager": [
        ("analytics", "pages/analytics.py", "Analytics", ":material/insights:"),
        ("explorer", "pages/explorer.py", "Data explorer", ":material/table_view:"),
    ],
    "Admin": [
        ("admin_users", "pages/admin_users.py", "Users", ":material/manage_accounts:"),
        ("admin_schedule", "pages/admin_schedule.py", "Providers and hours", ":material/schedule:"),
        ("audit", "pages/audit.py", "Audit trail", ":material/policy:"),
        ("backups", "pages/backups.py", "Backups", ":material/backup:"),
    ],
}

PATIENT_PARAM = "patient"
_PATIENT = "_nav_patient_id"
_INTAKE = "_nav_intake_patient_id"


def open_patient(patient_id: int) -> None:
    """Go to the patient file of ``patient_id`` (its address carries the id)."""
    st.session_state[_PATIENT] = int(patient_id)
    st.switch_page("pages/patients.py", query_params={PATIENT_PARAM: str(int(patient_id))})


def patient_target() -> int | None:
    """The patient the file should show (set by open_patient or by the file's own search)."""
    return st.session_state.get(_PATIENT)


def set_patient_target(patient_id: int | None) -> None:
    st.session_state[_PATIENT] = patient_id


def patient_in_address() -> str | None:
    """What ``?patient=`` says in the address (as typed, unchecked), or None without one."""
    value = st.query_params.get(PATIENT_PARAM)
    return None if value is None else str(value).strip()


def show_patient_in_address(patient_id: int | None) -> None:
    """Keep the address in step with the open file: ``?patient=<id>``, or nothing when closed."""
    if patient_id is None:
        if PATIENT_PARAM in st.query_params:
            del st.query_params[PATIENT_PARAM]
    elif st.query_params.get(PATIENT_PARAM) != str(int(patient_id)):
        st.query_params[PATIENT_PARAM] = str(int(patient_id))


def edit_intake(patient_id: int | None) -> None:
    """Go to the intake form: for ``patient_id``, or blank for a new patient when None."""
    st.session_state[_INTAKE] = patient_id
    st.switch_page("pages/intake.py")


def intake_target() -> int | None:
    return st.session_state.get(_INTAKE)


def set_intake_target(patient_id: int | None) -> None:
    st.session_state[_INTAKE] = patient_id
