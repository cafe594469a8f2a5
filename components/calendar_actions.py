"""What a click or a drag on the calendar does: a selected range opens the booking dialog, a
clicked appointment its details, a clicked month-grid count that day by provider, and a dragged
appointment is moved (or refused, saying why, and snaps back)."""

from __future__ import annotations

from datetime import time

import streamlit as st

from clinic import calendar_events as ce
from clinic.errors import ClinicError
from components import calendar as cal
from components import forms
from components.appointment_details import open_details
from components.booking_dialog import open_booking
from components.calendar_state import CAL, REFUSED, CalendarContext
from db import appointments, patients

GOTO = "_cal_goto"  # (day, view) to open on the next run, before the day and view widgets exist


def handle(ctx: CalendarContext, action: ce.CalendarAction, window: tuple[time, time]) -> None:
    """Act on what the user just did on the calendar (reruns the page where the calendar must redraw)."""
    if action.kind in ("select", "dateClick") and ctx.may_book:
        open_booking(ctx, ce.booking_start(action, window, ctx.tz), provider_id=action.provider_id,
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
    appt = appointments.get(ctx.conn, action.appointment_id)
    patient = patients.get(ctx.conn, appt.patient_id)
    forms.flash(f"Moved {patient.display_name} to {ce.slot_label(appt.start_at, ctx.tz)} "
                f"with {ctx.everyone[appt.provider_id].name}.")
