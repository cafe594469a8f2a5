"""Billing › Invoices (billing, manager, admin): the invoice ledger. Filters, totals, the sortable
table and its CSV; an invoice opened below it to edit a draft's lines, finalise, post a payment,
adjust, apply credit, make the claim, void or print. Two work lists beside it: completed visits
not yet invoiced, and payment plans' overdue instalments."""

from __future__ import annotations

import streamlit as st

from clinic import timeutil
from clinic.access import can_do
from components import forms
from components.billing import ledger_view, work_lists
from components.billing.invoice_actions import invoice_panel
from components.db_session import get_conn
from components.frame import require
from db import settings

user = require("invoices")
conn = get_conn()
today = timeutil.today(settings.timezone(conn))

st.title("Invoices")
st.caption("Every invoice, who owes it and how much; open one to work on it.")
forms.show_flashes()

invoices_tab, unbilled_tab, overdue_tab = st.tabs(["Invoices", "Unbilled visits", "Overdue instalments"])
with invoices_tab:
    invoice_id = ledger_view.show(conn, today)
    if invoice_id is not None:
        invoice_panel(conn, user, int(invoice_id))
with unbilled_tab:
    work_lists.unbilled(conn, user, today, may_bill=can_do(user.role, "billing.invoice"))
with overdue_tab:
    work_lists.overdue(conn, today)
