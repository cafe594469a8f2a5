"""Inventory › Stock charts (front desk, manager, admin): what is on hand against the reorder
point, how fast supplies are used (weekly, by category and by item) and what that costs, how many
days of supply are left and when each item runs out at that pace, which lots expire when, and what
expiry wasted. Each chart says what it counts and offers its data as CSV. Every number is the
database's (db.inventory_reports); the charts are components.inventory.charts."""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from clinic import timeutil
from clinic.inventory import CATEGORIES, CATEGORY_LABELS
from components.db_session import get_conn
from components.frame import require
from components.inventory import charts
from components.report_cache import cached
from db import inventory_reports, settings, stock_alerts

reports = cached(inventory_reports)  # kept until the next write (a movement, a count, a receipt)

user = require("stock_reports")
conn = get_conn()
tz = settings.timezone(conn)
today = timeutil.today(tz)
warning_days = stock_alerts.warning_days(conn)

st.title("Stock charts")

left, middle, right, last = st.columns([2, 2, 1.3, 1])
picked = left.date_input("Period", value=(today - timedelta(days=89), today), max_value=today, format="MM/DD/YYYY",
                         key="stock_period", help="Usage, its cost and expiry waste in these days (both included).")
category = middle.selectbox("Category", [None, *CATEGORIES], format_func=lambda c: "All categories" if c is None
                            else CATEGORY_LABELS[c], key="stock_category")
window = right.segmented_control("Usage over", [30, 90], default=30, format_func=lambda d: f"{d} days",
                                 required=True, key="stock_window",
                                 help="Days of supply: average daily usage over the last 30 or 90 days.")
top = last.number_input("Top items", min_value=1, max_value=60, value=10, step=1, key="stock_top",
                        help="How many items the weekly usage by item shows: those used most in the period.")
start, end = (picked[0], picked[-1]) if picked else (today - timedelta(days=89), today)
period = f"{start:%m/%d/%Y} to {end:%m/%d/%Y}"

charts.on_hand_chart(reports.on_hand_vs_reorder(conn, category=category, today=today))
charts.days_of_supply_table(reports.days_of_supply(conn, window_days=window, as_of=today, tz=tz, category=category),
                            window_days=window)
charts.weekly_usage_chart(reports.weekly_usage(conn, start=start, end=end, group="category", category=category, tz=tz),
                          group="category", period=period, key="chart_usage_by_category")
charts.weekly_usage_chart(reports.weekly_usage(conn, start=start, end=end, group="item", category=category, tz=tz,
                                               top=top),
                          group="item", period=period, top=top, key="chart_usage_by_item")
charts.usage_cost_chart(reports.usage_cost(conn, start=start, end=end, tz=tz, category=category), period=period)
charts.expiry_timeline_chart(reports.expiry_timeline(conn, today=today, category=category), today=today,
                             warning_days=warning_days)
charts.expiry_waste_chart(reports.expiry_waste(conn, start=start, end=end, tz=tz, category=category), period=period)
