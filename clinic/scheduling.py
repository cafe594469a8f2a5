"""Scheduling rules, pure: statuses and their allowed moves, what blocks a slot, booking checks,
and finding free slots.

Times passed in here are aware datetimes; working hours are clinic-local wall-clock times and
are turned into instants day by day (daylight-saving days included) with ``zoneinfo``.
Intervals are half-open [start, end): back-to-back appointments do not overlap.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Final

from clinic.errors import ClinicError
from clinic.timeutil import zone

# --- statuses ------------------------------------------------------------------------------

STATUSES: Final = ("scheduled", "confirmed", "checked_in", "completed", "no_show", "cancelled")

STATUS_LABELS: Final = {
    "scheduled": "Scheduled",
    "confirmed": "Confirmed",
    "checked_in": "Checked in",
    "completed": "Completed",
    "no_show": "No-show",
    "cancelled": "Cancelled",
}

# Badge colour (a Streamlit colour name) of each status, wherever a status is shown.
STATUS_COLOURS: Final = {
    "scheduled": "gray",
    "confirmed": "blue",
    "checked_in": "orange",
    "completed": "green",
    "no_show": "red",
    "cancelled": "gray",
}

# Attendance: the statuses that record what happened on the day (the patient came, was seen, or
# did not come). They cannot be set ahead of the day, and the Today page and the calendar offer
# them only then. The ONE definition.
ON_THE_DAY: Final = frozenset({"checked_in", "completed", "no_show"})

# The one table of allowed moves. A patient marked no-show who arrives late is checked in
# (no_show -> checked_in). Two moves only undo a mistake and need a reason (UNDO_MOVES): a
# no-show marked by mistake goes back to scheduled, a visit completed by mistake goes back to
# checked in. Cancelled is final (book again instead).
TRANSITIONS: Final[dict[str, frozenset[str]]] = {
    "scheduled": frozenset({"confirmed", "checked_in", "no_show", "cancelled"}),
    "confirmed": frozenset({"scheduled", "checked_in", "no_show", "cancelled"}),
    "checked_in": frozenset({"completed", "cancelled"}),
    "completed": frozenset({"checked_in"}),
    "no_show": frozenset({"checked_in", "scheduled"}),
    "cancelled": frozenset(),
}

# The moves that undo a mistake ("undo a mistaken no-show", "undo a mistaken completion"). They
# are in TRANSITIONS (so check_transition allows them) but NOT in allowed_moves(): a screen
# offers them apart, as an "Undo" that asks for a reason (see undo_move()). Undoing never
# invents an arrival: arrived_at is left as it was (a no-show's stays empty).
UNDO_MOVES: Final = frozenset({("no_show", "scheduled"), ("completed", "checked_in")})

UNDO_LABELS: Final = {
    ("no_show", "scheduled"): "Undo no-show",
    ("completed", "checked_in"): "Undo completion",
}

# Statuses whose appointment holds its time: cancelled and no-show appointments free the slot.
BLOCKING: Final = frozenset({"scheduled", "confirmed", "checked_in", "completed"})

# Only these can still be moved to another time.
RESCHEDULABLE: Final = frozenset({"scheduled", "confirmed"})

# The grace period after the start before a patient may be marked no-show (Rules default).
NO_SHOW_GRACE_MIN: Final = 15


class InvalidTransition(ClinicError):
    def __init__(self, current: str, wanted: str) -> None:
        super().__init__(
            f"A {STATUS_LABELS.get(current, current).lower()} appointment cannot be marked "
            f"{STATUS_LABELS.get(wanted, wanted).lower()}."
        )
        self.current, self.wanted = current, wanted


def allowed_moves(current: str) -> list[str]:
    """The ordinary statuses an appointment in ``current`` may move to, in workflow order.
    The undo moves are left out: see :func:`undo_move`."""
    moves = TRANSITIONS.get(current, frozenset())
    return [s for s in STATUSES if s in moves and (current, s) not in UNDO_MOVES]


def undo_move(current: str) -> str | None:
    """The status an appointment in ``current`` goes back to when its last move was a mistake
    (no_show -> scheduled, completed -> checked_in), or None."""
    return next((to for frm, to in UNDO_MOVES if frm == current), None)


def needs_reason(current: str, wanted: str) -> bool:
    """Cancelling and undoing a mistake need a reason (kept in the appointment's history)."""
    return wanted == "cancelled" or (current, wanted) in UNDO_MOVES


def check_transition(current: str, wanted: str) -> None:
    if wanted not in TRANSITIONS.get(current, frozenset()):
        raise InvalidTransition(current, wanted)


def check_reason(current: str, wanted: str, reason: str | None) -> None:
    """Refuse a move that needs a reason (:func:`needs_reason`) when none is given."""
    if reason or not needs_reason(current, wanted):
        return
    if wanted == "cancelled":
        raise ClinicError("Say why the appointment is cancelled.", field="reason")
    what = "no-show" if current == "no_show" else "completion"
    raise ClinicError(f"Say why the {what} is undone.", field="reason")


def takes_time_back(current: str, wanted: str) -> bool:
    """True when the move makes a freed slot (no-show, cancelled) hold its time again: it must then
    be checked against whatever was booked there meanwhile, as a new booking would be."""
    return current not in BLOCKING and wanted in BLOCKING


# --- booking errors (each one a sentence the front desk can read aloud) ---------------------


class SlotTaken(ClinicError):
    default_message = "That time is already taken."


class ProviderBusy(SlotTaken):
    def __init__(self, provider: str, at: str) -> None:
        super().__init__(f"{provider} already has a patient at {at}.", field="start")


class PatientBusy(SlotTaken):
    def __init__(self, at: str) -> None:
        super().__init__(f"This patient already has an appointment overlapping {at}.", field="start")


class OutsideWorkingHours(ClinicError):
    def __init__(self, provider: str) -> None:
        super().__init__(f"{provider} is not working at that time.", field="start")


class ProviderAway(ClinicError):
    def __init__(self, provider: str, reason: str | None) -> None:
        why = f" ({reason})" if reason else ""
        super().__init__(f"{provider} is away at that time{why}.", field="start")


class ClinicClosed(ClinicError):
    def __init__(self, day: date, reason: str | None) -> None:
        why = f": {reason}" if reason else ""
        super().__init__(f"The clinic is closed on {day:%A %d %B %Y}{why}.", field="start")


class InThePast(ClinicError):
    default_message = "That time has already passed."

    def __init__(self) -> None:
        super().__init__(field="start")


class TooSoon(ClinicError):
    def __init__(self, minutes: int) -> None:
        super().__init__(f"Appointments need at least {minutes} minutes' notice.", field="start")


class TooFarAhead(ClinicError):
    def __init__(self, days: int) -> None:
        super().__init__(f"Appointments can be booked at most {days} days ahead.", field="start")


class NewPatientsOnly(ClinicError):
    def __init__(self, visit_type: str) -> None:
        super().__init__(f"“{visit_type}” is only for new patients; this patient has been seen before.", field="type")


class NotAcceptingNewPatients(ClinicError):
    def __init__(self, provider: str) -> None:
        super().__init__(f"{provider} is not accepting new patients.", field="provider")


class ProviderInactive(ClinicError):
    def __init__(self, provider: str) -> None:
        super().__init__(f"{provider} is no longer seeing patients.", field="provider")


class NoShowTooEarly(ClinicError):
    """A no-show marked before the start plus the grace period (``Rules.no_show_grace_min``)."""

    def __init__(self, possible_from: datetime, tz: str, *, grace_min: int, now: datetime | None = None) -> None:
        local = possible_from.astimezone(zone(tz))
        same_day = now is not None and now.astimezone(zone(tz)).date() == local.date()
        when = f"{local:%H:%M}" if same_day else f"{local:%a %d %b %H:%M}"
        super().__init__(f"Too early to mark a no-show: possible from {when} "
                         f"({grace_min} minutes after the start).", field="status")
        self.possible_from = possible_from


class NotReschedulable(ClinicError):
    def __init__(self, status: str) -> None:
        super().__init__(
            f"A {STATUS_LABELS.get(status, status).lower()} appointment cannot be moved.", field="start"
        )


# --- the facts a booking is checked against -------------------------------------------------


@dataclass(frozen=True)
class Block:
    """A weekly working block in clinic-local wall-clock time. weekday: Monday = 0."""

    weekday: int
    start: time
    end: time


@dataclass(frozen=True)
class Interval:
    start: datetime
    end: datetime
    label: str | None = None

    def overlaps(self, start: datetime, end: datetime) -> bool:
        return self.start < end and start < self.end


@dataclass(frozen=True)
class Rules:
    min_notice_min: int = 0
    max_days_ahead: int = 180
    late_cancel_hours: int = 24
    no_show_grace_min: int = NO_SHOW_GRACE_MIN


@dataclass
class BookingContext:
    """Everything the rules need, loaded by db/ inside the booking transaction."""

    tz: str
    provider_name: str
    provider_active: bool
    accepting_new: bool
    hours: list[Block]
    time_off: list[Interval] = field(default_factory=list)
    closures: dict[date, str | None] = field(default_factory=dict)
    provider_busy: list[Interval] = field(default_factory=list)
    patient_busy: list[Interval] = field(default_factory=list)
    patient_is_new: bool = False
    rules: Rules = field(default_factory=Rules)


@dataclass(frozen=True)
class VisitType:
    id: int
    name: str
    duration_min: int
    buffer_after_min: int = 0
    new_patients_only: bool = False
    colour: str = "#64748b"


def local_label(instant: datetime, tz: str) -> str:
    local = instant.astimezone(zone(tz))
    return f"{local:%a %d %b %H:%M}"


def block_instants(day: date, block: Block, tz: str) -> tuple[datetime, datetime]:
    z = zone(tz)
    return datetime.combine(day, block.start, tzinfo=z), datetime.combine(day, block.end, tzinfo=z)


def within_hours(start: datetime, end: datetime, hours: Iterable[Block], tz: str) -> bool:
    """True when [start, end) lies inside one working block of its clinic-local day."""
    day = start.astimezone(zone(tz)).date()
    for block in hours:
        if block.weekday != day.weekday():
            continue
        b_start, b_end = block_instants(day, block, tz)
        if b_start <= start and end <= b_end:
            return True
    return False


def check_booking(
    start: datetime,
    visit_type: VisitType,
    ctx: BookingContext,
    *,
    now: datetime,
    ignore_notice: bool = False,
) -> tuple[datetime, datetime]:
    """Raise the first rule a booking breaks; return (end, busy_until) when it breaks none.

    ``ignore_notice`` skips only the minimum-notice rule (a walk-in booked by the desk); a time
    in the past is refused all the same.
    """
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    end = start + timedelta(minutes=visit_type.duration_min)
    busy_until = end + timedelta(minutes=visit_type.buffer_after_min)
    if not ctx.provider_active:
        raise ProviderInactive(ctx.provider_name)
    if start < now:
        raise InThePast()
    if not ignore_notice and start < now + timedelta(minutes=ctx.rules.min_notice_min):
        raise TooSoon(ctx.rules.min_notice_min)
    local_day = start.astimezone(zone(ctx.tz)).date()
    if local_day > now.astimezone(zone(ctx.tz)).date() + timedelta(days=ctx.rules.max_days_ahead):
        raise TooFarAhead(ctx.rules.max_days_ahead)
    if local_day in ctx.closures:
        raise ClinicClosed(local_day, ctx.closures[local_day])
    if not within_hours(start, end, ctx.hours, ctx.tz):
        raise OutsideWorkingHours(ctx.provider_name)
    for away in ctx.time_off:
        if away.overlaps(start, end):
            raise ProviderAway(ctx.provider_name, away.label)
    if visit_type.new_patients_only and not ctx.patient_is_new:
        raise NewPatientsOnly(visit_type.name)
    if ctx.patient_is_new and not ctx.accepting_new:
        raise NotAcceptingNewPatients(ctx.provider_name)
    check_still_free(start, end, busy_until, ctx)
    return end, busy_until


def history_matters(visit_type: VisitType, accepting_new: bool) -> bool:
    """Whether :func:`check_booking` can turn on ``BookingContext.patient_is_new``: only for a
    new-patients-only visit type or a provider not accepting new patients. Otherwise the patient's
    history need not be read."""
    return visit_type.new_patients_only or not accepting_new


def no_show_possible_from(start_at: datetime, rules: Rules) -> datetime:
    """The first instant an appointment starting at ``start_at`` may be marked no-show: its start
    plus the grace period. Before it, the UI disables No-show and says from when."""
    return start_at + timedelta(minutes=rules.no_show_grace_min)


def check_no_show(start_at: datetime, now: datetime, rules: Rules, tz: str) -> None:
    """Refuse a no-show before :func:`no_show_possible_from` with :class:`NoShowTooEarly`."""
    possible_from = no_show_possible_from(start_at, rules)
    if now < possible_from:
        raise NoShowTooEarly(possible_from, tz, grace_min=rules.no_show_grace_min, now=now)


def check_still_free(start: datetime, end: datetime, busy_until: datetime, ctx: BookingContext) -> None:
    """The overlap rules of a booking alone (no hours, notice or past-time rules): for a freed
    appointment taking its time back (a late arrival checked in after a no-show, an undone
    no-show). ``ctx`` is loaded under the booking locks, without the appointment itself."""
    for busy in ctx.provider_busy:
        if busy.overlaps(start, busy_until):
            raise ProviderBusy(ctx.provider_name, local_label(start, ctx.tz))
    for busy in ctx.patient_busy:
        if busy.overlaps(start, end):
            raise PatientBusy(local_label(start, ctx.tz))


def is_late_cancellation(start: datetime, now: datetime, rules: Rules) -> bool:
    """Cancelled less than ``late_cancel_hours`` before the start (a KPI and a policy flag)."""
    return start - now < timedelta(hours=rules.late_cancel_hours)


# --- free slots -----------------------------------------------------------------------------


def free_slots(
    day: date,
    visit_type: VisitType,
    ctx: BookingContext,
    *,
    now: datetime,
    step_min: int = 15,
) -> Iterator[datetime]:
    """Start times on ``day`` where ``visit_type`` could be booked with this context's provider.

    Candidates start at each working block's start and every ``step_min`` after; each is run
    through the same rules as a real booking (patient rules aside, when no patient is given).
    """
    for start in candidate_starts(day, visit_type, ctx, step_min=step_min):
        if is_bookable(start, visit_type, ctx, now=now):
            yield start


def candidate_starts(day: date, visit_type: VisitType, ctx: BookingContext, *, step_min: int = 15) -> Iterator[datetime]:
    """The start times :func:`free_slots` tries on ``day`` (UTC instants, in its order), before any
    rule: none on a closed day or for an inactive provider."""
    if day in ctx.closures or not ctx.provider_active:
        return
    duration = timedelta(minutes=visit_type.duration_min)
    for block in sorted((b for b in ctx.hours if b.weekday == day.weekday()), key=lambda b: b.start):
        b_start, b_end = block_instants(day, block, ctx.tz)
        candidate = b_start
        while candidate + duration <= b_end:
            yield candidate.astimezone(timezone.utc)
            candidate += timedelta(minutes=step_min)


def is_bookable(start: datetime, visit_type: VisitType, ctx: BookingContext, *, now: datetime) -> bool:
    """Whether :func:`check_booking` lets ``start`` through (a free slot)."""
    try:
        check_booking(start, visit_type, ctx, now=now)
    except ClinicError:
        return False
    return True
