"""Staff accounts: sign-in (with its lockout, or by single sign-on through the account's e-mail),
and the admin's list/add/change-role/deactivate/reset-password/unlock/set-e-mail, and a user
choosing their own new password after a reset.

Passwords are stored only as argon2id hashes (``clinic.passwords``). Every change of an account
re-reads the acting account first (``db.actors.acting``, action ``users.manage``) and writes its
audit row in the same transaction.

Sign-in (:func:`authenticate`) gives nothing away about which usernames exist: an unknown user,
a wrong password and a deactivated account get the same message, and every attempt runs exactly
one argon2 check (against a dummy hash for an unknown user), so all take about as long. Failed
attempts on a real account are rows in ``sign_in_failures``; ``lockout_attempts`` of them within
``lockout_minutes`` lock the account (``users.locked_until``) for ``lockout_minutes``, right
password or not, unless an admin unlocks it. A typed name that is no account "locks" the same way,
counted in this process's memory only (under a keyed hash: nothing typed is kept), so the lockout
message does not tell real accounts apart either.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from clinic import passwords
from clinic.access import ROLES
from clinic.errors import (BadLogin, ClinicError, LastAdmin, NotAllowed, NotFound, SignInLocked, UsernameTaken,
                           ValidationError)
from clinic.timeutil import now_utc
from db import Connection, atomic, audit, read, read_one, sessions, settings
from db.actors import acting

ACTION = "users.manage"
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,31}$")
LOCKED_OUT = "auth.locked_out"
UNLOCK = "user.unlock"
CHANGE_PASSWORD = "user.change_password"
_COLUMNS = ("id, username, full_name, role, active, created_at, last_sign_in_at, must_change_password, locked_until,"
            " email")
_SELECT = "SELECT " + _COLUMNS + " FROM users"


@dataclass(frozen=True)
class User:
    id: int
    username: str
    full_name: str
    role: str
    active: bool
    created_at: datetime | None = None
    last_sign_in_at: datetime | None = None
    must_change_password: bool = False
    locked_until: datetime | None = None
    email: str | None = None  # lower-case; the account single sign-on maps to (sign_in_sso)
    # The SHA-256 of the sign-in session's token when the account came from a browser session
    # (components.auth): db.actors.acting then refuses a write whose session has ended.
    session_hash: str | None = None

    def is_locked(self, now: datetime | None = None) -> bool:
        return self.locked_until is not None and self.locked_until > (now or now_utc())


def _user(row: tuple) -> User:
    return User(*row)


def get(conn: Connection, user_id: int) -> User:
    row = read_one(conn, _SELECT + " WHERE id = ?", [user_id])
    if row is None:
        raise NotFound("That user does not exist.")
    return _user(row)


def find_by_username(conn: Connection, username: str) -> User | None:
    row = read_one(conn, _SELECT + " WHERE username = ?", [normalise_username(username)])
    return _user(row) if row else None


def by_email(conn: Connection, email: str) -> User | None:
    """The account with this e-mail (any letter case), active or not, or None."""
    address = normalise_email(email)
    if not address:
        return None
    row = read_one(conn, _SELECT + " WHERE email = ?", [address])
    return _user(row) if row else None


def list_users(conn: Connection, *, active_only: bool = False) -> list[User]:
    rows = read(
        conn,
        _SELECT + " WHERE (NOT $active_only OR active) ORDER BY username",
        {"active_only": active_only},
    )
    return [_user(r) for r in rows]


def count_active(conn: Connection) -> int:
    return read_one(conn, "SELECT count(*) FROM users WHERE active")[0]


def normalise_username(username: str) -> str:
    return (username or "").strip().lower()


def normalise_email(email: str | None) -> str:
    """E-mails are kept and compared lower-case: ``Ann@Clinic.org`` and ``ann@clinic.org`` are one
    address to ClinicDesk (providers differ in the case they send)."""
    return (email or "").strip().lower()


def password_min_length(conn: Connection) -> int:
    return settings.int_value(conn, "password_min_length")


def validate_new_user(username: str, full_name: str, role: str, password: str, *, allow_short: bool = False,
                      min_length: int = passwords.MIN_LENGTH) -> dict:
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
        passwords.check_new_password(password, min_length=min_length, username=username, allow_short=allow_short)
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
    """Add an account and return its id. Raises ValidationError or UsernameTaken.

    ``allow_short_password`` is for the demo seeder's ``demo`` password and nothing else."""
    if allow_short_password and by != "seed":
        raise ValueError("allow_short_password is only for the demo seeder (by='seed')")
    clean = validate_new_user(username, full_name, role, password, allow_short=allow_short_password,
                              min_length=password_min_length(conn))
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


# --- signing in ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lockout:
    attempts: int
    window: timedelta


def lockout_policy(conn: Connection) -> Lockout:
    values = settings.get_all(conn)
    return Lockout(settings.int_value(conn, "lockout_attempts", values),
                   timedelta(minutes=settings.int_value(conn, "lockout_minutes", values)))


class _UnknownNames:
    """Failed sign-ins under names that are no account, so that they "lock" like real ones.

    Kept in this process only, under an HMAC of the name with a key made at start (a password
    typed into the username box is not kept anywhere), and bounded in size."""

    LIMIT = 10_000

    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)
        self._lock = threading.Lock()
        self._seen: dict[bytes, tuple[list[datetime], datetime | None]] = {}

    def fail(self, name: str, now: datetime, policy: Lockout) -> bool:
        """Count a failure for ``name`` as authenticate() would for an account; True when locked."""
        key = hmac.new(self._key, name.encode("utf-8"), hashlib.sha256).digest()
        with self._lock:
            failures, locked_until = self._seen.get(key, ([], None))
            if locked_until is not None and locked_until > now:
                return True
            failures = [t for t in failures if t > now - policy.window] + [now]
            locked_until = now + policy.window if len(failures) >= policy.attempts else None
            if len(self._seen) >= self.LIMIT:
                self._forget_before(now - policy.window)
            self._seen[key] = (failures, locked_until)
            return locked_until is not None

    def _forget_before(self, cutoff: datetime) -> None:
        stale = [k for k, (times, until) in self._seen.items()
                 if (until is None or until <= cutoff) and all(t <= cutoff for t in times)]
        for k in stale or list(self._seen)[: self.LIMIT // 2]:
            del self._seen[k]

    def clear(self) -> None:
        with self._lock:
            self._seen.clear()


_unknown_names = _UnknownNames()


def _locked(policy: Lockout) -> SignInLocked:
    return SignInLocked(policy.window)


def authenticate(conn: Connection, username: str, password: str, *, now: datetime | None = None) -> User:
    """Return the user for a correct username and password, else raise BadLogin (or its kind
    SignInLocked once the account, or the unknown name, has failed too often).

    An unknown user, a wrong password and a deactivated account all give the same message, and
    each attempt runs one argon2 check. Success and failure are both audited; the audit row of a
    failure names the typed username only when it is an account. The returned user may have
    ``must_change_password`` set: the caller then asks for a new password before anything else.
    """
    now = now or now_utc()
    name = normalise_username(username)
    policy = lockout_policy(conn)
    row = read_one(conn, "SELECT " + _COLUMNS + ", password_hash FROM users WHERE username = ?", [name])
    # Always exactly one argon2 check, so that timing does not tell which usernames exist.
    right = passwords.verify_password(row[-1] if row else _DUMMY_HASH, password or "")

    if row is None:
        locked = _unknown_names.fail(name, now, policy)

        def write_unknown(cur: Connection) -> None:
            audit.record(cur, None, audit.SIGN_IN_FAILED, "user", None,
                         detail="locked" if locked else "unknown user", outcome="failure")

        atomic(conn, write_unknown)
        raise _locked(policy) if locked else BadLogin()

    user = _user(row[:-1])
    if user.is_locked(now) or not (right and user.active):
        if atomic(conn, lambda cur: _record_failure(cur, user, now, policy)):
            raise _locked(policy)
        raise BadLogin()

    stored_hash = row[-1]

    def write_success(cur: Connection) -> None:
        cur.execute("UPDATE users SET last_sign_in_at = ?, locked_until = NULL WHERE id = ?", [now, user.id])
        cur.execute("DELETE FROM sign_in_failures WHERE user_id = ?", [user.id])
        if passwords.needs_rehash(stored_hash):
            cur.execute("UPDATE users SET password_hash = ? WHERE id = ?", [passwords.hash_password(password), user.id])
        audit.record(cur, user, audit.SIGN_IN, "user", user.id)

    atomic(conn, write_success)
    return get(conn, user.id)


def _record_failure(cur: Connection, user: User, now: datetime, policy: Lockout) -> bool:
    """Audit a refused sign-in of a real account and count it; True when the account is locked
    (already, or by this failure: then ``auth.locked_out`` is audited, once)."""
    # First statement, so that it is where this transaction's snapshot starts: two failures at once
    # then write the same row, the later one conflicts and is retried (db.atomic) with a snapshot
    # holding the other's failure, so no failure goes uncounted (as booking_version does for
    # bookings: "check, then insert" alone is not safe under DuckDB's MVCC).
    # (Not "SET x = x": DuckDB skips that as no change, and nothing conflicts.)
    cur.execute("UPDATE users SET last_failed_sign_in_at = ? WHERE id = ?", [now, user.id])
    (locked_until,) = cur.execute("SELECT locked_until FROM users WHERE id = ?", [user.id]).fetchone()
    if locked_until is not None and locked_until > now:
        # Attempts while locked are refused without counting: the lock ends when it said it would.
        audit.record(cur, user.username, audit.SIGN_IN_FAILED, "user", user.id, detail="locked", outcome="failure")
        return True
    cur.execute("INSERT INTO sign_in_failures (user_id, failed_at) VALUES (?, ?)", [user.id, now])
    (failures,) = cur.execute(
        "SELECT count(*) FROM sign_in_failures WHERE user_id = ? AND failed_at > ? AND failed_at <= ?",
        [user.id, now - policy.window, now],
    ).fetchone()
    locks = failures >= policy.attempts
    if locks:
        cur.execute("UPDATE users SET locked_until = ? WHERE id = ?", [now + policy.window, user.id])
    reason = "inactive" if not user.active else "wrong password"
    audit.record(cur, user.username, audit.SIGN_IN_FAILED, "user", user.id, detail=reason, outcome="failure")
    if locks:
        audit.record(cur, user.username, LOCKED_OUT, "user", user.id, outcome="failure",
                     detail={"failures": failures, "minutes": int(policy.window.total_seconds() // 60),
                             "until": (now + policy.window).isoformat()})
    return locks


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
    """An admin sets a new password: the account is signed out everywhere, unlocked, and must choose
    a password of its own at its next sign-in."""
    username = _username_of(conn, user_id)
    passwords.check_new_password(new_password, min_length=password_min_length(conn), username=username)
    password_hash = passwords.hash_password(new_password)

    def write(cur: Connection) -> None:
        actor = acting(cur, by, ACTION)
        row = cur.execute("SELECT locked_until FROM users WHERE id = ?", [user_id]).fetchone()
        if row is None:
            raise NotFound("That user does not exist.")
        cur.execute(
            "UPDATE users SET password_hash = ?, password_changed_at = current_timestamp,"
            " must_change_password = true, locked_until = NULL WHERE id = ?",
            [password_hash, user_id],
        )
        cur.execute("DELETE FROM sign_in_failures WHERE user_id = ?", [user_id])
        # Signed out everywhere: whoever knew the old password may hold a session.
        sessions.revoke_all_for_user(cur, user_id, "password changed")
        audit.record(cur, actor, "user.reset_password", "user", user_id,
                     detail={"must_change_password": True, "was_locked": row[0] is not None and row[0] > now_utc()})

    atomic(conn, write)


def _username_of(conn: Connection, user_id: int) -> str:
    row = read_one(conn, "SELECT username FROM users WHERE id = ?", [user_id])
    if row is None:
        raise NotFound("That user does not exist.")
    return row[0]


def change_own_password(conn: Connection, user_id: int, new_password: str, confirm: str, *, token: str | None,
                        now: datetime | None = None) -> None:
    """The signed-in user (after an admin's reset) chooses their own password.

    Checked like any new password, and it must differ from the one they were given. Their other
    sessions end; the one with ``token`` (this browser's) goes on. Raises ValidationError
    (``password`` or ``confirm``), or NotAllowed when the session has ended meanwhile."""
    now = now or now_utc()
    username = _username_of(conn, user_id)
    if new_password != confirm:
        raise ValidationError({"confirm": "The two passwords differ."})
    passwords.check_new_password(new_password, min_length=password_min_length(conn), username=username)
    (old_hash,) = read_one(conn, "SELECT password_hash FROM users WHERE id = ?", [user_id])
    if passwords.verify_password(old_hash, new_password):
        raise ValidationError({"password": "Choose a password other than the one you were given."})
    password_hash = passwords.hash_password(new_password)

    def write(cur: Connection) -> None:
        actor = acting(cur, user_id, None)
        if token is not None and not sessions.is_live(cur, sessions.token_hash(token), now=now):
            raise NotAllowed("Your session has ended. Sign in again.")
        cur.execute(
            "UPDATE users SET password_hash = ?, password_changed_at = ?, must_change_password = false WHERE id = ?",
            [password_hash, now, user_id],
        )
        sessions.revoke_all_for_user(cur, user_id, "password changed", now=now, keep=token)
        audit.record(cur, actor, CHANGE_PASSWORD, "user", user_id, detail={"after": "reset"})

    atomic(conn, write)


# --- lockouts -----------------------------------------------------------------------------------


def list_locked(conn: Connection, *, now: datetime | None = None) -> list[User]:
    """Accounts locked out now, soonest unlocked first."""
    rows = read(conn, _SELECT + " WHERE locked_until > ? ORDER BY locked_until, username",
                [now or now_utc()])
    return [_user(r) for r in rows]


def unlock(conn: Connection, user_id: int, *, by: Any, now: datetime | None = None) -> bool:
    """An admin lifts a lockout before it ends; its failed attempts are forgotten. Returns False
    (and writes nothing) when the account was not locked."""
    now = now or now_utc()

    def write(cur: Connection) -> bool:
        actor = acting(cur, by, ACTION)
        row = cur.execute("SELECT locked_until FROM users WHERE id = ?", [user_id]).fetchone()
        if row is None:
            raise NotFound("That user does not exist.")
        if row[0] is None or row[0] <= now:
            return False
        cur.execute("UPDATE users SET locked_until = NULL WHERE id = ?", [user_id])
        cur.execute("DELETE FROM sign_in_failures WHERE user_id = ?", [user_id])
        audit.record(cur, actor, UNLOCK, "user", user_id, detail={"was_locked_until": row[0].isoformat()})
        return True

    return atomic(conn, write)


# --- single sign-on -----------------------------------------------------------------------------
# The identity provider (st.login, components/sso.py) proves who someone is; ClinicDesk decides
# which account that is (by e-mail) and what it may do (the account's role). A password lockout
# does not stop a sign-on: the lockout guards the password against guessing, and the provider did
# not use it.

SET_EMAIL = "user.set_email"
# An identity handed back by the provider starts a session only this soon after it was issued
# (and only once: sso_sign_ins): Streamlit keeps it in a cookie for 30 days.
SSO_FRESH_FOR = timedelta(minutes=10)
_SSO_CLOCK_SKEW = timedelta(minutes=2)
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s.][^@\s]*$")


class SsoRefused(ClinicError):
    """The provider's identity maps to no active account (or its e-mail is not verified)."""

    default_message = "Single sign-on could not sign you in."


class SsoAlreadyUsed(ClinicError):
    """The provider's identity has started a session (or been refused) before, or is too old."""

    default_message = "That sign-in from your identity provider has been used already. Sign in again."


def clean_email(email: str | None) -> str | None:
    """Normalise an account's e-mail (None when blank); ValidationError under ``email`` if malformed.

    Only the shape is checked: a clinic's own provider may well use a domain no public validator
    accepts (``clinic.local``), and the address only has to equal what the provider sends."""
    address = normalise_email(email)
    if not address:
        return None
    if len(address) > 254 or not _EMAIL_RE.match(address):
        raise ValidationError({"email": "That is not an e-mail address (name@domain)."})
    return address


def set_email(conn: Connection, user_id: int, email: str | None, *, by: Any) -> str | None:
    """Give an account the e-mail single sign-on maps to (blank removes it); returns it as stored.

    Raises ValidationError under ``email`` when it is malformed or another account has it."""
    address = clean_email(email)

    def taken(owner: str) -> ValidationError:
        return ValidationError({"email": f"{address} is already the e-mail of {owner}."})

    def write(cur: Connection) -> str | None:
        actor = acting(cur, by, ACTION)
        row = cur.execute("SELECT email FROM users WHERE id = ?", [user_id]).fetchone()
        if row is None:
            raise NotFound("That user does not exist.")
        if row[0] == address:
            return address
        if address is not None:
            other = cur.execute("SELECT username FROM users WHERE email = ? AND id <> ?", [address, user_id]).fetchone()
            if other:
                raise taken(other[0])
        cur.execute("UPDATE users SET email = ? WHERE id = ?", [address, user_id])
        audit.record(cur, actor, SET_EMAIL, "user", user_id, detail={"from": row[0], "to": address})
        return address

    try:
        return atomic(conn, write)
    except Exception as exc:  # the unique index is the last word if two admins race
        if "Duplicate key" in str(exc) and "email" in str(exc):
            owner = by_email(conn, address or "")
            raise taken(owner.username if owner else "another account") from exc
        raise


def sign_in_sso(conn: Connection, email: str | None, *, provider: str, email_verified: bool | None = None,
                identity: str | None = None, issued_at: datetime | None = None,
                now: datetime | None = None) -> tuple[User, str]:
    """Sign in the active account whose e-mail the identity provider vouched for; returns it and the
    token of the server-side session started for it (as password sign-in does, db/sessions.py).

    ``email_verified`` is the provider's claim when it sends one: False refuses. ``identity`` is a
    key unique to this sign-in at the provider (its identity token's issuer, subject, issue time
    and nonce) and ``issued_at`` when the provider issued it: an identity older than
    :data:`SSO_FRESH_FOR`, or one used before, raises :class:`SsoAlreadyUsed` and writes nothing.

    Success audits ``auth.sign_in`` with ``{"method": "sso", "provider": ...}``. An unknown or
    inactive e-mail (or an unverified one) raises :class:`SsoRefused` with a message to show, and is
    audited as a failed sign-in; the row names the account only when the e-mail is one.
    """
    now = now or now_utc()
    address = normalise_email(email)
    if issued_at is not None and not (now - SSO_FRESH_FOR <= issued_at <= now + _SSO_CLOCK_SKEW):
        raise SsoAlreadyUsed()
    used = hashlib.sha256(identity.encode("utf-8")).hexdigest() if identity else None
    if used is not None and read_one(conn, "SELECT 1 FROM sso_sign_ins WHERE identity_hash = ?", [used]):
        raise SsoAlreadyUsed()
    method = {"method": "sso", "provider": provider}

    def write(cur: Connection) -> tuple[str | None, User | None]:
        row = cur.execute(_SELECT + " WHERE email = ?", [address]).fetchone() if address else None
        user = _user(row) if row else None
        if not address:
            reason = "no e-mail"
        elif email_verified is False:
            reason = "e-mail not verified"
        elif user is None:
            reason = "unknown e-mail"
        elif not user.active:
            reason = "inactive"
        else:
            reason = None
        if used is not None:
            if cur.execute("SELECT 1 FROM sso_sign_ins WHERE identity_hash = ?", [used]).fetchone():
                return "used", None
            cur.execute("INSERT INTO sso_sign_ins (identity_hash, user_id, provider, used_at) VALUES (?, ?, ?, ?)",
                        [used, None if reason or user is None else user.id, provider, now])
        if reason is not None:
            audit.record(cur, user.username if user else None, audit.SIGN_IN_FAILED, "user", user.id if user else None,
                         detail={**method, "reason": reason}, outcome="failure")
            return reason, user
        cur.execute("UPDATE users SET last_sign_in_at = ? WHERE id = ?", [now, user.id])
        audit.record(cur, user, audit.SIGN_IN, "user", user.id, detail=method)
        return None, user

    try:
        reason, user = atomic(conn, write)
    except Exception as exc:  # two tabs handing in the same identity at once: the other one won
        if used is not None and "Duplicate key" in str(exc) and "identity_hash" in str(exc):
            raise SsoAlreadyUsed() from exc
        raise
    if reason == "used":
        raise SsoAlreadyUsed()
    if reason == "no e-mail":
        raise SsoRefused("Your identity provider did not send an e-mail address, so ClinicDesk cannot tell which "
                         "account is yours. Ask your administrator, or sign in with your username and password.")
    if reason == "e-mail not verified":
        raise SsoRefused(f"Your identity provider has not verified the e-mail {address}, so it cannot sign you in "
                         "to ClinicDesk. Sign in with your username and password.")
    if reason is not None:
        raise SsoRefused(f"No active ClinicDesk account has the e-mail {address}. Ask an administrator to add it "
                         "to your account (Admin › Users), or sign in with your username and password.")
    token = sessions.start(conn, user.id, now=now)
    return get(conn, user.id), token
