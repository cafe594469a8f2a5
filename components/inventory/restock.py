"""The morning restock tab: what to bring from the storeroom to each room (and the fridge) to reach
its par level, grouped by room, as a printable checklist, and one click recording every move as
transfers. Recording is all or nothing: a line the storeroom can no longer cover refuses the
whole list with the item named, and nothing is moved.

The button records the list as it was shown (the same lines as the printout), from its callback,
so the page drawn next shows the list that is left.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from clinic import printing, restock_pdf, timeutil
from clinic.errors import ClinicError
from components import forms
from components.audit.downloads import audited
from components.text import md
from db import Connection, restock, settings

FORM = "stk_restock"


def _record(conn: Connection, user, moves: list[tuple[int, int, int]]) -> None:
    forms.clear_errors(FORM)
    try:
        made = restock.record_restock(conn, moves, user=user)
    except ClinicError as exc:
        forms.set_errors(FORM, {"": str(exc)})
        return
    forms.flash(f"Restock recorded: {made} transfer{'s' if made != 1 else ''} from the storeroom.")


def _room_table(lines: list[restock.RestockLine]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"Item": line.name, "SKU": line.sku, "Bring": line.bring, "Unit": line.unit, "In room": line.in_room,
          "Par": line.par, "Note": restock_pdf.note(line)} for line in lines],
        columns=["Item", "SKU", "Bring", "Unit", "In room", "Par", "Note"],
    )


def restock_tab(conn: Connection, user) -> None:
    today = timeutil.today(settings.timezone(conn))
    st.caption("What to bring from the storeroom to each room to bring it up to its par level (expired stock "
               "does not count). Print it, fill the rooms, then record the moves in one click.")
    lines = restock.restock_list(conn, today=today)
    forms.form_error(FORM)
    if not lines:
        st.success("Every room is at its par level: nothing to bring.", icon=":material/check_circle:")
        return

    for room, room_lines in restock_pdf.by_room(lines):
        st.markdown(f"**{md(room)}**")
        st.dataframe(_room_table(room_lines), hide_index=True, key=f"{FORM}_room_{room_lines[0].location_id}",
                     column_config={
                         "Bring": st.column_config.NumberColumn("Bring", help="Units to carry over."),
                         "In room": st.column_config.NumberColumn("In room", help="Usable units there now."),
                     })
    short = sum(1 for line in lines if line.short)
    if short:
        st.warning(f"The storeroom cannot bring {short} line{'s' if short != 1 else ''} up to par: see the Note "
                   "column (order more, or check the low-stock list).")

    moves = [(line.location_id, line.item_id, line.bring) for line in lines if line.bring > 0]
    clinic_name = settings.get(conn, "clinic_name")
    fonts = printing.bundled_fonts()
    left, right = st.columns(2)
    left.download_button(
        "Download printable list", file_name=restock_pdf.filename(today), mime="application/pdf", icon=":material/print:",
        **audited("restock_pdf", lambda: restock_pdf.restock_pdf(lines, clinic_name, today, **fonts), category="inventory", entity="restock", detail={"day": today.isoformat(),
                                                                                 "lines": len(lines)}),
        key=f"{FORM}_pdf", help="US Letter: a box to tick for each item.",
    )
    right.button(
        f"Record all transfers ({len(moves)})", type="primary", key=f"{FORM}_record", icon=":material/move_down:",
        on_click=_record, args=(conn, user, moves), disabled=not moves,
        help="Moves every quantity above from the storeroom into its room, all at once.",
    )
