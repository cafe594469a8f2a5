"""Optional single sign-on through an OpenID Connect provider (Streamlit's ``st.login``).

Off unless ``.streamlit/secrets.toml`` has an ``[auth]`` section with a provider (README, "Single
sign-on (optional)"). Then the sign-in screen offers "Sign in with <provider>" beside the password
form. The provider proves who the person is (and asks for their second factor); ClinicDesk maps
the e-mail it vouches for to an account (``db.users.sign_in_sso``) whose role stays ClinicDesk's.

How the pieces fit: ``st.login`` sends the browser to the provider, which sends it back to
``/oauth2callback``; Streamlit checks the identity token and keeps its claims in its own signed,
HttpOnly cookie (30 days), readable as ``st.user`` in every new browser session. The first run
after that return (:func:`take_identity`) starts a ClinicDesk server-side session from it, and from
then on ClinicDesk's own session cookie keeps the person signed in across a refresh, with its idle
timeout and sign-out, exactly as after a password sign-in (components/auth.py). Each identity from
the provider starts one session only, while fresh: Streamlit's long-lived cookie cannot undo an idle
timeout or a sign-out. Signing out also ends Streamlit's identity (``st.logout``), which signs out
at the provider too when it publishes an end-session endpoint.
"""

from __future__ import annotations

import importlib.util
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import streamlit as st

from components.text import md
from db import Connection, users

log = logging.getLogger(__name__)

_SEEN = "_sso_identity_seen"  # the provider identity this browser session has handed in already
_REFUSED = "_sso_refused"  # the message for an identity that maps to no active account


@dataclass(frozen=True)
class Provider:
    key: str | None  # the name for st.login; None for the provider set in [auth] itself
    label: str  # "Sign in with <label>"


def _auth_section() -> Mapping | None:
    try:
        section = st.secrets.get("auth")
    except Exception:  # no secrets.toml at all: Streamlit raises instead of returning None
        return None
    return section if isinstance(section, Mapping) else None


def _complete(section: Mapping) -> bool:
    return bool(section.get("client_id") and section.get("server_metadata_url"))


def providers() -> list[Provider]:
    """The providers configured in ``[auth]`` (none: single sign-on is off).

    ``[auth]`` itself may hold one provider, and ``[auth.<name>]`` sections more; each may set a
    ``display_name`` for its button (Streamlit ignores that key)."""
    section = _auth_section()
    if not section or not section.get("redirect_uri") or not section.get("cookie_secret"):
        return []
    found = [Provider(None, str(section.get("display_name") or "single sign-on"))] if _complete(section) else []
    for key, value in section.items():
        if isinstance(value, Mapping) and _complete(value):
            if "_" in key:  # Streamlit refuses provider names with an underscore
                log.warning("single sign-on provider [auth.%s] skipped: its name has an underscore", key)
                continue
            found.append(Provider(key, str(value.get("display_name") or key.replace("-", " ").title())))
    return found


def sign_in_buttons() -> None:
    """On the sign-in screen: why the last sign-on was refused, and a button per provider."""
    found = providers()
    if not found:
        return
    refused = st.session_state.get(_REFUSED)
    if refused:
        st.error(md(refused), icon=":material/no_accounts:")
    if importlib.util.find_spec("authlib") is None:
        st.warning("Single sign-on is set up in secrets.toml, but Authlib is not installed "
                   "(`pip install -r requirements.txt`).", icon=":material/warning:")
        return
    for provider in found:
        if st.button(f"Sign in with {provider.label}", key=f"sso_{provider.key or 'default'}", type="primary",
                     icon=":material/badge:", width="stretch"):
            st.session_state.pop(_REFUSED, None)
            try:
                st.login(provider.key)
            except Exception as exc:  # StreamlitAuthError: secrets.toml is missing a key
                log.warning("single sign-on cannot start: %s", exc)
                st.error("Single sign-on is not set up correctly (see the app's log). Sign in with your "
                         "username and password.", icon=":material/error:")
    st.caption("Or with your ClinicDesk username and password:")


def _identity(claims: Mapping) -> str:
    """What makes this sign-in at the provider unique: issuer, subject, issue time and nonce."""
    return json.dumps([claims.get(k) for k in ("iss", "sub", "iat", "nonce", "provider")], default=str)


def _issued_at(claims: Mapping) -> datetime | None:
    try:
        return datetime.fromtimestamp(float(claims["iat"]), UTC)
    except (KeyError, TypeError, ValueError, OverflowError):
        return None


def _verified(value: object) -> bool | None:
    """The ``email_verified`` claim when the provider sends one (some send it as a string)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def _logged_in() -> bool:
    try:
        return bool(st.user.is_logged_in)
    except Exception:  # st.user raises without an [auth] section
        return False


def take_identity(conn: Connection) -> tuple[int, str] | None:
    """When the provider has just handed back an identity: sign in its account and return the
    account's id and the new session's token (components.auth keeps them as after a password
    sign-in). None when there is none, it was handed in already, or it is refused (the sign-in
    screen then says why)."""
    if not providers() or not _logged_in():
        return None
    claims = st.user.to_dict()
    identity = _identity(claims)
    if st.session_state.get(_SEEN) == identity:
        return None
    st.session_state[_SEEN] = identity
    provider = str(claims.get("provider") or "default")
    try:
        user, token = users.sign_in_sso(conn, str(claims.get("email") or ""), provider=provider,
                                        email_verified=_verified(claims.get("email_verified")),
                                        identity=identity, issued_at=_issued_at(claims))
    except users.SsoAlreadyUsed:
        return None
    except users.SsoRefused as exc:
        st.session_state[_REFUSED] = str(exc)
        return None
    return user.id, token


def sign_out() -> bool:
    """After ClinicDesk's own sign-out: end Streamlit's identity too, so that the next person at
    this browser starts at the provider (st.logout also signs out there when the provider
    publishes an end-session endpoint). True when the browser is being sent there: the caller
    then stops the run instead of rerunning it (a rerun could drop the redirect)."""
    if providers() and _logged_in():
        st.logout()
        return True
    return False
