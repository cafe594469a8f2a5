"""Inventory › Purchase orders (front desk, manager, admin): what the low-stock list suggests
ordering (pick, adjust, make draft orders, one per vendor), a draft started by hand, and the orders:
filter by status, open one to edit its draft lines, mark it ordered, receive a delivery with lot
and expiry, cancel it, or download it as PDF or CSV for the vendor."""

from __future__ import annotations

import streamlit as st

from clinic import timeutil
from components import forms
from components.db_session import get_conn
from components.frame import require
from components.inventory import purchasing
from db import settings

user = require("purchase_orders")
conn = get_conn()
today = timeutil.today(settings.timezone(conn))

st.title("Purchase orders")
st.caption("Order from vendors in time, and record what arrives: receiving puts the stock in the storeroom.")
forms.show_flashes()

orders_tab, suggested_tab, new_tab = st.tabs(["Orders", "Suggested from low stock", "New order by hand"])
with orders_tab:
    po_id = purchasing.orders_list(conn)
    if po_id is not None:
        purchasing.order_panel(conn, user, int(po_id))
with suggested_tab:
    purchasing.suggestions(conn, user, today)
with new_tab:
    purchasing.new_order(conn, user)
