"""Server-side sign-in sessions: start one at sign-in, resume it from the browser's cookie,
revoke it at sign-out, password change and deactivation.

The browser keeps an opaque random token (``secrets.token_urlsafe``); the database keeps only
its SHA-256 hash, so neither a database copy nor the audit log can be replayed as a sign-in.
A session ends when it is revoked, when it has been idle longer than ``session_idle_min``, or
``session_max_hours`` after it began, whichever comes first (settings).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from clinic.timeutil import now_utc
from db import Connection, atomic, read_one, settings

# Resuming a session refreshes last_seen_at at most this often: a write per click is not needed
# to measure idleness in minutes.
_TOUCH_EVERY = timedelta(seconds=60)
IDLE_DEFAULT_MIN = 30
MAX_DEFAULT_HOURS = 12


@dataclass(frozen=True)
class Limits:
    idle: timedelta
    absolute: timedelta


def limits(conn: Connection) -> Limits:
    values = settings.get_all(conn)
    return Limits(
        idle=timedelta(minutes=int(values.get("session_idle_min", IDLE_DEFAULT_MIN))),
        absolute=timedelta(hours=int(values.get("session_max_hours", MAX_DEFAULT_HOURS))),
    )


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start(conn: Connection, user_id: int, *, now: datetime | None = None) -> str:
    """Open a session for ``user_id`` (just authenticated) and return its token for the cookie."""
    now = now or now_utc()
    token = secrets.token_urlsafe(32)
    expires = now + limits(conn).absolute

    def write(cur: Connection) -> None:
        cur.execute(
            "INSERT INTO user_sessions (user_id, token_hash, created_at, last_seen_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [user_id, _hash(token), now, now, expires],
        )

    atomic(conn, write)
    return token


def resume(conn: Connection, token: str | None, *, now: datetime | None = None) -> int | None:
    """The user id of a live session with this token, or None (unknown, revoked, idle, expired,
    or the account is no longer active). Refreshes the session's last-seen time."""
    if not token or len(token) > 200:
        return None
    now = now or now_utc()
    row = read_one(
        conn,
        "SELECT s.id, s.user_id, s.last_seen_at, s.expires_at, s.revoked_at, u.active"
        " FROM user_sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?",
        [_hash(token)],
    )
    if row is None:
        return None
    session_id, user_id, last_seen, expires, revoked, active = row
    idle_limit = limits(conn).idle
    if revoked is not None or not active or now >= expires or now - last_seen > idle_limit:
        return None
    if now - last_seen >= _TOUCH_EVERY:
        def touch(cur: Connection) -> None:
            cur.execute("UPDATE user_sessions SET last_seen_at = ? WHERE id = ? AND revoked_at IS NULL",
                        [now, session_id])

        atomic(conn, touch)
    return user_id


def revoke(conn: Connection, token: str | None, reason: str = "signed out", *, now: datetime | None = None) -> None:
    """End the session with this token (sign-out). Unknown tokens are ignored."""
    if not token:
        return
    now = now or now_utc()

    def write(cur: Connection) -> None:
        cur.execute(
            "UPDATE user_sessions SET revoked_at = ?, revoked_reason = ? WHERE token_hash = ? AND revoked_at IS NULL",
            [now, reason, _hash(token)],
        )

    atomic(conn, write)


def revoke_all_for_user(cur: Connection, user_id: int, reason: str, *, now: datetime | None = None) -> None:
    """End every open session of ``user_id``, on the caller's cursor (inside its transaction):
    a password change or a deactivation signs the account out everywhere."""
    cur.execute(
        "UPDATE user_sessions SET revoked_at = ?, revoked_reason = ? WHERE user_id = ? AND revoked_at IS NULL",
        [now or now_utc(), reason, user_id],
    )


def count_open(conn: Connection, user_id: int, *, now: datetime | None = None) -> int:
    """Sessions of ``user_id`` not revoked and not past their absolute expiry."""
    return read_one(
        conn,
        "SELECT count(*) FROM user_sessions WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ?",
        [user_id, now or now_utc()],
    )[0]
