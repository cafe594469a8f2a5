"""Signing in and out, and who is signed in for this browser session.

The session keeps only the user's id and its sign-in token; the account is read again on every
run, so a deactivation or role change by an admin takes effect at the signed-in user's next click.

Staying signed in: sign-in opens a server-side session (db/sessions.py) whose opaque token the
browser keeps in a ``SameSite=Strict`` cookie, set by a tiny script on the page. A refresh, a
second tab or a bookmark starts a new Streamlit session; it reads the cookie through
``st.context.cookies`` and resumes. Trade-off (README, Settings): a cookie set from the page
cannot be HttpOnly, so a script injected into the page could read it. Streamlit escapes what
we show, the token is worthless once revoked or idle, and only its hash is stored.
"""

from __future__ import annotations

import re

import streamlit as st

from clinic.errors import BadLogin, NotFound
from components.db_session import get_conn
from components.text import md
from db import sessions, settings, users

SESSION_KEY = "user_id"
TOKEN_KEY = "_session_token"
COOKIE = "clinicdesk_session"
_COOKIE_ACTION = "_session_cookie"  # ("set", token) or ("clear", None), written on the next run
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,200}$")

DEMO_LOGINS = (
    ("frontdesk", "Front desk"),
    ("billing", "Billing"),
    ("doctor", "Clinician"),
    ("manager", "Office manager"),
    ("admin", "Administrator"),
)


def _cookie_token() -> str | None:
    try:
        token = st.context.cookies.get(COOKIE)
    except Exception:  # no browser behind this run (bare script): no cookies
        return None
    # Under AppTest there is no browser and cookies.get returns a stand-in object, not a string.
    return token if isinstance(token, str) and _TOKEN_RE.match(token) else None


def current_user() -> users.User | None:
    """The signed-in account, or None. Resumes a session from the browser's cookie when this
    Streamlit session has none yet (a refresh, a new tab, a bookmark)."""
    conn = get_conn()
    ss = st.session_state
    user_id = ss.get(SESSION_KEY)
    token = ss.get(TOKEN_KEY)
    if user_id is not None and token is not None and sessions.resume(conn, token) != user_id:
        user_id = None  # revoked (signed out elsewhere, password changed, deactivated) or expired
    if user_id is None:
        token = _cookie_token()
        user_id = sessions.resume(conn, token) if token else None
        if user_id is not None:
            ss[TOKEN_KEY] = token
    try:
        user = users.get(conn, user_id) if user_id is not None else None
    except NotFound:
        user = None
    if user is None or not user.active:
        ss.pop(SESSION_KEY, None)
        if ss.pop(TOKEN_KEY, None):
            ss[_COOKIE_ACTION] = ("clear", None)
        return None
    ss[SESSION_KEY] = user.id
    return user


def sign_out(user: users.User) -> None:
    conn = get_conn()
    sessions.revoke(conn, st.session_state.get(TOKEN_KEY) or _cookie_token())
    users.record_sign_out(conn, user)
    # Forget everything this session held: forms, selections, cached patient data.
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    st.session_state[SESSION_KEY] = None
    st.session_state[_COOKIE_ACTION] = ("clear", None)


def sync_cookie() -> None:
    """Write (or delete) the sign-in cookie in the browser, once, after sign-in or sign-out.

    The script holds nothing but the token, which is checked to be URL-safe base64 first.
    """
    action = st.session_state.pop(_COOKIE_ACTION, None)
    if action is None:
        return
    kind, token = action
    if kind == "set" and token and _TOKEN_RE.match(token):
        max_age = int(sessions.limits(get_conn()).absolute.total_seconds())
        value, age = token, max_age
    else:
        value, age = "", 0
    st.html(
        "<script>(function(){var secure = location.protocol === 'https:' ? '; Secure' : '';"
        f"document.cookie = '{COOKIE}={value}; Path=/; SameSite=Strict; Max-Age={age}' + secure;"
        "})();</script>",
        unsafe_allow_javascript=True,
        width="content",
    )


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
                token = sessions.start(conn, user.id)
                st.session_state[SESSION_KEY] = user.id
                st.session_state[TOKEN_KEY] = token
                st.session_state[_COOKIE_ACTION] = ("set", token)
                st.rerun()
        if values["is_demo"] == "true":
            st.info(
                "**Demo data.** Every name and number here is synthetic. Sign in as one of these "
                "users, password `demo`:\n\n"
                + "\n".join(f"- `{login}`: {label}" for login, label in DEMO_LOGINS),
                icon=":material/science:",
            )
