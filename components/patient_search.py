"""A reusable patient search: one text box, the matches as a compact list, an open button per row.

``chosen = patient_search("pt_find")`` returns the id of the patient whose button was clicked in
this run, else None: the caller decides what opening means (show the file, pick a duplicate to
merge, book a visit). After a pick the box starts empty on the next run. Matching is
db.patients.search: a name fragment in either order with accents ignored, a date of birth, a phone
number in any format, or an MRN.

Names are shown through components.text.md, never in a button label (button labels are
Markdown too, and a name is whatever was typed at the desk).
"""

from __future__ import annotations

from collections.abc import Collection

import streamlit as st

from clinic.intake import display_phone
from components.db_session import get_conn
from components.text import md
from db import patients, settings

PLACEHOLDER = "Name (either order), date of birth (MM/DD/YYYY), phone or MRN"


def _clear_flag(key: str) -> str:
    return f"_{key}_clear"


def patient_search(
    key: str,
    *,
    label: str = "Find a patient",
    button_label: str = "Open",
    icon: str = ":material/folder_open:",
    exclude: Collection[int] = (),
    limit: int = 20,
    placeholder: str = PLACEHOLDER,
) -> int | None:
    """Draw the search box and its results; return the id picked in this run, or None."""
    conn = get_conn()
    region = settings.get(conn, "country")
    if st.session_state.pop(_clear_flag(key), False):
        # A patient was picked on the last run: start the next search from an empty box. (Setting
        # the value, rather than deleting the key, also empties the box in the browser.)
        st.session_state[key] = ""
    query = st.text_input(label, key=key, placeholder=placeholder, max_chars=100)
    if not query.strip():
        return None
    skip = set(exclude)
    found = [p for p in patients.search(conn, query, limit=limit) if p.id not in skip]
    if not found:
        st.caption("No active patient matches. Check the spelling, or try the date of birth, phone or MRN.")
        return None
    chosen = None
    with st.container(border=True, key=f"{key}_results"):
        for p in found:
            name_col, dob_col, mrn_col, phone_col, button_col = st.columns(
                [3, 1.4, 1.1, 1.6, 1.2], vertical_alignment="center"
            )
            preferred = f" ({md(p.preferred_name)})" if p.preferred_name else ""
            name_col.markdown(f"**{md(p.display_name)}**{preferred}")
            dob_col.markdown(f"DOB {p.date_of_birth:%m/%d/%Y}")
            mrn_col.markdown(f"MRN {md(p.mrn)}")
            phone_col.markdown(md(display_phone(p.phone_mobile, region)) or ":gray[no phone]")
            if button_col.button(button_label, key=f"{key}_pick_{p.id}", icon=icon, width="stretch"):
                chosen = p.id
                st.session_state[_clear_flag(key)] = True
        if len(found) == limit:
            st.caption(f"Showing the first {limit} matches: type more of the name to narrow them down.")
    return chosen
