"""Server-side sign-in sessions: a refresh or a new tab resumes; sign-out, idleness and expiry end them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from db import sessions
from tests.conftest import make_user

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=timezone.utc)


def test_a_token_resumes_its_users_session_and_only_its_hash_is_stored(conn):
    user_id = make_user(conn)
    token = sessions.start(conn, user_id, now=T0)
    assert sessions.resume(conn, token, now=T0 + timedelta(minutes=5)) == user_id
    stored = [r[0] for r in conn.execute("SELECT token_hash FROM user_sessions").fetchall()]
    assert token not in stored and len(stored) == 1


def test_an_unknown_or_garbled_token_resumes_nothing(conn):
    make_user(conn)
    assert sessions.resume(conn, "not-a-token", now=T0) is None
    assert sessions.resume(conn, "", now=T0) is None
    assert sessions.resume(conn, None, now=T0) is None


def test_signing_out_ends_the_session_for_every_tab_holding_the_cookie(conn):
    user_id = make_user(conn)
    token = sessions.start(conn, user_id, now=T0)
    sessions.revoke(conn, token, now=T0 + timedelta(minutes=1))
    assert sessions.resume(conn, token, now=T0 + timedelta(minutes=2)) is None


def test_a_session_idle_longer_than_the_setting_has_ended(conn):
    user_id = make_user(conn)
    idle = sessions.limits(conn).idle
    token = sessions.start(conn, user_id, now=T0)
    assert sessions.resume(conn, token, now=T0 + idle - timedelta(seconds=1)) == user_id
    # That use refreshed it: idleness counts from the last use, not from sign-in.
    assert sessions.resume(conn, token, now=T0 + 2 * idle - timedelta(seconds=2)) == user_id
    assert sessions.resume(conn, token, now=T0 + 3 * idle) is None


def test_a_busy_session_still_ends_at_its_absolute_limit(conn):
    user_id = make_user(conn)
    limits = sessions.limits(conn)
    token = sessions.start(conn, user_id, now=T0)
    now = T0
    while now < T0 + limits.absolute - limits.idle:
        now += limits.idle / 2
        assert sessions.resume(conn, token, now=now) == user_id
    assert sessions.resume(conn, token, now=T0 + limits.absolute) is None


def test_revoking_all_of_a_users_sessions_leaves_other_users_signed_in(conn):
    alice, bob = make_user(conn), make_user(conn)
    a1, a2 = sessions.start(conn, alice, now=T0), sessions.start(conn, alice, now=T0)
    b1 = sessions.start(conn, bob, now=T0)
    cur = conn.cursor()
    sessions.revoke_all_for_user(cur, alice, "password changed", now=T0)
    assert sessions.resume(conn, a1, now=T0) is None and sessions.resume(conn, a2, now=T0) is None
    assert sessions.resume(conn, b1, now=T0) == bob
    assert sessions.count_open(conn, alice, now=T0) == 0


def test_a_deactivated_accounts_session_no_longer_resumes(conn):
    user_id = make_user(conn)
    token = sessions.start(conn, user_id, now=T0)
    conn.execute("UPDATE users SET active = false WHERE id = ?", [user_id])
    assert sessions.resume(conn, token, now=T0) is None



def test_a_password_reset_or_a_deactivation_signs_the_account_out_everywhere(conn):
    from db import users

    admin = make_user(conn, role="admin")
    alice, bob = make_user(conn), make_user(conn)
    a, b = sessions.start(conn, alice), sessions.start(conn, bob)
    users.reset_password(conn, alice, "a much longer secret", by=admin)
    users.set_active(conn, bob, False, by=admin)
    assert sessions.resume(conn, a) is None
    assert sessions.resume(conn, b) is None
    reasons = {r[0] for r in conn.execute("SELECT revoked_reason FROM user_sessions").fetchall()}
    assert reasons == {"password changed", "deactivated"}
