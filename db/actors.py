"""Who is acting: every write re-reads the acting account inside its own transaction.

A page hands a ``db/`` write the :class:`db.users.User` it loaded when it drew the screen, but a
button callback can run minutes later: the account may have been deactivated or its role
changed meanwhile. So each write calls :func:`acting` as the first thing in its transaction
(on the same cursor): it re-reads the account, refuses an inactive one, checks the action in
``clinic.access`` against the role the database holds *now*, and returns the fresh account,
which the write then uses for its audit row and any ownership rule.

Operators' commands (``manage.py``), the demo seeder and test set-up pass a plain string such as
``"manage.py"`` or ``"seed"``: they hold the database file itself, outside any role, and are
recorded in the audit log under that name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from clinic.access import ROLE_LABELS, can_do
from clinic.errors import NotAllowed
from db import Connection


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
    Raises :class:`clinic.errors.NotAllowed` with a message the user can act on.
    """
    if isinstance(by, str):
        return operator(by)
    user_id = by if isinstance(by, int) else getattr(by, "id", None)
    if user_id is None:
        raise NotAllowed("Sign in first.")
    row = cur.execute("SELECT id, username, full_name, role, active FROM users WHERE id = ?", [user_id]).fetchone()
    if row is None or not row[4]:
        raise NotAllowed("Your account is no longer active. Ask an administrator.")
    # A user from a browser session (components.auth) carries its session: a button's callback
    # runs before the page checks the session, so an idle, expired or revoked one is refused here.
    session_hash = getattr(by, "session_hash", None)
    if session_hash is not None:
        from db import sessions  # db.sessions imports this module

        if not sessions.is_live(cur, session_hash):
            raise NotAllowed("Your session has ended. Sign in again.")
    actor = Actor(*row)
    if action is not None and not can_do(actor.role, action):
        raise NotAllowed(f"Your role ({ROLE_LABELS.get(actor.role, actor.role)}) does not allow this.")
    return actor


def current(conn: Connection, by: Any, action: str | None = None) -> Actor:
    """:func:`acting` for a read that needs a permission check (a download, a view), outside a write."""
    cur = conn.cursor()
    try:
        return acting(cur, by, action)
    finally:
        cur.close()
