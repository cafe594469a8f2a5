"""The clinic's wrapper around streamlit-calendar (FullCalendar 6), and what it works around.

Known behaviours of streamlit-calendar 1.4.0, each handled here:

* It returns the LAST callback value again on every later rerun, even one caused by another
  widget. :func:`clinic_calendar` remembers the last value it handed out per calendar key and
  returns None for a repeat, so a select opens one booking dialog and a drag moves once.
* A value identical to the last one (the same slot selected again after closing the dialog)
  would then be swallowed too. The page calls :func:`reset` when a dialog closes or a move is
  refused: the calendar gets a new key, so the component remounts empty, showing the
  database's truth (a refused drag snaps back).
* Changing ``initialDate``/``initialView`` after mounting does nothing in FullCalendar, so the
  day and view are part of the key (:func:`calendar_key`).
* Its times are wall-clock digits in the clinic zone, whatever the ``Z`` says: see
  clinic/calendar_events.py. Payloads come back as :class:`CalendarAction` with aware UTC times.
* ``eventsSet`` makes the page rerun three times on load: it is never subscribed.
* It renders blank inside a non-first ``st.tabs`` tab: never put it in tabs.
* ``height`` must be passed in the options (the iframe is sized once, when it mounts).

Resource views (a column per provider) are FullCalendar premium code. ClinicDesk is
GPL-3.0-or-later and uses them under FullCalendar's GPL option with the key
``GPL-My-Project-Is-Open-Source``; a deployment with a commercial key sets
``fullcalendar_license_key`` in secrets.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime, time
from typing import Any

import streamlit as st
from streamlit_calendar import calendar

from clinic import calendar_events
from clinic.calendar_events import CalendarAction
from clinic.timeutil import now_utc
from components.db_session import secret

GPL_KEY = "GPL-My-Project-Is-Open-Source"
_HANDLED = "_calendar_handled"

CSS = """
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


def fullcalendar_key() -> str:
    """The FullCalendar premium key: secrets' ``fullcalendar_license_key``, else the GPL key."""
    return secret("fullcalendar_license_key", GPL_KEY) or GPL_KEY


def _generation_key(base: str) -> str:
    return f"_{base}_generation"


def calendar_key(base: str, *parts: object) -> str:
    """The component key for this view and day; :func:`reset` makes a new one."""
    generation = st.session_state.get(_generation_key(base), 0)
    return "-".join([base, *(str(p) for p in parts), str(generation)])


def reset(base: str) -> None:
    """Remount the calendar on the next run: it forgets its last value and its local state
    (a dragged event goes back to where the database has it)."""
    st.session_state[_generation_key(base)] = st.session_state.get(_generation_key(base), 0) + 1


def new_value(key: str, value: Any) -> dict | None:
    """``value`` if it is a callback value not handed out before for ``key``, else None."""
    if not isinstance(value, dict) or not value.get("callback"):
        return None
    marker = json.dumps(value, sort_keys=True, default=str)
    handled = st.session_state.setdefault(_HANDLED, {})
    if handled.get(key) == marker:
        return None
    handled[key] = marker
    return value


def _height(view: str, window: tuple[time, time]) -> int:
    if view in calendar_events.TIME_GRID_VIEWS:
        minutes = (window[1].hour * 60 + window[1].minute) - (window[0].hour * 60 + window[0].minute)
        rows = max(minutes // calendar_events.SLOT_MINUTES, 8)
        return max(480, min(1400, 64 + rows * 21))
    return 820 if view == "month" else 700


def clinic_calendar(
    events: Sequence[dict],
    resources: Sequence[dict],
    *,
    view: str,
    initial_date: date,
    tz: str,
    key: str,
    now: datetime | None = None,
    window: tuple[time, time] = calendar_events.DEFAULT_WINDOW,
    business_hours: list[dict] | None = None,
    weekends: bool = True,
    selectable: bool = False,
    editable: bool = False,
    extra_css: str = "",
    license_key: str | None = None,
) -> CalendarAction | None:
    """Draw the calendar; return what the user just did, or None (nothing new).

    ``selectable`` lets the user drag or click an empty range (a booking); ``editable`` lets
    them drag an appointment to another time or provider. Durations come from the visit type,
    so events cannot be stretched. ``now`` (default: the real clock) is handed to FullCalendar,
    whose own clock would read UTC in this mode (see clinic/calendar_events.py): it places
    today's highlight and the red now-line.
    """
    fc_view = calendar_events.VIEWS[view][1]
    now = now or now_utc()
    options: dict[str, Any] = {
        "initialView": fc_view,
        "initialDate": initial_date.isoformat(),
        "timeZone": tz,
        "now": calendar_events.wall_clock(now, tz),
        "headerToolbar": False,
        "height": _height(view, window),
        "expandRows": True,
        "firstDay": 1,
        "weekends": weekends,
        "allDaySlot": False,
        "slotMinTime": calendar_events.clock(window[0]),
        "slotMaxTime": calendar_events.clock(window[1]),
        "slotDuration": f"00:{calendar_events.SLOT_MINUTES:02d}:00",
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
    if view == "day":
        # Not ``dayMinWidth``: it needs FullCalendar's ScrollGrid plugin, which this bundle does
        # not register, and the calendar then draws nothing. Many providers: use the filter.
        options["resources"] = list(resources)
    if business_hours is not None:
        options["businessHours"] = business_hours or False
    callbacks = ["eventClick"]
    if selectable:
        callbacks.append("select")
    if editable:
        callbacks.append("eventChange")
    value = calendar(
        events=list(events),
        options=options,
        custom_css=CSS + extra_css,
        callbacks=callbacks,
        license_key=license_key or fullcalendar_key(),
        key=key,
    )
    fresh = new_value(key, value)
    return calendar_events.parse_action(fresh, tz) if fresh else None
