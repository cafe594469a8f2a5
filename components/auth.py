"""Signing in and out, and who is signed in for this browser session.

The session keeps only the user's id and its sign-in token; the account is read again on every
run, so a deactivation or role change by an admin takes effect at the signed-in user's next click.
The user handed to pages carries its session (``session_hash``), so a write that runs before this
check (a button's callback) is refused too once the session has ended (``db.actors.acting``).

Staying signed in: sign-in opens a server-side session (db/sessions.py) whose opaque token the
browser keeps in a ``SameSite=Strict`` cookie, set by a tiny script on the page. A refresh, a
second tab or a bookmark starts a new Streamlit session; it reads the cookie through
``st.context.cookies`` and resumes. Trade-off (README, Settings): a cookie set from the page
cannot be HttpOnly, so a script injected into the page could read it. Streamlit escapes what
we show, the token is worthless once revoked or idle, and only its hash is stored. Single sign-on
(components/sso.py, optional) ends in the same kind of session.

Idle timeout: the first run after ``session_idle_min`` without one asks to sign in again (the
timeout is audited by db/sessions.py). What the user had typed into the page's widgets (the
plain values in ``st.session_state``: text, numbers, dates, choices) is put aside, the rest of
the session's state is dropped, and the values come back when the same user signs in again in
this browser tab; anyone else starts clean. Checkboxes, buttons, uploads and table edits are not
kept: Streamlit does not let a button's or an upload's value be set, and a bare True/False cannot
be told apart from a button's.

An account an admin has given a new password (``must_change_password``) is signed in but gets only
the "Choose a new password" form until it has chosen one.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import streamlit as st

from clinic.errors import BadLogin, ClinicError, NotFound, ValidationError
from components import forms, sso
from components.db_session import get_conn
from components.text import md
from db import sessions, settings, users

SESSION_KEY = "user_id"
TOKEN_KEY = "_session_token"
COOKIE = "clinicdesk_session"
_COOKIE_ACTION = "_session_cookie"  # ("set", token) or ("clear", None), written on the next run
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,200}$")
_STASH = "_idle_stash"  # {"user_id": ..., "values": {key: value}} put aside at an idle timeout
_TIMED_OUT = "_timed_out_minutes"  # for the sign-in screen: signed out after this many idle minutes
_PREFILL = "_sign_in_as"  # for the sign-in screen: the username of the session that went idle
_MUST_CHANGE = "_must_change_password"  # the signed-in account that must choose a password first
_CHOOSE_FORM = "choose_password"
_NEW_PASSWORD, _NEW_PASSWORD_AGAIN = "own_new_password", "own_new_password_confirm"
# Keys of this module's own widgets: never put aside nor given back.
_OWN_KEYS = frozenset({SESSION_KEY, "login_username", "login_password", _NEW_PASSWORD, _NEW_PASSWORD_AGAIN,
                       "choose_password_sign_out", "sign_out"})
_PLAIN = (str, int, float, Decimal, date, time, timedelta)

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
    Streamlit session has none yet (a refresh, a new tab, a bookmark); ends an idle one."""
    conn = get_conn()
    ss = st.session_state
    ss.pop(_MUST_CHANGE, None)
    user_id = ss.get(SESSION_KEY)
    token = ss.get(TOKEN_KEY)
    if user_id is not None and token is not None:
        state = sessions.check(conn, token)
        if state.user_id != user_id:
            if state.ended == "idle" and state.idle_user_id == user_id:
                _time_out(conn, user_id, state.idle_minutes)
                return None
            user_id = None  # revoked (signed out elsewhere, password changed, deactivated) or expired
    if user_id is None:
        token = _cookie_token()
        state = sessions.check(conn, token) if token else None
        user_id = state.user_id if state else None
        if user_id is not None:
            ss[TOKEN_KEY] = token
        elif state is not None and state.ended == "idle" and state.just_now:
            ss[_TIMED_OUT] = state.idle_minutes  # back after a while in a new tab: say why
            ss[_PREFILL] = _username(conn, state.idle_user_id)
    if user_id is None and (signed_on := sso.take_identity(conn)) is not None:
        user_id, token = signed_on  # just back from the single sign-on provider (components/sso.py)
        _begin(user_id, token)
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
    token = ss.get(TOKEN_KEY)
    if user.must_change_password:
        ss[_MUST_CHANGE] = user.id
        return None
    _give_back(user.id)
    return dataclasses.replace(user, session_hash=sessions.token_hash(token) if token else None)


def _keepable(key: object, value: object) -> bool:
    """A widget value worth giving back after a timeout: plain data under a page's own key."""
    if not isinstance(key, str) or key.startswith("_") or key in _OWN_KEYS or key.startswith("FormSubmitter:"):
        return False
    if isinstance(value, (list, tuple)):
        return bool(value) and all(_keepable(key, v) for v in value)
    # bool is left out on purpose: a button's True/False cannot be set through session state.
    return isinstance(value, _PLAIN) and not isinstance(value, bool)


def _time_out(conn, user_id: int, minutes: int | None) -> None:
    """The session went idle: put the page's typed values aside for this user, drop the rest.

    Streamlit may stop this run at any session-state access (a newer click arrived): so what is
    kept is written first and merged with what an interrupted earlier try kept, and the user's
    own keys go last. Until they are gone, the next run finds the session idle and comes here
    again (db.sessions.check)."""
    ss = st.session_state
    earlier = ss.get(_STASH) or {}
    kept = dict(earlier.get("values", {})) if earlier.get("user_id") == user_id else {}
    kept.update({key: value for key, value in ss.items() if _keepable(key, value)})
    ss[_STASH] = {"user_id": user_id, "values": kept}
    ss[_TIMED_OUT] = minutes
    ss[_PREFILL] = _username(conn, user_id)
    for key in list(ss.keys()):
        if key not in (_STASH, _TIMED_OUT, _PREFILL, SESSION_KEY, TOKEN_KEY):
            del ss[key]
    ss[_COOKIE_ACTION] = ("clear", None)
    ss.pop(TOKEN_KEY, None)
    ss.pop(SESSION_KEY, None)


def _username(conn, user_id: int | None) -> str:
    try:
        return users.get(conn, user_id).username if user_id is not None else ""
    except NotFound:
        return ""


def _give_back(user_id: int) -> None:
    """After signing in again: the values put aside at the timeout, to the same user only."""
    ss = st.session_state
    ss.pop(_TIMED_OUT, None)
    stash = ss.pop(_STASH, None)
    if not stash or stash.get("user_id") != user_id:
        return
    for key, value in stash["values"].items():
        ss[key] = value
    if stash["values"]:
        st.toast("Signed in again: what you had typed is back.", icon=":material/restore:")


def sign_out(user: users.User) -> bool:
    """End the session and forget its state; True when the browser is being sent to the single
    sign-on provider's sign-out (stop the run then, do not rerun it)."""
    conn = get_conn()
    sessions.revoke(conn, st.session_state.get(TOKEN_KEY) or _cookie_token())
    users.record_sign_out(conn, user)
    # Forget everything this session held: forms, selections, cached patient data, and anything
    # put aside at an idle timeout.
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    st.session_state[SESSION_KEY] = None
    st.session_state[_COOKIE_ACTION] = ("clear", None)
    return sso.sign_out()


def _begin(user_id: int, token: str) -> None:
    """Keep a new sign-in's session (password or single sign-on) in a clean browser session.

    Whatever a sign-out or timeout that Streamlit interrupted may have left goes; only values put
    aside at a timeout stay, and they go back to the same user only (current_user)."""
    for key in list(st.session_state.keys()):
        if key != _STASH:
            del st.session_state[key]
    st.session_state[SESSION_KEY] = user_id
    st.session_state[TOKEN_KEY] = token
    st.session_state[_COOKIE_ACTION] = ("set", token)


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
    """The sign-in screen (the only page a signed-out visitor can reach), or, for an account that
    must choose a new password, the form for that."""
    conn = get_conn()
    if st.session_state.get(_MUST_CHANGE) is not None:
        _choose_password(conn, st.session_state[_MUST_CHANGE])
        return
    values = settings.get_all(conn)
    left, middle, right = st.columns([1, 2, 1])
    with middle:
        st.title("ClinicDesk")
        st.caption(md(values["clinic_name"]))
        minutes = st.session_state.get(_TIMED_OUT)
        if minutes is not None:
            kept = bool(st.session_state.get(_STASH, {}).get("values"))
            st.info(f"You were signed out after {minutes} minutes without activity. Sign in again to carry on"
                    + (": what you had typed is kept." if kept else "."), icon=":material/timer_off:")
        sso.sign_in_buttons()
        with st.form("sign_in"):
            # The name of the session that went idle goes in the field in every run that draws it
            # empty: Streamlit resets a widget's value when the page it was drawn on changes (the
            # run after a timeout can be followed by one that switches to the sign-in page). A
            # name typed over it is not empty, so it stays through a failed try.
            if st.session_state.get(_PREFILL) and not st.session_state.get("login_username"):
                st.session_state["login_username"] = st.session_state[_PREFILL]
            username = st.text_input("Username", key="login_username", autocomplete="username")
            password = st.text_input("Password", type="password", key="login_password", autocomplete="current-password")
            submitted = st.form_submit_button("Sign in", type="primary", width="stretch")
        if submitted:
            try:
                user = users.authenticate(conn, username, password)
            except BadLogin as exc:  # SignInLocked too: its own words, the same for any name
                st.error(str(exc), icon=":material/lock:")
            else:
                _begin(user.id, sessions.start(conn, user.id))
                st.rerun()
        if values["is_demo"] == "true":
            st.info(
                "**Demo data.** Every name and number here is synthetic. Sign in as one of these "
                "users, password `demo`:\n\n"
                + "\n".join(f"- `{login}`: {label}" for login, label in DEMO_LOGINS),
                icon=":material/science:",
            )


def _choose_password(conn, user_id: int) -> None:
    """After an admin's reset: a password of the user's own before anything else."""
    ss = st.session_state
    left, middle, right = st.columns([1, 2, 1])
    with middle:
        st.title("Choose a new password")
        st.caption("An administrator has reset your password. Choose one that only you know before you go on.")
        with st.form(_CHOOSE_FORM):
            st.text_input("New password", type="password", key=_NEW_PASSWORD, autocomplete="new-password",
                          help=f"At least {users.password_min_length(conn)} characters, not a common password, "
                               "without your username. A few unrelated words work well.")
            forms.field_error(_CHOOSE_FORM, "password")
            st.text_input("Repeat the new password", type="password", key=_NEW_PASSWORD_AGAIN,
                          autocomplete="new-password")
            forms.field_error(_CHOOSE_FORM, "confirm")
            submitted = st.form_submit_button("Save the new password", type="primary", width="stretch")
        forms.form_error(_CHOOSE_FORM)
        if submitted:
            try:
                users.change_own_password(conn, user_id, ss.get(_NEW_PASSWORD) or "", ss.get(_NEW_PASSWORD_AGAIN) or "",
                                          token=ss.get(TOKEN_KEY))
            except ValidationError as exc:
                forms.set_errors(_CHOOSE_FORM, exc.errors)
            except ClinicError as exc:
                forms.set_errors(_CHOOSE_FORM, {"": str(exc)})
            else:
                forms.clear_errors(_CHOOSE_FORM)
                ss.pop(_NEW_PASSWORD, None)
                ss.pop(_NEW_PASSWORD_AGAIN, None)
            st.rerun()
        if st.button("Sign out", key="choose_password_sign_out", icon=":material/logout:"):
            try:
                if sign_out(users.get(conn, user_id)):
                    st.stop()
            except NotFound:
                pass
            st.rerun()
