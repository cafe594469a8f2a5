"""The communication log's rules: channels, request types and follow-up states, who a new item
goes to, what a new item must hold (due date included), and the inbox's ages, due labels and
counts. Pure and unit-tested; db.messages.log_message applies :func:`check_message` to every
new item, whichever screen it comes from."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from clinic import intake
from clinic.access import ROLES
from clinic.errors import ValidationError
from clinic.timeutil import to_local

CHANNELS = {"phone_in": "Phone call in", "phone_out": "Phone call out", "email": "Email", "portal": "Portal message",
            "letter": "Letter"}
REQUEST_TYPES = {"appointment": "Appointment request", "refill": "Prescription refill request",
                 "referral": "Referral request", "billing": "Billing question", "results": "Results question",
                 "other": "Other"}
STATES = {"open": "Open", "waiting": "Waiting", "done": "Done"}
# Requests the front desk cannot finish alone go to the clinicians unless someone is named.
ROUTED_TO_ROLE = {"refill": "clinician", "referral": "clinician", "results": "clinician", "billing": "billing"}

SUBJECT_LIMIT, BODY_LIMIT, CLOSING_NOTE_LIMIT = 150, 5000, 1000


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


@dataclass(frozen=True)
class NewMessage:
    """A call or message that passed :func:`check_message`, ready to store."""

    patient_id: int | None
    channel: str
    request_type: str
    subject: str
    body: str | None
    status: str
    routing: Routing
    due_on: date | None


def check_message(*, patient_id: int | None, channel: str | None, request_type: str | None, subject: str | None,
                  body: str | None = "", status: str | None = "open", assignee_user: int | None = None,
                  assignee_role: str | None = None, due_on: date | None = None, today: date) -> NewMessage:
    """Check a new item, reporting every problem at once (keyed by field), and route it.

    The due date may not be in the clinic's past: a form filled in yesterday and saved today
    is refused too, whichever screen it was typed on.
    """
    errors: dict[str, str] = {}
    if channel not in CHANNELS:
        errors["channel"] = "Choose how the patient got in touch."
    if request_type not in REQUEST_TYPES:
        errors["request_type"] = "Choose what the request is about."
    clean_subject = intake.clean_text(subject, SUBJECT_LIMIT)
    if not clean_subject:
        errors["subject"] = "Enter a short subject."
    if status not in STATES:
        errors["status"] = "Choose a follow-up state."
    if assignee_role is not None and assignee_role not in ROLES:
        errors["assignee"] = "Choose someone to follow up."
    if due_on is not None and due_on < today:
        errors["due_on"] = "The due date is in the past."
    if errors:
        raise ValidationError(errors)
    return NewMessage(
        patient_id=patient_id, channel=channel, request_type=request_type, subject=clean_subject,
        body=(body or "").strip()[:BODY_LIMIT] or None, status=status,
        routing=route(request_type, user_id=assignee_user, role=assignee_role), due_on=due_on,
    )


def unchosen_patient(searched: str | None, patient_id: int | None) -> dict[str, str]:
    """A patient search typed without a patient chosen is a mistake, not "no patient": the
    problem keyed by field (empty when there is none)."""
    if intake.clean_text(searched, 100) and patient_id is None:
        return {"patient": "Choose the patient from the list, or clear the search for a call about no one patient."}
    return {}


# --- the inbox's labels and counts -----------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    open: int
    overdue: int
    due_today: int
    waiting: int


def counts(items: Iterable[tuple[str, date | None]], today: date) -> Counts:
    """Counts over (status, due_on) pairs. Overdue and due today count open items only: a parked
    (waiting) item is someone else's move."""
    open_ = overdue = due_today = waiting = 0
    for status, due_on in items:
        if status == "waiting":
            waiting += 1
            continue
        if status != "open":
            continue
        open_ += 1
        if due_on is not None and due_on < today:
            overdue += 1
        elif due_on == today:
            due_today += 1
    return Counts(open_, overdue, due_today, waiting)


def age_label(created_at: datetime, today: date, tz: str) -> str:
    """How long ago an item was logged, in clinic-local days: "today", "yesterday", "5 days ago"."""
    days = (today - to_local(created_at, tz).date()).days
    if days <= 0:
        return "today"
    if days == 1:
        return "yesterday"
    return f"{days} days ago"


def due_label(due_on: date | None, today: date) -> str:
    """"no due date", "due today", "due tomorrow", "due Fri 06 Mar", "overdue by 3 days (was due Thu 27 Feb)"."""
    if due_on is None:
        return "no due date"
    days = (due_on - today).days
    if days < 0:
        late = "1 day" if days == -1 else f"{-days} days"
        return f"overdue by {late} (was due {due_on:%a %d %b})"
    if days == 0:
        return "due today"
    if days == 1:
        return "due tomorrow"
    return f"due {due_on:%a %d %b}"
