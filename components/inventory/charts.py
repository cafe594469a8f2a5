"""The stock charts (plotly), each from a DataFrame made by db.inventory_reports: a heading, the
chart, a caption saying what it counts, and its data as CSV. A frame with no rows shows a plain
message instead of an empty chart.

The frame around each chart (heading, caption, CSV) and the plotly layout are shared with the
analytics charts (components.charts). Nothing is computed here beyond labels and colours: every
grouping and every sum is the database's. Costs arrive as float (``.df()`` turns DECIMAL into
float): they are drawn and written to CSV with two decimals, never added up here.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from clinic.inventory import CATEGORIES, CATEGORY_LABELS
from components.charts import plot as _plot
from components.charts import section as _section

LOW_COLOUR, OK_COLOUR, ORDER_COLOUR, POINT_COLOUR = "#dc2626", "#2563eb", "#93c5fd", "#111827"
# One colour per category, the same in every chart.
CATEGORY_COLOURS = dict(zip(CATEGORIES, ("#2563eb", "#16a34a", "#9333ea", "#ea580c", "#64748b", "#0891b2")))
EXPIRY_COLOURS = {"Expired": "#dc2626", "Expiring soon": "#f59e0b", "Later": "#16a34a"}


def _label(category: str) -> str:
    return CATEGORY_LABELS.get(category, category)


def _in_category_order(frame: pd.DataFrame, column: str | None):
    """(name, rows) per trace: categories in the catalogue's order (the same colours and stacking in
    every chart), items in the order the frame gives (most used first)."""
    if column is None:
        return frame.groupby("name", sort=False)
    order = {category: n for n, category in enumerate(CATEGORIES)}
    keys = sorted(frame[column].unique(), key=lambda c: order.get(c, len(order)))
    return [(_label(key), frame[frame[column] == key]) for key in keys]


# --- on hand against the reorder point ------------------------------------------------------------


def on_hand_chart(frame: pd.DataFrame, *, key: str = "chart_on_hand") -> None:
    """Per item, usable on-hand (red when low) and what is on order, as a share of its reorder
    point, so that items counted in boxes and in sheets read on one axis; the lowest first."""
    AXIS_MAX = 300  # past three times the reorder point an item is simply "plenty"

    def draw() -> None:
        drawn = frame[frame["on_hand_pct"].notna()]
        # Lowest cover at the top (plotly draws horizontal bars bottom-up).
        rows = drawn.assign(cover=drawn["on_hand_pct"] + drawn["on_order_pct"]).sort_values(
            ["cover", "item"], ascending=[False, False])
        labels = rows["item"] + " (" + rows["sku"] + ")"
        units = rows[["on_hand", "unit", "reorder_point", "on_order", "expired"]]
        figure = go.Figure()
        figure.add_bar(y=labels, x=rows["on_hand_pct"].clip(upper=AXIS_MAX), orientation="h",
                       name="On hand (usable)", customdata=units,
                       marker_color=[LOW_COLOUR if low else OK_COLOUR for low in rows["low"]],
                       hovertemplate="%{y}<br>On hand: %{customdata[0]} %{customdata[1]} (reorder point "
                                     "%{customdata[2]})<br>Expired, to write off: %{customdata[4]}<extra></extra>")
        figure.add_bar(y=labels, x=rows["on_order_pct"].clip(upper=AXIS_MAX), orientation="h", name="On order",
                       marker_color=ORDER_COLOUR, customdata=units,
                       hovertemplate="%{y}<br>On order: %{customdata[3]} %{customdata[1]}<extra></extra>")
        figure.add_vline(x=100, line_width=2, line_color=POINT_COLOUR,
                         annotation_text="Reorder point", annotation_position="top")
        figure.update_layout(barmode="stack", height=max(260, 22 * len(rows) + 110),
                             xaxis=dict(title="% of the reorder point (capped at 300 %)", range=[0, AXIS_MAX],
                                        ticksuffix=" %"),
                             yaxis=dict(automargin=True, range=[-0.6, len(rows) - 0.4]))
        _plot(figure, key)

    _section(
        "On hand against the reorder point", frame, draw=draw, key=key, file_name="on_hand_vs_reorder.csv",
        empty="No active items in the catalogue yet.",
        caption="Usable units on hand in every room, fridge and the storeroom today (expired lots not "
                "counted: they wait to be written off) and what is on order from open purchase orders, each as "
                "a share of the item's reorder point (the line at 100 %); the lowest first. Red: low (on hand "
                "plus on order at or below the reorder point). Items without a reorder point are in the CSV only.",
        csv_columns={"sku": "SKU", "item": "Item", "category": "Category", "unit": "Unit", "on_hand": "On hand",
                     "expired": "Expired on shelf", "on_order": "On order", "reorder_point": "Reorder point",
                     "low": "Low"},
    )


# --- usage ---------------------------------------------------------------------------------------


def weekly_usage_chart(frame: pd.DataFrame, *, group: str, period: str, top: int | None = None,
                       key: str) -> None:
    """Stacked bars of units used per week, by category or by item."""
    by_category = group == "category"
    shown = frame.assign(name=frame["group"].map(_label)) if by_category else frame.assign(name=frame["group"])

    def draw() -> None:
        figure = go.Figure()
        for name, rows in _in_category_order(shown, "group" if by_category else None):
            colour = CATEGORY_COLOURS.get(rows["group"].iloc[0]) if by_category else None
            figure.add_bar(x=rows["week"], y=rows["units"], name=name, marker_color=colour, customdata=rows["cost"],
                           hovertemplate="%{fullData.name}<br>Week of %{x|%b %d, %Y}<br>%{y} units, "
                                         "$%{customdata:,.2f}<extra></extra>")
        figure.update_layout(barmode="stack", height=380, yaxis_title="Units used",
                             xaxis=dict(title="Week starting (Monday)", tickformat="%b %d"))
        _plot(figure, key)

    what = "category" if by_category else (f"item ({top} used most)" if top else "item")
    _section(
        f"Weekly usage by {what}", shown, draw=draw, key=key, file_name=f"weekly_usage_by_{group}.csv",
        empty="No usage recorded in this period.",
        caption=f"Units used per week (Monday to Sunday, clinic time) by {what}, {period}: supplies used by "
                "hand and by completed visits' kits, net of kits put back. The first and last weeks may be "
                "partial. Hover for the cost at the price of the lot used.",
        csv_columns={"week": "Week starting", "name": "Category" if by_category else "Item", "units": "Units used",
                     "cost": "Cost"},
    )


def usage_cost_chart(frame: pd.DataFrame, *, period: str, key: str = "chart_usage_cost") -> None:
    """Stacked bars of the cost of usage per month, by category."""
    shown = frame.assign(name=frame["category"].map(_label))

    def draw() -> None:
        figure = go.Figure()
        for _name, rows in _in_category_order(shown, "category"):
            category = rows["category"].iloc[0]
            figure.add_bar(x=rows["month"], y=rows["cost"], name=_label(category),
                           marker_color=CATEGORY_COLOURS.get(category), customdata=rows["units"],
                           hovertemplate="%{fullData.name}<br>%{x|%B %Y}<br>$%{y:,.2f} "
                                         "(%{customdata} units)<extra></extra>")
        figure.update_layout(barmode="stack", height=360, yaxis=dict(title="Cost", tickprefix="$", tickformat=",.0f"),
                             xaxis=dict(title="Month", tickformat="%b %Y", dtick="M1"))
        _plot(figure, key)

    _section(
        "Cost of usage by month", shown, draw=draw, key=key, file_name="usage_cost_by_month.csv",
        empty="No usage recorded in this period.",
        caption=f"What the supplies used cost, per month and category, {period}: each use at the unit cost "
                "of the lot it came from when it was used. The first and last months may be partial.",
        csv_columns={"month": "Month", "name": "Category", "units": "Units used", "cost": "Cost"},
    )


# --- days of supply -------------------------------------------------------------------------------


def days_of_supply_table(frame: pd.DataFrame, *, window_days: int, key: str = "table_days_of_supply") -> None:
    """The table of days of supply left, soonest stock-out first."""
    shown = frame.assign(category_label=frame["category"].map(_label))

    def draw() -> None:
        st.dataframe(
            shown[["item", "sku", "category_label", "on_hand", "daily_usage", "days_left", "stockout_on"]],
            key=key, hide_index=True, height=min(420, 36 * (len(shown) + 1) + 2),
            column_config={
                "item": "Item", "sku": "SKU", "category_label": "Category",
                "on_hand": st.column_config.NumberColumn("On hand", help="Usable units, expired lots not counted."),
                "daily_usage": st.column_config.NumberColumn("Used per day", format="%.2f",
                                                             help=f"Average over the last {window_days} days."),
                "days_left": st.column_config.NumberColumn("Days left", format="%d",
                                                           help="Whole days of usable stock at that pace."),
                "stockout_on": st.column_config.DateColumn("Runs out about", format="MM/DD/YYYY"),
            },
        )

    _section(
        "Days of supply left", shown, draw=draw, key=key, file_name=f"days_of_supply_{window_days}d.csv",
        empty="No active items in the catalogue yet.",
        caption=f"Usable units on hand ÷ average units used per day over the last {window_days} days (today "
                "included), and the day stock runs out at that pace. Soonest first; items not used in those "
                "days have no date and come last.",
        csv_columns={"sku": "SKU", "item": "Item", "category_label": "Category", "on_hand": "On hand",
                     "used_in_window": f"Used in {window_days} days", "daily_usage": "Used per day",
                     "days_left": "Days left", "stockout_on": "Runs out about"},
    )


# --- expiry --------------------------------------------------------------------------------------


def expiry_timeline_chart(frame: pd.DataFrame, *, today: date, warning_days: int,
                          key: str = "chart_expiry_timeline") -> None:
    """Lots with stock as dots on their expiry date, one row per item, sized by units on hand."""
    status = pd.Series("Later", index=frame.index)
    status[frame["days_to_expiry"] <= warning_days] = "Expiring soon"
    status[frame["days_to_expiry"] < 0] = "Expired"
    shown = frame.assign(status=status)

    def draw() -> None:
        figure = go.Figure()
        largest = max(int(shown["on_hand"].max()), 1)
        for name, colour in EXPIRY_COLOURS.items():
            rows = shown[shown["status"] == name]
            if rows.empty:
                continue
            figure.add_scatter(
                x=rows["expires_on"], y=rows["item"], mode="markers", name=name,
                marker=dict(color=colour, opacity=0.8, size=rows["on_hand"], sizemode="area", sizemin=5,
                            sizeref=2.0 * largest / 40**2, line=dict(width=1, color="white")),
                customdata=rows[["lot", "on_hand", "days_to_expiry"]],
                hovertemplate="%{y}, lot %{customdata[0]}<br>Expires %{x|%m/%d/%Y} (%{customdata[2]} days from today)"
                              "<br>%{customdata[1]} on hand<extra></extra>")
        figure.add_vline(x=pd.Timestamp(today).value / 1e6, line=dict(color="#6b7280", dash="dot"))
        figure.update_layout(height=max(280, 26 * shown["item"].nunique() + 110), legend_itemsizing="constant",
                             xaxis=dict(title="Expiry date", tickformat="%b %Y"),
                             yaxis=dict(automargin=True, categoryorder="category descending"))
        _plot(figure, key)

    _section(
        "Expiry timeline of lots", shown, draw=draw, key=key, file_name="expiry_timeline.csv",
        empty="No lot with an expiry date is in stock.",
        caption=f"Every lot with an expiry date and stock on the shelf, at its expiry date (the dotted line is "
                f"today); the bigger the dot, the more units. Red: expired, to write off; amber: expiring "
                f"within {warning_days} days.",
        csv_columns={"item": "Item", "sku": "SKU", "lot": "Lot", "expires_on": "Expires on", "on_hand": "On hand",
                     "days_to_expiry": "Days to expiry", "status": "Status"},
    )


def expiry_waste_chart(frame: pd.DataFrame, *, period: str, key: str = "chart_expiry_waste") -> None:
    """Bars of the cost of stock written off as expired, per month."""

    def draw() -> None:
        figure = go.Figure()
        figure.add_bar(x=frame["month"], y=frame["cost"], name="Written off", marker_color=LOW_COLOUR,
                       customdata=frame["units"],
                       hovertemplate="%{x|%B %Y}<br>$%{y:,.2f} (%{customdata} units)<extra></extra>")
        figure.update_layout(height=320, showlegend=False,
                             yaxis=dict(title="Cost written off", tickprefix="$", tickformat=",.0f"),
                             xaxis=dict(title="Month", tickformat="%b %Y", dtick="M1"))
        _plot(figure, key)

    _section(
        "Waste from expiry by month", frame, draw=draw, key=key, file_name="expiry_waste_by_month.csv",
        empty="Nothing was written off as expired in this period.",
        caption=f"Units written off as expired and what they had cost, per month, {period}.",
        csv_columns={"month": "Month", "units": "Units written off", "cost": "Cost"},
    )
