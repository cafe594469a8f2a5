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
  The options, events and CSS it is given are built in components/fullcalendar.py.
* ``eventsSet`` makes the page rerun three times on load: it is never subscribed.
* It renders blank inside a non-first ``st.tabs`` tab: never put it in tabs.
* ``height`` must be passed in the options (the iframe is sized once, when it mounts).
* It reports no scrolling and no ``datesSet``: every callback carries only the view's type and
  dates. So where the user was is known only from what they did (a click, a drag, a booking):
  the page passes ``scroll`` (FullCalendar's ``scrollTime``), which FullCalendar reads when it
  mounts; a remount (a new key) is a new iframe and would otherwise open at the top.

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
from components import fullcalendar
from components.db_session import secret

GPL_KEY = "GPL-My-Project-Is-Open-Source"
_HANDLED = "_calendar_handled"


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
    scroll: time | None = None,
) -> CalendarAction | None:
    """Draw the calendar; return what the user just did, or None (nothing new).

    ``selectable`` lets the user drag or click an empty range (a booking); ``editable`` lets
    them drag an appointment to another time or provider. Durations come from the visit type,
    so events cannot be stretched. ``scroll`` is the time a time grid opens at. ``now``
    (default: the clinic clock) is handed to FullCalendar, whose own clock would read UTC in this
    mode (see clinic/calendar_events.py): it places today's highlight and the red now-line.
    """
    value = calendar(
        events=list(events),
        options=fullcalendar.options(
            view=view, initial_date=initial_date, tz=tz, now=now or now_utc(), window=window, resources=resources,
            business_hours=business_hours, weekends=weekends, selectable=selectable, editable=editable,
            scroll=scroll,
        ),
        custom_css=fullcalendar.CSS + extra_css,
        callbacks=fullcalendar.callbacks(selectable=selectable, editable=editable),
        license_key=license_key or fullcalendar_key(),
        key=key,
    )
    fresh = new_value(key, value)
    return calendar_events.parse_action(fresh, tz) if fresh else None
