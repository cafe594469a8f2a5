"""Inventory › Items and rooms: the item catalogue (SKU, unit, reorder point, preferred vendor, cost,
lot tracking), the storeroom, exam rooms and fridge with each room's par levels, and what one visit
of each type uses (its supply kit). Managers and admins change them; the front desk reads them."""

from __future__ import annotations

import streamlit as st

from clinic.access import can_do
from components import forms
from components.db_session import get_conn
from components.frame import require
from components.inventory import catalog

user = require("stock_items")
conn = get_conn()
may_edit = can_do(user.role, "inventory.items")

st.title("Items and rooms")
st.caption("What the clinic stocks, where it is kept, how much each room should hold, and what each kind of "
           "visit uses. Items and rooms are taken out of use, never deleted: their history stays.")
forms.show_flashes()

items_tab, rooms_tab, kits_tab = st.tabs(["Items", "Rooms and par levels", "Visit kits"])
with items_tab:
    catalog.items_section(conn, user, may_edit=may_edit)
with rooms_tab:
    st.subheader("Locations", divider="gray")
    catalog.locations_section(conn, user, may_edit=may_edit)
    st.subheader("Par levels", divider="gray")
    catalog.par_section(conn, user, may_edit=may_edit)
with kits_tab:
    st.subheader("Visit supply kits", divider="gray")
    catalog.kits_section(conn, user, may_edit=may_edit)
