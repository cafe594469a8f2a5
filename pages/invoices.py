"""Billing › Invoices: placeholder while it is built (replaced in this session)."""

from __future__ import annotations

import streamlit as st

from components.frame import require

user = require("invoices")
st.title("Invoices")
