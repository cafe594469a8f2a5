"""The Visit types tab: every visit type in a table, and one form to add a visit type or edit one."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from clinic.errors import ClinicError
from components import forms
from components.schedule_admin.shared import EMPTY, NEW, Screen, colour_swatches, fail, seeded, succeed
from components.text import md
from db import visit_types

COLUMNS = ["name", "duration_min", "buffer_after_min", "new_patients_only", "colour", "default_fee_code", "active"]


def draw(screen: Screen) -> None:
    types = visit_types.list_all(screen.conn)
    _table(types)
    _form(screen, {t.id: t for t in types})


def _table(types: list[visit_types.VisitTypeSettings]) -> None:
    shown = pd.DataFrame(
        [{"name": t.name, "duration_min": t.duration_min, "buffer_after_min": t.buffer_after_min,
          "new_patients_only": t.new_patients_only, "colour": t.colour, "default_fee_code": t.default_fee_code or EMPTY,
          "active": t.active} for t in types],
        columns=COLUMNS,
    )
    st.dataframe(
        colour_swatches(shown, "colour"),
        hide_index=True,
        column_config={
            "name": "Name",
            "duration_min": st.column_config.NumberColumn("Minutes", format="%d"),
            "buffer_after_min": st.column_config.NumberColumn("Buffer after", format="%d min"),
            "new_patients_only": st.column_config.CheckboxColumn("New patients only"),
            "colour": "Colour",
            "default_fee_code": "Default fee code",
            "active": st.column_config.CheckboxColumn("Active"),
        },
    )


def _form(screen: Screen, by_id: dict[int, visit_types.VisitTypeSettings]) -> None:
    type_id = st.selectbox(
        "Add or edit", [NEW, *by_id],
        format_func=lambda i: "New visit type" if i == NEW
        else by_id[i].name + ("" if by_id[i].active else " (inactive)"),
        key="type_choice",
    )
    row = by_id.get(type_id)
    slot = "new" if row is None else str(type_id)
    form = f"visit_type_{slot}"
    with st.form(form):
        st.markdown("**New visit type**" if row is None else f"**Edit {md(row.name)}**")
        name = st.text_input("Name", key=seeded(f"type_name_{slot}", "" if row is None else row.name))
        forms.field_error(form, "name")
        minutes_col, buffer_col = st.columns(2)
        with minutes_col:
            duration = st.number_input(
                "Duration (minutes)", min_value=5, max_value=480, step=5,
                key=seeded(f"type_duration_{slot}", 15 if row is None else row.duration_min),
            )
            forms.field_error(form, "duration_min")
        with buffer_col:
            buffer_after = st.number_input(
                "Buffer after (minutes)", min_value=0, max_value=120, step=5,
                key=seeded(f"type_buffer_{slot}", 0 if row is None else row.buffer_after_min),
                help="Time after the visit when the provider is still busy (cleaning, notes).",
            )
            forms.field_error(form, "buffer_after_min")
        colour = st.color_picker("Colour", key=seeded(f"type_colour_{slot}", "#64748b" if row is None else row.colour))
        forms.field_error(form, "colour")
        fee_code = st.text_input("Default fee code",
                                 key=seeded(f"type_fee_{slot}", "" if row is None else (row.default_fee_code or "")),
                                 help="Billing uses it as the first line of the invoice.")
        forms.field_error(form, "default_fee_code")
        new_only = st.checkbox("New patients only",
                               key=seeded(f"type_new_only_{slot}", row is not None and row.new_patients_only))
        active = st.checkbox("Active (can be booked)", key=seeded(f"type_active_{slot}", row is None or row.active))
        save = st.form_submit_button("Add visit type" if row is None else "Save visit type", type="primary")
    forms.form_error(form)
    if not save:
        return
    values = {"name": name, "duration_min": duration, "buffer_after_min": buffer_after, "colour": colour,
              "new_patients_only": new_only, "default_fee_code": fee_code, "active": active}
    try:
        visit_types.save(screen.conn, values, by=screen.user, type_id=None if row is None else type_id)
    except ClinicError as exc:
        fail(form, exc)
    else:
        keys = tuple(f"type_{f}_{slot}" for f in ("name", "duration", "buffer", "colour", "fee", "new_only", "active"))
        succeed(form, f"{'Added' if row is None else 'Saved'} {md(' '.join(name.split()))}.", forget=keys)
