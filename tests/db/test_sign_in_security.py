"""Sign-in security on a real DuckDB file: the lockout and its window, an admin's unlock, one
message and about one duration for every failure, what a failed sign-in's audit row names, the
password rules, the forced change after an admin's reset, and the idle timeout's audit row.

Time moves by writing the rows' timestamps (or by passing ``now``), never by sleeping.
"""

from __future__ import annotations

import dataclasses
import json
import statistics
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from argon2 import PasswordHasher

import db
from clinic import passwords
from clinic.errors import BadLogin, NotAllowed, SignInLocked, ValidationError
from db import audit, sessions, settings, users
from tests.conftest import make_user

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=timezone.utc)
PASSWORD = "correct horse"  # make_user's default


@pytest.fixture(autouse=True)
def _forget_unknown_names():
    users._unknown_names.clear()
    yield
    users._unknown_names.clear()


def actions(conn, action: str) -> list[tuple]:
    return conn.execute(
        "SELECT user_id, username, entity_id, detail, outcome FROM audit_log WHERE action = ? ORDER BY id", [action]
    ).fetchall()


def fail(conn, username: str, times: int, *, now: datetime = T0) -> list[str]:
    """Sign in with a wrong password ``times`` times; the messages, in order."""
    messages = []
    for _ in range(times):
        with pytest.raises(BadLogin) as err:
            users.authenticate(conn, username, "not the password", now=now)
        messages.append(str(err.value))
    return messages


def admin(conn):
    return users.get(conn, make_user(conn, username="root", role="admin"))


# --- lockout ------------------------------------------------------------------------------------


def test_the_fifth_failure_within_the_window_locks_the_account_even_for_the_right_password(conn):
    make_user(conn, username="sam")
    messages = fail(conn, "sam", 5)
    assert messages[:4] == ["Wrong username or password."] * 4
    assert "Too many failed sign-ins" in messages[4]
    with pytest.raises(SignInLocked):
        users.authenticate(conn, "sam", PASSWORD, now=T0 + timedelta(minutes=1))
    assert users.find_by_username(conn, "sam").is_locked(T0 + timedelta(minutes=1))
    assert conn.execute("SELECT count(*) FROM sign_in_failures").fetchone()[0] == 5
    # Locked once: the refusals while locked are audited as failures but do not lock again.
    assert len(actions(conn, users.LOCKED_OUT)) == 1
    assert actions(conn, audit.SIGN_IN_FAILED)[-1][3] == "locked"


def test_four_failures_do_not_lock_and_a_success_starts_the_count_again(conn):
    make_user(conn, username="sam")
    fail(conn, "sam", 4)
    assert users.authenticate(conn, "sam", PASSWORD, now=T0).username == "sam"
    assert fail(conn, "sam", 4) == ["Wrong username or password."] * 4
    assert users.authenticate(conn, "sam", PASSWORD, now=T0).username == "sam"


def test_failures_older_than_the_window_do_not_count(conn):
    uid = make_user(conn, username="sam")
    fail(conn, "sam", 4)
    conn.execute("UPDATE sign_in_failures SET failed_at = failed_at - INTERVAL 16 MINUTE WHERE user_id = ?", [uid])
    assert fail(conn, "sam", 1) == ["Wrong username or password."]
    assert not users.get(conn, uid).is_locked(T0)


def test_the_lock_ends_when_its_window_has_passed(conn):
    uid = make_user(conn, username="sam")
    fail(conn, "sam", 5)
    with pytest.raises(SignInLocked):
        users.authenticate(conn, "sam", PASSWORD, now=T0 + timedelta(minutes=14))
    conn.execute("UPDATE users SET locked_until = locked_until - INTERVAL 16 MINUTE WHERE id = ?", [uid])
    conn.execute("UPDATE sign_in_failures SET failed_at = failed_at - INTERVAL 16 MINUTE WHERE user_id = ?", [uid])
    assert users.authenticate(conn, "sam", PASSWORD, now=T0).id == uid
    assert users.get(conn, uid).locked_until is None
    assert conn.execute("SELECT count(*) FROM sign_in_failures WHERE user_id = ?", [uid]).fetchone()[0] == 0


def test_the_attempts_and_minutes_come_from_the_settings(conn):
    make_user(conn, username="sam")
    settings.set_many(conn, {"lockout_attempts": "3", "lockout_minutes": "40"}, by="test")
    messages = fail(conn, "sam", 3)
    assert messages[:2] == ["Wrong username or password."] * 2
    assert "40 minutes" in messages[2]
    assert users.find_by_username(conn, "sam").locked_until == T0 + timedelta(minutes=40)


@pytest.mark.serial
def test_failures_at_the_same_moment_are_all_counted_and_lock_once(conn):
    make_user(conn, username="sam")
    errors: list[BaseException] = []

    def attempt() -> None:
        try:
            users.authenticate(conn, "sam", "not the password", now=T0)
        except BadLogin as exc:
            errors.append(exc)

    threads = [threading.Thread(target=attempt) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(errors) == 6
    assert users.find_by_username(conn, "sam").is_locked(T0)
    assert len(actions(conn, users.LOCKED_OUT)) == 1


def test_every_failure_row_names_an_account(conn):
    make_user(conn, username="sam")
    fail(conn, "sam", 2)
    fail(conn, "nobody", 2)
    orphans = conn.execute(
        "SELECT count(*) FROM sign_in_failures f WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = f.user_id)"
    ).fetchone()[0]
    assert orphans == 0
    assert conn.execute("SELECT count(*) FROM sign_in_failures").fetchone()[0] == 2


# --- unlock -------------------------------------------------------------------------------------


def test_an_admin_unlocks_a_locked_account_and_it_is_audited(conn):
    boss = admin(conn)
    uid = make_user(conn, username="sam")
    fail(conn, "sam", 5, now=datetime.now(timezone.utc))
    assert [u.username for u in users.list_locked(conn)] == ["sam"]
    assert users.unlock(conn, uid, by=boss) is True
    assert users.list_locked(conn) == []
    assert users.authenticate(conn, "sam", PASSWORD).id == uid
    ((user_id, username, entity_id, detail, outcome),) = actions(conn, users.UNLOCK)
    assert (user_id, username, entity_id, outcome) == (boss.id, "root", str(uid), "success")
    assert "was_locked_until" in json.loads(detail)


def test_unlocking_an_account_that_is_not_locked_writes_nothing(conn):
    boss = admin(conn)
    uid = make_user(conn, username="sam")
    assert users.unlock(conn, uid, by=boss) is False
    assert actions(conn, users.UNLOCK) == []


def test_only_an_admin_may_unlock(conn):
    uid = make_user(conn, username="sam")
    clerk = users.get(conn, make_user(conn, username="clerk", role="front_desk"))
    fail(conn, "sam", 5, now=datetime.now(timezone.utc))
    with pytest.raises(NotAllowed):
        users.unlock(conn, uid, by=clerk)
    assert users.get(conn, uid).is_locked()
    assert actions(conn, users.UNLOCK) == []


# --- one message, one duration, nothing typed kept -------------------------------------------------


def test_unknown_user_wrong_password_and_inactive_account_share_one_message_and_so_do_their_lockouts(conn):
    boss = admin(conn)
    make_user(conn, username="sam")
    gone = make_user(conn, username="gone")
    users.set_active(conn, gone, False, by=boss)
    for name in ("sam", "nobody", "gone"):
        assert fail(conn, name, 4) == ["Wrong username or password."] * 4, name
    last = {name: fail(conn, name, 1)[0] for name in ("sam", "nobody", "gone")}
    assert len(set(last.values())) == 1 and "Too many failed sign-ins" in last["nobody"]
    # The unknown name stays "locked" for the right window too, even for any password.
    with pytest.raises(SignInLocked):
        users.authenticate(conn, "nobody", PASSWORD, now=T0 + timedelta(minutes=14))
    assert fail(conn, "nobody", 1, now=T0 + timedelta(minutes=16)) == ["Wrong username or password."]


def _seconds(call) -> float:
    start = time.perf_counter()
    with pytest.raises(BadLogin):
        call()
    return time.perf_counter() - start


@pytest.mark.serial
def test_an_unknown_user_takes_about_as_long_as_a_wrong_password(conn, production_password_cost):
    make_user(conn, username="sam")
    settings.set_many(conn, {"lockout_attempts": "100"}, by="test")  # measure refusals, not locks
    _seconds(lambda: users.authenticate(conn, "warmup", "x"))
    wrong, unknown = [], []
    for _ in range(7):  # taken in turns, so that a change of load hits both alike
        wrong.append(_seconds(lambda: users.authenticate(conn, "sam", "not the password")))
        unknown.append(_seconds(lambda: users.authenticate(conn, "nobody-here", "not the password")))
    ratio = statistics.median(unknown) / statistics.median(wrong)
    assert 0.5 <= ratio <= 2.0, (unknown, wrong)


def test_a_failed_sign_in_names_the_typed_username_only_when_it_is_an_account(conn):
    uid = make_user(conn, username="sam")
    fail(conn, "sam", 1)
    fail(conn, "my secret password", 1)  # typed into the username box by mistake
    rows = actions(conn, audit.SIGN_IN_FAILED)
    assert rows[0] == (None, "sam", str(uid), "wrong password", "failure")
    assert rows[1] == (None, None, None, "unknown user", "failure")
    assert "secret" not in str(conn.execute("SELECT * FROM audit_log").fetchall())


# --- password rules -----------------------------------------------------------------------------


@pytest.mark.parametrize(("password", "words"), [
    ("eleven char", "at least 12 characters"),
    ("password1234", "too common"),
    ("qwertyuiop123", "too common"),
    ("iloveyou2024", "too common"),
    ("nadia-blue-river", "username"),
])
def test_a_new_password_must_be_long_uncommon_and_free_of_the_username(conn, password, words):
    with pytest.raises(ValidationError) as err:
        users.create(conn, username="nadia", full_name="Nadia Haddad", role="billing", password=password, by="test")
    assert words in err.value.errors["password"]
    assert users.find_by_username(conn, "nadia") is None


def test_the_minimum_length_follows_the_setting(conn):
    settings.set_many(conn, {"password_min_length": "16"}, by="test")
    with pytest.raises(ValidationError, match="at least 16 characters"):
        make_user(conn, password="blue river lamp")  # 15
    assert make_user(conn, password="blue river lantern")


def test_a_minimum_length_setting_outside_its_range_is_refused_and_a_stray_one_is_clamped(conn):
    with pytest.raises(ValidationError) as err:
        settings.set_many(conn, {"password_min_length": "4"}, by="test")
    assert "password_min_length" in err.value.errors
    conn.execute("UPDATE settings SET value = '4' WHERE key = 'password_min_length'")
    assert users.password_min_length(conn) == 8
    conn.execute("UPDATE settings SET value = 'lots' WHERE key = 'password_min_length'")
    assert users.password_min_length(conn) == 12


def test_the_short_demo_password_is_for_the_seeder_only(conn):
    with pytest.raises(ValueError):
        users.create(conn, username="sneaky", full_name="Sneaky", role="admin", password="demo", by="test",
                     allow_short_password=True)
    uid = users.create(conn, username="frontdesk", full_name="Front Desk", role="front_desk", password="demo",
                       by="seed", allow_short_password=True)
    assert users.authenticate(conn, "frontdesk", "demo").id == uid


def test_the_demo_users_still_sign_in_with_demo(seeded):
    assert users.authenticate(seeded, "admin", "demo").role == "admin"


def test_a_hash_made_with_older_parameters_is_replaced_at_the_next_sign_in(conn):
    uid = make_user(conn, username="sam")
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    conn.execute("UPDATE users SET password_hash = ? WHERE id = ?", [weak, uid])
    assert passwords.needs_rehash(weak)
    users.authenticate(conn, "sam", PASSWORD)
    (stored,) = conn.execute("SELECT password_hash FROM users WHERE id = ?", [uid]).fetchone()
    assert stored != weak and stored.startswith("$argon2id$") and not passwords.needs_rehash(stored)
    assert users.authenticate(conn, "sam", PASSWORD).id == uid


# --- an admin's reset forces a change -----------------------------------------------------------


def test_after_an_admins_reset_the_user_must_choose_their_own_password(conn):
    boss = admin(conn)
    uid = make_user(conn, username="sam")
    users.reset_password(conn, uid, "temporary lantern", by=boss)
    user = users.authenticate(conn, "sam", "temporary lantern")
    assert user.must_change_password
    token = sessions.start(conn, uid)
    other = sessions.start(conn, uid)
    with pytest.raises(ValidationError) as err:
        users.change_own_password(conn, uid, "my own quiet harbour", "my own quiet harbor", token=token)
    assert "confirm" in err.value.errors
    with pytest.raises(ValidationError, match="other than the one you were given"):
        users.change_own_password(conn, uid, "temporary lantern", "temporary lantern", token=token)
    users.change_own_password(conn, uid, "my own quiet harbour", "my own quiet harbour", token=token)
    assert not users.get(conn, uid).must_change_password
    assert users.authenticate(conn, "sam", "my own quiet harbour").id == uid
    with pytest.raises(BadLogin):
        users.authenticate(conn, "sam", "temporary lantern")
    # This browser stays signed in; any other session ends.
    assert sessions.resume(conn, token) == uid and sessions.resume(conn, other) is None
    ((user_id, username, entity_id, _, outcome),) = actions(conn, users.CHANGE_PASSWORD)
    assert (user_id, username, entity_id, outcome) == (uid, "sam", str(uid), "success")


def test_a_reset_also_lifts_a_lockout(conn):
    boss = admin(conn)
    uid = make_user(conn, username="sam")
    fail(conn, "sam", 5, now=datetime.now(timezone.utc))
    users.reset_password(conn, uid, "temporary lantern", by=boss)
    assert users.authenticate(conn, "sam", "temporary lantern").must_change_password


def test_a_reset_password_must_pass_the_rules_too(conn):
    boss = admin(conn)
    uid = make_user(conn, username="sam")
    with pytest.raises(ValidationError, match="too common"):
        users.reset_password(conn, uid, "password1234", by=boss)
    assert not users.get(conn, uid).must_change_password


# --- idle timeout -------------------------------------------------------------------------------


def test_the_idle_limit_is_15_minutes_by_default(conn):
    assert sessions.limits(conn).idle == timedelta(minutes=15)


def test_an_idle_session_ends_at_its_next_use_with_one_timeout_audit_row(conn):
    uid = make_user(conn, username="sam")
    token = sessions.start(conn, uid, now=T0)
    conn.execute("UPDATE user_sessions SET last_seen_at = last_seen_at - INTERVAL 20 MINUTE")
    check = sessions.check(conn, token, now=T0)
    assert (check.user_id, check.ended, check.idle_user_id, check.idle_minutes, check.just_now) == (
        None, "idle", uid, 20, True)
    again = sessions.check(conn, token, now=T0)  # another tab, or a run interrupted meanwhile
    assert (again.ended, again.idle_user_id, again.just_now) == ("idle", uid, False)
    ((user_id, username, _, detail, _),) = actions(conn, sessions.TIMEOUT)
    assert (user_id, username) == (uid, "sam")
    assert json.loads(detail) == {"idle_minutes": 20, "limit_minutes": 15}


def test_a_write_from_an_idle_session_is_refused_before_the_page_notices(conn):
    boss_id = make_user(conn, username="root", role="admin")
    target = make_user(conn, username="sam")
    token = sessions.start(conn, boss_id)
    boss = dataclasses.replace(users.get(conn, boss_id), session_hash=sessions.token_hash(token))
    users.set_role(conn, target, "billing", by=boss)  # live session: allowed
    conn.execute("UPDATE user_sessions SET last_seen_at = last_seen_at - INTERVAL 20 MINUTE")
    with pytest.raises(NotAllowed, match="session has ended"):
        users.set_role(conn, target, "manager", by=boss)
    assert users.get(conn, target).role == "billing"


# --- the migration ------------------------------------------------------------------------------


@pytest.mark.parametrize(("before", "after"), [("30", "15"), ("45", "45")])
def test_migration_015_lowers_the_idle_limit_only_where_it_was_the_old_default(db_path, tmp_path, monkeypatch,
                                                                             before, after):
    older = tmp_path / "older"
    older.mkdir()
    for version, _, path in db.migration_files():
        if version < 15:
            (older / path.name).write_text(path.read_text())
    monkeypatch.setattr(db, "MIGRATIONS_DIR", older)
    conn = db.connect(db_path)
    make_user(conn, username="sam")
    conn.execute("UPDATE settings SET value = ? WHERE key = 'session_idle_min'", [before])
    conn.close()
    monkeypatch.setattr(db, "MIGRATIONS_DIR", Path(db.__file__).with_name("migrations"))
    conn = db.connect(db_path)
    try:
        values = settings.get_all(conn)
        assert values["session_idle_min"] == after
        assert [values[k] for k in ("lockout_attempts", "lockout_minutes", "password_min_length")] == ["5", "15", "12"]
        assert users.find_by_username(conn, "sam").must_change_password is False
    finally:
        conn.close()
