"""Sign-in security through the real app (AppTest): the lockout message, the forced password
change, an admin's unlock, the idle timeout that keeps what was typed for the same user only,
and a deactivation or role change that takes effect at the signed-in user's next click.

The clinic clock is frozen at SEED_NOW (``app_env``); time moves by writing the rows' timestamps.
"""

from __future__ import annotations

import pytest

from db import users
from tests.conftest import app_test, database, query, user_id_for

LOCKED = "Too many failed sign-ins"


@pytest.fixture(autouse=True)
def _forget_unknown_names():
    users._unknown_names.clear()
    yield
    users._unknown_names.clear()


def sign_in(at, username, password="demo"):
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input(password)
    next(b for b in at.button if b.label == "Sign in").click()
    return at.run()


def is_signed_in(at) -> bool:
    return any(b.key == "sign_out" for b in at.sidebar.button)


def errors(at) -> list[str]:
    return [e.value for e in at.error]


def audit_rows(path, action: str) -> list[tuple]:
    return query(path, "SELECT user_id, username, detail FROM audit_log WHERE action = ? ORDER BY id", [action])


def signed_in_through_the_form(username: str, page: str | None = None):
    at = sign_in(app_test().run(), username)
    assert is_signed_in(at), errors(at)
    if page:
        at.switch_page(page).run()
    assert not at.exception
    return at


def go_idle(path, minutes: int = 20) -> None:
    with database(path) as conn:
        conn.execute("UPDATE user_sessions SET last_seen_at = last_seen_at - to_minutes(CAST(? AS BIGINT))"
                     " WHERE revoked_at IS NULL", [minutes])


# --- lockout ------------------------------------------------------------------------------------


def test_the_fifth_wrong_password_locks_the_account_and_the_right_one_is_then_refused(app_env):
    at = app_test().run()
    for _ in range(4):
        at = sign_in(at, "billing", "not the password")
        assert errors(at) == ["Wrong username or password."]
    at = sign_in(at, "billing", "not the password")
    assert LOCKED in errors(at)[0] and "15 minutes" in errors(at)[0]
    at = sign_in(at, "billing", "demo")
    assert LOCKED in errors(at)[0]
    assert not is_signed_in(at)
    assert len(audit_rows(app_env, "auth.locked_out")) == 1


def test_an_unknown_username_gets_the_same_lockout_message(app_env):
    at = app_test().run()
    for _ in range(5):
        at = sign_in(at, "no.such.person", "not the password")
    unknown = errors(at)
    at = app_test().run()
    for _ in range(5):
        at = sign_in(at, "billing", "not the password")
    assert unknown == errors(at)


def test_an_admin_sees_who_is_locked_until_when_and_unlocks_them(signed_in, app_env):
    with database(app_env) as conn:
        for _ in range(5):
            with pytest.raises(Exception):
                users.authenticate(conn, "frontdesk", "not the password")
    at = signed_in("admin").run()
    at.switch_page("pages/admin_users.py").run()
    assert any("frontdesk" in w.value and "until 10:15" in w.value for w in at.warning)
    table = at.dataframe[0].value.set_index("username")
    assert table.loc["frontdesk", "locked_until"] == "10:15"  # SEED_NOW 10:00 New York + 15 min
    assert table.loc["billing", "locked_until"] == "—"
    frontdesk = user_id_for(app_env, "frontdesk")
    at.selectbox(key="chosen_user").select(frontdesk).run()
    at.button(key="unlock_user").click().run()
    assert not at.exception
    assert any("unlocked" in s.value for s in at.success)
    assert not any("frontdesk" in w.value for w in at.warning)
    assert audit_rows(app_env, "user.unlock")[0][:2] == (user_id_for(app_env, "admin"), "admin")
    assert is_signed_in(sign_in(app_test().run(), "frontdesk"))


def test_an_account_that_is_not_locked_has_no_unlock_button(signed_in, app_env):
    at = signed_in("admin").run()
    at.switch_page("pages/admin_users.py").run()
    at.selectbox(key="chosen_user").select(user_id_for(app_env, "billing")).run()
    assert not [b for b in at.button if b.key == "unlock_user"]


# --- forced change after an admin's reset -------------------------------------------------------


def test_after_a_reset_the_next_sign_in_asks_for_a_new_password_before_anything_else(app_env):
    with database(app_env) as conn:
        users.reset_password(conn, user_id_for(app_env, "billing"), "temporary lantern", by="test")
    at = sign_in(app_test().run(), "billing", "temporary lantern")
    assert [t.value for t in at.title] == ["Choose a new password"]
    assert not at.dataframe and not is_signed_in(at)
    at.run()  # any other click: still only the form
    assert [t.value for t in at.title] == ["Choose a new password"]

    at.text_input(key="own_new_password").input("password1234")
    at.text_input(key="own_new_password_confirm").input("password1234")
    next(b for b in at.button if b.label == "Save the new password").click()
    at.run()
    assert any("too common" in e for e in errors(at))
    assert at.text_input(key="own_new_password").value == "password1234"  # what was typed stays

    at.text_input(key="own_new_password").input("quiet harbour lantern")
    at.text_input(key="own_new_password_confirm").input("quiet harbour lantern")
    next(b for b in at.button if b.label == "Save the new password").click()
    at.run()
    assert not at.exception
    assert is_signed_in(at)
    assert "Choose a new password" not in [t.value for t in at.title]
    assert audit_rows(app_env, "user.change_password")[0][:2] == (user_id_for(app_env, "billing"), "billing")
    with database(app_env) as conn:
        assert not users.find_by_username(conn, "billing").must_change_password


def test_an_admin_reset_from_the_users_page_forces_the_change(signed_in, app_env):
    at = signed_in("admin").run()
    at.switch_page("pages/admin_users.py").run()
    at.selectbox(key="chosen_user").select(user_id_for(app_env, "doctor")).run()
    at.text_input(key="reset_password_value").input("temporary lantern")
    next(b for b in at.button if b.label == "Reset password").click()
    at.run()
    assert any("next sign-in" in s.value for s in at.success)
    at = sign_in(app_test().run(), "doctor", "temporary lantern")
    assert [t.value for t in at.title] == ["Choose a new password"]


# --- idle timeout -------------------------------------------------------------------------------


def type_a_message(at):
    at.text_input(key="log_search").input("Brennan").run()
    at.text_input(key="log_subject").input("Refill of lisinopril").run()
    return at


def test_the_first_click_after_the_idle_limit_asks_to_sign_in_again_and_is_audited(app_env):
    at = type_a_message(signed_in_through_the_form("frontdesk", "pages/inbox.py"))
    go_idle(app_env)
    at.text_area(key="log_body").input("Asks for a 90-day supply.").run()
    assert not at.exception
    assert at.text_input(key="login_username").value == "frontdesk"
    assert any("signed out after 20 minutes without activity" in i.value and "kept" in i.value for i in at.info)
    ((user_id, username, detail),) = audit_rows(app_env, "auth.timeout")
    assert (user_id, username) == (user_id_for(app_env, "frontdesk"), "frontdesk")
    assert '"idle_minutes": 20' in detail
    assert query(app_env, "SELECT revoked_reason FROM user_sessions") == [("idle",)]


def test_what_was_typed_comes_back_when_the_same_user_signs_in_again(app_env):
    at = type_a_message(signed_in_through_the_form("frontdesk", "pages/inbox.py"))
    go_idle(app_env)
    at.text_area(key="log_body").input("Asks for a 90-day supply.").run()
    at = sign_in(at, "frontdesk")
    assert is_signed_in(at)
    assert any("what you had typed is back" in t.value for t in at.toast)
    at.switch_page("pages/inbox.py").run()
    assert at.text_input(key="log_subject").value == "Refill of lisinopril"
    assert at.text_area(key="log_body").value == "Asks for a 90-day supply."
    assert at.text_input(key="log_search").value == "Brennan"


def test_another_user_signing_in_after_a_timeout_starts_clean(app_env):
    at = type_a_message(signed_in_through_the_form("frontdesk", "pages/inbox.py"))
    go_idle(app_env)
    at.text_area(key="log_body").input("Asks for a 90-day supply.").run()
    at = sign_in(at, "manager")
    assert is_signed_in(at)
    at.switch_page("pages/inbox.py").run()
    assert at.text_input(key="log_subject").value == ""
    assert at.text_area(key="log_body").value == ""
    assert at.text_input(key="log_search").value == ""


def test_a_button_pressed_after_the_idle_limit_writes_nothing(app_env):
    at = signed_in_through_the_form("admin", "pages/admin_users.py")
    at.text_input(key="new_username").input("late.clerk")
    at.text_input(key="new_full_name").input("Late Clerk")
    at.text_input(key="new_password").input("quiet harbour lantern")
    at.text_input(key="new_password_confirm").input("quiet harbour lantern")
    go_idle(app_env)
    next(b for b in at.button if b.label == "Add user").click()
    at.run()  # the button's callback runs before the page checks the session
    assert not at.exception
    assert at.text_input(key="login_username")
    assert query(app_env, "SELECT count(*) FROM users WHERE username = 'late.clerk'") == [(0,)]


def test_signing_out_clears_what_the_session_held(app_env):
    at = type_a_message(signed_in_through_the_form("frontdesk", "pages/inbox.py"))
    assert at.session_state["log_subject"] == "Refill of lisinopril"
    at.sidebar.button(key="sign_out").click().run()
    assert at.text_input(key="login_username")
    assert "log_subject" not in at.session_state and "log_search" not in at.session_state
    at = sign_in(at, "frontdesk")
    at.switch_page("pages/inbox.py").run()
    assert at.text_input(key="log_subject").value == ""


# --- changes by an admin take effect at the next click -------------------------------------------


def test_a_user_deactivated_mid_session_is_refused_at_their_next_click(app_env):
    at = signed_in_through_the_form("billing", "pages/invoices.py")
    assert "Invoices" in [t.value for t in at.title]
    with database(app_env) as conn:
        users.set_active(conn, user_id_for(app_env, "billing"), False, by="test")
    at.run()
    assert not at.exception
    assert at.text_input(key="login_username")
    assert "Invoices" not in [t.value for t in at.title] and not at.dataframe
    assert sign_in(at, "billing").error[0].value == "Wrong username or password."


def test_a_role_changed_mid_session_takes_effect_at_the_next_click(app_env):
    at = signed_in_through_the_form("billing", "pages/invoices.py")
    assert "Invoices" in [t.value for t in at.title]
    with database(app_env) as conn:
        users.set_role(conn, user_id_for(app_env, "billing"), "front_desk", by="test")
    at.run()
    assert not at.exception
    assert "Invoices" not in [t.value for t in at.title]
    assert "Front desk" in at.sidebar.markdown[0].value
