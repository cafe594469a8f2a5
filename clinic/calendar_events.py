"""The calendar screen's pure logic: which days a view shows, where the arrows go, the working
window of the time grids, and the calendar component's answers read back as clinic instants.

Nothing here knows FullCalendar's JSON shapes (events, resources, options): those are built in
components/fullcalendar.py. What is here is what the screen means: a view and a day give a
period; a click or a drag gives a :class:`CalendarAction` in aware UTC instants.

Time zones, as FullCalendar 6 in streamlit-calendar 1.4.0 really behaves (checked in chromium):
the bundle has no named-time-zone plugin (no luxon, no moment-timezone), so with
``timeZone: "America/New_York"`` it runs in "UTC-coercion" mode:

* an event's ``start`` is placed by its wall-clock digits; any offset in the string is ignored.
  So times are sent as naive clinic-local ISO strings (:func:`wall_clock`: ``2026-11-30T09:00:00``).
* ``select``/``dateClick`` send ``Date.toISOString()`` of a coerced date: the string ends in
  ``Z`` but its digits are the clinic's wall clock (a click on the 13:00 row of a New York
  calendar gives ``...T13:00:00.000Z``, not 18:00 UTC).
* ``eventClick``/``eventChange`` send ``event.toJSON()``, whose times are naive local strings.

:func:`parse_wall_clock` therefore always reads the digits as clinic-local time and ignores
any ``Z`` or offset. Daylight saving is applied by ``zoneinfo`` per instant, so a booking on
either side of a DST change lands on the right UTC instant.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Final

from clinic.scheduling import RESCHEDULABLE, Block, VisitType
from clinic.timeutil import day_bounds, zone

# view key -> its label on the page. "day" is one column per provider: how a front desk reads a day.
VIEWS: Final = {
    "day": "Day by provider",
    "week": "Week",
    "month": "Month",
    "list": "List",
}
DEFAULT_VIEW: Final = "day"
TIME_GRID_VIEWS: Final = frozenset({"day", "week"})

DEFAULT_WINDOW: Final = (time(7), time(19))
SLOT_MINUTES: Final = 15

CALLBACKS: Final = ("select", "dateClick", "eventClick", "eventChange")


# --- which days a view shows ------------------------------------------------------------------


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def visible_days(view: str, day: date) -> tuple[date, date]:
    """[first, last) clinic-local days the view shows around ``day``. Weeks start on Monday;
    the month grid is six weeks from the Monday on or before the 1st (FullCalendar's default
    fixed six-week month)."""
    if view == "day":
        return day, day + timedelta(days=1)
    if view in ("week", "list"):
        first = monday_of(day)
        return first, first + timedelta(days=7)
    if view == "month":
        first = monday_of(day.replace(day=1))
        return first, first + timedelta(days=42)
    raise ValueError(f"unknown view {view!r}")


def shows(view: str, day: date, other: date) -> bool:
    """Whether the view around ``day`` shows the day ``other``."""
    first, last = visible_days(view, day)
    return first <= other < last


def visible_bounds(view: str, day: date, tz: str) -> tuple[datetime, datetime]:
    """The UTC instants [start, end) of :func:`visible_days` (DST-safe local midnights)."""
    first, last = visible_days(view, day)
    return day_bounds(first, tz)[0], day_bounds(last, tz)[0]


def shift(view: str, day: date, direction: int) -> date:
    """The day the arrows go to: one day, one week, or one month (to its 1st) back or ahead."""
    if view == "day":
        return day + timedelta(days=direction)
    if view == "month":
        month = day.month - 1 + direction
        return date(day.year + month // 12, month % 12 + 1, 1)
    return day + timedelta(weeks=direction)


def period_label(view: str, day: date) -> str:
    if view == "day":
        return f"{day:%A %d %B %Y}"
    if view == "month":
        return f"{day:%B %Y}"
    first, last = visible_days(view, day)
    end = last - timedelta(days=1)
    return f"Week of {first:%d %b} – {end:%d %b %Y}"


def day_from_address(text: object) -> date | None:
    """The day of a ``?day=YYYY-MM-DD`` address, or None when absent or not a date."""
    if not isinstance(text, str):
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def filter_count(*selections: Iterable[object] | None) -> int:
    """How many filter choices are active (for the "Filters (n)" label)."""
    return sum(len(list(chosen or [])) for chosen in selections)


def closed_days(closures: Mapping[date, str | None], view: str, day: date) -> list[tuple[date, str | None]]:
    """The closures (day -> reason) that fall inside the view's days, in day order."""
    first, last = visible_days(view, day)
    return [(d, reason) for d, reason in sorted(closures.items()) if first <= d < last]


# --- working hours --------------------------------------------------------------------------


def working_window(blocks: Iterable[Block], default: tuple[time, time] = DEFAULT_WINDOW) -> tuple[time, time]:
    """The rows a time grid shows: from the earliest working hour to the latest, widened to
    whole hours; ``default`` when nobody has hours."""
    blocks = list(blocks)
    if not blocks:
        return default
    earliest = min(b.start for b in blocks)
    latest = max(b.end for b in blocks)
    end_hour = latest.hour + (1 if (latest.minute or latest.second) else 0)
    return time(earliest.hour), (time(end_hour) if end_hour < 24 else time(23, 59))


SCROLL_LEAD_MIN: Final = 60  # the grid opens this long before the time it scrolls to, for context


def scroll_time(
    view: str, day: date, window: tuple[time, time], *, place: tuple[date, time] | None, today: date, now: time,
) -> time:
    """The first row a time grid shows when it mounts (FullCalendar's ``scrollTime``).

    Where the user last worked (``place``: the day and time of their last click, drag or
    booking) while that day is on screen; otherwise "now" when today is on screen; otherwise the
    start of the working window. An hour of context is kept above it, on a slot boundary.
    """
    if place is not None and shows(view, day, place[0]):
        target = place[1]
    elif shows(view, day, today):
        target = now
    else:
        return window[0]
    minutes = max(target.hour * 60 + target.minute - SCROLL_LEAD_MIN, window[0].hour * 60 + window[0].minute)
    minutes -= minutes % SLOT_MINUTES
    return time(minutes // 60, minutes % 60)


def round_up(instant: datetime, minutes: int = SLOT_MINUTES) -> datetime:
    """``instant`` moved up to the next whole ``minutes`` (itself when already on one)."""
    step = timedelta(minutes=minutes)
    floor = instant.replace(second=0, microsecond=0) - timedelta(minutes=instant.minute % minutes)
    return floor if floor == instant else floor + step


def works_weekends(blocks: Iterable[Block]) -> bool:
    """Whether the grids need Saturday and Sunday columns."""
    return any(b.weekday >= 5 for b in blocks)


def can_be_moved(status: str, start_at: datetime, now: datetime) -> bool:
    """Whether an appointment may still go to another time: scheduled or confirmed, not yet started."""
    return status in RESCHEDULABLE and start_at >= now


# --- clinic-local wall clock ------------------------------------------------------------------


def wall_clock(instant: datetime, tz: str) -> str:
    """A naive clinic-local ISO string: what FullCalendar places by its digits (see module doc)."""
    return instant.astimezone(zone(tz)).replace(tzinfo=None).isoformat(timespec="seconds")


_ISO = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?$")


def parse_wall_clock(text: str, tz: str) -> datetime:
    """The UTC instant of a FullCalendar time string, reading its digits as clinic-local wall
    clock time and ignoring any ``Z`` or offset (see the module docstring for why)."""
    match = _ISO.match((text or "").strip())
    if match is None:
        raise ValueError(f"not a calendar time: {text!r}")
    day = date.fromisoformat(match.group(1))
    hh, mm, ss = (int(g) if g else 0 for g in match.group(2, 3, 4))
    local = datetime.combine(day, time(hh, mm, ss), tzinfo=zone(tz))
    return local.astimezone(timezone.utc)


def search_from(day: date, tz: str, now: datetime) -> datetime:
    """Where "find next free times" starts: the chosen day's first instant, never the past."""
    return max(now, day_bounds(day, tz)[0])


def local_start(day: date, at: time, tz: str) -> datetime:
    """The UTC instant of a clinic-local date and time typed in a form."""
    return datetime.combine(day, at.replace(second=0, microsecond=0), tzinfo=zone(tz)).astimezone(timezone.utc)


def slot_label(start: datetime, tz: str) -> str:
    local = start.astimezone(zone(tz))
    return f"{local:%a %d %b, %H:%M}"


# --- the component's answers ----------------------------------------------------------------


@dataclass(frozen=True)
class CalendarAction:
    """What the user did on the calendar, in clinic terms (instants are aware UTC)."""

    kind: str  # select | dateClick | eventClick | eventChange
    day: date | None = None  # a month-grid summary entry that was clicked
    start: datetime | None = None
    end: datetime | None = None
    all_day: bool = False
    provider_id: int | None = None
    appointment_id: int | None = None
    old_start: datetime | None = None
    old_end: datetime | None = None
    old_provider_id: int | None = None

    @property
    def minutes(self) -> int | None:
        if self.start is None or self.end is None:
            return None
        return int((self.end - self.start) / timedelta(minutes=1))

    @property
    def provider_changed(self) -> bool:
        return self.provider_id is not None and self.provider_id != self.old_provider_id

    @property
    def only_end_changed(self) -> bool:
        """A resize from the bottom edge: same start and column, another end."""
        return (self.start == self.old_start and not self.provider_changed and self.end != self.old_end)


def _int(value: Any) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def _appointment_id(event: Mapping[str, Any]) -> int | None:
    props = event.get("extendedProps") or {}
    found = _int(props.get("appointment_id"))
    return found if found is not None else _int(event.get("id"))


def _maybe_time(text: Any, tz: str) -> datetime | None:
    return parse_wall_clock(text, tz) if text else None


def parse_action(value: Mapping[str, Any] | None, tz: str) -> CalendarAction | None:
    """Turn the component's return value ``{"callback": name, name: payload}`` into an action.
    Unknown or malformed values give None (nothing to do)."""
    if not value:
        return None
    kind = value.get("callback")
    payload = value.get(kind) if isinstance(kind, str) else None
    if kind not in CALLBACKS or not isinstance(payload, Mapping):
        return None
    try:
        if kind == "select":
            return CalendarAction(
                kind, start=parse_wall_clock(payload["start"], tz), end=_maybe_time(payload.get("end"), tz),
                all_day=bool(payload.get("allDay")), provider_id=_int((payload.get("resource") or {}).get("id")),
            )
        if kind == "dateClick":
            return CalendarAction(
                kind, start=parse_wall_clock(payload["date"], tz), all_day=bool(payload.get("allDay")),
                provider_id=_int((payload.get("resource") or {}).get("id")),
            )
        event = payload.get("event") or {}
        if kind == "eventClick":
            props = event.get("extendedProps") or {}
            if props.get("day"):
                return CalendarAction(kind, day=date.fromisoformat(props["day"]),
                                      provider_id=_int(props.get("provider_id")))
            return CalendarAction(kind, appointment_id=_appointment_id(event),
                                  provider_id=_int(event.get("resourceId")),
                                  start=_maybe_time(event.get("start"), tz), end=_maybe_time(event.get("end"), tz))
        old = payload.get("oldEvent") or {}
        return CalendarAction(
            kind, appointment_id=_appointment_id(event),
            start=_maybe_time(event.get("start"), tz), end=_maybe_time(event.get("end"), tz),
            provider_id=_int(event.get("resourceId")),
            old_start=_maybe_time(old.get("start"), tz), old_end=_maybe_time(old.get("end"), tz),
            old_provider_id=_int(old.get("resourceId")),
        )
    except (KeyError, ValueError, TypeError):
        return None


def booking_start(action: CalendarAction, window: tuple[time, time], tz: str) -> datetime:
    """Where a booking from a select or click starts: its time, or for a whole day (the month
    grid) the first row of the working window."""
    if action.all_day:
        return local_start(action.start.astimezone(zone(tz)).date(), window[0], tz)
    return action.start


def guess_type(minutes: int, types: Iterable[VisitType]) -> int | None:
    """The visit type whose length is exactly the selected range, when just one fits."""
    fitting = [t.id for t in types if t.duration_min == minutes]
    return fitting[0] if len(fitting) == 1 else None


def type_for_range(action: CalendarAction, types: Iterable[VisitType]) -> int | None:
    """A dragged range longer than one slot says how long the visit is: the type of exactly that
    length, if only one fits. A plain click (one slot) or a whole day says nothing."""
    minutes = action.minutes
    if action.all_day or minutes is None or minutes <= SLOT_MINUTES:
        return None
    return guess_type(minutes, types)
