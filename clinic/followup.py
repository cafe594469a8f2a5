"""The inbox's small rules: how old an item is, when it is due, what the counts are, and the
checks the "log a call or message" form makes before db.messages.log. Pure and unit-tested."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from clinic import intake
from clinic.errors import ValidationError
from clinic.timeutil import to_local


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


def check_new_item(*, subject: str, searched: str, patient_id: int | None, due_on: date | None,
                   today: date) -> None:
    """What the log form checks first, all at once (db.messages.log checks channel, type and
    subject again). A search typed without a patient chosen is a mistake, not "no patient"."""
    errors: dict[str, str] = {}
    if intake.clean_text(searched, 100) and patient_id is None:
        errors["patient"] = "Choose the patient from the list, or clear the search for a call about no one patient."
    if not intake.clean_text(subject, 150):
        errors["subject"] = "Enter a short subject."
    if due_on is not None and due_on < today:
        errors["due_on"] = "The due date is in the past."
    if errors:
        raise ValidationError(errors)
