"""What every tab of Admin › Providers and hours shares: the screen's context, widgets seeded
through Session State so a save can start them afresh, messages kept for the next run, and the
"pick one, press Remove" row of the time-off and closure lists."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pandas as pd
import streamlit as st

from clinic import timeutil
from clinic.errors import ClinicError, ValidationError
from components import forms
from db import Connection, providers, settings
from db.providers import Provider
from db.users import User

STAMP = "ddd DD MMM YYYY, HH:mm"
# Ids start at 1, so 0 stands for "add a new one" in the add-or-edit pickers and for "no login".
# (A selectbox whose value is None shows its placeholder instead of the option.)
NEW = NO_LOGIN = 0
EMPTY = "—"  # an empty cell in a table

_RESET = "_schedule_reset"


@dataclass(frozen=True)
class Screen:
    """What the tabs need from the page: who acts, on which database, in which time zone."""

    conn: Connection
    user: User
    tz: str
    today: date
    providers: dict[int, Provider]  # every provider, inactive ones too, by id

    def provider_label(self, provider_id: int) -> str:
        p = self.providers[provider_id]
        return p.name if p.active else f"{p.name} (inactive)"


def open_screen(conn: Connection, user: User) -> Screen:
    """Start a run of the screen: forget the widgets a successful save asked to start afresh, and
    read what every tab needs."""
    # They are re-seeded through Session State (see `seeded`), which also updates what the browser
    # shows; merely forgetting a key would leave the old text in the browser, sent back on the next click.
    for key in st.session_state.pop(_RESET, []):
        st.session_state.pop(key, None)
    tz = settings.timezone(conn)
    everyone = providers.list_providers(conn, active_only=False)
    return Screen(conn, user, tz, timeutil.today(tz), {p.id: p for p in everyone})


def seeded(key: str, value) -> str:
    """``key`` for a widget whose value lives in Session State, set to ``value`` when absent."""
    if key not in st.session_state:
        st.session_state[key] = value
    return key


def fail(form: str, exc: ClinicError) -> None:
    """Keep the messages for the next run (next to their fields) and rerun."""
    forms.set_errors(form, exc.errors if isinstance(exc, ValidationError) else {exc.field or "": str(exc)})
    st.rerun()


def succeed(form: str, message: str, *, forget: tuple[str, ...] = (), kind: str = "success") -> None:
    """Clear the form's errors, have the named (seeded) widgets start afresh, and rerun."""
    forms.clear_errors(form)
    st.session_state[_RESET] = list(forget)
    forms.flash(message, kind)
    st.rerun()


def all_errors(form: str) -> None:
    """Every message of a form in one place: for an editor, whose cells cannot hold a message."""
    for message in dict.fromkeys(forms.errors_for(form).values()):
        st.error(message, icon=":material/error:")


def colour_swatches(frame: pd.DataFrame, column: str):
    # The colours were checked to be #rrggbb when saved, so they are safe to put in CSS.
    return frame.style.map(lambda c: f"background-color: {c}; color: white", subset=[column])


def remove_one(
    choices: dict[int, str], *, label: str, picker: str, button: str, remove: Callable[[int], object], done: str
) -> None:
    """A picker of ``choices`` (id -> label) with a Remove button beside it that calls
    ``remove(id)``; its messages are kept under the button's key and shown below the row."""
    remove_col, button_col = st.columns([3, 1], vertical_alignment="bottom")
    with remove_col:
        chosen = st.selectbox(label, list(choices), format_func=choices.get, key=picker)
    with button_col:
        if st.button("Remove", key=button):
            try:
                remove(chosen)
            except ClinicError as exc:
                fail(button, exc)
            else:
                succeed(button, done)
    forms.form_error(button)
