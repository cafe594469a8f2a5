"""The Weekly hours tab: one provider's working blocks in an editable table, saved all at once."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import pandas as pd
import streamlit as st

from clinic import hours
from clinic.errors import ClinicError
from components.schedule_admin.shared import Screen, all_errors, fail, succeed
from components.text import md
from db import availability

COLUMNS = ("weekday", "start", "end")


def draw(screen: Screen) -> None:
    if not screen.providers:
        st.info("Add a provider first.")
        return
    provider_id = st.selectbox("Provider", list(screen.providers), format_func=screen.provider_label,
                               key="hours_provider")
    st.caption(
        "One row per working block in clinic time; a day may have several (08:00–12:00 and 13:00–17:00). "
        "Add a row at the bottom, delete one by ticking it and pressing the bin. "
        "Booked appointments stay as they are when hours change."
    )
    blocks = availability.hours_for(screen.conn, provider_id)
    saved = [{"weekday": hours.WEEKDAYS[b.weekday], "start": b.start, "end": b.end} for b in blocks]
    # The key follows the saved hours: after a save the editor starts afresh from them (the
    # browser would otherwise keep applying its old edits); after a refusal the key and the
    # typed edits stay.
    editor_key = f"hours_editor_{provider_id}_{hashlib.sha1(repr(blocks).encode()).hexdigest()[:10]}"
    form = f"hours_{provider_id}"
    st.data_editor(
        pd.DataFrame(saved, columns=list(COLUMNS)),
        num_rows="dynamic",
        hide_index=True,
        column_config={
            "weekday": st.column_config.SelectboxColumn("Weekday", options=hours.WEEKDAYS, required=True),
            "start": st.column_config.TimeColumn("Start", format="HH:mm", step=300, required=True),
            "end": st.column_config.TimeColumn("End", format="HH:mm", step=300, required=True),
        },
        key=editor_key,
    )
    all_errors(form)
    if st.button("Save hours", type="primary", key="save_hours"):
        try:
            rows = rows_as_edited(saved, st.session_state.get(editor_key))
            availability.set_hours(screen.conn, provider_id, hours.blocks_from_rows(rows), by=screen.user)
        except ClinicError as exc:
            fail(form, exc)
        else:
            succeed(form, f"Saved the weekly hours of {md(screen.providers[provider_id].name)}.")


def rows_as_edited(saved: list[dict[str, Any]], edits: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The editor's rows as the user left them, in plain values (an empty cell is None or absent).

    Read from the edit record Streamlit keeps under the editor's key (``edited_rows`` and
    ``deleted_rows`` by position in ``saved``, then ``added_rows``), not from the DataFrame the
    editor returns, whose empty cells come back as None, NaN or NA depending on the column.
    Times come as the browser sends them ("09:00:00.000"); ``clinic.hours`` reads them.
    """
    edits = edits or {}
    rows = [dict(row) for row in saved]
    for position, changes in edits.get("edited_rows", {}).items():
        if 0 <= int(position) < len(rows):
            rows[int(position)].update(changes)
    deleted = {int(position) for position in edits.get("deleted_rows", [])}
    kept = [row for position, row in enumerate(rows) if position not in deleted]
    return kept + [dict(row) for row in edits.get("added_rows", [])]
