"""The sign-in gate, as a person at the front desk meets it."""

from __future__ import annotations

import db
from tests.conftest import app_test, database


def sign_in(at, username, password):
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input(password)
    at.button[0].click()
    at.run()
    return at


def test_a_signed_out_visitor_sees_only_the_sign_in_form_with_demo_logins(app_env):
    at = app_test()
    at.run()
    assert not at.exception
    assert at.title[0].value == "ClinicDesk"
    assert at.text_input(key="login_username")
    assert not at.dataframe
    assert any("frontdesk" in i.value and "demo" in i.value for i in at.info)


def test_a_demo_user_signs_in_and_sees_the_home_page(app_env):
    at = sign_in(app_test().run(), "frontdesk", "demo")
    assert not at.exception
    assert at.title[0].value.startswith("Hello")
    assert at.session_state["user_id"]


def test_a_wrong_password_and_an_unknown_user_get_the_same_message(app_env):
    at = sign_in(app_test().run(), "frontdesk", "nope")
    first = [e.value for e in at.error]
    at = sign_in(app_test().run(), "nobody", "demo")
    second = [e.value for e in at.error]
    assert first == second == ["Wrong username or password."]
    with database(app_env) as conn:
        assert db.read(conn, "SELECT count(*) FROM audit_log WHERE action = 'auth.sign_in_failed'")[0][0] == 2


def test_the_demo_logins_are_not_shown_for_a_real_clinic(app_env):
    with database(app_env) as conn:
        conn.execute("UPDATE settings SET value = 'false' WHERE key = 'is_demo'")
    at = app_test().run()
    assert not any("frontdesk" in i.value for i in at.info)


def test_signing_out_returns_to_the_sign_in_form_and_is_audited(signed_in, app_env):
    at = signed_in("manager").run()
    at.sidebar.button(key="sign_out").click()
    at.run()
    assert not at.exception
    assert at.text_input(key="login_username")
    with database(app_env) as conn:
        assert db.read(conn, "SELECT count(*) FROM audit_log WHERE action = 'auth.sign_out'")[0][0] == 1


def test_a_user_deactivated_while_signed_in_is_sent_back_to_sign_in(signed_in, app_env):
    at = signed_in("billing").run()
    with database(app_env) as conn:
        conn.execute("UPDATE users SET active = FALSE WHERE username = 'billing'")
    at.run()
    assert at.text_input(key="login_username")


def test_signing_in_opens_a_server_side_session_and_signing_out_ends_it(app_env):
    at = sign_in(app_test().run(), "frontdesk", "demo")
    token = at.session_state["_session_token"]
    with database(app_env) as conn:
        open_ = db.read(conn, "SELECT count(*) FROM user_sessions WHERE revoked_at IS NULL")[0][0]
        assert open_ == 1
        assert db.read(conn, "SELECT count(*) FROM user_sessions WHERE token_hash = ?", [token])[0][0] == 0
    at.sidebar.button(key="sign_out").click()
    at.run()
    with database(app_env) as conn:
        assert db.read(conn, "SELECT revoked_reason FROM user_sessions")[0][0] == "signed out"


def test_a_session_revoked_elsewhere_signs_this_tab_out_at_its_next_click(app_env):
    at = sign_in(app_test().run(), "manager", "demo")
    with database(app_env) as conn:
        conn.execute("UPDATE user_sessions SET revoked_at = current_timestamp, revoked_reason = 'password changed'")
    at.run()
    assert at.text_input(key="login_username")
