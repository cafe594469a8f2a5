"""The audit trail: one row for every write and every sign-in, sign-out and failed sign-in.

Call :func:`record` with the same cursor as the change it describes, so that the change and
its audit row commit or roll back together.
"""

from __future__ import annotations

import json
from typing import Any

from db import Connection, read_df

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
) -> None:
    """Append one audit row. ``user`` is a :class:`db.users.User`, a username string, or None.

    ``detail`` may be a string or anything JSON-serialisable (dicts are stored as JSON).
    """
    user_id = getattr(user, "id", None)
    username = getattr(user, "username", user if isinstance(user, str) else None)
    if detail is not None and not isinstance(detail, str):
        detail = json.dumps(detail, default=str, ensure_ascii=False, sort_keys=True)
    conn.execute(
        "INSERT INTO audit_log (user_id, username, action, entity, entity_id, patient_id, detail)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        [user_id, username, action, entity, None if entity_id is None else str(entity_id), patient_id, detail],
    )


def list_recent(conn: Connection, limit: int = 200, *, action: str | None = None):
    """The newest audit rows as a DataFrame, optionally for one action."""
    return read_df(
        conn,
        "SELECT id, occurred_at, username, action, entity, entity_id, patient_id, detail FROM audit_log"
        " WHERE ($action IS NULL OR action = $action) ORDER BY id DESC LIMIT $limit",
        {"action": action, "limit": limit},
    )
