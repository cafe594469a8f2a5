"""The front desk's day, pure: which one-click actions a row offers, who is waiting and for how
long, the free gaps a walk-in could take, and which day the reminder calls are for.

No clock and no database here: ``now``, the day's appointments, working hours and closures are
passed in, so every rule is unit-tested with fixed times. The day's appointments are typed rows
(``db.appointments.AppointmentRow``, or anything with the attributes of :class:`DayRow`), whose
missing values are None. Working hours are clinic-local
wall-clock blocks turned into instants day by day (``clinic.scheduling.block_instants``), so a
daylight-saving day is handled like any other.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Final, Protocol

from clinic.scheduling import BLOCKING, Block, Interval, allowed_moves, block_instants


class DayRow(Protocol):
    """What the rules here read of one appointment of the day (``db.appointments.AppointmentRow``)."""

    id: int
    status: str
    patient: str
    provider: str
    visit_type: str
    start_at: datetime
    busy_until: datetime
    arrived_at: datetime | None
    started_at: datetime | None
    reminder_outcome: str | None


# --- one-click actions on the Today page --------------------------------------------------------

# "start" is not a status: the patient is taken in (``started_at`` is set, status stays
# checked_in), which ends their wait. Cancelling and moving live on the calendar, and
# confirming belongs to the reminder calls, so the Today page offers only these.
CHECK_IN, START, COMPLETE, NO_SHOW = "checked_in", "start", "completed", "no_show"
ACTION_ORDER: Final = (CHECK_IN, START, COMPLETE, NO_SHOW)
ACTION_LABELS: Final = {CHECK_IN: "Check in", START: "Start", COMPLETE: "Complete", NO_SHOW: "No-show"}
ACTION_KEYS: Final = {CHECK_IN: "checkin", START: "start", COMPLETE: "complete", NO_SHOW: "noshow"}
ACTION_DONE: Final = {
    CHECK_IN: "Checked in {}.",
    START: "{} is in with the provider.",
    COMPLETE: "Visit of {} completed.",
    NO_SHOW: "{} marked as a no-show.",
}


def row_actions(status: str, started: bool) -> list[str]:
    """The one-click actions an appointment in ``status`` offers, in workflow order.

    Status moves come from the one table in ``clinic.scheduling`` (so a move it forbids is never
    offered); "start" is offered only to a checked-in patient who has not been taken in yet.
    """
    moves = set(allowed_moves(status))
    offered = []
    for action in ACTION_ORDER:
        if action == START:
            if status == "checked_in" and not started:
                offered.append(START)
        elif action in moves:
            offered.append(action)
    return offered


def primary_action(actions: list[str]) -> str | None:
    """The action the desk most likely wants next (drawn as the primary button)."""
    for action in (CHECK_IN, START, COMPLETE):
        if action in actions:
            return action
    return None


def shift_day(day: date, days: int) -> date:
    """The day ``days`` after (or, negative, before) ``day``: the Today page's arrows."""
    return day + timedelta(days=days)


def attendance_open(day: date, today: date) -> bool:
    """Check-in, start, complete and no-show make sense for today and earlier days (fixing
    yesterday's no-shows), not for days still to come."""
    return day <= today


FINISHED: Final = frozenset({"completed", "no_show", "cancelled"})


def is_finished(status: str) -> bool:
    return status in FINISHED


# --- who is waiting ----------------------------------------------------------------------------


def waiting_minutes(arrived_at: datetime, now: datetime) -> int:
    """Whole minutes since arrival (never negative: a clock a little ahead shows 0)."""
    return max(0, math.floor((now - arrived_at) / timedelta(minutes=1)))


def waited_label(minutes: int) -> str:
    """How a wait reads on screen: "just arrived", "waiting 12 min", "waiting 1 h 05 min"."""
    if minutes < 1:
        return "just arrived"
    if minutes < 60:
        return f"waiting {minutes} min"
    return f"waiting {minutes // 60} h {minutes % 60:02d} min"


# Waits at or above this many minutes are drawn as a warning on the Today page.
LONG_WAIT_MIN: Final = 20


@dataclass(frozen=True)
class Waiting:
    appointment_id: int
    patient: str
    provider: str
    visit_type: str
    start_at: datetime
    arrived_at: datetime
    minutes: int

    @property
    def long(self) -> bool:
        return self.minutes >= LONG_WAIT_MIN


def waiting_room(rows: Iterable[DayRow], now: datetime) -> list[Waiting]:
    """Checked-in patients not yet taken in (no ``started_at``), longest wait first."""
    found = []
    for row in rows:
        if row.status != "checked_in" or row.started_at is not None or row.arrived_at is None:
            continue
        found.append(Waiting(row.id, row.patient, row.provider, row.visit_type, row.start_at, row.arrived_at,
                             waiting_minutes(row.arrived_at, now)))
    found.sort(key=lambda w: (w.arrived_at, w.start_at))
    return found


@dataclass(frozen=True)
class DayCounts:
    to_arrive: int
    waiting: int
    with_provider: int
    completed: int
    no_show: int


def day_counts(rows: Iterable[DayRow]) -> DayCounts:
    """The tiles of the Today page: counted from the day's (not cancelled) appointments."""
    to_arrive = waiting = with_provider = completed = no_show = 0
    for row in rows:
        status = row.status
        if status in ("scheduled", "confirmed"):
            to_arrive += 1
        elif status == "checked_in":
            if row.started_at is None:
                waiting += 1
            else:
                with_provider += 1
        elif status == "completed":
            completed += 1
        elif status == "no_show":
            no_show += 1
    return DayCounts(to_arrive, waiting, with_provider, completed, no_show)


# --- bookable gaps -----------------------------------------------------------------------------

MIN_GAP_MIN: Final = 10
# A gap that starts "now" is offered from the next 5-minute mark: nobody books 10:03.
_ROUND_MIN: Final = 5


@dataclass(frozen=True)
class Gap:
    start: datetime
    end: datetime

    @property
    def minutes(self) -> int:
        return int((self.end - self.start) / timedelta(minutes=1))


def _round_up(instant: datetime, minutes: int) -> datetime:
    utc = instant.astimezone(timezone.utc)
    floored = utc.replace(second=0, microsecond=0, minute=utc.minute - utc.minute % minutes)
    return floored if floored == utc else floored + timedelta(minutes=minutes)


def bookable_gaps(
    day: date,
    tz: str,
    hours: Iterable[Block],
    busy: Iterable[Interval],
    *,
    now: datetime,
    time_off: Iterable[Interval] = (),
    closed: bool = False,
    min_minutes: int = MIN_GAP_MIN,
) -> list[Gap]:
    """Free stretches of at least ``min_minutes`` inside one provider's working blocks on ``day``.

    ``busy`` holds the provider's appointments as [start, busy_until) (buffers count as busy)
    and ``time_off`` their absences; time already past ``now`` is not bookable, so a gap that
    has begun is offered from the next 5-minute mark. Gaps are returned in time order, in UTC.
    """
    if closed:
        return []
    taken = sorted([*busy, *time_off], key=lambda i: i.start)
    earliest = _round_up(now, _ROUND_MIN)
    gaps = []
    for block in sorted((b for b in hours if b.weekday == day.weekday()), key=lambda b: b.start):
        b_start, b_end = (t.astimezone(timezone.utc) for t in block_instants(day, block, tz))
        cursor = max(b_start, earliest)
        for interval in taken:
            if interval.end <= cursor or interval.start >= b_end:
                continue
            if interval.start > cursor:
                gaps.append(Gap(cursor, min(interval.start, b_end)))
            cursor = max(cursor, interval.end)
            if cursor >= b_end:
                break
        if cursor < b_end:
            gaps.append(Gap(cursor, b_end))
    return [g for g in gaps if g.minutes >= min_minutes]


def busy_intervals(rows: Iterable[DayRow]) -> list[Interval]:
    """[start, busy_until) of the appointments that hold their time (cancelled and no-show free it)."""
    return [Interval(row.start_at, row.busy_until) for row in rows if row.status in BLOCKING]


# --- reminder calls ----------------------------------------------------------------------------

REMINDER_LABELS: Final = {
    "confirmed": "Confirmed",
    "left_message": "Left message",
    "no_answer": "No answer",
    "wants_reschedule": "Wants to reschedule",
}
NOT_REACHED: Final = frozenset({"left_message", "no_answer"})
# The statuses still waiting for a reminder call (the db refuses an outcome for any other).
REMINDABLE: Final = ("scheduled", "confirmed")

# How far to look for a working day before giving up (a clinic closed for two months).
SEARCH_DAYS: Final = 60


def reminder_day(today: date, days_ahead: int, is_working_day: Callable[[date], bool]) -> date:
    """The day whose patients the desk calls today: ``days_ahead`` clinic working days after
    ``today``. Counting working days (not calendar days) means each working day's patients are
    called exactly once: with one day ahead, Friday calls Monday and no day is skipped.

    ``is_working_day`` says whether anybody can be seen on a day (hours that weekday, not a
    closure or holiday). When no working day is found within 60 days, the plain calendar date
    ``today + days_ahead`` is returned.
    """
    days_ahead = max(1, days_ahead)
    day, counted = today, 0
    for _ in range(SEARCH_DAYS):
        day += timedelta(days=1)
        if is_working_day(day):
            counted += 1
            if counted == days_ahead:
                return day
    return today + timedelta(days=days_ahead)


def working_day_test(working_weekdays: Iterable[int], closures: Iterable[date]) -> Callable[[date], bool]:
    """A day is a working day when some provider works that weekday and the clinic is open."""
    weekdays, closed = frozenset(working_weekdays), frozenset(closures)
    return lambda day: day.weekday() in weekdays and day not in closed


@dataclass(frozen=True)
class ReminderCounts:
    to_call: int
    confirmed: int
    not_reached: int
    wants_reschedule: int


def reminder_counts(rows: Iterable[DayRow]) -> ReminderCounts:
    """Counts for the reminder list: confirmed (by the call or earlier), not reached (left a
    message or no answer), wants to reschedule, and still to call (scheduled, nobody tried yet)."""
    to_call = confirmed = not_reached = wants = 0
    for row in rows:
        outcome = row.reminder_outcome
        if row.status == "confirmed":
            confirmed += 1
        elif outcome in NOT_REACHED:
            not_reached += 1
        elif outcome == "wants_reschedule":
            wants += 1
        elif row.status == "scheduled":
            to_call += 1
    return ReminderCounts(to_call, confirmed, not_reached, wants)


def needs_call(status: str, outcome: str | None) -> bool:
    """Still worth a call: not confirmed and not already asking to reschedule."""
    return status == "scheduled" and (outcome is None or outcome in NOT_REACHED)


def split_opted_out(rows: Iterable[DayRow]) -> tuple[list, list]:
    """(patients to call, patients not to be called): those who opted out of reminders
    (``reminder_opt_in`` False) are never on the list to call; unknown counts as not opted out."""
    to_call, not_to_call = [], []
    for row in rows:
        (not_to_call if getattr(row, "reminder_opt_in", None) is False else to_call).append(row)
    return to_call, not_to_call


@dataclass(frozen=True)
class Page:
    """One page of a long list: items [start, end) of ``total``, page ``number`` of ``count``."""

    number: int
    count: int
    start: int
    end: int
    total: int


def page_of(total: int, number: int, size: int) -> Page:
    """The page ``number`` (0-based, clamped into range) of a list of ``total`` items."""
    count = max(1, math.ceil(total / size))
    number = min(max(0, number), count - 1)
    return Page(number, count, number * size, min(total, (number + 1) * size), total)


# --- waitlist ----------------------------------------------------------------------------------

WEEKDAY_NAMES: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def parse_days(text: str | None) -> list[int]:
    """The stored preferred days ("0,2,4") as weekday numbers; empty means any day."""
    if not text or not text.strip():
        return []
    return sorted({int(part) for part in text.split(",") if part.strip().isdigit() and int(part) <= 6})


def days_label(text: str | None) -> str:
    days = parse_days(text)
    return ", ".join(WEEKDAY_NAMES[d] for d in days) if days else "Any day"


# How many free slots are offered to a waitlisted patient at once.
OFFER_SHOWN: Final = 10


def offer_slots(search: Callable[[list[int] | None], list], days: list[int]) -> tuple[list, bool]:
    """The slots to offer a waitlisted patient: ``search(weekdays)`` is the db's "find next
    available" limited to those weekdays (None: any day).

    Returns the slots on the preferred days and True; when none is free on those days within the
    booking horizon, the next slots of any day and False, so the desk can say so.
    """
    if days:
        preferred = search(days)
        if preferred:
            return preferred, True
        return search(None), False
    return search(None), True
