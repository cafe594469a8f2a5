"""Admin › Users: list accounts, add one, change a role, deactivate or reactivate, reset a password
(the person then chooses their own at their next sign-in), unlock an account locked out by failed
sign-ins, set the e-mail single sign-on maps to the account."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from clinic import timeutil
from clinic.access import ROLE_LABELS, ROLES
from clinic.errors import ClinicError, NotAllowed, ValidationError
from components import forms
from components.db_session import get_conn
from components.frame import require
from components.text import md
from db import settings, users

EMPTY = "—"
NEW_USER_FIELDS = ("new_username", "new_full_name", "new_password", "new_password_confirm")

admin = require("admin_users")
conn = get_conn()
tz = settings.timezone(conn)


def refuse(form: str, exc: ClinicError, *, field: str = "", whole_form: bool = False) -> None:
    """Keep the messages for the form's next run: next to their fields (a message for no field
    under ``field``), or all of them under the form when ``whole_form``."""
    if whole_form:
        forms.set_errors(form, {"": str(exc)})
    else:
        forms.set_errors(form, exc.errors if isinstance(exc, ValidationError) else {exc.field or field: str(exc)})
    if isinstance(exc, NotAllowed):
        # The account is read again on every run: one demoted or deactivated since this page was
        # drawn no longer reaches it on the rerun, so say it wherever they land as well.
        st.toast(str(exc), icon=":material/block:")


def local_stamp(user: users.User) -> str:
    if user.last_sign_in_at is None:
        return EMPTY
    return f"{timeutil.to_local(user.last_sign_in_at, tz):%Y-%m-%d %H:%M}"


def locked_stamp(user: users.User) -> str:
    return f"{timeutil.to_local(user.locked_until, tz):%H:%M}" if user.is_locked() else EMPTY


def add_user() -> None:
    """Runs before the rerun (a callback), so that the form can be cleared after a save: a
    widget's value can only be reset by assigning it here, not by deleting its key."""
    form, state = "add_user", st.session_state
    try:
        if state["new_password"] != state["new_password_confirm"]:
            raise ValidationError({"confirm": "The two passwords differ."})
        users.create(conn, username=state["new_username"], full_name=state["new_full_name"],
                     role=state["new_role"], password=state["new_password"], by=admin)
    except ClinicError as exc:
        refuse(form, exc)
    else:
        forms.clear_errors(form)
        forms.flash(f"Added {md(state['new_username'].strip().lower())}.")
        for key in NEW_USER_FIELDS:
            state[key] = ""


st.title("Users")
forms.show_flashes()

locked = users.list_locked(conn)
if locked:
    st.warning(
        "**Locked out after too many failed sign-ins:** "
        + "; ".join(f"{md(u.full_name)} ({md(u.username)}) until {locked_stamp(u)}" for u in locked)
        + ". Choose the user under “Change a user” to unlock them sooner.",
        icon=":material/lock_clock:",
    )

accounts = sorted(users.list_users(conn), key=lambda u: (not u.active, u.username))
st.dataframe(
    pd.DataFrame(
        [{"username": u.username, "full_name": u.full_name, "role": ROLE_LABELS.get(u.role, u.role), "active": u.active,
          "email": u.email or EMPTY, "last_sign_in_at": local_stamp(u), "locked_until": locked_stamp(u),
          "created_at": EMPTY if u.created_at is None else f"{timeutil.to_local(u.created_at, tz):%Y-%m-%d}"}
         for u in accounts],
        columns=["username", "full_name", "role", "active", "email", "last_sign_in_at", "locked_until", "created_at"],
    ),
    hide_index=True,
    column_config={
        "username": "Username",
        "full_name": "Name",
        "role": "Role",
        "active": st.column_config.CheckboxColumn("Active"),
        "email": st.column_config.TextColumn("E-mail", help="For single sign-on."),
        "last_sign_in_at": st.column_config.TextColumn("Last sign-in", help=f"Clinic time ({tz})."),
        "locked_until": st.column_config.TextColumn(
            "Locked until", help=f"Clinic time ({tz}). Too many failed sign-ins: refused until then."),
        "created_at": "Created",
    },
)
password_rule = (f"At least {users.password_min_length(conn)} characters, not a common password, "
                 "without the username.")

add_col, change_col = st.columns(2, gap="large")

with add_col:
    st.subheader("Add a user")
    form = "add_user"
    with st.form(form):
        st.text_input("Username", key="new_username", help="Lower-case letters, digits, . _ -")
        forms.field_error(form, "username")
        st.text_input("Full name", key="new_full_name")
        forms.field_error(form, "full_name")
        st.selectbox("Role", ROLES, format_func=ROLE_LABELS.get, key="new_role")
        forms.field_error(form, "role")
        st.text_input("Initial password", type="password", key="new_password", help=password_rule)
        forms.field_error(form, "password")
        st.text_input("Repeat the password", type="password", key="new_password_confirm")
        forms.field_error(form, "confirm")
        st.form_submit_button("Add user", type="primary", on_click=add_user)
    forms.form_error(form)

with change_col:
    st.subheader("Change a user")
    people = {u.id: u for u in users.list_users(conn)}
    chosen_id = st.selectbox(
        "User",
        list(people),
        format_func=lambda i: f"{people[i].full_name} ({people[i].username})"
        + ("" if people[i].active else " — deactivated"),
        key="chosen_user",
    )
    chosen = people.get(chosen_id)
    if chosen is not None:
        form = "change_user"
        new_role = st.selectbox(
            "Role", ROLES, index=ROLES.index(chosen.role), format_func=ROLE_LABELS.get, key=f"role_{chosen.id}"
        )
        role_col, active_col = st.columns(2)
        with role_col:
            if st.button("Save role", key="save_role", disabled=new_role == chosen.role):
                try:
                    users.set_role(conn, chosen.id, new_role, by=admin)
                except ClinicError as exc:
                    refuse(form, exc, whole_form=True)
                else:
                    forms.clear_errors(form)
                    forms.flash(f"{chosen.username} is now {ROLE_LABELS[new_role]}.")
                st.rerun()
        with active_col:
            label = "Deactivate" if chosen.active else "Reactivate"
            if st.button(label, key="toggle_active", disabled=chosen.id == admin.id and chosen.active):
                try:
                    users.set_active(conn, chosen.id, not chosen.active, by=admin)
                except ClinicError as exc:
                    refuse(form, exc, whole_form=True)
                else:
                    forms.clear_errors(form)
                    forms.flash(f"{chosen.username} {'deactivated' if chosen.active else 'reactivated'}.")
                st.rerun()
        if chosen.id == admin.id:
            st.caption("You cannot deactivate your own account.")
        if chosen.is_locked():
            st.warning(f"{md(chosen.username)} is locked out after too many failed sign-ins until "
                       f"{locked_stamp(chosen)} (clinic time).", icon=":material/lock_clock:")
            if st.button("Unlock", key="unlock_user", icon=":material/lock_open:"):
                try:
                    users.unlock(conn, chosen.id, by=admin)
                except ClinicError as exc:
                    refuse(form, exc, whole_form=True)
                else:
                    forms.clear_errors(form)
                    forms.flash(f"{md(chosen.username)} is unlocked and can sign in again.")
                st.rerun()
        forms.form_error(form)

        form = "user_email"
        email_key = f"email_{chosen.id}"
        with st.form(form):
            st.text_input("E-mail (for single sign-on)", value=chosen.email or "", key=email_key,
                          help="The address the clinic's identity provider (Microsoft Entra ID, Google Workspace, "
                               "Keycloak) sends for this person; letter case does not matter. Blank: password only.")
            forms.field_error(form, "email")
            save_email = st.form_submit_button("Save e-mail")
        forms.form_error(form)
        if save_email:
            try:
                stored = users.set_email(conn, chosen.id, st.session_state.get(email_key), by=admin)
            except ClinicError as exc:
                refuse(form, exc, field="email")  # what was typed stays in the field
            else:
                forms.clear_errors(form)
                st.session_state.pop(email_key, None)  # shown again as stored (lower-case)
                forms.flash(f"{md(chosen.username)} signs on with {md(stored)}." if stored
                            else f"{md(chosen.username)} has no e-mail for single sign-on now.")
            st.rerun()

        form = "reset_password"
        with st.form(form):
            st.markdown(f"**Reset the password of {md(chosen.username)}**")
            new_password = st.text_input("New password", type="password", key="reset_password_value",
                                         help=password_rule + " They choose their own at their next sign-in.")
            forms.field_error(form, "password")
            reset = st.form_submit_button("Reset password")
        if reset:
            try:
                users.reset_password(conn, chosen.id, new_password, by=admin)
            except ClinicError as exc:
                refuse(form, exc, field="password")
            else:
                forms.clear_errors(form)
                st.session_state.pop("reset_password_value", None)
                forms.flash(f"Password of {md(chosen.username)} reset. Tell them in person, not by email: they "
                            "choose a new one of their own at their next sign-in.")
            st.rerun()
