"""Admin › Users through the real app."""

from __future__ import annotations

from datetime import datetime, timezone

import db
from db import users
from tests.conftest import database, make_user, query, user_id_for


def open_users(signed_in):
    at = signed_in("admin").run()
    at.switch_page("pages/admin_users.py").run()
    assert not at.exception
    return at


def fill_new_user(at, username, full_name, role, password, confirm=None):
    at.text_input(key="new_username").input(username)
    at.text_input(key="new_full_name").input(full_name)
    at.selectbox(key="new_role").select(role)
    at.text_input(key="new_password").input(password)
    at.text_input(key="new_password_confirm").input(password if confirm is None else confirm)
    next(b for b in at.button if b.label == "Add user").click()
    at.run()
    return at


def test_the_users_table_lists_every_account(signed_in):
    at = open_users(signed_in)
    table = at.dataframe[0].value
    assert set(table["username"]) >= {"frontdesk", "billing", "doctor", "manager", "admin"}


def test_adding_a_user_lets_them_sign_in(signed_in, app_env):
    at = fill_new_user(open_users(signed_in), "nurse.kim", "Kim Nurse", "clinician", "a long password")
    assert not at.exception
    assert any("Added nurse.kim" in s.value.replace("\\", "") for s in at.success)
    assert "nurse.kim" in set(at.dataframe[0].value["username"])
    with database(app_env) as conn:
        from db import users

        assert users.authenticate(conn, "nurse.kim", "a long password").role == "clinician"


def test_the_add_form_is_empty_again_after_a_user_is_added(signed_in):
    at = fill_new_user(open_users(signed_in), "temp.clerk", "Temp Clerk", "billing", "a long password")
    assert at.text_input(key="new_username").value == ""
    assert at.text_input(key="new_password").value == ""


def test_bad_fields_are_shown_next_to_them_and_what_was_typed_stays(signed_in, app_env):
    at = fill_new_user(open_users(signed_in), "frontdesk", "", "billing", "short", confirm="other")
    messages = [e.value for e in at.error]
    assert "The two passwords differ." in messages
    at = fill_new_user(at, "frontdesk", "", "billing", "short")
    messages = [e.value for e in at.error]
    assert "Enter the person's name." in messages
    assert any("12 characters" in m for m in messages)
    assert at.text_input(key="new_username").value == "frontdesk"
    with database(app_env) as conn:
        assert db.read(conn, "SELECT count(*) FROM users WHERE username = 'frontdesk'")[0][0] == 1


def test_a_taken_username_is_reported_under_the_username_field(signed_in):
    at = fill_new_user(open_users(signed_in), "doctor", "Another Doctor", "clinician", "a long password")
    assert any("already taken" in e.value for e in at.error)


def test_changing_a_role_and_deactivating_take_effect(signed_in, app_env):
    at = open_users(signed_in)
    billing_id = user_id_for(app_env, "billing")
    at.selectbox(key="chosen_user").select(billing_id).run()
    at.selectbox(key=f"role_{billing_id}").select("manager").run()
    at.button(key="save_role").click().run()
    assert not at.exception
    at.button(key="toggle_active").click().run()
    with database(app_env) as conn:
        assert db.read(conn, "SELECT role, active FROM users WHERE id = ?", [billing_id])[0] == ("manager", False)
        actions = {r[0] for r in db.read(conn, "SELECT action FROM audit_log WHERE entity_id = ?", [str(billing_id)])}
        assert {"user.set_role", "user.deactivate"} <= actions


def test_an_admin_cannot_deactivate_their_own_account(signed_in, app_env):
    at = open_users(signed_in)
    at.selectbox(key="chosen_user").select(user_id_for(app_env, "admin")).run()
    assert at.button(key="toggle_active").disabled


def test_last_sign_in_is_shown_in_clinic_time_and_never_as_a_dash(signed_in, app_env):
    with database(app_env) as conn:
        make_user(conn, username="never.here", full_name="Never Here")
        conn.execute("UPDATE users SET last_sign_in_at = ? WHERE username = 'billing'",
                     [datetime(2026, 3, 2, 14, 5, tzinfo=timezone.utc)])
    table = open_users(signed_in).dataframe[0].value.set_index("username")
    assert table.loc["billing", "last_sign_in_at"] == "2026-03-02 09:05"  # New York, UTC-5 in March
    assert table.loc["never.here", "last_sign_in_at"] == "—"
    assert "None" not in table.astype(str).to_numpy()


def test_an_admin_demoted_with_the_page_still_open_cannot_add_an_admin(signed_in, app_env):
    at = open_users(signed_in)
    with database(app_env) as conn:  # another admin demotes them meanwhile
        other = make_user(conn, username="second.admin", role="admin")
        users.set_role(conn, user_id_for(app_env, "admin"), "front_desk", by=other)
    at = fill_new_user(at, "mallory", "Mallory Admin", "admin", "a long password")
    assert not at.exception
    assert [t.value for t in at.toast] == ["Your role (Front desk) does not allow this."]
    assert query(app_env, "SELECT count(*) FROM users WHERE username = 'mallory'") == [(0,)]
    assert "Users" not in [t.value for t in at.title]  # the page itself is no longer theirs


def save_email(at, user_id, email):
    at.selectbox(key="chosen_user").select(user_id).run()
    at.text_input(key=f"email_{user_id}").input(email)
    next(b for b in at.button if b.label == "Save e-mail").click()
    return at.run()


def test_an_email_for_single_sign_on_is_saved_lower_case_and_listed(signed_in, app_env):
    billing_id = user_id_for(app_env, "billing")
    at = save_email(open_users(signed_in), billing_id, " Bill.Ing@Clinic.Example ")
    assert not at.exception
    assert at.dataframe[0].value.set_index("username").loc["billing", "email"] == "bill.ing@clinic.example"
    assert at.text_input(key=f"email_{billing_id}").value == "bill.ing@clinic.example"
    with database(app_env) as conn:
        assert users.by_email(conn, "BILL.ING@clinic.example").username == "billing"


def test_an_email_another_account_has_is_refused_next_to_the_field_and_stays_typed(signed_in, app_env):
    at = save_email(open_users(signed_in), user_id_for(app_env, "billing"), "desk@clinic.example")
    doctor_id = user_id_for(app_env, "doctor")
    at = save_email(at, doctor_id, "Desk@Clinic.example")
    assert "desk@clinic.example is already the e-mail of billing." in [e.value for e in at.error]
    assert at.text_input(key=f"email_{doctor_id}").value == "Desk@Clinic.example"
    with database(app_env) as conn:
        assert users.get(conn, doctor_id).email is None
