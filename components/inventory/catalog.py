"""The pieces of Inventory › Items and rooms: the item list with its add and change forms, the
locations with their par levels, and each visit type's supply kit. Managers and admins edit
(action ``inventory.items``); everyone else who opens the page sees the same tables, read-only."""

from __future__ import annotations

import hashlib
from typing import Any

import pandas as pd
import streamlit as st

from clinic.errors import ClinicError, NotAllowed, ValidationError
from clinic.inventory import CATEGORIES, CATEGORY_LABELS
from clinic.money import money_text
from components import forms
from components.text import md
from db import Connection, stock_catalog as catalog
from db import stock_locations as locations
from db import visit_kits as kits
from db import visit_types
from db.users import User

ADD, EDIT, ACTIVE = "add_item", "edit_item", "item_active"
ADD_PLACE, PLACE, PARS, KIT = "add_location", "location", "par_levels", "visit_kit"
ALL = "all"
LOCATION_KINDS = locations.LOCATION_KIND_LABELS


def _refused(form: str, exc: ClinicError) -> None:
    """Keep the messages of a refused save for the next run (what was typed stays in its widgets)."""
    forms.set_errors(form, exc.errors if isinstance(exc, ValidationError) else {exc.field or "": str(exc)})
    if isinstance(exc, NotAllowed):
        # The account is read again on every run: one demoted since the page was drawn no longer
        # sees the form on the rerun, so say it wherever they land as well.
        st.toast(str(exc), icon=":material/block:")


def _all_errors(form: str) -> None:
    for message in forms.errors_for(form).values():
        st.error(message, icon=":material/error:")


def _editor_key(name: str, saved: Any) -> str:
    """A table editor's key that follows what is saved: after a save it starts afresh from the saved
    rows; after a refusal the key, and so the typed edits, stay."""
    return f"{name}_{hashlib.sha1(repr(saved).encode()).hexdigest()[:10]}"


def item_label(item: catalog.CatalogItem) -> str:
    return f"{item.sku} · {item.name}" + ("" if item.active else " (out of use)")


# --- items -----------------------------------------------------------------------------------------

_ITEM_KEYS = ("sku", "name", "category", "unit", "pack_size", "reorder_point", "reorder_quantity", "vendor_id",
              "unit_cost", "lot_tracked", "storage_note")


def _typed(prefix: str) -> dict[str, Any]:
    state = st.session_state
    return {field: state.get(f"{prefix}{field}") for field in _ITEM_KEYS if f"{prefix}{field}" in state}


def _add_item(conn: Connection, user: User) -> None:
    values = _typed("new_item_")
    try:
        catalog.create_item(conn, **{**values, "lot_tracked": bool(values.get("lot_tracked"))}, user=user)
    except ClinicError as exc:
        _refused(ADD, exc)
        return
    forms.clear_errors(ADD)
    forms.flash(f"Added {md(catalog.clean_sku(values.get('sku')))} · {md(' '.join(str(values['name']).split()))}.")
    # Set, not popped: a popped key would leave the old text showing in the browser.
    st.session_state.update(new_item_sku="", new_item_name="", new_item_unit="", new_item_pack_size="1",
                            new_item_reorder_point="", new_item_reorder_quantity="", new_item_unit_cost="",
                            new_item_storage_note="", new_item_lot_tracked=False)


def _change_item(conn: Connection, user: User, item_id: int) -> None:
    values = _typed(f"item_{item_id}_")
    values.pop("sku", None)
    try:
        catalog.update_item(conn, item_id, values, user=user)
    except ClinicError as exc:
        _refused(EDIT, exc)
        return
    forms.clear_errors(EDIT)
    forms.flash(f"Saved {md(' '.join(str(values.get('name', '')).split()))}.")


def _set_item_active(conn: Connection, user: User, item: catalog.CatalogItem, active: bool) -> None:
    try:
        catalog.set_active(conn, item.id, active, user=user)
    except ClinicError as exc:
        _refused(ACTIVE, exc)
        return
    forms.clear_errors(ACTIVE)
    forms.flash(f"{md(item.sku)} is back in use." if active
                else f"{md(item.sku)} is out of use: its history and stock stay, its par levels are removed.")


# What the add form starts with (kept in Session State, so a refused value stays as typed).
_NEW_ITEM: dict[str, Any] = {"pack_size": "1", "category": CATEGORIES[0], "vendor_id": None}


def _start(item: catalog.CatalogItem | None, field: str) -> dict[str, str]:
    """The ``value=`` of a change-form field (the item's own); the add form's fields start from
    Session State instead (giving both would make Streamlit warn after the form is cleared)."""
    if item is None:
        st.session_state.setdefault(f"new_item_{field}", _NEW_ITEM.get(field, ""))
        return {}
    value = getattr(item, field)
    return {"value": "" if value is None else str(value)}


def _chosen(item: catalog.CatalogItem | None, field: str, options: list | tuple) -> dict[str, int]:
    """The ``index=`` of a change-form select box (the item's own choice); see :func:`_start`."""
    if item is None:
        st.session_state.setdefault(f"new_item_{field}", _NEW_ITEM[field])
        return {}
    value = getattr(item, field)
    return {"index": list(options).index(value) if value in options else 0}


def _item_fields(form: str, prefix: str, vendors: dict[int, str], item: catalog.CatalogItem | None = None) -> None:
    """The fields of one item inside ``form``, each with its message under it. Numbers are typed as
    text, so a refused value stays as typed."""
    if item is None:
        st.text_input("SKU", key=f"{prefix}sku", max_chars=catalog.SKU_MAX, placeholder="GLV-M",
                      help="The item's stock code: letters, digits and - _ . /. It cannot change later.")
    else:
        st.text_input("SKU", value=item.sku, key=f"{prefix}sku", disabled=True,
                      help="A SKU cannot change once the item exists (its stock and orders point to it): "
                           "to correct one, add a new item and take this one out of use.")
    forms.field_error(form, "sku")
    st.text_input("Name", key=f"{prefix}name", max_chars=120, **_start(item, "name"))
    forms.field_error(form, "name")
    left, right = st.columns(2)
    with left:
        st.selectbox("Category", CATEGORIES, key=f"{prefix}category", format_func=CATEGORY_LABELS.get,
                     **_chosen(item, "category", CATEGORIES))
        forms.field_error(form, "category")
        st.text_input("Reorder point", key=f"{prefix}reorder_point", **_start(item, "reorder_point"),
                      max_chars=9, help="Low when what is on hand plus on order is at or below this.")
        forms.field_error(form, "reorder_point")
        st.text_input("Pack size", key=f"{prefix}pack_size", max_chars=9, **_start(item, "pack_size"),
                      help="Units of issue in one pack the vendor sells; orders round up to whole packs.")
        forms.field_error(form, "pack_size")
    with right:
        st.text_input("Unit of issue", key=f"{prefix}unit", max_chars=40, **_start(item, "unit"),
                      placeholder="each, box of 100, vial…")
        forms.field_error(form, "unit")
        st.text_input("Reorder quantity", key=f"{prefix}reorder_quantity", **_start(item, "reorder_quantity"),
                      max_chars=9, help="The least to order when it is low.")
        forms.field_error(form, "reorder_quantity")
        st.text_input("Unit cost ($)", key=f"{prefix}unit_cost", **_start(item, "unit_cost"),
                      max_chars=12, placeholder="0.00")
        forms.field_error(form, "unit_cost")
    options = [None, *vendors]
    st.selectbox("Preferred vendor", options, key=f"{prefix}vendor_id", **_chosen(item, "vendor_id", options),
                 format_func=lambda v: "No preferred vendor" if v is None else vendors.get(v, "(not offered)"))
    forms.field_error(form, "vendor_id")
    st.text_input("Storage note", key=f"{prefix}storage_note", **_start(item, "storage_note"),
                  max_chars=200, placeholder="fridge 2–8 °C")
    forms.field_error(form, "storage_note")
    if item is None:
        st.session_state.setdefault(f"{prefix}lot_tracked", False)
    st.checkbox("Tracked by lot and expiry (receiving asks for both)", key=f"{prefix}lot_tracked",
                **({} if item is None else {"value": item.lot_tracked}))
    forms.field_error(form, "lot_tracked")


def items_section(conn: Connection, user: User, *, may_edit: bool) -> None:
    """The item list (filter by category, search), then for managers the add and change forms."""
    filters = st.columns([1, 2, 1], vertical_alignment="bottom")
    category = filters[0].selectbox("Category", [ALL, *CATEGORIES], key="items_category",
                                    format_func=lambda c: "All categories" if c == ALL else CATEGORY_LABELS[c])
    search = filters[1].text_input("Search", key="items_search", placeholder="SKU, name or storage note")
    show_inactive = filters[2].checkbox("Show items out of use", key="items_show_inactive")
    shown = catalog.list_items(conn, category=None if category == ALL else category, search=search,
                               include_inactive=show_inactive)
    st.dataframe(
        pd.DataFrame(
            [{"sku": i.sku, "name": i.name, "category": CATEGORY_LABELS[i.category], "unit": i.unit,
              "on_hand": i.on_hand, "reorder_point": i.reorder_point, "reorder_quantity": i.reorder_quantity,
              "pack_size": i.pack_size, "vendor": i.vendor_name or "—", "unit_cost": money_text(i.unit_cost),
              "lot_tracked": i.lot_tracked, "storage_note": i.storage_note or "", "active": i.active} for i in shown],
            columns=["sku", "name", "category", "unit", "on_hand", "reorder_point", "reorder_quantity", "pack_size",
                     "vendor", "unit_cost", "lot_tracked", "storage_note", "active"],
        ),
        hide_index=True,
        key="items_table",
        column_config={
            "sku": "SKU", "name": st.column_config.TextColumn("Name", width="medium"), "category": "Category",
            "unit": "Unit", "on_hand": st.column_config.NumberColumn("On hand", help="In every location."),
            "reorder_point": "Reorder point", "reorder_quantity": "Reorder qty", "pack_size": "Pack size",
            "vendor": "Preferred vendor", "unit_cost": "Unit cost",
            "lot_tracked": st.column_config.CheckboxColumn("Lots", help="Tracked by lot and expiry."),
            "storage_note": "Storage", "active": st.column_config.CheckboxColumn("In use"),
        },
    )
    if not shown:
        st.caption("No items match." if search or category != ALL else "No items yet.")
    if not may_edit:
        st.caption("Only a manager or an admin can change the item list.")
        return

    add_col, edit_col = st.columns(2, gap="large")
    with add_col:
        st.subheader("Add an item", divider="gray")
        with st.form(ADD):
            _item_fields(ADD, "new_item_", dict(catalog.vendor_choices(conn)))
            st.form_submit_button("Add item", type="primary", icon=":material/add:", on_click=_add_item,
                                  args=(conn, user))
        forms.form_error(ADD)
    with edit_col:
        st.subheader("Change an item", divider="gray")
        known = {i.id: i for i in catalog.list_items(conn, include_inactive=True)}
        if not known:
            st.caption("No items yet.")
            return
        chosen_id = st.selectbox("Item", list(known), key="edit_item_id", on_change=forms.clear_errors, args=(EDIT,),
                                 format_func=lambda i: item_label(known[i]))
        chosen = known.get(chosen_id) or next(iter(known.values()))
        # Keys carry the item's id, so choosing another item shows its own values.
        with st.form(EDIT):
            _item_fields(EDIT, f"item_{chosen.id}_", dict(catalog.vendor_choices(conn, keep=chosen.vendor_id)), chosen)
            st.form_submit_button("Save changes", type="primary", icon=":material/save:", on_click=_change_item,
                                  args=(conn, user, chosen.id))
        forms.form_error(EDIT)
        st.button("Put back in use" if not chosen.active else "Take out of use", key=f"item_{chosen.id}_toggle",
                  icon=":material/block:" if chosen.active else ":material/undo:", on_click=_set_item_active,
                  args=(conn, user, chosen, not chosen.active),
                  help="An item out of use keeps its history and stock; its par levels are removed.")
        _all_errors(ACTIVE)


# --- locations and par levels --------------------------------------------------------------------------


def _add_location(conn: Connection, user: User) -> None:
    state = st.session_state
    try:
        locations.add_location(conn, name=state.get("new_location_name", ""), kind=state.get("new_location_kind"),
                             user=user)
    except ClinicError as exc:
        _refused(ADD_PLACE, exc)
        return
    forms.clear_errors(ADD_PLACE)
    forms.flash(f"Added {md(' '.join(state['new_location_name'].split()))}.")
    state["new_location_name"] = ""


def _rename_location(conn: Connection, user: User, location_id: int) -> None:
    name = st.session_state.get(f"location_{location_id}_name", "")
    try:
        locations.rename_location(conn, location_id, name, user=user)
    except ClinicError as exc:
        _refused(PLACE, exc)
        return
    forms.clear_errors(PLACE)
    forms.flash(f"Renamed to {md(' '.join(name.split()))}.")


def _set_location_active(conn: Connection, user: User, location: locations.StockLocation, active: bool) -> None:
    try:
        locations.set_location_active(conn, location.id, active, user=user)
    except ClinicError as exc:
        _refused(PLACE, exc)
        return
    forms.clear_errors(PLACE)
    forms.flash(f"{md(location.name)} is {'back in use' if active else 'out of use'}.")


def locations_section(conn: Connection, user: User, *, may_edit: bool) -> None:
    """Where stock lives, and (for managers) adding, renaming and taking a room out of use."""
    places = locations.list_locations(conn)
    st.dataframe(
        pd.DataFrame([{"name": p.name, "kind": LOCATION_KINDS[p.kind], "units": p.on_hand, "items": p.items,
                       "active": p.active} for p in places], columns=["name", "kind", "units", "items", "active"]),
        hide_index=True, key="locations_table",
        column_config={"name": "Location", "kind": "Kind", "units": st.column_config.NumberColumn("Units held"),
                       "items": st.column_config.NumberColumn("Items held"),
                       "active": st.column_config.CheckboxColumn("In use")},
    )
    if not may_edit:
        return
    add_col, edit_col = st.columns(2, gap="large")
    with add_col, st.form(ADD_PLACE):
        st.text_input("New room or fridge", key="new_location_name", max_chars=60, placeholder="Exam room 3")
        forms.field_error(ADD_PLACE, "name")
        st.selectbox("Kind", locations.NEW_LOCATION_KINDS, key="new_location_kind", format_func=LOCATION_KINDS.get)
        forms.field_error(ADD_PLACE, "kind")
        st.form_submit_button("Add location", icon=":material/add:", on_click=_add_location, args=(conn, user))
    forms.form_error(ADD_PLACE)
    with edit_col:
        by_id = {p.id: p for p in places}
        chosen = by_id[st.selectbox("Location", list(by_id), key="edit_location_id", on_change=forms.clear_errors,
                                    args=(PLACE,), format_func=lambda i: by_id[i].name
                                    + ("" if by_id[i].active else " (out of use)"))]
        with st.form(PLACE):
            st.text_input("Name", value=chosen.name, key=f"location_{chosen.id}_name", max_chars=60)
            forms.field_error(PLACE, "name")
            st.form_submit_button("Rename", icon=":material/edit:", on_click=_rename_location,
                                  args=(conn, user, chosen.id))
        if chosen.kind != "storeroom":
            st.button("Put back in use" if not chosen.active else "Take out of use", key=f"location_{chosen.id}_toggle",
                      on_click=_set_location_active, args=(conn, user, chosen, not chosen.active),
                      help="A room that still holds stock cannot be taken out of use: move its stock first.")
        for field, message in forms.errors_for(PLACE).items():
            if field != "name":
                st.error(message, icon=":material/error:")


def par_section(conn: Connection, user: User, *, may_edit: bool) -> None:
    """Each room's (and the fridge's) par levels: what the morning restock fills it up to."""
    rooms = {p.id: p for p in locations.list_locations(conn, include_inactive=False) if p.kind != "storeroom"}
    if not rooms:
        st.caption("No rooms yet: add an exam room or a fridge above.")
        return
    pick, filt = st.columns(2)
    location_id = pick.selectbox("Room", list(rooms), key="par_location", format_func=lambda i: rooms[i].name,
                                 on_change=forms.clear_errors, args=(PARS,))
    category = filt.selectbox("Category", [ALL, *CATEGORIES], key="par_category",
                              format_func=lambda c: "All categories" if c == ALL else CATEGORY_LABELS[c])
    sheet = locations.par_sheet(conn, location_id, category=None if category == ALL else category)
    frame = pd.DataFrame([{"sku": r.sku, "name": r.name, "unit": r.unit, "on_hand": r.on_hand, "par": r.par}
                          for r in sheet], columns=["sku", "name", "unit", "on_hand", "par"])
    config = {"sku": "SKU", "name": st.column_config.TextColumn("Name", width="medium"), "unit": "Unit",
              "on_hand": st.column_config.NumberColumn("In the room now"),
              "par": st.column_config.NumberColumn("Par level", min_value=0, step=1, format="%d",
                                                   help="Empty or 0: not kept in this room.")}
    if not may_edit:
        st.dataframe(frame[frame["par"].notna()], hide_index=True, key="par_table", column_config=config)
        return
    st.caption("Type the par level of each item this room keeps; empty or 0 removes it.")
    key = _editor_key(f"pars_{location_id}_{category}", [(r.item_id, r.par) for r in sheet])
    st.data_editor(frame, hide_index=True, key=key, column_config=config,
                   disabled=["sku", "name", "unit", "on_hand"])
    forms.field_error(PARS, "pars")
    if st.button("Save par levels", type="primary", key="save_pars", icon=":material/save:"):
        edits = (st.session_state.get(key) or {}).get("edited_rows", {})
        pars = {sheet[int(pos)].item_id: change.get("par") for pos, change in edits.items() if "par" in change}
        try:
            locations.set_par_levels(conn, location_id, pars, user=user)
        except ClinicError as exc:
            _refused(PARS, exc)
        else:
            forms.clear_errors(PARS)
            forms.flash(f"Saved the par levels of {md(rooms[location_id].name)}.")
        st.rerun()
    forms.form_error(PARS)


# --- visit supply kits ---------------------------------------------------------------------------------


def kit_rows(saved: list[dict[str, Any]], edits: dict | None) -> list[dict[str, Any]]:
    """The editor's rows as the user left them (read from the edit record under the editor's key)."""
    edits = edits or {}
    rows = [dict(row) for row in saved]
    for position, changes in edits.get("edited_rows", {}).items():
        if 0 <= int(position) < len(rows):
            rows[int(position)].update(changes)
    deleted = {int(position) for position in edits.get("deleted_rows", [])}
    return [r for n, r in enumerate(rows) if n not in deleted] + [dict(r) for r in edits.get("added_rows", [])]


def _kit_lines(rows: list[dict[str, Any]], ids: dict[str, int]) -> dict[int, Any]:
    """{item id: quantity} from the rows; a row without an item, an unknown one or one listed twice is refused."""
    lines: dict[int, Any] = {}
    for n, row in enumerate(rows, start=1):
        label = row.get("item")
        if not label or (isinstance(label, float) and label != label):
            if row.get("quantity") not in (None, "") and row.get("quantity") == row.get("quantity"):
                raise ValidationError({"kit": f"Line {n}: choose the item."})
            continue
        if label not in ids:
            raise ValidationError({"kit": f"Line {n}: choose an item from the list."})
        if ids[label] in lines:
            raise ValidationError({"kit": f"{md(label)} is listed twice: give it one line with the total."})
        lines[ids[label]] = row.get("quantity")
    return lines


def kits_section(conn: Connection, user: User, *, may_edit: bool) -> None:
    """What one visit of each type uses; completing a visit takes it from stock."""
    types = {t.id: t for t in visit_types.list_all(conn)}
    if not types:
        st.caption("No visit types yet (Admin › Schedule).")
        return
    type_id = st.selectbox("Visit type", list(types), key="kit_visit_type", on_change=forms.clear_errors, args=(KIT,),
                           format_func=lambda i: types[i].name + ("" if types[i].active else " (inactive)"))
    kit = kits.kit_for(conn, type_id)
    saved = [{"item": f"{k.sku} · {k.name}", "quantity": k.quantity} for k in kit]
    if not may_edit:
        if kit:
            st.dataframe(pd.DataFrame([{**row, "unit": k.unit} for row, k in zip(saved, kit)],
                                      columns=["item", "quantity", "unit"]),
                         hide_index=True, key="kit_table",
                         column_config={"item": "Item", "quantity": "Per visit", "unit": "Unit"})
        else:
            st.caption(f"A {md(types[type_id].name)} visit takes nothing from stock.")
        return
    st.caption("Add a row per item one visit uses; delete a row to take an item out of the kit. Completing a "
               "visit takes its kit from stock (a shortage never blocks the visit: it is flagged).")
    choices = {item_label(i): i.id for i in catalog.list_items(conn)}
    choices.update({row["item"]: k.item_id for row, k in zip(saved, kit)})
    key = _editor_key(f"kit_{type_id}", saved)
    st.data_editor(
        pd.DataFrame(saved, columns=["item", "quantity"]), num_rows="dynamic", hide_index=True, key=key,
        column_config={"item": st.column_config.SelectboxColumn("Item", options=sorted(choices), width="large",
                                                                required=True),
                       "quantity": st.column_config.NumberColumn("Per visit", min_value=1, step=1, default=1,
                                                                 format="%d", required=True)},
    )
    forms.field_error(KIT, "kit")
    if st.button("Save the kit", type="primary", key="save_kit", icon=":material/save:"):
        try:
            kits.set_kit(conn, type_id, _kit_lines(kit_rows(saved, st.session_state.get(key)), choices), user=user)
        except ClinicError as exc:
            _refused(KIT, exc)
        else:
            forms.clear_errors(KIT)
            forms.flash(f"Saved what a {md(types[type_id].name)} visit uses.")
        st.rerun()
    forms.form_error(KIT)
