"""The Clinic details tab: the practice's name, postal address and phone, as invoices and
statements print them (and as the sidebar and day sheets show the name); and its identity on
electronic claims (NPI, tax ID, billing address, clearinghouse IDs)."""

from __future__ import annotations

import streamlit as st

from clinic import practice
from clinic.access import can_do
from clinic.errors import ClinicError
from components import forms
from components.schedule_admin.shared import Screen, fail, succeed
from db import settings

FORM = "clinic_details"
CLAIMS_FORM = "claim_identity"


def draw(screen: Screen) -> None:
    current = settings.get_all(screen.conn)
    if not can_do(screen.user.role, "settings.manage"):
        st.caption("Only an administrator changes these.")
        st.markdown(f"**{current['clinic_name']}**")
        st.text(current.get("clinic_address") or "No address set.")
        st.text(current.get("clinic_phone") or "No phone set.")
        return
    _details_form(screen, current)
    _claim_identity_form(screen, current)


def _details_form(screen: Screen, current: dict[str, str]) -> None:
    with st.form(FORM):
        name = st.text_input("Practice name", value=current["clinic_name"], key="clinic_details_name",
                             help="As patients should see it on invoices and statements.")
        forms.field_error(FORM, "name")
        address = st.text_area("Postal address", value=current.get("clinic_address", ""), key="clinic_details_address",
                               height=110, help="Up to four lines. Checks are mailed here.")
        forms.field_error(FORM, "address")
        phone = st.text_input("Billing phone", value=current.get("clinic_phone", ""), key="clinic_details_phone",
                              help="Printed on statements for questions and card payments.")
        forms.field_error(FORM, "phone")
        save = st.form_submit_button("Save clinic details", type="primary")
    forms.form_error(FORM)
    if not save:
        return
    try:
        settings.save_clinic_details(screen.conn, name=name, address=address, phone=phone, by=screen.user)
    except ClinicError as exc:
        fail(FORM, exc)
    else:
        succeed(FORM, "Clinic details saved. New invoices and statements print them.",
                forget=("clinic_details_name", "clinic_details_address", "clinic_details_phone"))


def _claim_identity_form(screen: Screen, current: dict[str, str]) -> None:
    st.subheader("Electronic claims", divider="gray")
    missing = practice.missing_identity(current)
    if missing:
        st.caption("Claims cannot be sent as 837P files until these are filled in: " + ", ".join(missing) + ".")
    else:
        st.caption("837P claim files name the practice with these. Each provider's own NPI is on the Providers tab.")
    values: dict[str, object] = {}
    with st.form(CLAIMS_FORM):
        left, right = st.columns(2)
        with left:
            _text(values, current, "billing_npi", "Group NPI", "The practice's (type 2) NPI: the billing provider.")
            _text(values, current, "billing_tax_id", "Tax ID (EIN)", "9 digits, e.g. 12-3456789.")
            _text(values, current, "billing_taxonomy", "Taxonomy code (optional)", "e.g. 207Q00000X family medicine.")
            _text(values, current, "billing_street", "Billing street address", "A street address: not a PO box.")
            city, state, zip_ = st.columns([3, 1, 2])
            with city:
                _text(values, current, "billing_city", "City")
            with state:
                _text(values, current, "billing_state", "State")
            with zip_:
                _text(values, current, "billing_zip", "ZIP+4", "Claims need all 9 digits.")
            pos = list(practice.PLACES_OF_SERVICE)
            values["place_of_service"] = st.selectbox(
                "Place of service", pos, format_func=practice.PLACES_OF_SERVICE.get, key="claim_identity_place_of_service",
                index=pos.index(current["place_of_service"]) if current.get("place_of_service") in pos else 0)
            forms.field_error(CLAIMS_FORM, "place_of_service")
        with right:
            _text(values, current, "x12_submitter_id", "Submitter ID", "The ID your clearinghouse gave the practice.")
            _text(values, current, "x12_contact_name", "Contact name", "Who the clearinghouse calls about a file.")
            _text(values, current, "x12_contact_phone", "Contact phone")
            _text(values, current, "x12_receiver_name", "Clearinghouse name")
            _text(values, current, "x12_receiver_id", "Clearinghouse ID", "The receiver ID from its companion guide.")
            usages = list(practice.USAGES)
            values["x12_usage"] = st.radio(
                "Files are", usages, format_func=practice.USAGES.get, key="claim_identity_x12_usage",
                index=usages.index(current["x12_usage"]) if current.get("x12_usage") in usages else 1)
            forms.field_error(CLAIMS_FORM, "x12_usage")
        save = st.form_submit_button("Save claim settings", type="primary")
    forms.form_error(CLAIMS_FORM)
    if not save:
        return
    try:
        settings.save_claim_identity(screen.conn, values, by=screen.user)
    except ClinicError as exc:
        fail(CLAIMS_FORM, exc)
    else:
        keys = tuple(f"claim_identity_{k}" for k in (*practice.CLAIM_IDENTITY, *practice.OPTIONAL_IDENTITY))
        succeed(CLAIMS_FORM, "Claim settings saved. The next claim file uses them.", forget=keys)


def _text(values: dict[str, object], current: dict[str, str], key: str, label: str, help_: str | None = None) -> None:
    values[key] = st.text_input(label, value=current.get(key, ""), key=f"claim_identity_{key}", help=help_)
    forms.field_error(CLAIMS_FORM, key)
