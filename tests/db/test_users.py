import pytest

from clinic.errors import BadLogin, LastAdmin, UsernameTaken, ValidationError
from db import audit, users
from tests.conftest import make_user


def audit_actions(conn):
    return [row[0] for row in conn.execute("SELECT action FROM audit_log ORDER BY id").fetchall()]


def test_a_new_user_can_sign_in_and_the_sign_in_is_audited(conn):
    uid = make_user(conn, username="Nadia ", full_name="  Nadia   Haddad ", role="billing", password="long enough")
    user = users.authenticate(conn, "nadia", "long enough")
    assert (user.id, user.username, user.full_name, user.role) == (uid, "nadia", "Nadia Haddad", "billing")
    assert audit_actions(conn) == ["user.create", audit.SIGN_IN]
    assert users.get(conn, uid).last_sign_in_at is not None


def test_unknown_user_wrong_password_and_deactivated_account_give_the_same_message(conn):
    uid = make_user(conn, username="sam", password="long enough")
    messages = []
    for name, pw in (("nobody", "long enough"), ("sam", "wrong password")):
        with pytest.raises(BadLogin) as err:
            users.authenticate(conn, name, pw)
        messages.append(str(err.value))
    make_user(conn, username="boss", role="admin")
    users.set_active(conn, uid, False, by="test")
    with pytest.raises(BadLogin) as err:
        users.authenticate(conn, "sam", "long enough")
    messages.append(str(err.value))
    assert len(set(messages)) == 1
    assert audit_actions(conn).count(audit.SIGN_IN_FAILED) == 3


def test_passwords_are_stored_only_as_argon2id_hashes(conn):
    make_user(conn, username="kim", password="plain text here")
    (stored,) = conn.execute("SELECT password_hash FROM users WHERE username = 'kim'").fetchone()
    assert stored.startswith("$argon2id$")
    assert "plain text here" not in stored


def test_a_taken_username_is_refused_and_nothing_is_written(conn):
    make_user(conn, username="lee")
    before = conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    with pytest.raises(UsernameTaken):
        make_user(conn, username="LEE")
    assert conn.execute("SELECT count(*) FROM users").fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM audit_log").fetchone()[0] == before


def test_every_bad_field_of_a_new_user_is_reported_at_once(conn):
    with pytest.raises(ValidationError) as err:
        users.create(conn, username="a b", full_name=" ", role="janitor", password="x", by="test")
    assert set(err.value.errors) == {"username", "full_name", "role", "password"}
    assert conn.execute("SELECT count(*) FROM users").fetchone()[0] == 0


def test_the_last_active_admin_cannot_be_demoted_or_deactivated(conn):
    admin = make_user(conn, username="root1", role="admin")
    with pytest.raises(LastAdmin):
        users.set_role(conn, admin, "manager", by="test")
    with pytest.raises(LastAdmin):
        users.set_active(conn, admin, False, by="test")
    assert users.get(conn, admin).role == "admin" and users.get(conn, admin).active
    second = make_user(conn, username="root2", role="admin")
    users.set_role(conn, admin, "manager", by="test")
    assert users.get(conn, admin).role == "manager"
    assert users.get(conn, second).role == "admin"


def test_a_reset_password_replaces_the_old_one(conn):
    uid = make_user(conn, username="pat", password="first password")
    users.reset_password(conn, uid, "second password", by="test")
    with pytest.raises(BadLogin):
        users.authenticate(conn, "pat", "first password")
    assert users.authenticate(conn, "pat", "second password").id == uid
    assert "user.reset_password" in audit_actions(conn)


def test_role_changes_are_audited_with_before_and_after(conn):
    make_user(conn, username="admin1", role="admin")
    uid = make_user(conn, username="jo", role="front_desk")
    users.set_role(conn, uid, "billing", by="admin1")
    (detail,) = conn.execute("SELECT detail FROM audit_log WHERE action = 'user.set_role'").fetchone()
    assert '"from": "front_desk"' in detail and '"to": "billing"' in detail
