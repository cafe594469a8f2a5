"""Form helpers: errors shown next to their field, kept across the rerun that shows them.

Pattern used by every form: on submit, validate; on failure store ``{field: message}`` with
:func:`set_errors` and ``st.rerun()``. Widgets keep what the user typed (their keys persist),
and :func:`field_error` under each widget shows its message.
"""

from __future__ import annotations

import streamlit as st


def _key(form: str) -> str:
    return f"_errors_{form}"


def set_errors(form: str, errors: dict[str, str]) -> None:
    st.session_state[_key(form)] = dict(errors)


def clear_errors(form: str) -> None:
    st.session_state.pop(_key(form), None)


def errors_for(form: str) -> dict[str, str]:
    return st.session_state.get(_key(form), {})


def field_error(form: str, field: str) -> None:
    """Show the stored message for ``field`` (if any) right where this is called."""
    message = errors_for(form).get(field)
    if message:
        st.error(message, icon=":material/error:")


def form_error(form: str) -> None:
    """Messages that belong to no single field (key ``""`` or unknown fields)."""
    message = errors_for(form).get("")
    if message:
        st.error(message, icon=":material/error:")


def flash(message: str, kind: str = "success") -> None:
    """Queue a message to show once on the next run (survives st.rerun)."""
    st.session_state.setdefault("_flash", []).append((kind, message))


def show_flashes() -> None:
    for kind, message in st.session_state.pop("_flash", []):
        if kind == "success":
            st.success(message, icon=":material/check_circle:")
        elif kind == "warning":
            st.warning(message)
        else:
            st.info(message)
