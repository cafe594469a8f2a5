"""Single sign-on, data layer: the e-mail an identity provider vouches for maps to one active account."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from clinic.errors import NotAllowed, SignInLocked, ValidationError
from clinic.timeutil import now_utc
from db import read, sessions, users
from tests.conftest import make_user


def audit_rows(conn, action):
    return read(conn, "SELECT username, user_id, entity_id, outcome, detail FROM audit_log"
                      " WHERE action = ? ORDER BY id", [action])


def test_a_verified_email_signs_in_its_account_with_the_role_clinicdesk_gives_it(conn):
    user_id = make_user(conn, username="kim", role="billing")
    users.set_email(conn, user_id, "kim@clinic.example", by="test")

    user, token = users.sign_in_sso(conn, "kim@clinic.example", provider="entra", email_verified=True)

    assert (user.id, user.role) == (user_id, "billing")
    assert user.last_sign_in_at is not None
    assert sessions.check(conn, token).user_id == user_id  # a session a refresh can resume
    (row,) = audit_rows(conn, "auth.sign_in")
    assert row[:4] == ("kim", user_id, str(user_id), "success")
    assert json.loads(row[4]) == {"method": "sso", "provider": "entra"}


def test_letter_case_does_not_matter_and_the_email_is_kept_lower_case(conn):
    user_id = make_user(conn, username="ann")
    assert users.set_email(conn, user_id, "  Ann.Lee@Clinic.Example ", by="test") == "ann.lee@clinic.example"

    assert users.by_email(conn, "ANN.LEE@clinic.example").id == user_id
    assert users.sign_in_sso(conn, "Ann.Lee@CLINIC.example", provider="google")[0].id == user_id


def test_two_accounts_cannot_share_an_email_whatever_its_case(conn):
    first, second = make_user(conn, username="one"), make_user(conn, username="two")
    users.set_email(conn, first, "desk@clinic.example", by="test")

    with pytest.raises(ValidationError) as refused:
        users.set_email(conn, second, "DESK@clinic.example", by="test")

    assert refused.value.errors == {"email": "desk@clinic.example is already the e-mail of one."}
    assert users.get(conn, second).email is None
    # The database refuses it too, should two admins race past the check.
    with pytest.raises(Exception, match="Duplicate key"):
        conn.execute("UPDATE users SET email = 'desk@clinic.example' WHERE id = ?", [second])


def test_a_malformed_email_is_refused_next_to_the_field_and_a_blank_one_removes_it(conn):
    user_id = make_user(conn)
    with pytest.raises(ValidationError) as refused:
        users.set_email(conn, user_id, "not an address", by="test")
    assert set(refused.value.errors) == {"email"}

    users.set_email(conn, user_id, "x@clinic.example", by="test")
    assert users.set_email(conn, user_id, "  ", by="test") is None
    assert users.by_email(conn, "x@clinic.example") is None
    assert [json.loads(r[4]) for r in audit_rows(conn, users.SET_EMAIL)] == [
        {"from": None, "to": "x@clinic.example"}, {"from": "x@clinic.example", "to": None}]


def test_only_an_admin_sets_an_email(conn):
    admin_id = make_user(conn, username="boss", role="admin")
    clerk_id = make_user(conn, username="clerk", role="billing")
    users.set_email(conn, clerk_id, "clerk@clinic.example", by=admin_id)
    with pytest.raises(NotAllowed):
        users.set_email(conn, clerk_id, "mine@clinic.example", by=clerk_id)
    assert users.get(conn, clerk_id).email == "clerk@clinic.example"


def test_an_unknown_email_is_refused_and_audited_without_the_address(conn):
    with pytest.raises(users.SsoRefused, match="No active ClinicDesk account has the e-mail stranger@else.example"):
        users.sign_in_sso(conn, "stranger@else.example", provider="keycloak")

    (row,) = audit_rows(conn, "auth.sign_in_failed")
    assert row[:4] == (None, None, None, "failure")
    assert json.loads(row[4]) == {"method": "sso", "provider": "keycloak", "reason": "unknown e-mail"}
    assert "stranger" not in row[4]
    assert read(conn, "SELECT count(*) FROM user_sessions")[0][0] == 0


def test_a_deactivated_account_is_refused_and_the_failure_names_it(conn):
    user_id = make_user(conn, username="gone")
    users.set_email(conn, user_id, "gone@clinic.example", by="test")
    conn.execute("UPDATE users SET active = false WHERE id = ?", [user_id])

    with pytest.raises(users.SsoRefused, match="No active ClinicDesk account"):
        users.sign_in_sso(conn, "gone@clinic.example", provider="entra")

    (row,) = audit_rows(conn, "auth.sign_in_failed")
    assert row[:4] == ("gone", None, str(user_id), "failure")
    assert json.loads(row[4])["reason"] == "inactive"
    assert read(conn, "SELECT count(*) FROM user_sessions")[0][0] == 0


def test_an_email_the_provider_says_is_not_verified_is_refused(conn):
    user_id = make_user(conn, username="maybe")
    users.set_email(conn, user_id, "maybe@clinic.example", by="test")

    with pytest.raises(users.SsoRefused, match="has not verified"):
        users.sign_in_sso(conn, "maybe@clinic.example", provider="google", email_verified=False)

    assert json.loads(audit_rows(conn, "auth.sign_in_failed")[0][4])["reason"] == "e-mail not verified"
    assert audit_rows(conn, "auth.sign_in") == []


def test_one_identity_from_the_provider_starts_one_session_only(conn):
    user_id = make_user(conn)
    users.set_email(conn, user_id, "once@clinic.example", by="test")
    identity = '["https://idp.example", "sub-1", 1700000000, "nonce-1"]'

    users.sign_in_sso(conn, "once@clinic.example", provider="entra", identity=identity, issued_at=now_utc())
    # The same identity again (Streamlit's cookie after an idle timeout or a sign-out): refused
    # quietly, no second session and no second audit row.
    with pytest.raises(users.SsoAlreadyUsed):
        users.sign_in_sso(conn, "once@clinic.example", provider="entra", identity=identity, issued_at=now_utc())

    assert read(conn, "SELECT count(*) FROM user_sessions WHERE user_id = ?", [user_id])[0][0] == 1
    assert len(audit_rows(conn, "auth.sign_in")) == 1
    # A new sign-in at the provider is a new identity.
    users.sign_in_sso(conn, "once@clinic.example", provider="entra", identity=identity.replace("nonce-1", "nonce-2"),
                      issued_at=now_utc())
    assert read(conn, "SELECT count(*) FROM user_sessions WHERE user_id = ?", [user_id])[0][0] == 2


def test_an_identity_issued_long_ago_does_not_sign_in(conn):
    user_id = make_user(conn)
    users.set_email(conn, user_id, "late@clinic.example", by="test")

    with pytest.raises(users.SsoAlreadyUsed):
        users.sign_in_sso(conn, "late@clinic.example", provider="entra", identity="old",
                          issued_at=now_utc() - users.SSO_FRESH_FOR - timedelta(minutes=1))

    assert audit_rows(conn, "auth.sign_in") == []
    assert read(conn, "SELECT count(*) FROM user_sessions")[0][0] == 0


def test_a_refused_identity_is_not_audited_twice(conn):
    for _ in range(2):
        with pytest.raises((users.SsoRefused, users.SsoAlreadyUsed)):
            users.sign_in_sso(conn, "nobody@clinic.example", provider="entra", identity="same", issued_at=now_utc())
    assert len(audit_rows(conn, "auth.sign_in_failed")) == 1


def test_a_password_lockout_does_not_stop_single_sign_on_and_password_sign_in_stays(conn):
    user_id = make_user(conn, username="both", password="a long password")
    users.set_email(conn, user_id, "both@clinic.example", by="test")
    assert users.authenticate(conn, "both", "a long password").id == user_id

    conn.execute("UPDATE users SET locked_until = ? WHERE id = ?", [now_utc() + timedelta(minutes=10), user_id])
    with pytest.raises(SignInLocked):
        users.authenticate(conn, "both", "a long password")
    assert users.sign_in_sso(conn, "both@clinic.example", provider="entra")[0].id == user_id
