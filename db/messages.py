"""The communication log: calls, emails, portal messages and letters, with follow-up state.

Two user actions write here, each in one transaction that re-reads the acting account first
(:func:`db.actors.acting`): :func:`log_message` (every check of ``clinic.followup.check_message``,
the due-date rule included, whichever screen the item was typed on) and :func:`set_status`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime


from clinic import followup
from clinic.access import may_read_message
from clinic.errors import ClinicError, NotFound, ValidationError
from clinic.timeutil import now_utc
from clinic.timeutil import today as clinic_today
from db import Connection, atomic, audit, read, read_df, read_one, settings
from db.actors import acting


WITHHELD = "(clinical: not shown to your role)"


@dataclass(frozen=True)
class InboxItem:
    """One open or waiting item as the inbox shows and acts on it."""

    id: int
    created_at: datetime
    due_on: date | None
    status: str
    request_type: str
    channel: str
    subject: str
    body: str | None
    patient_id: int | None
    patient: str | None  # "Last, First"
    mrn: str | None
    assignee: str | None  # a user's full name, or a role key
    assignee_user: int | None
    assignee_role: str | None


def log_message(conn: Connection, *, patient_id: int | None, channel: str | None, request_type: str | None,
                subject: str | None, body: str | None = "", status: str | None = "open",
                assignee_user: int | None = None, assignee_role: str | None = None, due_on: date | None = None,
                by) -> int:
    """Log one call or message; returns its id. Raises ValidationError naming every field at fault
    (a due date before the clinic's today included) or NotAllowed."""
    item = followup.check_message(
        patient_id=patient_id, channel=channel, request_type=request_type, subject=subject, body=body,
        status=status, assignee_user=assignee_user, assignee_role=assignee_role, due_on=due_on,
        today=clinic_today(settings.timezone(conn)),
    )

    def write(cur: Connection) -> int:
        actor = acting(cur, by, "messages.log")
        if item.patient_id is not None and cur.execute(
                "SELECT 1 FROM patients WHERE id = ?", [item.patient_id]).fetchone() is None:
            raise ValidationError({"patient": "Choose a patient."})
        done = item.status == "done"
        (message_id,) = cur.execute(
            "INSERT INTO messages (patient_id, channel, request_type, subject, body, status, assignee_user,"
            " assignee_role, due_on, created_by, closed_at, closed_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " RETURNING id",
            [item.patient_id, item.channel, item.request_type, item.subject, item.body, item.status,
             item.routing.user_id, item.routing.role, item.due_on, actor.id, now_utc() if done else None,
             actor.id if done else None],
        ).fetchone()
        audit.record(cur, actor, "message.log", "message", message_id, item.patient_id,
                     detail={"channel": item.channel, "type": item.request_type, "assignee_role": item.routing.role})
        return message_id

    return atomic(conn, write)


def set_status(conn: Connection, message_id: int, status: str, *, note: str = "", by) -> None:
    """Close (with an optional note), park as waiting, or reopen an item."""
    if status not in followup.STATES:
        raise ValidationError({"status": "Choose a follow-up state."})
    closing = status == "done"
    closing_note = (note or "").strip()[:followup.CLOSING_NOTE_LIMIT] or None

    def write(cur: Connection) -> None:
        actor = acting(cur, by, "messages.log")
        row = cur.execute("SELECT patient_id, status FROM messages WHERE id = ?", [message_id]).fetchone()
        if row is None:
            raise NotFound("That message does not exist.")
        if row[1] == "done" and closing:
            raise ClinicError("This item is already done.")
        cur.execute(
            "UPDATE messages SET status = ?, closed_at = ?, closed_by = ?,"
            " closed_note = CASE WHEN ? THEN ? ELSE closed_note END WHERE id = ?",
            [status, now_utc() if closing else None, actor.id if closing else None, closing, closing_note, message_id],
        )
        audit.record(cur, actor, "message.status", "message", message_id, row[0], detail={"from": row[1], "to": status})

    atomic(conn, write)


def inbox(conn: Connection, *, user_id: int, role: str, today: date, include_waiting: bool = True) -> list[InboxItem]:
    """Open (and waiting) items for me or my role: overdue first, then by due date, then oldest."""
    rows = read(
        conn,
        "SELECT m.id, m.created_at, m.due_on, m.status, m.request_type, m.channel, m.subject, m.body, m.patient_id,"
        " p.last_name || ', ' || p.first_name AS patient, p.mrn, coalesce(u.full_name, m.assignee_role) AS assignee,"
        " m.assignee_user, m.assignee_role"
        " FROM messages m LEFT JOIN patients p ON p.id = m.patient_id LEFT JOIN users u ON u.id = m.assignee_user"
        " WHERE (m.status = 'open' OR ($waiting AND m.status = 'waiting'))"
        " AND (m.assignee_user = $user OR (m.assignee_user IS NULL AND m.assignee_role = $role))"
        " ORDER BY (m.due_on < $today) DESC NULLS LAST, m.due_on NULLS LAST, m.created_at",
        {"today": today, "waiting": include_waiting, "user": user_id, "role": role},
    )
    items = [InboxItem(*r) for r in rows]
    # Named for a clinical request by mistake, a role that may not read it sees that it is there.
    return [i if may_read_message(role, i.request_type) else replace(i, subject=WITHHELD, body=None) for i in items]


def count_open_for(conn: Connection, *, user_id: int, role: str) -> int:
    return int(read_one(
        conn,
        "SELECT count(*) FROM messages WHERE status = 'open'"
        " AND (assignee_user = $user OR (assignee_user IS NULL AND assignee_role = $role))",
        {"user": user_id, "role": role},
    )[0])


def for_patient(conn: Connection, patient_id: int, *, role: str | None = None):
    """A patient's log, newest first, as a DataFrame for display (``assignee``: a user's full name,
    a role key, or "" for nobody). A clinical request that ``role`` may not read
    (:func:`clinic.access.may_read_message`) keeps its type, dates and state, not its words."""
    log = read_df(
        conn,
        "SELECT m.id, m.created_at, m.channel, m.request_type, m.subject, m.body, m.status,"
        " coalesce(au.full_name, m.assignee_role, '') AS assignee, m.due_on, cu.full_name AS logged_by, m.closed_note"
        " FROM messages m LEFT JOIN users au ON au.id = m.assignee_user LEFT JOIN users cu ON cu.id = m.created_by"
        " WHERE m.patient_id = ? ORDER BY m.created_at DESC",
        [patient_id],
    )
    hidden = ~log["request_type"].map(lambda kind: may_read_message(role, kind)).astype(bool)
    if hidden.any():
        log.loc[hidden, "subject"] = WITHHELD
        log.loc[hidden, ["body", "closed_note"]] = None
    return log
