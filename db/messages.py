"""The communication log: calls, emails, portal messages and letters, with follow-up state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from clinic import intake
from clinic.access import ROLES
from clinic.errors import ClinicError, NotFound, ValidationError
from clinic.timeutil import now_utc
from db import Connection, atomic, audit, read_df, read_one

CHANNELS = {"phone_in": "Phone call in", "phone_out": "Phone call out", "email": "Email", "portal": "Portal message",
            "letter": "Letter"}
REQUEST_TYPES = {"appointment": "Appointment request", "refill": "Prescription refill request",
                 "referral": "Referral request", "billing": "Billing question", "results": "Results question",
                 "other": "Other"}
STATES = {"open": "Open", "waiting": "Waiting", "done": "Done"}
# Requests the front desk cannot finish alone go to the clinicians unless someone is named.
ROUTED_TO_ROLE = {"refill": "clinician", "referral": "clinician", "results": "clinician", "billing": "billing"}


@dataclass(frozen=True)
class Routing:
    user_id: int | None
    role: str | None


def route(request_type: str, *, user_id: int | None, role: str | None) -> Routing:
    """Who a new item goes to: the person or role chosen, else the role that handles its type,
    else the front desk."""
    if user_id:
        return Routing(user_id, None)
    if role:
        return Routing(None, role)
    return Routing(None, ROUTED_TO_ROLE.get(request_type, "front_desk"))


def log(conn: Connection, *, patient_id: int | None, channel: str, request_type: str, subject: str, body: str = "",
        status: str = "open", assignee_user: int | None = None, assignee_role: str | None = None,
        due_on: date | None = None, by) -> int:
    errors = {}
    if channel not in CHANNELS:
        errors["channel"] = "Choose how the patient got in touch."
    if request_type not in REQUEST_TYPES:
        errors["request_type"] = "Choose what the request is about."
    subject = intake.clean_text(subject, 150)
    if not subject:
        errors["subject"] = "Enter a short subject."
    if status not in STATES:
        errors["status"] = "Choose a follow-up state."
    if assignee_role is not None and assignee_role not in ROLES:
        errors["assignee"] = "Choose someone to follow up."
    if errors:
        raise ValidationError(errors)
    routing = route(request_type, user_id=assignee_user, role=assignee_role)
    text = (body or "").strip()[:5000] or None

    def write(cur: Connection) -> int:
        if patient_id is not None and cur.execute("SELECT 1 FROM patients WHERE id = ?", [patient_id]).fetchone() is None:
            raise ValidationError({"patient": "Choose a patient."})
        (message_id,) = cur.execute(
            "INSERT INTO messages (patient_id, channel, request_type, subject, body, status, assignee_user,"
            " assignee_role, due_on, created_by, closed_at, closed_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
            " CASE WHEN ? = 'done' THEN current_timestamp END, CASE WHEN ? = 'done' THEN ? END) RETURNING id",
            [patient_id, channel, request_type, subject, text, status, routing.user_id, routing.role, due_on,
             getattr(by, "id", None), status, status, getattr(by, "id", None)],
        ).fetchone()
        audit.record(cur, by, "message.log", "message", message_id, patient_id,
                     detail={"channel": channel, "type": request_type, "assignee_role": routing.role})
        return message_id

    return atomic(conn, write)


def set_status(conn: Connection, message_id: int, status: str, *, note: str = "", by) -> None:
    if status not in STATES:
        raise ValidationError({"status": "Choose a follow-up state."})

    def write(cur: Connection) -> None:
        row = cur.execute("SELECT patient_id, status FROM messages WHERE id = ?", [message_id]).fetchone()
        if row is None:
            raise NotFound("That message does not exist.")
        if row[1] == "done" and status == "done":
            raise ClinicError("This item is already done.")
        closing = status == "done"
        cur.execute(
            "UPDATE messages SET status = ?, closed_at = CASE WHEN ? THEN ? END, closed_by = CASE WHEN ? THEN ? END,"
            " closed_note = CASE WHEN ? THEN ? ELSE closed_note END WHERE id = ?",
            [status, closing, now_utc(), closing, getattr(by, "id", None), closing, (note or "").strip()[:1000] or None,
             message_id],
        )
        audit.record(cur, by, "message.status", "message", message_id, row[0], detail={"from": row[1], "to": status})

    atomic(conn, write)


def inbox(conn: Connection, *, user_id: int, role: str, today: date, include_waiting: bool = True):
    """Open (and waiting) items for me or my role: overdue first, then by due date, then oldest."""
    return read_df(
        conn,
        "SELECT m.id, m.created_at, m.due_on, m.due_on < $today AS overdue, m.status, m.request_type, m.channel,"
        " m.subject, m.body, m.patient_id, p.last_name || ', ' || p.first_name AS patient, p.mrn,"
        " coalesce(u.full_name, m.assignee_role) AS assignee, m.assignee_user, m.assignee_role"
        " FROM messages m LEFT JOIN patients p ON p.id = m.patient_id LEFT JOIN users u ON u.id = m.assignee_user"
        " WHERE (m.status = 'open' OR ($waiting AND m.status = 'waiting'))"
        " AND (m.assignee_user = $user OR (m.assignee_user IS NULL AND m.assignee_role = $role))"
        " ORDER BY (m.due_on < $today) DESC NULLS LAST, m.due_on NULLS LAST, m.created_at",
        {"today": today, "waiting": include_waiting, "user": user_id, "role": role},
    )


def count_open_for(conn: Connection, *, user_id: int, role: str) -> int:
    return int(read_one(
        conn,
        "SELECT count(*) FROM messages WHERE status = 'open'"
        " AND (assignee_user = $user OR (assignee_user IS NULL AND assignee_role = $role))",
        {"user": user_id, "role": role},
    )[0])


def for_patient(conn: Connection, patient_id: int):
    return read_df(
        conn,
        "SELECT m.id, m.created_at, m.channel, m.request_type, m.subject, m.body, m.status,"
        " coalesce(au.full_name, m.assignee_role) AS assignee, m.due_on, cu.full_name AS logged_by, m.closed_note"
        " FROM messages m LEFT JOIN users au ON au.id = m.assignee_user LEFT JOIN users cu ON cu.id = m.created_by"
        " WHERE m.patient_id = ? ORDER BY m.created_at DESC",
        [patient_id],
    )
