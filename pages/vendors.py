"""Inventory › Vendors and contractors (front desk, manager, admin; managers and admins change them):
the vendors supplies are ordered from (contact, our account number, lead time, minimum order) and
the service contractors (cleaning, equipment maintenance, waste disposal) with their contract
dates; contracts due for renewal are listed at the top from 60 days before they end."""

from __future__ import annotations

import streamlit as st

from clinic import timeutil
from clinic.access import can_do
from components import forms
from components.db_session import get_conn
from components.frame import require
from components.inventory import vendor_forms
from db import settings

user = require("vendors")
conn = get_conn()
today = timeutil.today(settings.timezone(conn))
may_manage = can_do(user.role, "inventory.vendors")

st.title("Vendors and contractors")
forms.show_flashes()
vendor_forms.contracts_due_notice(conn, today)

vendors_tab, contractors_tab = st.tabs(["Vendors", "Service contractors"])
with vendors_tab:
    st.caption("Who supplies are ordered from. A vendor no longer used is made inactive: its past orders keep "
               "naming it.")
    vendor_forms.vendors_table(conn)
    if may_manage:
        vendor_forms.vendor_forms(conn, user)
    else:
        st.caption("Your role cannot change vendors (a manager can).")
with contractors_tab:
    st.caption("Services on contract. A contract is flagged for renewal from 60 days before it ends.")
    vendor_forms.contractors_table(conn, today)
    if may_manage:
        vendor_forms.contractor_forms(conn, user)
    else:
        st.caption("Your role cannot change contractors (a manager can).")
