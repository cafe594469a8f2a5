"""Signing in and out, and who is signed in for this browser session.

The session keeps only the user's id; the account is read again on every run, so a
deactivation or role change by an admin takes effect at the signed-in user's next click.
"""

from __future__ import annotations

import streamlit as st

from clinic.errors import BadLogin, NotFound
from components.db_session import get_conn
from components.text import md
from db import settings, users

SESSION_KEY = "user_id"

DEMO_LOGINS = (
    ("frontdesk", "Front desk"),
    ("billing", "Billing"),
    ("doctor", "Clinician"),
    ("manager", "Office manager"),
    ("admin", "Administrator"),
)


def current_user() -> users.User | None:
    user_id = st.session_state.get(SESSION_KEY)
    if user_id is None:
        return None
    try:
        user = users.get(get_conn(), user_id)
    except NotFound:
        user = None
    if user is None or not user.active:
        st.session_state.pop(SESSION_KEY, None)
        return None
    return user


def sign_out(user: users.User) -> None:
    users.record_sign_out(get_conn(), user)
    # Forget everything this session held: forms, selections, cached patient data.
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    st.session_state[SESSION_KEY] = None


def login_page() -> None:
    """The sign-in screen (the only page a signed-out visitor can reach)."""
    conn = get_conn()
    values = settings.get_all(conn)
    left, middle, right = st.columns([1, 2, 1])
    with middle:
        st.title("ClinicDesk")
        st.caption(md(values["clinic_name"]))
        with st.form("sign_in"):
            username = st.text_input("Username", key="login_username", autocomplete="username")
            password = st.text_input("Password", type="password", key="login_password", autocomplete="current-password")
            submitted = st.form_submit_button("Sign in", type="primary", width="stretch")
        if submitted:
            try:
                user = users.authenticate(conn, username, password)
            except BadLogin as exc:
                st.error(str(exc), icon=":material/lock:")
            else:
                st.session_state.pop("login_password", None)
                st.session_state[SESSION_KEY] = user.id
                st.rerun()
        if values["is_demo"] == "true":
            st.info(
                "**Demo data.** Every name and number here is synthetic. Sign in as one of these "
                "users, password `demo`:\n\n"
                + "\n".join(f"- `{login}`: {label}" for login, label in DEMO_LOGINS),
                icon=":material/science:",
            )
