"""The Clinic details tab: the practice's name, postal address and phone, as invoices and
statements print them (and as the sidebar and day sheets show the name)."""

from __future__ import annotations

import streamlit as st

from clinic.access import can_do
from clinic.errors import ClinicError
from components import forms
from components.schedule_admin.shared import Screen, fail, succeed
from db import settings

FORM = "clinic_details"


def draw(screen: Screen) -> None:
    current = settings.get_all(screen.conn)
    if not can_do(screen.user.role, "settings.manage"):
        st.caption("Only an administrator changes these.")
        st.markdown(f"**{current['clinic_name']}**")
        st.text(current.get("clinic_address") or "No address set.")
        st.text(current.get("clinic_phone") or "No phone set.")
        return
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
