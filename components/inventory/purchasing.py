"""Purchase orders on screen: the low-stock suggestions to turn into draft orders, a draft started
by hand, the list of orders, and one order opened: its lines, editing a draft, sending it (marked
ordered), receiving what arrived (quantity, lot and expiry per line), cancelling, and the PDF and
CSV to send to the vendor.

Each write is one call to ``db.purchase_orders`` in a button callback (or right after a button,
then a rerun), sending the order's version as the screen showed it. A refusal shows next to the
line's field and keeps what was typed; nothing is written then.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from clinic import inventory as rules
from clinic import purchase_order_pdf
from clinic.errors import ClinicError, StaleRecord, ValidationError
from clinic.money import money_text
from components import forms
from components.audit.downloads import audited
from components.downloads import pdf_fonts
from components.text import md
from db import Connection
from db import inventory as stock
from db import purchase_orders as po
from db import reorder
from db import stock_catalog as catalog
from db import vendors as vendors_db

OPEN_KEY = "po_open"
NEXT_KEY = "_po_open_next"
FILTERS = {"active": "Not closed (draft, ordered, partly received)", "all": "All orders",
           **{s: rules.PO_STATUS_LABELS[s] for s in rules.PO_STATUSES}}
STALE = "Someone changed this order meanwhile: the screen now shows it as it is. Check and try again."


def _badge(status: str) -> str:
    colour = {"draft": "gray", "ordered": "blue", "partially_received": "orange", "received": "green",
              "cancelled": "red"}[status]
    return f":{colour}-badge[{rules.PO_STATUS_LABELS[status]}]"


def _refused(form: str, exc: ClinicError, fields: set[str] | None = None) -> None:
    """Keep the messages for the fields shown (``fields``), the rest above the form's button."""
    if isinstance(exc, StaleRecord):
        forms.set_errors(form, {"": STALE})
    elif isinstance(exc, ValidationError):
        forms.set_errors(form, {f if fields and f in fields else "": m for f, m in exc.errors.items()})
    else:
        forms.set_errors(form, {exc.field if fields and exc.field in fields else "": str(exc)})


# --- suggestions -------------------------------------------------------------------------------------


def suggestions(conn: Connection, user, today: date) -> None:
    """The low-stock items with what to order; pick some and make one draft order per vendor."""
    form = "po_suggest"
    rows = reorder.suggestions(conn, as_of=today)
    if not rows:
        st.success("Nothing is low: every item is above its reorder point (counting what is on order).",
                   icon=":material/check_circle:")
        return
    st.caption("Items at or below their reorder point, counting what is already on order. The suggested "
               "quantity covers the vendor's lead time at the last 30 days' use, in whole packs. Quantities "
               "are units of issue.")
    generation = st.session_state.setdefault("_po_suggest_generation", 0)
    frame = pd.DataFrame(
        [{"pick": s.vendor_id is not None and s.draft_po_id is None, "item_id": s.item_id, "sku": s.sku,
          "name": s.name, "vendor": s.vendor_name or "No preferred vendor", "on_hand": s.on_hand,
          "on_order": s.on_order, "reorder_point": s.reorder_point,
          "pack": f"{s.pack_size} {s.unit}" if s.pack_size > 1 else s.unit,
          "quantity": s.suggested_quantity, "unit_cost": money_text(s.unit_cost),
          "draft": f"PO {s.draft_po_id}" if s.draft_po_id else ""} for s in rows])
    edited = st.data_editor(
        frame, hide_index=True, key=f"po_suggest_{generation}", disabled=[c for c in frame.columns
                                                                         if c not in ("pick", "quantity")],
        column_order=["pick", "sku", "name", "vendor", "on_hand", "on_order", "reorder_point", "pack", "quantity",
                      "unit_cost", "draft"],
        column_config={
            "pick": st.column_config.CheckboxColumn("Order", help="Tick the items to put on draft orders."),
            "sku": "SKU", "name": st.column_config.TextColumn("Item", width="medium"), "vendor": "Vendor",
            "on_hand": "On hand", "on_order": "On order", "reorder_point": "Reorder point", "pack": "Pack",
            "quantity": st.column_config.NumberColumn("Quantity", min_value=1, step=1,
                                                      help="Units of issue to order (suggested: whole packs)."),
            "unit_cost": "Unit cost",
            "draft": st.column_config.TextColumn("On a draft", help="A draft order already holds this item."),
        },
    )
    forms.field_error(form, "")
    if st.button("Make draft orders", key="po_make_drafts", type="primary", icon=":material/playlist_add:"):
        picks = [(int(r.item_id), r.quantity) for r in edited.itertuples(index=False) if bool(r.pick)]
        picks = [(i, None if pd.isna(q) else int(q)) for i, q in picks]
        try:
            ids = reorder.create_from_suggestions(conn, picks, user=user)
        except ClinicError as exc:
            forms.set_errors(form, {"": str(exc)})
        else:
            forms.clear_errors(form)
            st.session_state["_po_suggest_generation"] = generation + 1
            forms.flash("Draft order" + ("s " if len(ids) > 1 else " ") + ", ".join(f"PO {i}" for i in ids)
                        + " made: open one below to check it and mark it ordered.")
            st.session_state[NEXT_KEY] = ids[0]  # opened on the next run (its picker is drawn already)
        st.rerun()


# --- a draft by hand ---------------------------------------------------------------------------------


def _start_order(conn: Connection, user) -> None:
    form, ss = "po_new", st.session_state
    try:
        new_id = po.create_order(conn, vendor_id=ss.get("po_new_vendor"),
                                 lines=[(ss.get("po_new_item"), ss.get("po_new_quantity"), None)], user=user,
                                 note=ss.get("po_new_note"))
    except ClinicError as exc:
        forms.set_errors(form, {"": str(exc)})
        return
    forms.clear_errors(form)
    forms.flash(f"Draft PO {new_id} started: add more lines below, then mark it ordered.")
    ss[NEXT_KEY] = new_id


def new_order(conn: Connection, user) -> None:
    vendors = {v.id: v for v in vendors_db.list_vendors(conn)}
    items = {i.id: i for i in catalog.list_items(conn)}
    if not vendors or not items:
        st.caption("Add a vendor (Vendors and contractors) and items (Items and rooms) first.")
        return
    with st.form("po_new"):
        st.selectbox("Vendor", list(vendors), key="po_new_vendor", format_func=lambda i: vendors[i].name)
        st.selectbox("First item", list(items), key="po_new_item",
                     format_func=lambda i: f"{items[i].sku} · {items[i].name} ({items[i].unit})")
        st.number_input("Quantity (units of issue)", min_value=1, step=1, value=1, key="po_new_quantity")
        st.text_input("Note (printed on the order)", key="po_new_note", max_chars=500)
        st.form_submit_button("Start a draft order", icon=":material/add:", on_click=_start_order,
                              args=(conn, user))
    forms.form_error("po_new")


# --- the list ----------------------------------------------------------------------------------------


def orders_list(conn: Connection) -> int | None:
    """The orders (filtered by status) and a picker; returns the order to open, if any."""
    ss = st.session_state
    if NEXT_KEY in ss:  # an order just made: show it
        ss[OPEN_KEY] = ss.pop(NEXT_KEY)
        ss["po_filter"] = "active"
    choice = st.selectbox("Show", list(FILTERS), key="po_filter", format_func=FILTERS.get)
    status = {"active": ("draft", "ordered", "partially_received"), "all": None}.get(choice, choice)
    rows = po.list_orders(conn, status=status)
    if not rows:
        st.caption("No orders here.")
        return None
    st.dataframe(
        pd.DataFrame([{"po": r.id, "vendor": r.vendor_name, "status": r.status_label,
                       "created": r.created_at.date(), "expected": r.expected_on, "lines": r.line_count,
                       "total": money_text(r.total), "open_units": r.open_units} for r in rows]),
        hide_index=True, key="po_table",
        column_config={"po": st.column_config.NumberColumn("PO", format="%d"), "vendor": "Vendor",
                       "status": "Status", "created": st.column_config.DateColumn("Created", format="MM/DD/YYYY"),
                       "expected": st.column_config.DateColumn("Expected", format="MM/DD/YYYY"), "lines": "Lines",
                       "total": "Total", "open_units": st.column_config.NumberColumn(
                           "Still to come", help="Units ordered and not yet received.")})
    ids = [r.id for r in rows]
    labels = {r.id: f"PO {r.id} · {r.vendor_name} · {r.status_label} · {money_text(r.total)}" for r in rows}
    if ss.get(OPEN_KEY) not in ids:
        ss.pop(OPEN_KEY, None)
    return st.selectbox("Open an order", ids, key=OPEN_KEY, index=None, placeholder="Choose an order",
                        format_func=labels.get)


# --- one order ---------------------------------------------------------------------------------------


def _k(po_id: int, name: str) -> str:
    return f"po{po_id}_{name}"


def _save_line(conn: Connection, user, order: po.Order, line: po.OrderLine) -> None:
    form, ss = _k(order.id, f"line{line.id}"), st.session_state
    try:
        po.set_line(conn, order.id, item_id=line.item_id, quantity=ss.get(_k(order.id, f"q{line.id}")),
                    unit_cost=ss.get(_k(order.id, f"cost{line.id}")), user=user, version=order.version)
    except ClinicError as exc:
        _refused(form, exc, {"quantity", "unit_cost"})
        return
    forms.clear_errors(form)
    forms.flash(f"Line saved on PO {order.id}.")


def _remove_line(conn: Connection, user, order: po.Order, line: po.OrderLine) -> None:
    form = _k(order.id, f"line{line.id}")
    try:
        po.remove_line(conn, order.id, line.id, user=user, version=order.version)
    except ClinicError as exc:
        _refused(form, exc)
        return
    forms.clear_errors(form)
    forms.flash(f"{md(line.name)} taken off PO {order.id}.")


def _add_line(conn: Connection, user, order: po.Order) -> None:
    form, ss = _k(order.id, "add"), st.session_state
    try:
        po.set_line(conn, order.id, item_id=ss.get(_k(order.id, "add_item")),
                    quantity=ss.get(_k(order.id, "add_quantity")), user=user, version=order.version)
    except ClinicError as exc:
        _refused(form, exc, {"quantity"})
        return
    forms.clear_errors(form)
    forms.flash(f"Line added to PO {order.id}.")


def _mark_ordered(conn: Connection, user, order: po.Order) -> None:
    form = _k(order.id, "send")
    try:
        po.mark_ordered(conn, order.id, user=user, expected_on=st.session_state.get(_k(order.id, "expected")),
                        version=order.version)
    except ClinicError as exc:
        _refused(form, exc, {"expected_on"})
        return
    forms.clear_errors(form)
    forms.flash(f"PO {order.id} marked as ordered: what is on it now counts as on order.")


def _cancel(conn: Connection, user, order: po.Order) -> None:
    form = _k(order.id, "cancel")
    try:
        po.cancel_order(conn, order.id, user=user, reason=st.session_state.get(_k(order.id, "cancel_reason")),
                        version=order.version)
    except ClinicError as exc:
        _refused(form, exc)
        return
    forms.clear_errors(form)
    forms.flash(f"PO {order.id} cancelled." + (" What was received stays in stock." if order.status ==
                                                "partially_received" else ""))


def _rk(order: po.Order, name: str) -> str:
    """A receive-form widget's key; a new generation after each receipt gives an empty form."""
    return _k(order.id, f"g{st.session_state.get(_k(order.id, 'rgen'), 0)}_{name}")


def _receive(conn: Connection, user, order: po.Order) -> None:
    form, ss = _k(order.id, "receive"), st.session_state
    lines = [po.ReceiptLine(line.id, ss.get(_rk(order, f"rq{line.id}")) or 0,
                            ss.get(_rk(order, f"lot{line.id}")) or None, ss.get(_rk(order, f"exp{line.id}")))
             for line in order.open_lines]
    try:
        po.receive_order(conn, order.id, lines=lines, user=user, version=order.version)
    except ClinicError as exc:
        fields = {f"{f}_{line.id}" for line in order.open_lines for f in ("quantity", "lot", "expiry")}
        _refused(form, exc, fields)
        return
    forms.clear_errors(form)
    ss[_k(order.id, "rgen")] = ss.get(_k(order.id, "rgen"), 0) + 1
    forms.flash(f"Receipt recorded on PO {order.id}: the stock is in the storeroom.")


def _lines_table(order: po.Order) -> None:
    st.dataframe(
        pd.DataFrame([{"sku": x.sku, "name": x.name, "packs": x.packs, "quantity": x.quantity, "unit": x.unit,
                       "received": x.received_quantity, "unit_cost": money_text(x.unit_cost),
                       "line_total": money_text(x.line_total)} for x in order.lines],
                     columns=["sku", "name", "packs", "quantity", "unit", "received", "unit_cost", "line_total"]),
        hide_index=True, key=_k(order.id, "lines"),
        column_config={"sku": "SKU", "name": st.column_config.TextColumn("Item", width="medium"), "packs": "Packs",
                       "quantity": "Ordered", "unit": "Unit", "received": "Received", "unit_cost": "Unit cost",
                       "line_total": "Line total"})


def _draft_lines(conn: Connection, user, order: po.Order) -> None:
    st.markdown("**Lines**")
    for line in order.lines:
        form = _k(order.id, f"line{line.id}")
        cols = st.columns([4, 2, 2, 1, 1], vertical_alignment="bottom")
        cols[0].markdown(f"{md(line.sku)} · {md(line.name)}  \n{line.packs} pack(s) of {line.pack_size} {md(line.unit)}")
        cols[1].number_input("Quantity", min_value=1, step=1, value=line.quantity, key=_k(order.id, f"q{line.id}"))
        cols[2].text_input("Unit cost", value=f"{line.unit_cost:.2f}", key=_k(order.id, f"cost{line.id}"))
        cols[3].button("Save", key=_k(order.id, f"save{line.id}"), on_click=_save_line,
                       args=(conn, user, order, line))
        cols[4].button("Remove", key=_k(order.id, f"rm{line.id}"), on_click=_remove_line,
                       args=(conn, user, order, line))
        for field in ("quantity", "unit_cost", ""):
            forms.field_error(form, field)
    items = {i.id: i for i in catalog.list_items(conn)}
    with st.form(_k(order.id, "add_form")):
        cols = st.columns([5, 2, 2], vertical_alignment="bottom")
        cols[0].selectbox("Add an item", list(items), key=_k(order.id, "add_item"),
                          format_func=lambda i: f"{items[i].sku} · {items[i].name} ({items[i].unit})")
        cols[1].number_input("Quantity", min_value=1, step=1, value=1, key=_k(order.id, "add_quantity"))
        cols[2].form_submit_button("Add line", icon=":material/add:", on_click=_add_line, args=(conn, user, order))
    for field in ("quantity", ""):
        forms.field_error(_k(order.id, "add"), field)


def _receive_form(conn: Connection, user, order: po.Order) -> None:
    form = _k(order.id, "receive")
    st.markdown("**Receive a delivery**")
    st.caption("Enter what arrived on each line (0 for nothing this time). Lot-tracked items need the lot number "
               "and expiry from the box. It goes into the storeroom.")
    with st.form(form):
        for line in order.open_lines:
            cols = st.columns([4, 2, 3, 3])
            cols[0].markdown(f"{md(line.sku)} · {md(line.name)}  \n{line.received_quantity} of {line.quantity} "
                             f"{md(line.unit)} received, {line.open_quantity} to come")
            with cols[1]:
                st.number_input("Arrived", min_value=0, step=1, value=0, key=_rk(order, f"rq{line.id}"))
                forms.field_error(form, f"quantity_{line.id}")
            if line.lot_tracked:
                with cols[2]:
                    st.text_input("Lot number", key=_rk(order, f"lot{line.id}"), max_chars=60)
                    forms.field_error(form, f"lot_{line.id}")
                with cols[3]:
                    st.date_input("Expiry", value=None, key=_rk(order, f"exp{line.id}"), format="MM/DD/YYYY")
                    forms.field_error(form, f"expiry_{line.id}")
            else:
                cols[2].caption("Not tracked by lot")
        st.form_submit_button("Record receipt", type="primary", icon=":material/move_to_inbox:", on_click=_receive,
                              args=(conn, user, order))
    forms.form_error(form)


def _send(conn: Connection, user, order: po.Order) -> None:
    form = _k(order.id, "send")
    if order.below_minimum:
        st.warning(f"This order ({money_text(order.total)}) is under {md(order.vendor_name)}'s minimum order of "
                   f"{money_text(order.minimum_order)}: they may refuse it or charge extra.", icon=":material/warning:")
    cols = st.columns([2, 2], vertical_alignment="bottom")
    cols[0].date_input("Expected delivery", value=None, key=_k(order.id, "expected"), format="MM/DD/YYYY",
                       help=f"Empty: today plus {md(order.vendor_name)}'s lead time ({order.lead_time_days} days).")
    cols[1].button("Mark as ordered (sent)", key=_k(order.id, "send_btn"), type="primary", icon=":material/send:",
                   on_click=_mark_ordered, args=(conn, user, order), disabled=not order.lines)
    forms.field_error(form, "expected_on")
    forms.form_error(form)


def _cancel_part(conn: Connection, user, order: po.Order) -> None:
    with st.expander("Cancel this order"):
        st.text_input("Why (optional)", key=_k(order.id, "cancel_reason"), max_chars=200)
        st.button("Cancel the order" if order.status != "partially_received" else "Cancel what is still to come",
                  key=_k(order.id, "cancel_btn"), icon=":material/cancel:", on_click=_cancel, args=(conn, user, order))
        forms.form_error(_k(order.id, "cancel"))


def _downloads(conn: Connection, order: po.Order) -> None:
    fonts = pdf_fonts()
    cols = st.columns(2)
    cols[0].download_button("Download PDF", file_name=purchase_order_pdf.filename(order.id), mime="application/pdf",
                            icon=":material/print:", key=_k(order.id, "pdf"),
                            **audited("purchase_order_pdf", lambda: po.order_pdf(conn, order.id, fonts=fonts), category="inventory", entity="purchase_order",
                                      entity_id=order.id))
    cols[1].download_button("Download CSV", file_name=purchase_order_pdf.csv_filename(order.id), mime="text/csv",
                            icon=":material/download:", key=_k(order.id, "csv"),
                            **audited("purchase_order_csv", lambda: po.order_csv(conn, order.id), category="inventory", entity="purchase_order",
                                      entity_id=order.id))


def order_panel(conn: Connection, user, po_id: int) -> None:
    """One order: heading, lines, and what may be done with it by its status."""
    order = po.get_order(conn, po_id)
    st.markdown(f"#### PO {order.id} · {md(order.vendor_name)} {_badge(order.status)}")
    facts = [f"Total **{money_text(order.total)}**", f"account {md(order.account_number or '—')}"]
    if order.expected_on:
        facts.append(f"expected {order.expected_on:%m/%d/%Y}")
    if order.note:
        facts.append(md(order.note))
    st.markdown(" · ".join(facts))
    if order.status == "draft":
        _draft_lines(conn, user, order)
        _send(conn, user, order)
    else:
        _lines_table(order)
    if order.status in po.OPEN_STATUSES:
        _receive_form(conn, user, order)
    if order.status in ("draft", *po.OPEN_STATUSES):
        _cancel_part(conn, user, order)
    if order.lines:
        _downloads(conn, order)
