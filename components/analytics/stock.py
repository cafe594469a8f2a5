"""Analytics › Stock: the stock counts a manager reviews (items low, lots expiring or expired, visits
whose kit ran short), then the stock charts of Inventory › Stock charts for the chosen period
(components.inventory.charts over db.inventory_reports): usage and its cost by category over
time, waste from expiry, items against their reorder point and days of supply left.

The provider and visit type filters do not apply to stock (supplies are the clinic's)."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from components.analytics import charts
from components.analytics.controls import Filters
from components.analytics.summary import show_tiles, stock_kpis
from components.inventory import charts as stock_charts
from components.report_cache import cached
from db import Connection, settings
from db import inventory_reports as _inventory_reports
from db import stock_alerts as _stock_alerts

reports, stock_alerts = cached(_inventory_reports), cached(_stock_alerts)


def stock_tab(conn: Connection, f: Filters, today: date) -> None:
    tz = settings.timezone(conn)
    last = f.end - timedelta(days=1)  # db.inventory_reports takes both days included
    period = f.label
    show_tiles(stock_kpis(conn, today=today))
    st.caption("Stock counts are as of today; the charts cover the period chosen above, for the whole clinic.")
    stock_charts.weekly_usage_chart(reports.weekly_usage(conn, start=f.start, end=last, group="category", tz=tz),
                                    group="category", period=period, key="analytics_usage_by_category")
    stock_charts.usage_cost_chart(reports.usage_cost(conn, start=f.start, end=last, tz=tz), period=period,
                                  key="analytics_usage_cost")
    stock_charts.expiry_waste_chart(reports.expiry_waste(conn, start=f.start, end=last, tz=tz), period=period,
                                    key="analytics_expiry_waste")
    stock_charts.on_hand_chart(reports.on_hand_vs_reorder(conn, today=today), key="analytics_on_hand")
    stock_charts.days_of_supply_table(reports.days_of_supply(conn, window_days=30, as_of=today, tz=tz),
                                      window_days=30, key="analytics_days_of_supply")
    shortfalls = pd.DataFrame([vars(s) for s in stock_alerts.open_shortfalls(conn)],
                              columns=["visit_date", "patient", "sku", "item", "quantity", "unit"])
    charts.table(
        shortfalls, title="Stock-outs at visits", key="analytics_shortfalls", file_name="stock_outs.csv",
        empty="No visit is waiting for supplies that were out of stock.",
        caption="Completed visits whose supply kit could not be taken in full because the item was out of stock, "
                "not yet resolved (Inventory › Stock), newest first.",
        columns={"visit_date": st.column_config.DateColumn("Visit", format="MM/DD/YYYY"), "patient": "Patient",
                 "item": "Item", "sku": "SKU", "quantity": "Units short", "unit": "Unit"},
        csv_columns={"visit_date": "Visit date", "patient": "Patient", "sku": "SKU", "item": "Item",
                     "quantity": "Units short", "unit": "Unit"},
    )

