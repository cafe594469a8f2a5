"""KPI formulas, exactly as DESIGN.md defines them: the no-show rate, the lead-time buckets and age
groups (labels and where each starts), the reminder groups, what counts as booked, KPI deltas and the
analytics periods.

``db.reports`` groups in SQL with these same constants (it passes the limits and labels as
parameters), and tests/db/test_reports.py checks that SQL and these functions agree number by number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

from clinic import hours, scheduling
from clinic.timeutil import age_on  # noqa: F401 - where the age groups come from (db/reports.py, tests)

# --- the no-show rate ----------------------------------------------------------------------------

# The appointments the no-show rate counts (its denominator): the patient came, or did not.
OUTCOMES: Final = ("completed", "no_show")
# The appointments that held (or hold) their slot: every status but cancelled. A no-show held its
# slot until the patient did not come, so it counts as booked time in utilization too.
BOOKED_STATUSES: Final = tuple(s for s in scheduling.STATUSES if s != "cancelled")


def no_show_rate(no_show: int, completed: int) -> float | None:
    """no_show / (completed + no_show); None when there is nothing to divide by."""
    total = no_show + completed
    if total == 0:
        return None
    return no_show / total


def booked_count(counts_by_status: dict[str, int]) -> int:
    """Appointments that still hold a slot or happened: every status except cancelled."""
    return sum(n for status, n in counts_by_status.items() if status in BOOKED_STATUSES)


def utilization_rate(booked_min: float, available_min: float) -> float | None:
    """Booked minutes ÷ available minutes; None without available time. Above 1 when a provider is
    booked outside their hours (overbooked or extra hours)."""
    if not available_min:
        return None
    return booked_min / available_min


# --- groups ------------------------------------------------------------------------------------
# Each bucketed grouping is a tuple of labels and the inclusive upper limit of every label but the
# last: a number goes in the first label whose limit it does not pass.

LEAD_TIME_BUCKETS: Final = ("0", "1-2", "3-7", "8-14", "15-30", "31+")
LEAD_TIME_LIMITS: Final = (0, 2, 7, 14, 30)
AGE_GROUPS: Final = ("0-12", "13-17", "18-39", "40-64", "65+")
AGE_LIMITS: Final = (12, 17, 39, 64)

WEEKDAYS: Final = hours.WEEKDAYS  # Monday first, as date.weekday() and ISO weeks
NEW_VS_RETURNING: Final = ("new", "returning")

# What the reminder came to, grouped for the no-show chart: the call's outcome when one is recorded
# (db.appointments.REMINDER_OUTCOMES: reached and confirmed, reached but asked to move it, not
# reached: message left or no answer); otherwise whether a reminder was sent (imported records carry
# it: the public no-show file's SMS_received, appointments.reminder_sent); otherwise none recorded.
REMINDER_GROUPS: Final = ("confirmed", "wants to reschedule", "not reached", "reminder sent", "no reminder recorded")
REMINDER_GROUP_OF: Final = {
    "confirmed": "confirmed",
    "wants_reschedule": "wants to reschedule",
    "left_message": "not reached",
    "no_answer": "not reached",
}
REMINDER_SENT: Final = "reminder sent"
NO_REMINDER: Final = "no reminder recorded"

def _bucket(value: int, labels: tuple[str, ...], limits: tuple[int, ...]) -> str:
    return labels[sum(1 for limit in limits if limit < value)]


def lead_time_bucket(days: int) -> str:
    """The lead-time bucket of an appointment booked ``days`` clinic-local days ahead (start date
    minus booked date). A negative lead time (booked after the fact) counts as same day, ``0``."""
    return _bucket(days, LEAD_TIME_BUCKETS, LEAD_TIME_LIMITS)


def age_group(years: int) -> str:
    """The age group of a patient ``years`` old (full years, on the appointment's date)."""
    return _bucket(years, AGE_GROUPS, AGE_LIMITS)


def reminder_group(outcome: str | None, sent: bool | None = None) -> str:
    """The reminder group of an appointment: its call ``outcome`` (``reminder_outcome``) when there
    is one, else ``sent`` (``reminder_sent``, imported records), else none recorded."""
    if outcome:
        return REMINDER_GROUP_OF.get(outcome, NO_REMINDER)
    return REMINDER_SENT if sent else NO_REMINDER


# --- KPI tiles -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Delta:
    """How a KPI moved against the comparison period: ``absolute`` (current − previous, in the KPI's
    unit: percentage points as a fraction for a rate) and ``relative`` (absolute ÷ previous, a
    fraction). Either is None when it cannot be said (a value missing, or previous = 0)."""

    absolute: float | int | Decimal | None
    relative: float | None


def delta(current: float | int | Decimal | None, previous: float | int | Decimal | None) -> Delta:
    """The change from ``previous`` to ``current``, None-safe (see :class:`Delta`)."""
    if current is None or previous is None:
        return Delta(None, None)
    absolute = current - previous
    relative = None if previous == 0 else float(absolute) / float(previous)
    return Delta(absolute, relative)


# --- periods -------------------------------------------------------------------------------------
# A period is (start, end): clinic-local dates, end EXCLUSIVE. The "last N days" presets end before
# today (as Home's 30-day tile: today's visits are not over); the "this ..." and year-to-date
# presets run through today.

PERIOD_PRESETS: Final = {
    "last_7_days": "Last 7 days",
    "last_30_days": "Last 30 days",
    "last_90_days": "Last 90 days",
    "this_month": "This month",
    "last_month": "Last month",
    "this_quarter": "This quarter",
    "last_quarter": "Last quarter",
    "year_to_date": "Year to date",
}


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _months_before(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def preset_period(name: str, today: date) -> tuple[date, date]:
    """(start, end) of the preset ``name`` (a key of PERIOD_PRESETS) seen on ``today``."""
    if name.startswith("last_") and name.endswith("_days"):
        days = int(name.removeprefix("last_").removesuffix("_days"))
        if f"last_{days}_days" not in PERIOD_PRESETS:
            raise ValueError(f"unknown period {name!r}")
        return today - timedelta(days=days), today
    month = today.replace(day=1)
    if name == "this_month":
        return month, today + timedelta(days=1)
    if name == "last_month":
        return _months_before(month, 1), month
    if name == "this_quarter":
        return _quarter_start(today), today + timedelta(days=1)
    if name == "last_quarter":
        return _months_before(_quarter_start(today), 3), _quarter_start(today)
    if name == "year_to_date":
        return date(today.year, 1, 1), today + timedelta(days=1)
    raise ValueError(f"unknown period {name!r}")


def previous_period(start: date, end: date) -> tuple[date, date]:
    """The period of the same number of days just before [start, end)."""
    if end <= start:
        raise ValueError("the period ends before it starts")
    return start - (end - start), start



# --- billing status (db.billing_reports) -----------------------------------------------------------
# Money in these formulas is Decimal summed in SQL; the rates come back as float fractions (0.25 =
# 25 %), None when there is nothing to divide by.


def net_collection_rate(payments: Decimal, refunds: Decimal, charges: Decimal, contractual: Decimal) -> float | None:
    """(payments − refunds) ÷ (charges − contractual adjustments), over one period: of what the
    clinic could collect (charges less what its contracts with insurers say it may not), the share it
    did collect and keep. Refunds are netted because money given back was not collected. None when
    the denominator is zero or less (no charges in the period)."""
    collectable = charges - contractual
    if collectable <= 0:
        return None
    return float((payments - refunds) / collectable)


def days_in_ar(ar_total: Decimal, charges: Decimal, days: int) -> Decimal | None:
    """Days in A/R = A/R ÷ average daily charges, the average over the ``days`` days before (charges
    in those days ÷ ``days``); to one decimal. None without charges in those days."""
    if days <= 0 or charges <= 0:
        return None
    return (ar_total * days / charges).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def denial_rate(denied: int, claims: int) -> float | None:
    """Claims denied ÷ claims sent (a claim denied once counts as denied, even if an appeal or a
    corrected claim was paid later: the "initial denial rate"). None when no claims were sent."""
    if claims == 0:
        return None
    return denied / claims
