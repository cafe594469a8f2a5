"""Who is acting: every write re-reads the acting account inside its own transaction.

A page hands a ``db/`` write the :class:`db.users.User` it loaded when it drew the screen, but a
button callback can run minutes later: the account may have been deactivated or its role
changed meanwhile. So each write calls :func:`acting` as the first thing in its transaction
(on the same cursor): it re-reads the account, refuses an inactive one, checks the action in
``clinic.access`` against the role the database holds *now*, and returns the fresh account,
which the write then uses for its audit row and any ownership rule.

Every refusal leaves one audit row (outcome "refused"), although the transaction it happened
in is rolled back: :func:`acting`'s :class:`clinic.errors.NotAllowed` says who and what, and
:func:`db.atomic` (or :func:`current`, for a read) writes the row in a small transaction of its
own once the error leaves it (:func:`write_refusal`). A page refused to a role is recorded by
:func:`record_refusal`.

Operators' commands (``manage.py``), the demo seeder and test set-up pass a plain string such as
``"manage.py"`` or ``"seed"``: they hold the database file itself, outside any role, are never
refused, and are recorded in the audit log under that name.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from clinic.access import ROLE_LABELS, can_do
from clinic.audit_terms import category_for
from clinic.errors import NotAllowed
from db import Connection, atomic, audit

log = logging.getLogger(__name__)

# The audit action of a refusal when no permission was asked for (only the account was checked:
# inactive, or its session ended). Otherwise a refusal is recorded under the permission refused.
ACCOUNT_REFUSED = "access.refused"
# The audit action of a page refused to the signed-in role (entity "page", entity id its key).
PAGE_OPEN = "page.open"


@dataclass(frozen=True)
class Actor:
    """The acting account as the database holds it at this moment (or an operator's name)."""

    id: int | None
    username: str
    full_name: str
    role: str | None  # None for an operator or the seeder (a string ``by``)
    active: bool = True

    @property
    def is_operator(self) -> bool:
        return self.id is None


def operator(name: str) -> Actor:
    return Actor(id=None, username=name, full_name=name, role=None)


def acting(cur: Connection, by: Any, action: str | None) -> Actor:
    """Re-read ``by`` inside the caller's transaction and check that it may do ``action`` now.

    ``by`` is a user (anything with an ``id``), a user id, or an operator's name (a string).
    ``action`` is a key of ``clinic.access.ACTIONS``; None only checks that the account is active.
    Raises :class:`clinic.errors.NotAllowed` with a message the user can act on, carrying who
    (as read here) and what, for the refusal's audit row (written by :func:`db.atomic` or
    :func:`current` once the transaction is rolled back).
    """
    if isinstance(by, str):
        return operator(by)
    user_id = by if isinstance(by, int) else getattr(by, "id", None)
    if user_id is None:
        raise NotAllowed("Sign in first.", action=action, audit=True)
    row = cur.execute("SELECT id, username, full_name, role, active FROM users WHERE id = ?", [user_id]).fetchone()
    if row is None or not row[4]:
        raise NotAllowed("Your account is no longer active. Ask an administrator.", user_id=user_id,
                         username=row[1] if row else None, role=row[3] if row else None, action=action, audit=True)
    # A user from a browser session (components.auth) carries its session: a button's callback
    # runs before the page checks the session, so an idle, expired or revoked one is refused here.
    session_hash = getattr(by, "session_hash", None)
    if session_hash is not None:
        from db import sessions  # db.sessions imports this module

        if not sessions.is_live(cur, session_hash):
            raise NotAllowed("Your session has ended. Sign in again.", user_id=row[0], username=row[1],
                             role=row[3], action=action, audit=True)
    actor = Actor(*row)
    if action is not None and not can_do(actor.role, action):
        raise NotAllowed(f"Your role ({ROLE_LABELS.get(actor.role, actor.role)}) does not allow this.",
                         user_id=actor.id, username=actor.username, role=actor.role, action=action, audit=True)
    return actor


def refusal(actor: Actor, action: str | None, message: str, *, patient_id: int | None = None,
            field: str | None = None) -> NotAllowed:
    """A refusal by a rule beyond the role table (a clinical document category, another
    clinician's draft, a record outside one's schedule), audited like :func:`acting`'s once it
    leaves :func:`db.atomic`: ``raise refusal(actor, "documents.read", "...", patient_id=...)``."""
    return NotAllowed(message, field=field, user_id=actor.id, username=actor.username, role=actor.role,
                      action=action, patient_id=patient_id, audit=not actor.is_operator)


def current(conn: Connection, by: Any, action: str | None = None, *, audit_refusal: bool = True) -> Actor:
    """:func:`acting` for a read that needs a permission check (a download, a view), outside a write.

    A refusal writes its audit row before NotAllowed is raised; ``audit_refusal=False`` only for a
    caller that writes the refusal's row itself (it is then no longer pending for anyone else).
    """
    cur = conn.cursor()
    try:
        return acting(cur, by, action)
    except NotAllowed as err:
        if audit_refusal:
            write_refusal(conn, err)
        err.audit_pending = False
        raise
    finally:
        cur.close()


def refused_actor(err: NotAllowed) -> Actor | None:
    """The account a refusal names, as it was read when refused (None when it names nobody)."""
    if getattr(err, "user_id", None) is None and getattr(err, "username", None) is None:
        return None
    return Actor(id=err.user_id, username=err.username, full_name=err.username or "", role=err.role)


def write_refusal(conn: Connection, err: NotAllowed) -> None:
    """Write the one audit row of a refusal from :func:`acting` (or :func:`refusal`), in a transaction of its own
    (the one refused was rolled back), unless it was written already; sealed like any other row.

    The row: the account as read when refused, action = the permission refused (or
    :data:`ACCOUNT_REFUSED` when only the account was checked), its category, outcome "refused",
    detail = the action and the message. A failure to write it is logged, never raised: the
    caller raises the refusal itself.
    """
    if not getattr(err, "audit_pending", False):
        return
    err.audit_pending = False  # before writing: a retry or an outer handler must not write it again
    who = refused_actor(err)
    action = err.action or ACCOUNT_REFUSED
    detail = {"action": err.action, "message": str(err)}

    def write(cur: Connection) -> None:
        audit.record(cur, who, action, patient_id=err.patient_id, detail=detail,
                     category=category_for(err.action or ""), outcome="refused")

    try:
        atomic(conn, write, audit_refusal=False)
    except Exception:
        log.exception("could not write the audit row of a refusal (%s for user %s)", action, err.user_id)


def record_refusal(conn: Connection, by: Any, page: str, *, message: str | None = None) -> None:
    """A page was refused to ``by`` (its role may not open ``page``): one :data:`PAGE_OPEN` row,
    entity "page" and entity id the page's key, outcome "refused", with the account as the
    database holds it now. The caller writes it once per opening, not on every rerun."""

    def write(cur: Connection) -> None:
        user_id = by if isinstance(by, int) else getattr(by, "id", None)
        row = cur.execute("SELECT id, username, full_name, role, active FROM users WHERE id = ?",
                          [user_id]).fetchone()
        who = Actor(*row) if row else by
        audit.record(cur, who, PAGE_OPEN, "page", page, detail={"page": page, "message": message},
                     category=category_for(PAGE_OPEN), outcome="refused")

    atomic(conn, write)
