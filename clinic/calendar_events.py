"""The calendar page's translation layer, pure: appointments into FullCalendar events, providers
into resources, the component's callback values back into clinic instants.

Time zones, as FullCalendar 6 in streamlit-calendar 1.4.0 really behaves (checked in chromium):
the bundle has no named-time-zone plugin (no luxon, no moment-timezone), so with
``timeZone: "America/New_York"`` it runs in "UTC-coercion" mode:

* an event's ``start`` is placed by its wall-clock digits; any offset in the string is ignored.
  So events are sent as naive clinic-local ISO strings (``2026-11-30T09:00:00``).
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

from clinic.scheduling import RESCHEDULABLE, STATUS_LABELS, Block, Interval, VisitType
from clinic.timeutil import day_bounds, zone

# view key -> (label on the page, FullCalendar view name). Day by provider is a premium
# resource view (one column per provider): how a front desk reads a day.
VIEWS: Final = {
    "day": ("Day by provider", "resourceTimeGridDay"),
    "week": ("Week", "timeGridWeek"),
    "month": ("Month", "dayGridMonth"),
    "list": ("List", "listWeek"),
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


def filter_count(*selections: Iterable[object] | None) -> int:
    """How many filter choices are active (for the "Filters (n)" label)."""
    return sum(len(list(chosen or [])) for chosen in selections)


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


def clock(value: time) -> str:
    return f"{value:%H:%M:%S}"


def business_hours(blocks: Iterable[Block]) -> list[dict[str, Any]]:
    """FullCalendar ``businessHours`` for weekly blocks (its days count from Sunday = 0; ours
    from Monday = 0). Time outside them is shaded."""
    return [
        {"daysOfWeek": [(b.weekday + 1) % 7], "startTime": f"{b.start:%H:%M}", "endTime": f"{b.end:%H:%M}"}
        for b in blocks
    ]


def resource(provider_id: int, name: str, blocks: Iterable[Block]) -> dict[str, Any]:
    """One provider column. Its business hours shade the times the provider does not work."""
    return {"id": str(provider_id), "title": name, "businessHours": business_hours(blocks) or False}


# --- events ---------------------------------------------------------------------------------


def wall_clock(instant: datetime, tz: str) -> str:
    """A naive clinic-local ISO string: what FullCalendar places by its digits (see module doc)."""
    return instant.astimezone(zone(tz)).replace(tzinfo=None).isoformat(timespec="seconds")


def event_title(patient: str, visit_type: str, status: str, provider: str | None = None) -> str:
    parts = [patient, visit_type, STATUS_LABELS.get(status, status)]
    if provider:
        parts.append(provider)
    return " · ".join(parts)


_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


def text_colour(background: str) -> str:
    """Black or white, whichever reads better on ``background`` (WCAG relative luminance)."""
    if not _HEX.match(background or ""):
        return "#ffffff"

    def channel(hex2: str) -> float:
        c = int(hex2, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(background[i:i + 2]) for i in (1, 3, 5))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#111827" if luminance > 0.4 else "#ffffff"


def appointment_event(
    row: Mapping[str, Any], tz: str, *, movable: bool, now: datetime, with_provider: bool = False
) -> dict[str, Any]:
    """A FullCalendar event for one row of ``db.appointments.list_between``.

    Coloured by provider, a stripe in the visit type's colour, the status in the title and as
    a CSS class. Only appointments that may still be moved (scheduled or confirmed, not yet
    started) can be dragged, and only when ``movable`` (the user may book).
    """
    colour = row["provider_colour"] if _HEX.match(str(row.get("provider_colour") or "")) else "#64748b"
    status = row["status"]
    draggable = movable and status in RESCHEDULABLE and row["start_at"] >= now
    return {
        "id": str(row["id"]),
        "title": event_title(row["patient"], row["visit_type"], status, row["provider"] if with_provider else None),
        "start": wall_clock(row["start_at"], tz),
        "end": wall_clock(row["end_at"], tz),
        "resourceId": str(row["provider_id"]),
        "backgroundColor": colour,
        "borderColor": colour,
        "textColor": text_colour(colour),
        "editable": draggable,
        "classNames": [f"cd-status-{status}", f"cd-type-{int(row['type_id'])}"],
        "extendedProps": {"appointment_id": int(row["id"]), "status": status},
    }


def month_summary_events(rows: Iterable[Mapping[str, Any]], tz: str) -> list[dict[str, Any]]:
    """The month grid's entries: one per provider and day ("Dr. Okafor · 18"), not one per
    appointment (a busy month is thousands). Clicking one opens that day by provider."""
    counts: dict[tuple[date, int], int] = {}
    names: dict[int, tuple[str, str]] = {}
    for row in rows:
        day = row["start_at"].astimezone(zone(tz)).date()
        key = (day, int(row["provider_id"]))
        counts[key] = counts.get(key, 0) + 1
        names[key[1]] = (row["provider"], row["provider_colour"])
    events = []
    for (day, provider_id), n in sorted(counts.items(), key=lambda item: (item[0][0], names[item[0][1]][0])):
        name, colour = names[provider_id]
        colour = colour if _HEX.match(str(colour or "")) else "#64748b"
        events.append({
            "id": f"day-{day.isoformat()}-{provider_id}",
            "title": f"{name} · {n}",
            "start": day.isoformat(),
            "allDay": True,
            "backgroundColor": colour,
            "borderColor": colour,
            "textColor": text_colour(colour),
            "editable": False,
            "extendedProps": {"day": day.isoformat(), "provider_id": provider_id, "count": n},
        })
    return events


def closure_event(day: date, reason: str | None, window: tuple[time, time], *, all_day: bool = False) -> dict[str, Any]:
    """A shaded band over the working rows of a closed day, for every provider (the whole
    cell in the month grid, which draws only all-day background events)."""
    if all_day:
        start, end = day.isoformat(), (day + timedelta(days=1)).isoformat()
    else:
        start = datetime.combine(day, window[0]).isoformat(timespec="seconds")
        end = datetime.combine(day, window[1]).isoformat(timespec="seconds")
    return {
        "id": f"closed-{day.isoformat()}",
        "title": f"Clinic closed: {reason or 'closure'}",
        "start": start,
        "end": end,
        "allDay": all_day,
        "display": "background",
        "backgroundColor": "rgba(100, 116, 139, 0.28)",
        "classNames": ["cd-closed"],
    }


def time_off_event(provider_id: int, away: Interval, tz: str) -> dict[str, Any]:
    return {
        "id": f"away-{provider_id}-{away.start.isoformat()}",
        "title": f"Away: {away.label}" if away.label else "Away",
        "start": wall_clock(away.start, tz),
        "end": wall_clock(away.end, tz),
        "resourceId": str(provider_id),
        "display": "background",
        "backgroundColor": "rgba(245, 158, 11, 0.25)",
        "classNames": ["cd-away"],
    }


def type_stripes_css(types: Iterable[VisitType]) -> str:
    """A left stripe in each visit type's colour (colours are validated hex, never user text)."""
    return "\n".join(
        f".fc-event.cd-type-{int(t.id)} {{ border-left: 5px solid {t.colour} !important; }}"
        for t in types
        if _HEX.match(t.colour or "")
    )


def guess_type(minutes: int, types: Iterable[VisitType]) -> int | None:
    """The visit type whose length is exactly the selected range, when just one fits."""
    fitting = [t.id for t in types if t.duration_min == minutes]
    return fitting[0] if len(fitting) == 1 else None


def works_weekends(blocks: Iterable[Block]) -> bool:
    """Whether the grids need Saturday and Sunday columns."""
    return any(b.weekday >= 5 for b in blocks)


# --- the component's answers ----------------------------------------------------------------

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


def type_for_range(action: CalendarAction, types: Iterable[VisitType]) -> int | None:
    """A dragged range longer than one slot says how long the visit is: the type of exactly that
    length, if only one fits. A plain click (one slot) or a whole day says nothing."""
    minutes = action.minutes
    if action.all_day or minutes is None or minutes <= SLOT_MINUTES:
        return None
    return guess_type(minutes, types)


def slot_label(start: datetime, tz: str) -> str:
    local = start.astimezone(zone(tz))
    return f"{local:%a %d %b, %H:%M}"
