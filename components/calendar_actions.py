"""What a click or a drag on the calendar does: a selected range opens the booking dialog, a
clicked appointment its details, a clicked month-grid count that day by provider, and a dragged
appointment is moved (or refused, saying why, and snaps back). Each one marks the user's place,
where the grid reopens. Also the "New appointment" button: the booking at the next free time."""

from __future__ import annotations

from datetime import date, datetime, time

import streamlit as st

from clinic import calendar_events as ce
from clinic import timeutil
from clinic.errors import ClinicError
from components import calendar as cal
from components import forms
from components.text import md
from components.appointment_details import open_details
from components.booking_dialog import open_booking
from components.calendar_state import CAL, REFUSED, CalendarContext, mark_place
from db import appointments, patients, slots

GOTO = "_cal_goto"  # (day, view) to open on the next run, before the day and view widgets exist


def handle(ctx: CalendarContext, action: ce.CalendarAction, window: tuple[time, time]) -> None:
    """Act on what the user just did on the calendar (reruns the page where the calendar must redraw)."""
    if action.kind in ("select", "dateClick", "eventClick") and not action.all_day:
        mark_place(action.start, ctx.tz)
    if action.kind in ("select", "dateClick") and ctx.may_book:
        open_booking(ce.booking_start(action, window, ctx.tz), provider_id=action.provider_id,
                     type_id=ce.type_for_range(action, ctx.types.values()))
    elif action.kind == "eventClick" and action.day is not None:
        st.session_state[GOTO] = (action.day, "day")
        st.rerun()
    elif action.kind == "eventClick" and action.appointment_id is not None:
        open_details(action.appointment_id)
    elif action.kind == "eventChange":
        move_by_drag(ctx, action)
        st.rerun()


def move_by_drag(ctx: CalendarContext, action: ce.CalendarAction) -> None:
    """Reschedule a dragged appointment, or refuse and say why. Either way the calendar is
    remounted from the database, so a refused move shows the appointment back where it was.
    ``db.appointments.reschedule`` checks the user's role (the calendar is draggable only for bookers)."""
    cal.reset(CAL)
    if action.appointment_id is None or action.start is None:
        return
    mark_place(action.old_start, ctx.tz)  # where it goes back to if refused
    if action.only_end_changed:
        st.session_state[REFUSED] = (
            "A visit's length comes from its visit type, so it cannot be stretched or shortened. "
            "Drag the appointment to move it, or change the visit type.")
        return
    target = action.provider_id if action.provider_changed else None
    try:
        appointments.reschedule(ctx.conn, action.appointment_id, start=action.start, provider_id=target, user=ctx.user)
    except ClinicError as exc:
        st.session_state[REFUSED] = f"Not moved: {exc}"
        return
    mark_place(action.start, ctx.tz)
    appt = appointments.get(ctx.conn, action.appointment_id)
    patient = patients.get(ctx.conn, appt.patient_id)
    forms.flash(f"Moved {md(patient.display_name)} to {ce.slot_label(appt.start_at, ctx.tz)} "
                f"with {md(ctx.everyone[appt.provider_id].name)}.")


def new_appointment(ctx: CalendarContext) -> None:
    """The "New appointment" button: open the booking at the first free time, from now or from the
    day shown if later, of the provider in view (the one filtered to, else the clinician's own,
    else the last one booked with, else anyone) for the last visit type booked (the shortest type
    for the search when none was). Nothing free within the horizon: now, rounded up to the slot."""
    ss = st.session_state
    day = ss.get("cal_day") if isinstance(ss.get("cal_day"), date) else ctx.today
    filtered = [p for p in ss.get("cal_providers", []) if p in ctx.roster]
    provider_id = (filtered[0] if len(filtered) == 1 else ctx.own.id if ctx.own and ctx.own.id in ctx.roster
                   else ss.get("_bk_last_provider") if ss.get("_bk_last_provider") in ctx.roster else None)
    type_id = ss.get("_bk_last_type") if ss.get("_bk_last_type") in ctx.types else None
    shortest = min(ctx.types.values(), key=lambda t: (t.duration_min, t.name), default=None)
    searched = type_id if type_id is not None else shortest.id if shortest else None
    now = timeutil.now_utc()  # the button was drawn a while ago
    start = _first_free(ctx, searched, provider_id, ce.search_from(day, ctx.tz, now))
    if start is None:
        open_booking(ce.round_up(now), provider_id=provider_id, type_id=type_id)
    else:
        open_booking(start[1], provider_id=start[0], type_id=type_id)


def _first_free(ctx: CalendarContext, type_id: int | None, provider_id: int | None,
                after: datetime) -> tuple[int, datetime] | None:
    if type_id is None:
        return None
    try:
        found = slots.find_next_available(ctx.conn, type_id, provider_id=provider_id, after=after, limit=1)
    except ClinicError:
        return None
    return (found[0].provider_id, found[0].start) if found else None
