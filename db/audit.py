"""The audit trail: one row for every write and every sign-in, sign-out and failed sign-in.

Call :func:`record` with the same cursor as the change it describes, so that the change and
its audit row commit or roll back together.
"""

from __future__ import annotations

import json
from typing import Any

from clinic.audit_terms import CATEGORIES, OUTCOMES, category_for
from db import Connection, note_audit_row, read_df

# Actions are free text but follow "entity.verb"; these are the ones the foundation writes.
SIGN_IN = "auth.sign_in"
SIGN_IN_FAILED = "auth.sign_in_failed"
SIGN_OUT = "auth.sign_out"


def record(
    conn: Connection,
    user: Any,
    action: str,
    entity: str | None = None,
    entity_id: Any = None,
    patient_id: int | None = None,
    detail: Any = None,
    *,
    category: str | None = None,
    outcome: str = "success",
) -> None:
    """Append one audit row. ``user`` is a :class:`db.users.User` or :class:`db.actors.Actor`
    (its role is recorded as it is now), a username string (an operator, or the name typed at a
    failed sign-in), or None.

    The row is sealed into the tamper-evident chain (:mod:`db.audit_chain`) right after the
    transaction that wrote it commits; nothing is sealed when it rolls back.

    ``detail`` may be a string or anything JSON-serialisable (dicts are stored as JSON).
    ``category`` defaults to the action's (:func:`clinic.audit_terms.category_for`); ``outcome``
    is "success", "failure" (a failed sign-in) or "refused" (a role not allowed).
    """
    row, names = _insert(conn, user, action, entity, entity_id, patient_id, detail, category, outcome)
    note_audit_row(conn, names, row)


def write_row(conn: Connection, user: Any, action: str, entity: str | None = None, entity_id: Any = None,
              patient_id: int | None = None, detail: Any = None, *, category: str | None = None,
              outcome: str = "success") -> int:
    """:func:`record` without asking for a seal; returns the row's id. For :mod:`db.audit_chain`,
    which seals the rows it writes itself."""
    row, names = _insert(conn, user, action, entity, entity_id, patient_id, detail, category, outcome)
    return row[names.index("id")]


def _insert(conn, user, action, entity, entity_id, patient_id, detail, category, outcome) -> tuple[tuple, tuple]:
    """Insert the row; returns it as stored (what its seal covers) and its column names."""
    user_id = getattr(user, "id", None)
    username = getattr(user, "username", user if isinstance(user, str) else None)
    role = getattr(user, "role", None)
    category = category or category_for(action)
    if category not in CATEGORIES:
        raise ValueError(f"unknown audit category {category!r}")
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown audit outcome {outcome!r}")
    if detail is not None and not isinstance(detail, str):
        detail = json.dumps(detail, default=str, ensure_ascii=False, sort_keys=True)
    cur = conn.execute(
        "INSERT INTO audit_log (user_id, username, role, action, entity, entity_id, patient_id, category, outcome, detail)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
        [user_id, username, role, action, entity, None if entity_id is None else str(entity_id), patient_id,
         category, outcome, detail],
    )
    row = cur.fetchone()
    return row, tuple(d[0] for d in cur.description)


def list_recent(conn: Connection, limit: int = 200, *, action: str | None = None):
    """The newest audit rows as a DataFrame, optionally for one action."""
    return read_df(
        conn,
        "SELECT id, occurred_at, username, action, entity, entity_id, patient_id, detail FROM audit_log"
        " WHERE ($action IS NULL OR action = $action) ORDER BY id DESC LIMIT $limit",
        {"action": action, "limit": limit},
    )
