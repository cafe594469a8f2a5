"""The Stock page's three everyday forms: receive stock (not against a purchase order), use it, and
move it between locations. Each posts through one ``db.inventory`` call from its button's callback,
before the page is drawn again, so the tables shown afterwards are the new ones.

A refused save (a quantity that is not a whole number, more than is in stock, a lot-tracked item
without its lot number or expiry) shows its message under the field at fault, keeps what was
typed, and writes nothing. Quantities are typed as text so that "ten" gets a message, not a
silently clamped number.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import streamlit as st

from clinic.errors import ClinicError, ValidationError
from components import forms
from components.text import md
from db import Connection, inventory
from db import stock_catalog as catalog
from db import stock_locations as locations

RECEIVE = "stk_recv"
USE = "stk_use"
MOVE = "stk_move"


def _done_key(form: str) -> str:
    return f"{form}_done"


def _show_errors(form: str, exc: ClinicError, fields: tuple[str, ...]) -> None:
    """Store the error(s) under the fields this form draws; anything else above the button."""
    found = exc.errors if isinstance(exc, ValidationError) else {exc.field or "": str(exc)}
    errors: dict[str, str] = {}
    for field, message in found.items():
        key = field if field in fields else ""
        errors[key] = f"{errors[key]} {message}" if key in errors else message
    forms.set_errors(form, errors)


def _submit(form: str, fields: tuple[str, ...], action: Callable[[], str], clear: tuple[str, ...]) -> None:
    forms.clear_errors(form)
    st.session_state.pop(_done_key(form), None)
    try:
        message = action()
    except ClinicError as exc:
        _show_errors(form, exc, fields)
        return
    st.session_state[_done_key(form)] = message
    for name in clear:
        st.session_state.pop(f"{form}_{name}", None)


def _finish(form: str) -> None:
    forms.form_error(form)
    done = st.session_state.pop(_done_key(form), None)
    if done:
        st.success(done, icon=":material/check_circle:")


def _pick_item(conn: Connection, form: str) -> catalog.CatalogItem | None:
    items = {item.id: item for item in catalog.list_items(conn)}
    if not items:
        st.info("There are no items in the catalogue yet: add them under Inventory › Items and rooms.")
        return None
    chosen = st.selectbox("Item", list(items), key=f"{form}_item_id",
                          format_func=lambda i: f"{items[i].name} · {items[i].sku} ({items[i].unit})")
    forms.field_error(form, "item_id")
    return items.get(chosen)


def _units(n: int, item: catalog.CatalogItem) -> str:
    """A quantity with the item's unit of issue (typed in the catalogue), for Markdown."""
    return f"{n:,} × {md(item.unit)}"


def _held_by_location(conn: Connection, item_id: int) -> dict[int, int]:
    held: dict[int, int] = {}
    for line in inventory.stock_at(conn, item_id=item_id):
        held[line.location_id] = held.get(line.location_id, 0) + line.on_hand
    return held


def _lot_label(lot: dict, today: date) -> str:
    number = lot["lot_number"] or "no lot number"
    if lot["expires_on"] is None:
        return f"{number} ({lot['on_hand']:,} in stock)"
    state = "EXPIRED" if lot["expires_on"] < today else "expires"
    return f"Lot {number}, {state} {lot['expires_on']:%m/%d/%Y} ({lot['on_hand']:,} in stock)"


def _pick_lot(conn: Connection, form: str, item: catalog.CatalogItem, today: date, label: str) -> None:
    """An optional lot (default: first to expire), keyed by item so a lot of another item never
    stays chosen."""
    lots = {lot["lot_id"]: lot for lot in inventory.lots(conn, item.id) if lot["on_hand"] > 0}
    if not item.lot_tracked or not lots:
        return
    st.selectbox(label, [None, *lots], key=f"{form}_lot_{item.id}",
                 format_func=lambda lot_id: "First to expire" if lot_id is None else _lot_label(lots[lot_id], today))
    forms.field_error(form, "lot_id")


# --- receive ---------------------------------------------------------------------------------------

RECEIVE_FIELDS = ("item_id", "quantity", "lot_number", "expires_on", "location_id", "unit_cost")


def _receive(conn: Connection, user, item: catalog.CatalogItem, names: dict[int, str]) -> None:
    ss = st.session_state

    def action() -> str:
        location_id = ss.get(f"{RECEIVE}_location_id")
        inventory.receive(conn, item_id=item.id, quantity=ss.get(f"{RECEIVE}_quantity", ""), user=user,
                          lot_number=ss.get(f"{RECEIVE}_lot_number") if item.lot_tracked else None,
                          expires_on=ss.get(f"{RECEIVE}_expires_on") if item.lot_tracked else None,
                          location_id=location_id, unit_cost=ss.get(f"{RECEIVE}_unit_cost") or None,
                          reason=ss.get(f"{RECEIVE}_reason") or None)
        there = inventory.on_hand(conn, item.id, location_id=location_id)
        total = inventory.on_hand(conn, item.id)
        return (f"Received {md(ss[f'{RECEIVE}_quantity'].strip())} of {md(item.name)} "
                f"into {md(names.get(location_id, 'the storeroom'))}. "
                f"On hand there: {_units(there, item)}; in the clinic: {_units(total, item)}.")

    _submit(RECEIVE, RECEIVE_FIELDS, action, ("quantity", "lot_number", "expires_on", "unit_cost", "reason"))


def receive_form(conn: Connection, user) -> None:
    """Stock that arrived without a purchase order (a sample, a swap, an order placed by phone);
    orders are received on the Purchase orders page."""
    st.caption("Stock that arrived outside a purchase order. Deliveries against an order are received on "
               "Inventory › Purchase orders.")
    item = _pick_item(conn, RECEIVE)
    if item is None:
        return
    names = {loc.id: loc.name for loc in locations.list_locations(conn, include_inactive=False)}
    qty_col, where_col, cost_col = st.columns([1, 1.4, 1])
    with qty_col:
        st.text_input(f"Quantity ({md(item.unit)})", key=f"{RECEIVE}_quantity", placeholder="e.g. 10", max_chars=9)
        forms.field_error(RECEIVE, "quantity")
    with where_col:
        st.selectbox("Put it in", list(names), key=f"{RECEIVE}_location_id", format_func=names.get)
        forms.field_error(RECEIVE, "location_id")
    with cost_col:
        st.text_input("Unit cost (optional)", key=f"{RECEIVE}_unit_cost", max_chars=12,
                      placeholder=f"{item.unit_cost}")
        forms.field_error(RECEIVE, "unit_cost")
    if item.lot_tracked:
        lot_col, expiry_col = st.columns(2)
        with lot_col:
            st.text_input("Lot number", key=f"{RECEIVE}_lot_number", max_chars=60,
                          placeholder="As printed on the box")
            forms.field_error(RECEIVE, "lot_number")
        with expiry_col:
            st.date_input("Expiry date", value=None, key=f"{RECEIVE}_expires_on", format="MM/DD/YYYY",
                          min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))
            forms.field_error(RECEIVE, "expires_on")
    else:
        st.caption(f"{md(item.name)} is not tracked by lot: no lot number or expiry needed.")
    st.text_input("Note (optional)", key=f"{RECEIVE}_reason", max_chars=200, placeholder="e.g. sample from the rep")
    st.button("Receive", key=f"{RECEIVE}_save", type="primary", icon=":material/inventory:",
              on_click=_receive, args=(conn, user, item, names))
    _finish(RECEIVE)


# --- use -------------------------------------------------------------------------------------------

USE_FIELDS = ("item_id", "quantity", "location_id", "lot_id", "reason")


def _use(conn: Connection, user, item: catalog.CatalogItem, today: date) -> None:
    ss = st.session_state

    def action() -> str:
        taken = inventory.use(conn, item_id=item.id, quantity=ss.get(f"{USE}_quantity", ""), user=user,
                              location_id=ss.get(f"{USE}_location_id"), lot_id=ss.get(f"{USE}_lot_{item.id}"),
                              reason=ss.get(f"{USE}_reason") or None, today=today)
        units = sum(n for _lot, n in taken)
        return (f"Recorded {units:,} of {md(item.name)} used. On hand now: "
                f"{_units(inventory.on_hand(conn, item.id), item)}.")

    _submit(USE, USE_FIELDS, action, ("quantity", "reason"))


def use_form(conn: Connection, user, today: date) -> None:
    """Stock used outside a visit's supply kit (kits are recorded when a visit is completed)."""
    st.caption("Supplies used outside a visit's kit (kits are taken off when a visit is completed). "
               "The lot that expires first is used unless you choose one.")
    item = _pick_item(conn, USE)
    if item is None:
        return
    held = _held_by_location(conn, item.id)
    names = {loc.id: loc.name for loc in locations.list_locations(conn, include_inactive=False)}
    qty_col, where_col = st.columns([1, 2])
    with qty_col:
        st.text_input(f"Quantity ({md(item.unit)})", key=f"{USE}_quantity", placeholder="e.g. 1", max_chars=9)
        forms.field_error(USE, "quantity")
    with where_col:
        st.selectbox("Take it from", [None, *names], key=f"{USE}_location_id",
                     format_func=lambda i: (f"Any location ({sum(held.values()):,} in the clinic)" if i is None
                                            else f"{names[i]} ({held.get(i, 0):,} there)"))
        forms.field_error(USE, "location_id")
    _pick_lot(conn, USE, item, today, "Lot")
    st.text_input("Reason (optional)", key=f"{USE}_reason", max_chars=200, placeholder="e.g. broken, used in a procedure")
    forms.field_error(USE, "reason")
    st.button("Record use", key=f"{USE}_save", type="primary", icon=":material/remove_circle:",
              on_click=_use, args=(conn, user, item, today))
    _finish(USE)


# --- move ------------------------------------------------------------------------------------------

MOVE_FIELDS = ("item_id", "quantity", "from_location_id", "to_location_id", "lot_id", "reason")


def _move(conn: Connection, user, item: catalog.CatalogItem, today: date, names: dict[int, str]) -> None:
    ss = st.session_state

    def action() -> str:
        source, target = ss.get(f"{MOVE}_from_location_id"), ss.get(f"{MOVE}_to_location_id")
        inventory.transfer(conn, item_id=item.id, quantity=ss.get(f"{MOVE}_quantity", ""), user=user,
                           from_location_id=source, to_location_id=target, lot_id=ss.get(f"{MOVE}_lot_{item.id}"),
                           reason=ss.get(f"{MOVE}_reason") or None, today=today)
        return (f"Moved {md(ss[f'{MOVE}_quantity'].strip())} of {md(item.name)} from {md(names[source])} "
                f"to {md(names[target])}. "
                f"Now {_units(inventory.on_hand(conn, item.id, location_id=target), item)} in {md(names[target])}.")

    _submit(MOVE, MOVE_FIELDS, action, ("quantity", "reason"))


def move_form(conn: Connection, user, today: date) -> None:
    """Move stock from one location to another (one transaction: out of one, into the other)."""
    st.caption("Move stock between the storeroom, the rooms and the fridge. The morning top-up of every room "
               "is on the Restock tab.")
    item = _pick_item(conn, MOVE)
    if item is None:
        return
    held = _held_by_location(conn, item.id)
    names = {loc.id: loc.name for loc in locations.list_locations(conn, include_inactive=False)}
    if len(names) < 2:
        st.info("There is only one location: add rooms under Inventory › Items and rooms.")
        return
    ids = list(names)
    qty_col, from_col, to_col = st.columns([1, 1.5, 1.5])
    with qty_col:
        st.text_input(f"Quantity ({md(item.unit)})", key=f"{MOVE}_quantity", placeholder="e.g. 5", max_chars=9)
        forms.field_error(MOVE, "quantity")
    with from_col:
        st.selectbox("From", ids, key=f"{MOVE}_from_location_id",
                     format_func=lambda i: f"{names[i]} ({held.get(i, 0):,} there)")
        forms.field_error(MOVE, "from_location_id")
    with to_col:
        st.selectbox("To", ids, index=1, key=f"{MOVE}_to_location_id",
                     format_func=lambda i: f"{names[i]} ({held.get(i, 0):,} there)")
        forms.field_error(MOVE, "to_location_id")
    _pick_lot(conn, MOVE, item, today, "Lot")
    st.text_input("Reason (optional)", key=f"{MOVE}_reason", max_chars=200)
    st.button("Move", key=f"{MOVE}_save", type="primary", icon=":material/swap_horiz:",
              on_click=_move, args=(conn, user, item, today, names))
    _finish(MOVE)
