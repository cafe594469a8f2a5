"""The frame every page shares: the sidebar (who is signed in, sign out, demo badge) and the
access check each page makes before showing anything."""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from clinic.access import ROLE_LABELS, can_open
from components import auth
from components.db_session import get_conn
from components.text import md
from db import actors, settings, users

# The page this session was last refused (its refusal is audited once, until another page opens).
_REFUSED_PAGE = "_frame_refused_page"


def sidebar(user: users.User) -> None:
    with st.sidebar:
        st.markdown(f"**{md(user.full_name)}**  \n{ROLE_LABELS.get(user.role, user.role)} · `{md(user.username)}`")
        if settings.is_demo(get_conn()):
            st.badge("Demo data", icon=":material/science:", color="orange")
        if st.button("Sign out", icon=":material/logout:", key="sign_out"):
            if auth.sign_out(user):
                st.stop()  # the browser is on its way to the provider's sign-out
            st.rerun()


def _leave_old_style_navigation() -> None:
    """Streamlit trap: a fresh server takes an app with a ``pages/`` folder for an old-style (v1)
    multipage app until app.py has run st.navigation once. When the very first request after a
    start is a page's address (a bookmark, a refresh), Streamlit runs that page file alone, with
    its own file-list sidebar and no sign-in gate from app.py. So: switch to app.py's navigation
    for good and reload the page in the browser; the reload runs app.py, which opens the page the
    address names (a signed-in user's session cookie keeps them signed in)."""
    if not PagesManager.uses_pages_directory:
        return
    PagesManager.uses_pages_directory = False
    st.html("<script>window.location.reload();</script>", unsafe_allow_javascript=True, width="content")
    st.stop()


def require(page: str) -> users.User:
    """Return the signed-in user if their role may open ``page``; otherwise refuse and stop.

    Navigation already hides pages a role may not open; this second check refuses a page
    reached any other way, before any of its data is read.
    """
    _leave_old_style_navigation()
    user = auth.current_user()
    if user is None:
        # Signed out (or deactivated) while on this page: offer the sign-in form right here.
        auth.login_page()
        st.stop()
    if not can_open(user.role, page):
        message = f"Your role ({ROLE_LABELS.get(user.role, user.role)}) does not give access to this page."
        # One audit row per opening of the page, not one per rerun while it stays on screen.
        if st.session_state.get(_REFUSED_PAGE) != page:
            actors.record_refusal(get_conn(), user, page, message=message)
            st.session_state[_REFUSED_PAGE] = page
        st.error(message, icon=":material/block:")
        st.stop()
    st.session_state.pop(_REFUSED_PAGE, None)
    return user
