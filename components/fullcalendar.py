"""FullCalendar's shapes, pure: the options, events, resources, business hours and CSS that the
clinic's calendar hands to streamlit-calendar (FullCalendar 6). Dict builders only: no Streamlit,
so they are tested without a running app; components/calendar.py draws the component.

Times go to FullCalendar as naive clinic-local strings (``clinic.calendar_events.wall_clock``):
in this bundle it places events by their digits, whatever offset a string carries.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from typing import Any, Final, Protocol

from clinic.calendar_events import SLOT_MINUTES, TIME_GRID_VIEWS, can_be_moved, wall_clock
from clinic.scheduling import STATUS_LABELS, Block, Interval, VisitType

# Our view key -> FullCalendar's view name. Day by provider is a premium resource view.
FC_VIEWS: Final = {
    "day": "resourceTimeGridDay",
    "week": "timeGridWeek",
    "month": "dayGridMonth",
    "list": "listWeek",
}

CSS: Final = """
.fc { font-size: 0.86rem; }
.fc .fc-timegrid-slot { height: 1.45em; }
.fc .fc-col-header-cell-cushion, .fc .fc-datagrid-cell-cushion { font-weight: 600; padding: 6px 4px; }
.fc .fc-resource .fc-col-header-cell-cushion { white-space: normal; }
.fc-timegrid-event .fc-event-main { padding: 1px 3px; line-height: 1.2; }
.fc-event { cursor: pointer; }
.fc-event.cd-status-cancelled { opacity: 0.55; text-decoration: line-through; background-image:
  repeating-linear-gradient(45deg, rgba(255,255,255,.35) 0 6px, transparent 6px 12px); }
.fc-event.cd-status-no_show { opacity: 0.6; text-decoration: line-through; }
.fc-event.cd-status-completed { opacity: 0.7; }
.fc-event.cd-status-checked_in { box-shadow: 0 0 0 2px #111827 inset; }
.fc-event.fc-event-past { filter: saturate(0.55); }
.fc .fc-bg-event.cd-closed, .fc .fc-bg-event.cd-away { opacity: 1; }
.fc .fc-bg-event .fc-event-title { color: #334155; font-style: normal; font-weight: 600; font-size: 0.9rem;
  padding: 6px; }
.fc .fc-non-business { background: rgba(148, 163, 184, 0.22); }
.fc .fc-timegrid-now-indicator-line { border-color: #dc2626; border-width: 2px; }
.fc .fc-highlight { background: rgba(37, 99, 235, 0.25); }
"""

_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
_NO_COLOUR = "#64748b"


class ShownAppointment(Protocol):
    """What an appointment event needs (``db.appointments.AppointmentRow`` has it)."""

    id: int
    start_at: datetime
    end_at: datetime
    status: str
    patient: str
    visit_type: str
    type_id: int
    provider_id: int
    provider: str
    provider_colour: str | None


class ProviderDayCount(Protocol):
    """One provider's appointments on one day (``db.appointments.DayCount`` has it)."""

    day: date
    provider_id: int
    provider: str
    count: int


# --- options ----------------------------------------------------------------------------------


def clock(value: time) -> str:
    return f"{value:%H:%M:%S}"


# A time grid at most this tall, so it fits under the page's toolbar and a one-line notice
# ("Booked …") on a laptop screen (900 px) and scrolls inside itself: FullCalendar's
# ``scrollTime`` can then open it where the user was, and a booking in the day's last slot is
# still on screen. Taller, the page scrolls instead, and a remount (a new iframe) sends the page
# back to the top.
TIME_GRID_MAX_HEIGHT: Final = 500


def height(view: str, window: tuple[time, time]) -> int:
    """The component's height in pixels (the iframe is sized once, when it mounts)."""
    if view in TIME_GRID_VIEWS:
        minutes = (window[1].hour * 60 + window[1].minute) - (window[0].hour * 60 + window[0].minute)
        rows = max(minutes // SLOT_MINUTES, 8)
        return max(480, min(TIME_GRID_MAX_HEIGHT, 64 + rows * 21))
    return 820 if view == "month" else 700


def options(
    *,
    view: str,
    initial_date: date,
    tz: str,
    now: datetime,
    window: tuple[time, time],
    resources: Iterable[dict] = (),
    business_hours: list[dict] | None = None,
    weekends: bool = True,
    selectable: bool = False,
    editable: bool = False,
    scroll: time | None = None,
) -> dict[str, Any]:
    """FullCalendar's options for one view of the clinic calendar. ``now`` is handed over because
    FullCalendar's own clock would read UTC in this mode: it places today and the red now-line.
    ``scroll`` is the time a time grid opens at (``clinic.calendar_events.scroll_time``); it is
    read when the calendar mounts, so it only moves the grid together with a new key."""
    found: dict[str, Any] = {
        "initialView": FC_VIEWS[view],
        "initialDate": initial_date.isoformat(),
        "timeZone": tz,
        "now": wall_clock(now, tz),
        "headerToolbar": False,
        "height": height(view, window),
        "expandRows": True,
        "firstDay": 1,
        "weekends": weekends,
        "allDaySlot": False,
        "slotMinTime": clock(window[0]),
        "slotMaxTime": clock(window[1]),
        "slotDuration": f"00:{SLOT_MINUTES:02d}:00",
        "slotLabelInterval": "01:00",
        "slotLabelFormat": {"hour": "2-digit", "minute": "2-digit", "hour12": False},
        "eventTimeFormat": {"hour": "2-digit", "minute": "2-digit", "hour12": False},
        "dayHeaderFormat": ({"weekday": "long"} if view == "month" else
                            {"weekday": "short", "day": "numeric", "month": "short"}),
        "nowIndicator": True,
        "selectable": selectable,
        "selectMinDistance": 0,
        "unselectAuto": True,
        "editable": editable,
        "eventDurationEditable": False,
        "eventResourceEditable": editable,
        "dayMaxEvents": 6,
        # Week view holds every provider's day in one column: side by side, a few deep, "+n more".
        "slotEventOverlap": False,
        "eventMaxStack": 4,
        "displayEventEnd": True,
        "noEventsText": "No appointments in this period.",
        "resourceOrder": "title",
    }
    if view in TIME_GRID_VIEWS:
        found["scrollTime"] = clock(scroll or window[0])
    if view == "day":
        # Not ``dayMinWidth``: it needs FullCalendar's ScrollGrid plugin, which this bundle does
        # not register, and the calendar then draws nothing. Many providers: use the filter.
        found["resources"] = list(resources)
    if business_hours is not None:
        found["businessHours"] = business_hours or False
    return found


def callbacks(*, selectable: bool, editable: bool) -> list[str]:
    """The callbacks to subscribe. Never ``eventsSet``: it makes the page rerun three times on load."""
    found = ["eventClick"]
    if selectable:
        found.append("select")
    if editable:
        found.append("eventChange")
    return found


# --- working hours --------------------------------------------------------------------------


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


def event_title(patient: str, visit_type: str, status: str, provider: str | None = None) -> str:
    parts = [patient, visit_type, STATUS_LABELS.get(status, status)]
    if provider:
        parts.append(provider)
    return " · ".join(parts)


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


def _colour(value: str | None) -> str:
    return value if _HEX.match(value or "") else _NO_COLOUR


def appointment_event(
    row: ShownAppointment, tz: str, *, movable: bool, now: datetime, with_provider: bool = False
) -> dict[str, Any]:
    """A FullCalendar event for one appointment row.

    Coloured by provider, a stripe in the visit type's colour, the status in the title and as
    a CSS class. Only appointments that may still be moved (scheduled or confirmed, not yet
    started) can be dragged, and only when ``movable`` (the user may book).
    """
    colour = _colour(row.provider_colour)
    return {
        "id": str(row.id),
        "title": event_title(row.patient, row.visit_type, row.status, row.provider if with_provider else None),
        "start": wall_clock(row.start_at, tz),
        "end": wall_clock(row.end_at, tz),
        "resourceId": str(row.provider_id),
        "backgroundColor": colour,
        "borderColor": colour,
        "textColor": text_colour(colour),
        "editable": movable and can_be_moved(row.status, row.start_at, now),
        "classNames": [f"cd-status-{row.status}", f"cd-type-{row.type_id}"],
        "extendedProps": {"appointment_id": row.id, "status": row.status},
    }


def month_summary_events(counts: Iterable[ProviderDayCount], colours: Mapping[int, str | None]) -> list[dict[str, Any]]:
    """The month grid's entries: one per provider and day ("Dr. Okafor · 18"), not one per
    appointment (a busy month is thousands). Clicking one opens that day by provider.
    ``colours`` maps a provider id to its colour."""
    events = []
    for c in counts:
        colour = _colour(colours.get(c.provider_id))
        events.append({
            "id": f"day-{c.day.isoformat()}-{c.provider_id}",
            "title": f"{c.provider} · {c.count}",
            "start": c.day.isoformat(),
            "allDay": True,
            "backgroundColor": colour,
            "borderColor": colour,
            "textColor": text_colour(colour),
            "editable": False,
            "extendedProps": {"day": c.day.isoformat(), "provider_id": c.provider_id, "count": c.count},
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
    """A shaded band in one provider's column while they are away."""
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


def time_off_events(away: Mapping[int, Iterable[Interval]], tz: str) -> list[dict[str, Any]]:
    """The bands of every provider's time off (provider id -> intervals)."""
    return [time_off_event(provider_id, interval, tz) for provider_id, found in away.items() for interval in found]


def type_stripes_css(types: Iterable[VisitType]) -> str:
    """A left stripe in each visit type's colour (colours are validated hex, never user text)."""
    return "\n".join(
        f".fc-event.cd-type-{int(t.id)} {{ border-left: 5px solid {t.colour} !important; }}"
        for t in types
        if _HEX.match(t.colour or "")
    )
