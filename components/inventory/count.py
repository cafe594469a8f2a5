"""The stock count tab: choose a location and a category, type what is on the shelves in the
"Counted" column, review the differences, record them (``adjustment`` movements, reason "count").

An empty Counted cell means "not counted": that line is left alone. A lot-tracked item with
nothing here has one line with no lot; a box found on the shelf is counted there with the lot
number printed on it typed in the Lot column (the lot must be on record already).

The sheet is read once and kept (with when it was read) until it is recorded or reloaded: that
is what the counter compares the shelves with, and recording refuses when the stock of a counted
line has moved since (someone used or moved some meanwhile), asking to reload. A refused review
or record shows its message under the table and keeps what was typed.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from clinic import timeutil
from clinic.errors import ClinicError
from clinic.inventory import CATEGORIES, CATEGORY_LABELS
from components import forms
from components.text import md
from db import Connection, settings, stock_count
from db import stock_locations as locations

FORM = "stk_count"
ALL = "all"
COLUMNS = ["SKU", "Item", "Unit", "Lot", "Expires", "Expected", "Counted"]
NOT_TRACKED = "not tracked"
NO_LOT = ""


def _state(name: str) -> str:
    return f"{FORM}_{name}"


def editor_key(location_id: int, category: str, generation: int = 0) -> str:
    """The data editor's key for a sheet (tests set its edits through it)."""
    return f"{FORM}_editor_{location_id}_{category}_{generation}"


def _generation() -> int:
    return st.session_state.setdefault(_state("generation"), 0)


def _new_sheet() -> None:
    """Forget the kept sheet, what was typed on it and the review (after recording, or on reload)."""
    st.session_state[_state("generation")] = _generation() + 1
    st.session_state.pop(_state("sheet"), None)
    st.session_state.pop(_state("review"), None)
    forms.clear_errors(FORM)


def _sheet(conn: Connection, location_id: int, category: str, tz: str) -> tuple[list[stock_count.CountLine], str]:
    """The sheet as first read for this location, category and generation, and when it was read."""
    tag = (location_id, category, _generation())
    kept = st.session_state.get(_state("sheet"))
    if kept is None or kept[0] != tag:
        lines = stock_count.count_sheet(conn, location_id=location_id, category=None if category == ALL else category)
        read_at = f"{timeutil.to_local(timeutil.now_utc(), tz):%H:%M}"
        kept = (tag, lines, read_at)
        st.session_state[_state("sheet")] = kept
        st.session_state.pop(_state("review"), None)
    return kept[1], kept[2]


def _lot_shown(line: stock_count.CountLine) -> str:
    if not line.lot_tracked:
        return NOT_TRACKED
    return line.lot_number or NO_LOT


def _frame(lines: list[stock_count.CountLine]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"SKU": line.sku, "Item": line.name, "Unit": line.unit, "Lot": _lot_shown(line), "Expires": line.expires_on,
          "Expected": line.expected, "Counted": None} for line in lines],
        columns=COLUMNS,
    ).astype({"Counted": "object", "Lot": "object"})


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value) or str(value).strip() == ""


def typed_counts(lines: list[stock_count.CountLine], edited: pd.DataFrame) -> tuple[dict, dict[int, str]]:
    """What was typed on the sheet: ``({line.key: counted}, {item_id: lot number of a found box})``.
    Raises :class:`ClinicError` when a lot was typed over a line that has its own."""
    counted: dict = {}
    lot_numbers: dict[int, str] = {}
    for index, line in enumerate(lines):
        value = edited.at[index, "Counted"]
        lot = edited.at[index, "Lot"]
        lot = "" if _blank(lot) else str(lot).strip()
        found_box = line.lot_tracked and line.lot_id is None
        if found_box:
            if lot:
                lot_numbers[line.item_id] = lot
        elif lot != _lot_shown(line):
            raise ClinicError(f"{md(line.label)}: the lot of this line cannot be changed (type a found box's lot "
                              "only on a line with no lot).", field="counted")
        if not _blank(value):
            counted[line.key] = str(value).strip()
    return counted, lot_numbers


def _review_table(differences: list[stock_count.Difference]) -> None:
    st.dataframe(
        pd.DataFrame([{"SKU": d.sku, "Item": d.name, "Lot": d.lot_number or "", "On hand": d.on_hand,
                       "Counted": d.counted, "Change": f"{d.change:+d} {d.unit}"} for d in differences],
                     columns=["SKU", "Item", "Lot", "On hand", "Counted", "Change"]),
        hide_index=True, key=_state("review_table"),
    )


def count_tab(conn: Connection, user) -> None:
    tz = settings.timezone(conn)
    st.caption("Count what is on the shelves of one place. Leave a line empty to skip it; zero means none "
               "found. Differences are shown for review before anything is recorded.")
    places = {loc.id: loc for loc in locations.list_locations(conn, include_inactive=False)}
    if not places:
        st.info("There are no stock locations yet.")
        return
    left, right = st.columns(2)
    with left:
        location_id = st.selectbox("Location", list(places), key=_state("location"),
                                   format_func=lambda i: places[i].name, on_change=forms.clear_errors, args=(FORM,))
    with right:
        category = st.selectbox("Category", [ALL, *CATEGORIES], key=_state("category"),
                                format_func=lambda c: "All categories" if c == ALL else CATEGORY_LABELS[c],
                                on_change=forms.clear_errors, args=(FORM,))
    lines, read_at = _sheet(conn, location_id, category, tz)
    if not lines:
        st.info("No active items in this category.")
        return

    st.caption(f"Sheet read at {read_at}. For a box of a lot-tracked item found where the sheet expects none, "
               "type the lot number printed on it in the Lot column.")
    edited = st.data_editor(
        _frame(lines), hide_index=True, num_rows="fixed", key=editor_key(location_id, category, _generation()),
        disabled=["SKU", "Item", "Unit", "Expires", "Expected"],
        column_config={
            "Item": st.column_config.TextColumn("Item", width="medium"),
            "Lot": st.column_config.TextColumn("Lot", max_chars=60),
            "Expires": st.column_config.DateColumn("Expires", format="MM/DD/YYYY"),
            "Expected": st.column_config.NumberColumn("Expected", help="On hand here when the sheet was read."),
            "Counted": st.column_config.TextColumn("Counted", help="Whole units found. Empty: not counted."),
        },
    )
    forms.form_error(FORM)

    one, two, _ = st.columns([1, 1, 2])
    if one.button("Review differences", key=_state("review_button"), icon=":material/fact_check:"):
        forms.clear_errors(FORM)
        st.session_state[_state("review")] = True
    if two.button("Reload the sheet", key=_state("reload"), icon=":material/refresh:",
                  help="Read the stock again. What was typed is cleared."):
        _new_sheet()
        st.rerun()
    if not st.session_state.get(_state("review")):
        return

    try:
        counted, lot_numbers = typed_counts(lines, edited)
        differences = stock_count.preview_count(conn, location_id=location_id, counted=counted,
                                                lot_numbers=lot_numbers)
    except ClinicError as exc:
        st.error(str(exc), icon=":material/error:")
        return
    if not counted:
        st.info("Nothing is counted yet: type what you found in the Counted column.")
        return
    if not differences:
        st.success("Every count matches the stock: nothing to record.", icon=":material/check_circle:")
        return
    st.markdown(f"**{len(differences)} difference{'s' if len(differences) != 1 else ''} to record** "
                f"at {md(places[location_id].name)}:")
    _review_table(differences)
    if st.button("Record count", type="primary", key=_state("record"), icon=":material/save:"):
        expected = {line.key: line.expected for line in lines}
        try:
            written = stock_count.apply_count(conn, location_id=location_id, counted=counted, expected=expected,
                                              lot_numbers=lot_numbers, user=user)
        except ClinicError as exc:
            forms.set_errors(FORM, {"": str(exc)})
            st.rerun()
        _new_sheet()
        forms.flash(f"Count recorded at {md(places[location_id].name)}: {written} adjustment"
                    f"{'s' if written != 1 else ''}.")
        st.rerun()
