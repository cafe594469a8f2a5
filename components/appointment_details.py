"""The calendar's appointment details dialog: who, when and what, the status moves the user may
make (No-show asks to confirm and waits for the grace period), undoing a mistaken no-show or
completion with a reason, cancelling (then offering the freed slot to the waitlist), moving to
another time, and the appointment's history.

:func:`open_details` opens it for one appointment; :func:`details_dialog` draws it. Which status
buttons show follows ``clinic.access.may_change_appointment``; ``db.appointments`` enforces the
same rules (and the no-show grace period, and the freed slot's conflict check) when a button is
pressed.
"""

from __future__ import annotations

import streamlit as st

from clinic import calendar_events as ce
from clinic import frontdesk, timeutil
from clinic.access import may_change_appointment
from clinic.errors import ClinicError, NotFound
from clinic.intake import display_phone
from clinic import scheduling
from clinic.scheduling import ON_THE_DAY, STATUS_COLOURS, STATUS_LABELS, allowed_moves
from components import forms
from components.booking_dialog import open_booking
from components.calendar_state import BOOKING, DETAILS, FREED, CalendarContext, close_dialogs, set_error
from components.downloads import appointment_ics_button
from components.text import md
from db import appointments, availability, patients, visit_types, waitlist

DETAILS_FORM = "cal_details"
CONFIRM_NO_SHOW = "_dt_confirm_no_show"  # the appointment whose No-show waits for a second click

MOVE_LABELS = {
    "confirmed": ("Confirm", ":material/thumb_up:"),
    "scheduled": ("Back to scheduled", ":material/undo:"),
    "checked_in": ("Check in", ":material/how_to_reg:"),
    "completed": ("Complete", ":material/task_alt:"),
    "no_show": ("No-show", ":material/person_off:"),
}

ss = st.session_state


def open_details(appointment_id: int) -> None:
    ss[DETAILS] = appointment_id
    ss[FREED] = None
    ss[BOOKING] = None
    ss["cx_reason"] = ""
    ss["undo_reason"] = ""
    ss[CONFIRM_NO_SHOW] = None
    ss["_mv_for"] = None  # the move fields start from this appointment's time
    forms.clear_errors(DETAILS_FORM)


# --- callbacks ----------------------------------------------------------------------------------


def _change_status(ctx: CalendarContext, appointment_id: int, to_status: str) -> None:
    forms.clear_errors(DETAILS_FORM)
    ss[CONFIRM_NO_SHOW] = None
    try:
        appt = appointments.change_status(ctx.conn, appointment_id, to_status, user=ctx.user)
    except scheduling.SlotTaken as exc:
        # A no-show freed the time and someone was booked into it since (or the patient was).
        forms.set_errors(DETAILS_FORM, {"status": f"{exc} Their no-show freed the time and it has been "
                                                  "booked since: book them at another time."})
        return
    except ClinicError as exc:
        set_error(DETAILS_FORM, exc, {"status"})
        return
    patient = patients.get(ctx.conn, appt.patient_id)
    forms.flash(f"{patient.display_name}: {STATUS_LABELS[to_status].lower()}.")
    close_dialogs()


def _ask_no_show(appointment_id: int) -> None:
    forms.clear_errors(DETAILS_FORM)
    ss[CONFIRM_NO_SHOW] = appointment_id


def _keep(appointment_id: int) -> None:
    ss[CONFIRM_NO_SHOW] = None


def _undo(ctx: CalendarContext, appointment_id: int, current: str) -> None:
    forms.clear_errors(DETAILS_FORM)
    to_status = scheduling.undo_move(current)
    if to_status is None:
        return
    try:
        appt = appointments.change_status(ctx.conn, appointment_id, to_status, user=ctx.user,
                                          reason=ss.get("undo_reason", ""))
    except scheduling.SlotTaken as exc:
        forms.set_errors(DETAILS_FORM, {"undo": f"{exc} Their no-show freed the time and it has been booked "
                                                "since: book them at another time."})
        return
    except ClinicError as exc:
        forms.set_errors(DETAILS_FORM, {"undo_reason" if exc.field == "reason" else "undo": str(exc)})
        return
    patient = patients.get(ctx.conn, appt.patient_id)
    forms.flash(f"{patient.display_name}: {scheduling.UNDO_LABELS[(current, to_status)].lower()} done, "
                f"back to {STATUS_LABELS[to_status].lower()}.")
    close_dialogs()


def _cancel(ctx: CalendarContext, appointment_id: int) -> None:
    forms.clear_errors(DETAILS_FORM)
    try:
        appt = appointments.cancel(ctx.conn, appointment_id, user=ctx.user, reason=ss.get("cx_reason", ""))
    except ClinicError as exc:
        set_error(DETAILS_FORM, exc, {"reason"})
        return
    ss[FREED] = {"provider_id": appt.provider_id, "start": appt.start_at,
                 "minutes": waitlist.freed_minutes(appt.start_at, appt.busy_until)}


def _move(ctx: CalendarContext, appointment_id: int) -> None:
    forms.clear_errors(DETAILS_FORM)
    if ss.get("mv_date") is None or ss.get("mv_time") is None:
        forms.set_errors(DETAILS_FORM, {"start": "Choose the day and time."})
        return
    start = ce.local_start(ss["mv_date"], ss["mv_time"], ctx.tz)
    try:
        appointments.reschedule(ctx.conn, appointment_id, start=start, provider_id=ss.get("mv_provider"),
                                user=ctx.user)
    except ClinicError as exc:
        set_error(DETAILS_FORM, exc, {"start", "provider"})
        return
    forms.flash(f"Moved to {ce.slot_label(start, ctx.tz)} with {md(ctx.roster[ss['mv_provider']].name)}.")
    close_dialogs()


def _book_waiting(ctx: CalendarContext, entry_id: int, patient_id: int, type_id: int) -> None:
    """Open the booking dialog on the freed slot for a waiting patient; booking closes their entry."""
    freed = ss.get(FREED) or {}
    open_booking(freed["start"], provider_id=freed["provider_id"], type_id=type_id, patient_id=patient_id,
                 waitlist_id=entry_id)


# --- the dialog -----------------------------------------------------------------------------------


@st.dialog("Appointment", width="large", on_dismiss=close_dialogs)
def details_dialog(ctx: CalendarContext) -> None:
    appointment_id = ss.get(DETAILS)
    if appointment_id is None:
        st.rerun()
    try:
        appt = appointments.get(ctx.conn, appointment_id)
    except NotFound as exc:
        st.error(str(exc))
        return
    _summary(ctx, appt)
    if ss.get(FREED):
        _freed_slot_section(ctx)
        return
    _status_buttons(ctx, appt)
    _undo_section(ctx, appt)
    if ctx.may_book and "cancelled" in allowed_moves(appt.status):
        with st.expander("Cancel this appointment", icon=":material/event_busy:"):
            st.text_input("Why is it cancelled?", key="cx_reason", max_chars=300, placeholder="e.g. Patient request")
            forms.field_error(DETAILS_FORM, "reason")
            st.button("Cancel appointment", key="dt_cancel", on_click=_cancel, args=(ctx, appt.id))
    if ctx.may_book and ce.can_be_moved(appt.status, appt.start_at, ctx.now):
        _move_section(ctx, appt)
    forms.form_error(DETAILS_FORM)
    _history(ctx, appt.id)


def _summary(ctx: CalendarContext, appt: appointments.Appointment) -> None:
    patient = patients.get(ctx.conn, appt.patient_id)
    visit = visit_types.get(ctx.conn, appt.type_id)
    provider = ctx.everyone.get(appt.provider_id)
    start, end = timeutil.to_local(appt.start_at, ctx.tz), timeutil.to_local(appt.end_at, ctx.tz)
    with st.container(horizontal=True, vertical_alignment="center", gap="medium"):
        st.subheader(md(patient.display_name), anchor=False, width="content")
        st.badge(STATUS_LABELS[appt.status], color=STATUS_COLOURS.get(appt.status, "gray"))
    st.caption(f"DOB {patient.date_of_birth:%m/%d/%Y} · MRN {md(patient.mrn)} · "
               f"{md(display_phone(patient.phone_mobile, ctx.country) or 'no phone')}")
    when, who, what = st.columns(3)
    when.markdown(f"**When**  \n{start:%a %d %b %Y}  \n{start:%H:%M}–{end:%H:%M}")
    who.markdown(f"**With**  \n{md(provider.name if provider else '—')}")
    what.markdown(f"**Visit**  \n{md(visit.name)} ({visit.duration_min} min)")
    if appt.reason:
        st.markdown(f"**Reason:** {md(appt.reason)}")
    if appt.notes:
        st.markdown(f"**Notes:** {md(appt.notes)}")
    if appt.status == "cancelled":
        late = " (late cancellation)" if appt.late_cancel else ""
        st.markdown(f"**Cancelled{late}:** {md(appt.cancel_reason or '—')}")
    if appt.arrived_at is not None:
        st.markdown(f"**Arrived:** {timeutil.to_local(appt.arrived_at, ctx.tz):%H:%M}")
    if appt.status in ("scheduled", "confirmed"):
        # For the patient's own calendar: time, place, provider and visit type; no clinical reason.
        appointment_ics_button(ctx.conn, appt.id, key=f"ics_{appt.id}")


def _status_buttons(ctx: CalendarContext, appt: appointments.Appointment) -> None:
    """The status moves (all but cancelling), when the user may change this appointment.
    Attendance waits for the day of the visit; No-show waits for the start plus the grace period
    and asks to confirm."""
    moves = [m for m in allowed_moves(appt.status) if m != "cancelled"]
    if not moves or not may_change_appointment(ctx.user.role, ctx.is_own(appt.provider_id)):
        return
    on_the_day = frontdesk.attendance_open(timeutil.to_local(appt.start_at, ctx.tz).date(), ctx.today)
    no_show_from = None
    if "no_show" in moves:
        no_show_from = scheduling.no_show_possible_from(appt.start_at, availability.rules(ctx.conn))
    asking = ss.get(CONFIRM_NO_SHOW) == appt.id
    with st.container(horizontal=True):
        for move in moves:
            label, icon = MOVE_LABELS[move]
            waits = move in ON_THE_DAY and not on_the_day
            help_text = "Possible on the day of the visit." if waits else None
            on_click, args = _change_status, (ctx, appt.id, move)
            if move == "no_show":
                if not waits and ctx.now < no_show_from:
                    waits = True
                    help_text = (f"Possible from {timeutil.to_local(no_show_from, ctx.tz):%H:%M}: "
                                 "the patient may still come.")
                on_click, args = _ask_no_show, (appt.id,)
            st.button(label, key=f"dt_{move}", icon=icon, on_click=on_click, args=args,
                      type="primary" if move == "checked_in" and not waits else "secondary",
                      disabled=waits or (move == "no_show" and asking), help=help_text)
    if no_show_from is not None and on_the_day and ctx.now < no_show_from:
        st.caption(f"No-show possible from {timeutil.to_local(no_show_from, ctx.tz):%H:%M} "
                   "(the patient may still come).")
    if asking and no_show_from is not None and ctx.now >= no_show_from:
        with st.container(border=True):
            st.warning("Mark this patient as a no-show? Their time is freed for other bookings.",
                       icon=":material/person_off:")
            with st.container(horizontal=True):
                st.button("Yes, mark no-show", key="dt_no_show_confirm", type="primary", on_click=_change_status,
                          args=(ctx, appt.id, "no_show"))
                st.button("Keep it", key="dt_no_show_keep", on_click=_keep, args=(appt.id,))
    forms.field_error(DETAILS_FORM, "status")


def _undo_section(ctx: CalendarContext, appt: appointments.Appointment) -> None:
    """Undoing a mistaken no-show or completion, with a reason kept in the history."""
    to_status = scheduling.undo_move(appt.status)
    if to_status is None or not may_change_appointment(ctx.user.role, ctx.is_own(appt.provider_id)):
        return
    label = scheduling.UNDO_LABELS[(appt.status, to_status)]
    with st.expander(f"{label} (a mistake)", icon=":material/undo:"):
        st.caption(f"Back to {STATUS_LABELS[to_status].lower()}. The reason is kept in the history; "
                   "no arrival time is made up.")
        st.text_input("Why undo it?", key="undo_reason", max_chars=300, placeholder="e.g. Marked the wrong patient")
        forms.field_error(DETAILS_FORM, "undo_reason")
        st.button(label, key="dt_undo", icon=":material/undo:", on_click=_undo, args=(ctx, appt.id, appt.status))
        forms.field_error(DETAILS_FORM, "undo")


def _move_section(ctx: CalendarContext, appt: appointments.Appointment) -> None:
    roster = ctx.roster
    with st.expander("Move to another time", icon=":material/schedule:"):
        if ss.get("_mv_for") != appt.id:
            start = timeutil.to_local(appt.start_at, ctx.tz)
            ss.update({"_mv_for": appt.id, "mv_date": start.date(), "mv_time": start.time(),
                       "mv_provider": appt.provider_id if appt.provider_id in roster else next(iter(roster), None)})
        left, middle, right = st.columns(3)
        left.date_input("Day", key="mv_date", format="MM/DD/YYYY")
        middle.time_input("Time", key="mv_time", step=300)
        right.selectbox("Provider", list(roster), key="mv_provider", format_func=lambda i: roster[i].name)
        forms.field_error(DETAILS_FORM, "start")
        forms.field_error(DETAILS_FORM, "provider")
        st.button("Move", key="dt_move", on_click=_move, args=(ctx, appt.id))


def _history(ctx: CalendarContext, appointment_id: int) -> None:
    history = appointments.events_for(ctx.conn, appointment_id)
    if history.empty:
        return
    st.markdown("**History**")
    shown = history.assign(
        occurred_at=history["occurred_at"].dt.tz_convert(ctx.tz),
        # The first event has no "from": a status not in the table reads as a dash.
        from_status=[STATUS_LABELS.get(s, "—") for s in history["from_status"]],
        to_status=[STATUS_LABELS.get(s, "—") for s in history["to_status"]],
    )
    st.dataframe(shown, hide_index=True, width="stretch", column_config={
        "occurred_at": st.column_config.DatetimeColumn("When", format="MM/DD/YYYY HH:mm"),
        "from_status": "From", "to_status": "To", "by": "By", "reason": "Reason"})


def _freed_slot_section(ctx: CalendarContext) -> None:
    freed = ss[FREED]
    st.success(f"Cancelled. {ce.slot_label(freed['start'], ctx.tz)} is free again "
               f"({freed['minutes']} min).", icon=":material/event_available:")
    matches = waitlist.matches_for_slot(ctx.conn, provider_id=freed["provider_id"], start=freed["start"],
                                        minutes=freed["minutes"])
    if not matches:
        st.caption("Nobody on the waitlist fits this slot.")
    else:
        st.markdown("**On the waitlist and fitting this slot** (oldest first): call them.")
        for entry in matches:
            with st.container(border=True, horizontal=True, vertical_alignment="center"):
                phone = display_phone(entry.phone, ctx.country) or "no phone"
                st.markdown(f"**{md(entry.patient)}** · {md(phone)}"
                            f"  \n{md(entry.visit_type)}" + (f" · {md(entry.note)}" if entry.note else ""))
                if ctx.may_book:
                    st.button("Book here", key=f"wl_book_{entry.id}", on_click=_book_waiting,
                              args=(ctx, entry.id, entry.patient_id, entry.type_id), icon=":material/event_available:")
    st.button("Done", key="dt_done", on_click=close_dialogs, type="primary")
