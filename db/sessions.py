"""Server-side sign-in sessions: start one at sign-in, resume it from the browser's cookie,
revoke it at sign-out, password change and deactivation, and end it when it has been idle.

The browser keeps an opaque random token (``secrets.token_urlsafe``); the database keeps only
its SHA-256 hash, so neither a database copy nor the audit log can be replayed as a sign-in.
A session ends when it is revoked, when it has been idle longer than ``session_idle_min``, or
``session_max_hours`` after it began, whichever comes first (settings). The first use of a
session found idle revokes it (reason "idle") and writes one ``auth.timeout`` audit row.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from clinic.timeutil import now_utc
from db import Connection, atomic, audit, read_one, settings
from db.actors import Actor

TIMEOUT = "auth.timeout"

# Resuming a session refreshes last_seen_at at most this often (or a tenth of the idle limit, if
# shorter): a write per click is not needed to measure idleness in minutes.
_TOUCH_EVERY = timedelta(seconds=60)
IDLE_DEFAULT_MIN = int(settings.DEFAULTS["session_idle_min"])
MAX_DEFAULT_HOURS = int(settings.DEFAULTS["session_max_hours"])


@dataclass(frozen=True)
class Limits:
    idle: timedelta
    absolute: timedelta


def _limits_from(values: dict[str, str]) -> Limits:
    return Limits(
        idle=timedelta(minutes=settings.int_value(None, "session_idle_min", values)),
        absolute=timedelta(hours=settings.int_value(None, "session_max_hours", values)),
    )


def limits(conn: Connection) -> Limits:
    return _limits_from(settings.get_all(conn))


@dataclass(frozen=True)
class Check:
    """What a token is worth now: ``user_id`` of a live session, else None and ``ended`` says why
    ("unknown", "revoked", "expired", "inactive" or "idle"). For an idle session, ``idle_user_id``
    and ``idle_minutes`` say whose and how long; ``just_now`` when this very check ended it (and
    audited it: once per session)."""

    user_id: int | None
    ended: str | None = None
    idle_user_id: int | None = None
    idle_minutes: int | None = None
    just_now: bool = False


def _minutes(span: timedelta) -> int:
    return int(span.total_seconds() // 60)


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


def token_hash(token: str) -> str:
    """What the database keeps of a token (and what a signed-in user carries to each write)."""
    return _hash(token)


def check(conn: Connection, token: str | None, *, now: datetime | None = None) -> Check:
    """Whether the session with this token is live now (refreshing its last-seen time), and if not,
    why. A session found idle is revoked and its timeout audited, in one transaction."""
    if not token or len(token) > 200:
        return Check(None, "unknown")
    now = now or now_utc()
    row = read_one(
        conn,
        "SELECT s.id, s.user_id, s.last_seen_at, s.expires_at, s.revoked_at, s.revoked_reason, u.active"
        " FROM user_sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?",
        [_hash(token)],
    )
    if row is None:
        return Check(None, "unknown")
    session_id, user_id, last_seen, expires, revoked, reason, active = row
    limit = limits(conn)
    if revoked is not None and reason == "idle":
        # Ended for idleness by an earlier check: the browser session that was interrupted while
        # handling it (Streamlit can stop a run at any session-state access) handles it again.
        return Check(None, "idle", user_id, _minutes(revoked - last_seen))
    if revoked is not None:
        return Check(None, "revoked")
    if not active:
        return Check(None, "inactive")
    if now >= expires:
        return Check(None, "expired")
    if now - last_seen > limit.idle:
        return _time_out(conn, session_id, now, limit.idle)
    if now - last_seen >= min(_TOUCH_EVERY, limit.idle / 10):
        def touch(cur: Connection) -> None:
            cur.execute(
                "UPDATE user_sessions SET last_seen_at = ? WHERE id = ? AND revoked_at IS NULL AND last_seen_at < ?",
                [now, session_id, now])

        atomic(conn, touch)
    return Check(user_id)


def _time_out(conn: Connection, session_id: int, now: datetime, limit: timedelta) -> Check:
    def write(cur: Connection) -> Check:
        # Two tabs may notice at once: only the one whose UPDATE ends the session audits it.
        ended = cur.execute(
            "UPDATE user_sessions SET revoked_at = ?, revoked_reason = 'idle'"
            " WHERE id = ? AND revoked_at IS NULL RETURNING user_id, last_seen_at",
            [now, session_id],
        ).fetchone()
        if ended is None:
            return Check(None, "revoked")
        user_id, last_seen = ended
        minutes = _minutes(now - last_seen)
        row = cur.execute("SELECT id, username, full_name, role, active FROM users WHERE id = ?", [user_id]).fetchone()
        who = Actor(*row) if row else None
        audit.record(cur, who, TIMEOUT, "user", user_id,
                     detail={"idle_minutes": minutes, "limit_minutes": _minutes(limit)})
        return Check(None, "idle", user_id, minutes, just_now=True)

    return atomic(conn, write)


def resume(conn: Connection, token: str | None, *, now: datetime | None = None) -> int | None:
    """The user id of a live session with this token, or None (unknown, revoked, idle, expired,
    or the account is no longer active). Refreshes the session's last-seen time."""
    return check(conn, token, now=now).user_id


def is_live(cur: Connection, token_hash_: str, *, now: datetime | None = None) -> bool:
    """On the caller's cursor (inside its transaction): is the session with this token hash still
    live (not revoked, expired or idle, its account active)? Touches nothing: a write that runs
    before the page's own check (a button's callback) is refused when its session has ended."""
    now = now or now_utc()
    row = cur.execute(
        "SELECT s.last_seen_at, s.expires_at, s.revoked_at, u.active"
        " FROM user_sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?",
        [token_hash_],
    ).fetchone()
    if row is None:
        return False
    last_seen, expires, revoked, active = row
    idle = _limits_from(dict(cur.execute("SELECT key, value FROM settings").fetchall())).idle
    return revoked is None and bool(active) and now < expires and now - last_seen <= idle


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


def revoke_all_for_user(cur: Connection, user_id: int, reason: str, *, now: datetime | None = None,
                        keep: str | None = None) -> None:
    """End every open session of ``user_id``, on the caller's cursor (inside its transaction):
    a password change or a deactivation signs the account out everywhere (but for the session
    whose token is ``keep``: the one choosing its own new password)."""
    cur.execute(
        "UPDATE user_sessions SET revoked_at = ?, revoked_reason = ? WHERE user_id = ? AND revoked_at IS NULL"
        " AND token_hash IS DISTINCT FROM ?",
        [now or now_utc(), reason, user_id, _hash(keep) if keep else None],
    )


def count_open(conn: Connection, user_id: int, *, now: datetime | None = None) -> int:
    """Sessions of ``user_id`` not revoked and not past their absolute expiry."""
    return read_one(
        conn,
        "SELECT count(*) FROM user_sessions WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ?",
        [user_id, now or now_utc()],
    )[0]
