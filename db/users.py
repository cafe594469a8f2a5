"""Staff accounts: sign-in, and the admin's list/add/change-role/deactivate/reset-password.

Passwords are stored only as argon2id hashes (``clinic.passwords``). Every change of an account
re-reads the acting account first (``db.actors.acting``, action ``users.manage``) and writes its
audit row in the same transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from clinic import passwords
from clinic.access import ROLES
from clinic.errors import BadLogin, LastAdmin, NotAllowed, NotFound, UsernameTaken, ValidationError
from db import Connection, atomic, audit, read, read_one, sessions
from db.actors import acting

ACTION = "users.manage"
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,31}$")


@dataclass(frozen=True)
class User:
    id: int
    username: str
    full_name: str
    role: str
    active: bool
    created_at: datetime | None = None
    last_sign_in_at: datetime | None = None


def _user(row: tuple) -> User:
    return User(*row)


def get(conn: Connection, user_id: int) -> User:
    row = read_one(conn, "SELECT id, username, full_name, role, active, created_at, last_sign_in_at FROM users WHERE id = ?", [user_id])
    if row is None:
        raise NotFound("That user does not exist.")
    return _user(row)


def find_by_username(conn: Connection, username: str) -> User | None:
    row = read_one(conn, "SELECT id, username, full_name, role, active, created_at, last_sign_in_at FROM users WHERE username = ?", [normalise_username(username)])
    return _user(row) if row else None


def list_users(conn: Connection, *, active_only: bool = False) -> list[User]:
    rows = read(
        conn,
        "SELECT id, username, full_name, role, active, created_at, last_sign_in_at FROM users WHERE (NOT $active_only OR active) ORDER BY username",
        {"active_only": active_only},
    )
    return [_user(r) for r in rows]


def count_active(conn: Connection) -> int:
    return read_one(conn, "SELECT count(*) FROM users WHERE active")[0]


def normalise_username(username: str) -> str:
    return (username or "").strip().lower()


def validate_new_user(username: str, full_name: str, role: str, password: str, *, allow_short: bool = False) -> dict:
    """Normalise and check a new account's fields; raise ValidationError with every problem."""
    errors: dict[str, str] = {}
    username = normalise_username(username)
    full_name = " ".join((full_name or "").split())
    if not USERNAME_RE.match(username):
        errors["username"] = "Use 2–32 lower-case letters, digits, dots, dashes or underscores, starting with a letter or digit."
    if not full_name:
        errors["full_name"] = "Enter the person's name."
    elif len(full_name) > 100:
        errors["full_name"] = "Keep the name under 100 characters."
    if role not in ROLES:
        errors["role"] = "Choose a role."
    try:
        passwords.check_new_password(password, allow_short=allow_short)
    except ValidationError as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationError(errors)
    return {"username": username, "full_name": full_name, "role": role}


def create(
    conn: Connection,
    *,
    username: str,
    full_name: str,
    role: str,
    password: str,
    by: Any,
    allow_short_password: bool = False,
) -> int:
    """Add an account and return its id. Raises ValidationError or UsernameTaken."""
    clean = validate_new_user(username, full_name, role, password, allow_short=allow_short_password)
    password_hash = passwords.hash_password(password)

    def write(cur: Connection) -> int:
        actor = acting(cur, by, ACTION)
        if cur.execute("SELECT 1 FROM users WHERE username = ?", [clean["username"]]).fetchone():
            raise UsernameTaken(clean["username"])
        (user_id,) = cur.execute(
            "INSERT INTO users (username, full_name, role, password_hash) VALUES (?, ?, ?, ?) RETURNING id",
            [clean["username"], clean["full_name"], clean["role"], password_hash],
        ).fetchone()
        audit.record(cur, actor, "user.create", "user", user_id, detail={"username": clean["username"], "role": role})
        return user_id

    try:
        return atomic(conn, write)
    except Exception as exc:  # the UNIQUE constraint is the last word if two admins race
        if "Duplicate key" in str(exc) and "username" in str(exc):
            raise UsernameTaken(clean["username"]) from exc
        raise


def authenticate(conn: Connection, username: str, password: str) -> User:
    """Return the user for a correct username and password, else raise BadLogin.

    An unknown user, a wrong password and a deactivated account all give the same message.
    Success and failure are both audited.
    """
    name = normalise_username(username)
    row = read_one(conn, "SELECT id, username, full_name, role, active, created_at, last_sign_in_at, password_hash FROM users WHERE username = ?", [name])
    ok = row is not None and passwords.verify_password(row[-1], password or "") and row[4]
    if not ok:
        if row is None:
            # Spend the same time as a real check so timing does not reveal unknown usernames.
            passwords.verify_password(_DUMMY_HASH, password or "")
        reason = "unknown user" if row is None else ("inactive" if not row[4] else "wrong password")

        def write_failure(cur: Connection) -> None:
            audit.record(cur, name[:64] or None, audit.SIGN_IN_FAILED, "user", row[0] if row else None, detail=reason,
                         outcome="failure")

        atomic(conn, write_failure)
        raise BadLogin()
    user = _user(row[:-1])

    def write_success(cur: Connection) -> None:
        cur.execute("UPDATE users SET last_sign_in_at = current_timestamp WHERE id = ?", [user.id])
        if passwords.needs_rehash(row[-1]):
            cur.execute("UPDATE users SET password_hash = ? WHERE id = ?", [passwords.hash_password(password), user.id])
        audit.record(cur, user, audit.SIGN_IN, "user", user.id)

    atomic(conn, write_success)
    return user


_DUMMY_HASH = passwords.hash_password("not-a-real-password")


def record_sign_out(conn: Connection, user: User) -> None:
    atomic(conn, lambda cur: audit.record(cur, user, audit.SIGN_OUT, "user", user.id))


def _guard_last_admin(cur: Connection, user_id: int) -> None:
    """Refuse a change that would leave no active admin (nobody could manage accounts)."""
    others = cur.execute(
        "SELECT count(*) FROM users WHERE role = 'admin' AND active AND id <> ?", [user_id]
    ).fetchone()[0]
    if others == 0:
        raise LastAdmin()


def set_role(conn: Connection, user_id: int, role: str, *, by: Any) -> None:
    """Give an account another role; the last active admin keeps theirs (LastAdmin)."""
    if role not in ROLES:
        raise ValidationError({"role": "Choose a role."})

    def write(cur: Connection) -> None:
        actor = acting(cur, by, ACTION)
        row = cur.execute("SELECT role FROM users WHERE id = ?", [user_id]).fetchone()
        if row is None:
            raise NotFound("That user does not exist.")
        if row[0] == role:
            return
        if row[0] == "admin":
            _guard_last_admin(cur, user_id)
        cur.execute("UPDATE users SET role = ? WHERE id = ?", [role, user_id])
        audit.record(cur, actor, "user.set_role", "user", user_id, detail={"from": row[0], "to": role})

    atomic(conn, write)


def set_active(conn: Connection, user_id: int, active: bool, *, by: Any) -> None:
    """Deactivate (they can no longer sign in; their next click signs them out) or reactivate an
    account. Nobody deactivates their own account, nor the last active admin (LastAdmin)."""
    def write(cur: Connection) -> None:
        actor = acting(cur, by, ACTION)
        row = cur.execute("SELECT role, active FROM users WHERE id = ?", [user_id]).fetchone()
        if row is None:
            raise NotFound("That user does not exist.")
        if row[1] == active:
            return
        if not active and actor.id == user_id:
            raise NotAllowed("You cannot deactivate your own account.")
        if not active and row[0] == "admin":
            _guard_last_admin(cur, user_id)
        cur.execute("UPDATE users SET active = ? WHERE id = ?", [active, user_id])
        if not active:
            sessions.revoke_all_for_user(cur, user_id, "deactivated")
        audit.record(cur, actor, "user.activate" if active else "user.deactivate", "user", user_id)

    atomic(conn, write)


def reset_password(conn: Connection, user_id: int, new_password: str, *, by: Any) -> None:
    passwords.check_new_password(new_password)
    password_hash = passwords.hash_password(new_password)

    def write(cur: Connection) -> None:
        actor = acting(cur, by, ACTION)
        if cur.execute("SELECT 1 FROM users WHERE id = ?", [user_id]).fetchone() is None:
            raise NotFound("That user does not exist.")
        cur.execute(
            "UPDATE users SET password_hash = ?, password_changed_at = current_timestamp WHERE id = ?",
            [password_hash, user_id],
        )
        # Signed out everywhere: whoever knew the old password may hold a session.
        sessions.revoke_all_for_user(cur, user_id, "password changed")
        audit.record(cur, actor, "user.reset_password", "user", user_id)

    atomic(conn, write)
