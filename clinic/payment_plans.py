"""Payment plans, pure: a balance split into N instalments with due dates (weekly, every 2 weeks,
monthly), and what has been paid of each, oldest instalment first.

A plan keeps no per-instalment payment state: what the patient has paid toward the plan is one
number (the plan's total minus what its invoices still owe), and :func:`allocate` shares it out
over the instalments in due-date order. So two clerks posting at once cannot leave the
instalments disagreeing with the invoices.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Final

from clinic.errors import ClinicError, ValidationError
from clinic.money import ZERO, cents, split_evenly

FREQUENCIES: Final = ("weekly", "biweekly", "monthly")
FREQUENCY_LABELS: Final = {"weekly": "Weekly", "biweekly": "Every 2 weeks", "monthly": "Monthly"}
MIN_INSTALMENTS: Final = 2
MAX_INSTALMENTS: Final = 36
# The smallest instalment worth sending a statement for.
MIN_INSTALMENT: Final = Decimal("5.00")


@dataclass(frozen=True)
class Instalment:
    number: int  # 1 = the first due
    due: date
    amount: Decimal


@dataclass(frozen=True)
class InstalmentState:
    number: int
    due: date
    amount: Decimal
    paid: Decimal

    @property
    def left(self) -> Decimal:
        return self.amount - self.paid

    def is_overdue(self, as_of: date) -> bool:
        return self.left > 0 and self.due < as_of


def _add_months(start: date, months: int) -> date:
    """``start`` plus whole months, keeping its day of month where the month has it (Jan 31 ->
    Feb 28/29 -> Mar 31): each date is computed from the first, never from the previous one."""
    month0 = start.month - 1 + months
    year, month = start.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def due_dates(first_due: date, count: int, frequency: str) -> list[date]:
    if frequency == "weekly":
        return [first_due + timedelta(weeks=i) for i in range(count)]
    if frequency == "biweekly":
        return [first_due + timedelta(weeks=2 * i) for i in range(count)]
    if frequency == "monthly":
        return [_add_months(first_due, i) for i in range(count)]
    raise ClinicError("Choose how often the patient pays (weekly, every 2 weeks, monthly).", field="frequency")


def check_plan(total: Decimal, count: object, frequency: str, first_due: date | None, *, today: date) -> int:
    """Validate a plan's terms; returns the instalment count. A ValidationError names each bad field."""
    errors = {}
    try:
        n = int(str(count).strip())
        if not MIN_INSTALMENTS <= n <= MAX_INSTALMENTS:
            raise ValueError
    except ValueError:
        errors["instalments"] = f"Choose from {MIN_INSTALMENTS} to {MAX_INSTALMENTS} instalments."
        n = 0
    if frequency not in FREQUENCIES:
        errors["frequency"] = "Choose how often the patient pays."
    if first_due is None or first_due < today:
        errors["first_due"] = "The first instalment is due today or later."
    if total <= 0:
        errors["invoices"] = "Nothing is owed: there is nothing to plan."
    elif n and total < MIN_INSTALMENT * n:
        errors["instalments"] = f"Fewer instalments: each must be at least ${MIN_INSTALMENT}."
    if errors:
        raise ValidationError(errors)
    return n


def split(total: Decimal, count: int, frequency: str, first_due: date) -> list[Instalment]:
    """``total`` in ``count`` instalments that add up exactly (the odd cents go to the first ones)."""
    amounts = split_evenly(total, count)
    return [Instalment(i + 1, due, amount)
            for i, (due, amount) in enumerate(zip(due_dates(first_due, count, frequency), amounts, strict=True))]


def allocate(instalments: Sequence[Instalment], paid: Decimal) -> list[InstalmentState]:
    """What ``paid`` (everything paid toward the plan) covers of each instalment, oldest first.
    ``paid`` below zero counts as nothing; above the total, the extra is not the plan's concern."""
    left = max(cents(paid), ZERO)
    out = []
    for inst in sorted(instalments, key=lambda i: (i.due, i.number)):
        take = min(inst.amount, left)
        left -= take
        out.append(InstalmentState(inst.number, inst.due, inst.amount, take))
    return out


def overdue(states: Sequence[InstalmentState], as_of: date) -> list[InstalmentState]:
    """Instalments due before ``as_of`` and not fully paid (for the work list and the Inbox call)."""
    return [s for s in states if s.is_overdue(as_of)]


def next_due(states: Sequence[InstalmentState]) -> InstalmentState | None:
    """The oldest instalment with something left (the statement's "next instalment")."""
    return next((s for s in states if s.left > 0), None)
