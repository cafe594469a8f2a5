"""Manager › Analytics (manager, admin): the clinic's KPIs for a period, against the period before,
for one provider and visit type or all. Tabs: No-shows, No-show risk, Billing, Stock, Utilization;
each has its tiles, then charts that say what they count and offer their data as CSV. The weekly
KPI summary downloads as one PDF. Every number is a db/ report function's; the tabs are
components.analytics. Only the open tab runs (the tab is kept in the address, ?analytics_tab=...)."""

from __future__ import annotations

import streamlit as st

from clinic import timeutil
from components.analytics.billing import billing_tab
from components.analytics.controls import controls
from components.analytics.noshows import no_shows_tab
from components.analytics.risk import risk_tab
from components.analytics.stock import stock_tab
from components.analytics.summary import weekly_pdf_button
from components.analytics.utilization import utilization_tab
from components.db_session import get_conn
from components.frame import require
from db import settings

TABS = ("No-shows", "No-show risk", "Billing", "Stock", "Utilization")

user = require("analytics")
conn = get_conn()
today = timeutil.today(settings.timezone(conn))

heading, download = st.columns([2, 1], vertical_alignment="bottom")
heading.title("Analytics")
filters = controls(conn, today)
with download:
    weekly_pdf_button(conn, filters, today)

no_shows, risk, billing, stock, utilization = st.tabs(TABS, key="analytics_tab", bind="query-params")
if no_shows.open:
    with no_shows:
        no_shows_tab(conn, filters)
if risk.open:
    with risk:
        risk_tab(conn, filters, today)
if billing.open:
    with billing:
        billing_tab(conn, filters, today)
if stock.open:
    with stock:
        stock_tab(conn, filters, today)
if utilization.open:
    with utilization:
        utilization_tab(conn, filters)
