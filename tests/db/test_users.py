import pytest

from clinic.errors import BadLogin, LastAdmin, NotAllowed, NotFound, UsernameTaken, ValidationError
from db import audit, users
from tests.conftest import make_user


def audit_actions(conn):
    return [row[0] for row in conn.execute("SELECT action FROM audit_log ORDER BY id").fetchall()]


def test_a_new_user_can_sign_in_and_the_sign_in_is_audited(conn):
    uid = make_user(conn, username="Nadia ", full_name="  Nadia   Haddad ", role="billing", password="long enough now")
    user = users.authenticate(conn, "nadia", "long enough now")
    assert (user.id, user.username, user.full_name, user.role) == (uid, "nadia", "Nadia Haddad", "billing")
    assert audit_actions(conn) == ["user.create", audit.SIGN_IN]
    assert users.get(conn, uid).last_sign_in_at is not None


def test_unknown_user_wrong_password_and_deactivated_account_give_the_same_message(conn):
    uid = make_user(conn, username="sam", password="long enough now")
    messages = []
    for name, pw in (("nobody", "long enough now"), ("sam", "wrong password")):
        with pytest.raises(BadLogin) as err:
            users.authenticate(conn, name, pw)
        messages.append(str(err.value))
    make_user(conn, username="boss", role="admin")
    users.set_active(conn, uid, False, by="test")
    with pytest.raises(BadLogin) as err:
        users.authenticate(conn, "sam", "long enough now")
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


# --- who acts: the account is read again inside every write ----------------------------------


@pytest.fixture
def two_admins(conn):
    """An admin as a page loaded them (a User), and a second admin to change them meanwhile."""
    first = users.get(conn, make_user(conn, username="ada", role="admin"))
    second = make_user(conn, username="bo", role="admin")
    return first, second


def count(conn, sql: str, params=None) -> int:
    return conn.execute(sql, params or []).fetchone()[0]


def test_an_admin_demoted_after_the_page_was_drawn_can_no_longer_add_an_admin(conn, two_admins):
    stale, other = two_admins
    users.set_role(conn, stale.id, "front_desk", by=other)
    before = count(conn, "SELECT count(*) FROM audit_log")
    with pytest.raises(NotAllowed, match=r"Your role \(Front desk\) does not allow this"):
        users.create(conn, username="mallory", full_name="Mallory", role="admin", password="a long password",
                     by=stale)
    assert users.find_by_username(conn, "mallory") is None
    # Only the refusal is audited, under the role the account holds now.
    assert count(conn, "SELECT count(*) FROM audit_log") == before + 1
    assert conn.execute("SELECT user_id, role, action, outcome FROM audit_log ORDER BY id DESC LIMIT 1").fetchall() == [
        (stale.id, "front_desk", "users.manage", "refused")]


@pytest.mark.parametrize("change", ["set_role", "set_active", "reset_password"])
def test_a_deactivated_admin_changes_no_account(conn, two_admins, change):
    stale, other = two_admins
    target = make_user(conn, username="cleo", role="billing")
    users.set_active(conn, stale.id, False, by=other)
    call = {"set_role": lambda: users.set_role(conn, target, "admin", by=stale),
            "set_active": lambda: users.set_active(conn, target, False, by=stale),
            "reset_password": lambda: users.reset_password(conn, target, "a new long password", by=stale)}[change]
    with pytest.raises(NotAllowed, match="no longer active"):
        call()
    assert (users.get(conn, target).role, users.get(conn, target).active) == ("billing", True)
    assert users.authenticate(conn, "cleo", "correct horse").id == target


def test_an_account_change_is_audited_under_the_account_as_it_is_now(conn, two_admins):
    stale, other = two_admins
    target = make_user(conn, username="dee")
    users.set_role(conn, target, "billing", by=stale)  # a User object: read again, still an admin
    assert conn.execute("SELECT user_id, username FROM audit_log WHERE action = 'user.set_role'").fetchall() == [
        (stale.id, "ada")]


def test_nobody_deactivates_their_own_account(conn, two_admins):
    me, _ = two_admins
    with pytest.raises(NotAllowed, match="your own account"):
        users.set_active(conn, me.id, False, by=me)
    assert users.get(conn, me.id).active


def test_a_missing_user_is_not_found(conn):
    with pytest.raises(NotFound):
        users.get(conn, 4242)
    with pytest.raises(NotFound):
        users.set_role(conn, 4242, "billing", by="test")


def test_every_audit_row_says_the_role_the_data_category_and_the_outcome(conn):
    uid = make_user(conn, username="nadia", role="billing", password="long enough now")
    user = users.authenticate(conn, "nadia", "long enough now")
    with pytest.raises(BadLogin):
        users.authenticate(conn, "nadia", "not it at all")
    audit.record(conn, user, "invoice.finalize", "invoice", 7, patient_id=3)
    audit.record(conn, user, "document.download", "document", 9, patient_id=3, category="demographics")
    rows = conn.execute(
        "SELECT action, username, role, category, outcome FROM audit_log WHERE action <> 'user.create' ORDER BY id"
    ).fetchall()
    assert rows == [
        (audit.SIGN_IN, "nadia", "billing", "security", "success"),
        (audit.SIGN_IN_FAILED, "nadia", None, "security", "failure"),
        ("invoice.finalize", "nadia", "billing", "billing", "success"),
        ("document.download", "nadia", "billing", "demographics", "success"),
    ]
    assert uid == user.id
    with pytest.raises(ValueError):
        audit.record(conn, user, "patient.view", category="gossip")
