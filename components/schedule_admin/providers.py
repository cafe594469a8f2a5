"""The Providers tab: every provider in a table, and one form to add a provider or edit one."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from clinic.errors import ClinicError
from components import forms
from components.schedule_admin.shared import EMPTY, NEW, NO_LOGIN, Screen, colour_swatches, fail, seeded, succeed
from components.text import md
from db import providers


def draw(screen: Screen) -> None:
    _table(screen)
    _form(screen)


def _table(screen: Screen) -> None:
    listed = providers.list_all(screen.conn)
    if not listed:
        st.info("No providers yet: add the first one below.")
        return
    shown = pd.DataFrame(
        [{"name": row.provider.name, "kind": providers.KIND_LABELS[row.provider.kind], "colour": row.provider.colour,
          "npi": row.provider.npi or EMPTY, "active": row.provider.active,
          "accepting_new": row.provider.accepting_new, "login": row.login or EMPTY}
         for row in listed]
    )
    st.dataframe(
        colour_swatches(shown, "colour"),
        hide_index=True,
        column_config={
            "name": "Name",
            "kind": "Kind",
            "colour": "Colour",
            "npi": "NPI",
            "active": st.column_config.CheckboxColumn("Active"),
            "accepting_new": st.column_config.CheckboxColumn("Takes new patients"),
            "login": "Linked login",
        },
    )


def _form(screen: Screen) -> None:
    by_id = screen.providers
    chosen_id = st.selectbox(
        "Add or edit", [NEW, *by_id], format_func=lambda i: "New provider" if i == NEW else screen.provider_label(i),
        key="provider_choice",
    )
    chosen = by_id.get(chosen_id)
    slot = "new" if chosen is None else str(chosen.id)
    form = f"provider_{slot}"
    logins = {u.id: u for u in providers.linkable_users(screen.conn, None if chosen is None else chosen.id)}
    login_key = seeded(f"provider_login_{slot}", NO_LOGIN if chosen is None else chosen.user_id or NO_LOGIN)
    if st.session_state[login_key] not in (NO_LOGIN, *logins):  # deactivated or linked elsewhere meanwhile
        st.session_state[login_key] = NO_LOGIN
    with st.form(form):
        st.markdown("**New provider**" if chosen is None else f"**Edit {md(chosen.name)}**")
        name = st.text_input("Name", key=seeded(f"provider_name_{slot}", "" if chosen is None else chosen.name),
                             help="As patients and staff know them, e.g. Dr. Amara Okafor or Daniel Reyes, NP.")
        forms.field_error(form, "name")
        kind = st.selectbox("Kind", providers.KINDS, format_func=providers.KIND_LABELS.get,
                            key=seeded(f"provider_kind_{slot}", "physician" if chosen is None else chosen.kind))
        forms.field_error(form, "kind")
        npi = st.text_input("NPI", key=seeded(f"provider_npi_{slot}", "" if chosen is None else chosen.npi or ""),
                            max_chars=10, placeholder="10 digits",
                            help="The provider's own National Provider Identifier: electronic claims name them as "
                                 "the rendering provider. Leave empty for staff who do not bill.")
        forms.field_error(form, "npi")
        colour = st.color_picker("Colour in the calendar",
                                 key=seeded(f"provider_colour_{slot}", "#2563eb" if chosen is None else chosen.colour))
        forms.field_error(form, "colour")
        active = st.checkbox("Active (can be booked)",
                             key=seeded(f"provider_active_{slot}", chosen is None or chosen.active),
                             help="Deactivating keeps their booked appointments: move or cancel them in the calendar.")
        accepting_new = st.checkbox(
            "Accepting new patients", key=seeded(f"provider_accepting_{slot}", chosen is None or chosen.accepting_new)
        )
        user_id = st.selectbox(
            "Linked login", [NO_LOGIN, *logins],
            format_func=lambda i: "No login" if i == NO_LOGIN else f"{logins[i].full_name} ({logins[i].username})",
            key=login_key,
            help="The clinician's own account: their home page and day sheet show this provider's patients.",
        )
        forms.field_error(form, "user_id")
        saved = st.form_submit_button("Add provider" if chosen is None else "Save provider", type="primary")
    forms.form_error(form)
    if not saved:
        return
    values = {"name": name, "kind": kind, "colour": colour, "active": active, "accepting_new": accepting_new,
              "user_id": None if user_id == NO_LOGIN else user_id, "npi": npi}
    try:
        if chosen is None:
            providers.create(screen.conn, **values, by=screen.user)
        else:
            changed = providers.update(screen.conn, chosen.id, **values, by=screen.user)
    except ClinicError as exc:
        fail(form, exc)
    else:
        keys = tuple(f"provider_{f}_{slot}" for f in ("name", "kind", "npi", "colour", "active", "accepting", "login"))
        if chosen is None:
            succeed(form, f"Added {md(' '.join(name.split()))}.", forget=keys)
        elif changed:
            succeed(form, f"Saved {md(' '.join(name.split()))}.", forget=keys)
        else:
            succeed(form, "Nothing to save: no field was changed.", forget=keys, kind="info")
