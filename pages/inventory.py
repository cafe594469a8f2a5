"""Inventory › Stock (front desk, manager, admin): what is on the shelves and where, what is low,
and the day's stock work: receive, use, move between rooms, count, the morning restock, expiry
write-offs and the visit-kit shortfalls to resolve."""

from __future__ import annotations

import streamlit as st

from clinic import timeutil
from components import forms
from components.db_session import get_conn
from components.frame import require
from components.inventory import count, restock, stock_forms, stock_view
from db import settings

user = require("inventory")
conn = get_conn()
today = timeutil.today(settings.timezone(conn))

st.title("Stock")
st.caption("What the clinic holds, where, and what needs doing about it.")
forms.show_flashes()

(stock_tab, receive_tab, use_tab, move_tab, count_tab, restock_tab, expiry_tab,
 shortfalls_tab) = st.tabs(["Stock", "Receive", "Use", "Move", "Count", "Restock", "Expiry", "Shortfalls"])
with stock_tab:
    stock_view.stock_tab(conn, today)
with receive_tab:
    stock_forms.receive_form(conn, user)
with use_tab:
    stock_forms.use_form(conn, user, today)
with move_tab:
    stock_forms.move_form(conn, user, today)
with count_tab:
    count.count_tab(conn, user)
with restock_tab:
    restock.restock_tab(conn, user)
with expiry_tab:
    stock_view.expiry_tab(conn, user, today)
with shortfalls_tab:
    stock_view.shortfalls_tab(conn, user)
