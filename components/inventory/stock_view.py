"""The Stock page's read-mostly tabs: the stock table (low-stock list on top, every active item
with its on-hand per location, dated lots below), the Expiry tab (lots expiring soon, expired lots
with a "Write off" button each) and the Shortfalls tab (visit kits that could not be taken from
stock, with a button to resolve one)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from clinic.errors import ClinicError
from clinic.inventory import CATEGORIES, CATEGORY_LABELS
from components import forms
from components.kpi import Tile, tiles
from components.text import md
from db import Connection, inventory, stock_alerts
from db import stock_locations as locations

WRITE_OFF = "stk_writeoff"
SHORTFALL = "stk_shortfall"
DATE = st.column_config.DateColumn(format="MM/DD/YYYY")
MAX_WRITE_OFF_ROWS = 60


def alert_tiles(conn: Connection, today: date) -> None:
    counts = stock_alerts.alert_counts(conn, today=today)
    days = stock_alerts.warning_days(conn)
    tiles([
        Tile("Items low on stock", counts["low"], "Usable on-hand plus on order is at or below the reorder point."),
        Tile(f"Lots expiring within {days} days", counts["expiring"], "Lots with stock, not yet expired."),
        Tile("Expired lots to write off", counts["expired"], "See the Expiry tab."),
        Tile("Visit shortfalls", counts["shortfalls"], "Completed visits whose kit was short: see Shortfalls."),
    ], columns=4)


def low_stock_table(conn: Connection, today: date) -> None:
    st.subheader("Low on stock")
    low = stock_alerts.low_stock(conn, today=today)
    if not low:
        st.success("Nothing is low: every item is above its reorder point.", icon=":material/check_circle:")
        return
    st.caption(f"{len(low):,} item(s) at or below the reorder point, counting what is already on order and "
               "leaving out expired lots. Order them on Inventory › Purchase orders.")
    st.dataframe(pd.DataFrame({
        "SKU": [r.sku for r in low],
        "Item": [r.name for r in low],
        "On hand": [r.on_hand for r in low],
        "On order": [r.on_order for r in low],
        "Reorder point": [r.reorder_point for r in low],
        "Usual order": [r.reorder_quantity for r in low],
        "Unit": [r.unit for r in low],
        "Vendor": [r.vendor_name or "—" for r in low],
        "Category": [CATEGORY_LABELS.get(r.category, r.category) for r in low],
    }), hide_index=True, key="stk_low_table")


def stock_table(conn: Connection, today: date) -> None:
    st.subheader("Everything in stock")
    places = {loc.id: loc.name for loc in locations.list_locations(conn, include_inactive=False)}
    cat_col, place_col = st.columns(2)
    with cat_col:
        category = st.selectbox("Category", [None, *CATEGORIES], key="stk_filter_category",
                                format_func=lambda c: "All categories" if c is None else CATEGORY_LABELS[c])
    with place_col:
        location_id = st.selectbox("Location", [None, *places], key="stk_filter_location",
                                   format_func=lambda i: "All locations" if i is None else places[i])
    levels = stock_alerts.stock_levels(conn, today=today, category=category)
    if location_id is not None:
        levels = [level for level in levels if level.by_location.get(location_id)]
    if not levels:
        st.caption("No items here." if location_id is not None else "No active items yet.")
        return
    shown = places if location_id is None else {location_id: places[location_id]}
    # What matters first (status, totals) on the left; one column per location after them.
    table = {
        "SKU": [lv.sku for lv in levels],
        "Item": [lv.name for lv in levels],
        "Status": ["Low" if lv.low else "OK" for lv in levels],
        "On hand": [lv.on_hand for lv in levels],
        "On order": [lv.on_order for lv in levels],
        "Reorder point": [lv.reorder_point for lv in levels],
        "Expired": [lv.expired for lv in levels],
        "Unit": [lv.unit for lv in levels],
    }
    for place_id, place in shown.items():
        column = place if place not in table else f"{place} (location)"
        table[column] = [lv.by_location.get(place_id, 0) for lv in levels]
    table["Category"] = [CATEGORY_LABELS.get(lv.category, lv.category) for lv in levels]
    low = sum(lv.low for lv in levels)
    st.caption(f"{len(levels):,} item(s), {low:,} low. On hand counts every unit on the shelves; expired units "
               "are counted apart and do not keep an item off the low list.")
    st.dataframe(pd.DataFrame(table), hide_index=True, key="stk_table", height=min(36 + 35 * len(levels), 560))


def lots_table(conn: Connection, today: date) -> None:
    lots = stock_alerts.dated_lots(conn, today=today)
    st.subheader("Lots with an expiry date")
    if not lots:
        st.caption("No dated lots in stock.")
        return
    st.dataframe(pd.DataFrame({
        "Item": [lot.name for lot in lots],
        "Lot": [lot.lot_number or "—" for lot in lots],
        "Expires": [lot.expires_on for lot in lots],
        "Days left": [lot.days_left for lot in lots],
        "On hand": [lot.on_hand for lot in lots],
        "Where": [lot.where for lot in lots],
        "State": ["Expired" if lot.expired else "OK" for lot in lots],
    }), hide_index=True, key="stk_lots_table", column_config={"Expires": DATE}, height=320)


def stock_tab(conn: Connection, today: date) -> None:
    alert_tiles(conn, today)
    low_stock_table(conn, today)
    stock_table(conn, today)
    lots_table(conn, today)


# --- expiry ----------------------------------------------------------------------------------------


def _write_off(conn: Connection, user, lot: stock_alerts.ExpiredLot, today: date) -> None:
    forms.clear_errors(WRITE_OFF)
    try:
        units = stock_alerts.write_off_expired(conn, lot.lot_id, user=user, location_id=lot.location_id, today=today)
    except ClinicError as exc:
        forms.set_errors(WRITE_OFF, {"": str(exc)})
        return
    forms.flash(f"Wrote off {units:,} of {md(lot.name)} (lot {md(lot.lot_number or '—')}) "
                f"from {md(lot.location)}.")


def expiry_tab(conn: Connection, user, today: date) -> None:
    days = stock_alerts.warning_days(conn)
    st.subheader(f"Expiring within {days} days")
    soon = stock_alerts.expiring_lots(conn, today=today, days=days)
    if not soon:
        st.success(f"No lot in stock expires within {days} days.", icon=":material/check_circle:")
    else:
        st.caption("Use these first (usage takes the lot that expires first by itself).")
        st.dataframe(pd.DataFrame({
            "Item": [lot.name for lot in soon],
            "Lot": [lot.lot_number or "—" for lot in soon],
            "Expires": [lot.expires_on for lot in soon],
            "Days left": [lot.days_left for lot in soon],
            "On hand": [lot.on_hand for lot in soon],
            "Where": [lot.where for lot in soon],
        }), hide_index=True, key="stk_expiring_table", column_config={"Expires": DATE})
    st.subheader("Expired: write off")
    expired = stock_alerts.expired_lots(conn, today=today)
    forms.form_error(WRITE_OFF)
    if not expired:
        st.success("No expired stock on the shelves.", icon=":material/check_circle:")
        return
    st.caption("Take these off the shelf and discard them as the clinic's rules say; writing off records it.")
    for lot in expired[:MAX_WRITE_OFF_ROWS]:
        text_col, button_col = st.columns([4, 1], vertical_alignment="center")
        with text_col:
            st.markdown(f"**{md(lot.name)}** · lot {md(lot.lot_number or '—')} · expired {lot.expires_on:%m/%d/%Y} · "
                        f"{lot.on_hand:,} × {md(lot.unit)} in {md(lot.location)}")
        with button_col:
            st.button("Write off", key=f"{WRITE_OFF}_{lot.lot_id}_{lot.location_id}", icon=":material/delete:",
                      on_click=_write_off, args=(conn, user, lot, today), width="stretch")
    if len(expired) > MAX_WRITE_OFF_ROWS:
        st.caption(f"{len(expired) - MAX_WRITE_OFF_ROWS:,} more: write these off first.")


# --- shortfalls ------------------------------------------------------------------------------------


def _resolve(conn: Connection, user, shortfall_id: int) -> None:
    forms.clear_errors(SHORTFALL)
    try:
        stock_alerts.resolve_shortfall(conn, shortfall_id, user=user, note=st.session_state.get(f"{SHORTFALL}_note"))
    except ClinicError as exc:
        forms.set_errors(SHORTFALL, {exc.field if exc.field == "note" else "": str(exc)})
        return
    st.session_state.pop(f"{SHORTFALL}_note", None)
    st.session_state.pop(f"{SHORTFALL}_pick", None)
    forms.flash("Shortfall resolved.")


def shortfalls_tab(conn: Connection, user) -> None:
    open_ = stock_alerts.open_shortfalls(conn)
    if not open_:
        st.success("Every completed visit's supplies were taken from stock.", icon=":material/check_circle:")
        return
    st.caption(f"{len(open_):,} completed visit(s) used supplies the system did not have in stock. Check the shelves "
               "(a count fixes the numbers), then resolve each one.")
    st.dataframe(pd.DataFrame({
        "Visit date": [s.visit_date for s in open_],
        "Patient": [s.patient or "—" for s in open_],
        "Item": [s.item for s in open_],
        "Short by": [s.quantity for s in open_],
        "Unit": [s.unit for s in open_],
    }), hide_index=True, key="stk_shortfall_table", column_config={"Visit date": DATE})
    by_id = {s.shortfall_id: s for s in open_}
    pick_col, note_col, button_col = st.columns([2, 2, 1], vertical_alignment="bottom")
    with pick_col:
        chosen = st.selectbox("Shortfall", list(by_id), key=f"{SHORTFALL}_pick",
                              format_func=lambda i: (f"{by_id[i].visit_date:%m/%d/%Y} · " if by_id[i].visit_date else "")
                              + f"{by_id[i].patient or '—'} · {by_id[i].item} short by {by_id[i].quantity}")
    with note_col:
        st.text_input("Note (optional)", key=f"{SHORTFALL}_note", max_chars=500, placeholder="e.g. counted, found 2")
        forms.field_error(SHORTFALL, "note")
    with button_col:
        st.button("Resolve", key=f"{SHORTFALL}_resolve", icon=":material/task_alt:", width="stretch",
                  on_click=_resolve, args=(conn, user, chosen))
    forms.form_error(SHORTFALL)
