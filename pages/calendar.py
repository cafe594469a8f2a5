"""Calendar: the clinic's appointments by provider, week, month or list. Drag across empty time
to book, click an appointment for its details and status actions, drag it to move it."""

from __future__ import annotations

from datetime import date, datetime

import streamlit as st

from clinic import calendar_events as ce
from clinic import frontdesk, timeutil
from clinic.access import can_do
from clinic.errors import ClinicError, NotFound, ValidationError
from clinic.intake import display_phone
from clinic.scheduling import RESCHEDULABLE, STATUS_LABELS, allowed_moves
from components import calendar as cal
from components import forms
from components.db_session import get_conn
from components.downloads import appointment_ics_button
from components.frame import require
from components.text import md
from db import appointments, availability, patients, providers, settings, visit_types, waitlist

user = require("calendar")
conn = get_conn()
config = settings.get_all(conn)
tz = config["timezone"]
today = timeutil.today(tz)
now = timeutil.now_utc()

may_book = can_do(user.role, "appointments.book")
may_set_status = can_do(user.role, "appointments.status")
own = providers.for_user(conn, user.id) if user.role == "clinician" else None

roster = {p.id: p for p in providers.list_providers(conn)}
everyone = {p.id: p for p in providers.list_providers(conn, active_only=False)}
types = {t.id: t for t in visit_types.list_active(conn)}
hours = availability.hours_by_provider(conn)

CAL = "cal"  # base of the calendar component's key
BOOKING = "cal_booking"  # the open booking dialog: {"waitlist_id": ...} or None
DETAILS = "cal_details"  # the appointment whose details dialog is open, or None
FREED = "cal_freed"  # the slot a cancellation just freed, for the waitlist matches
REFUSED = "_cal_refused"  # why the last drag was refused, shown once above the calendar
BOOK_FORM, QUICK_FORM, DETAILS_FORM = "cal_book", "cal_quick_add", "cal_details"
BOOK_FIELDS = {"patient", "type", "provider", "start", "reason", "notes", "every_weeks", "times"}

MOVE_LABELS = {
    "confirmed": ("Confirm", ":material/thumb_up:"),
    "scheduled": ("Back to scheduled", ":material/undo:"),
    "checked_in": ("Check in", ":material/how_to_reg:"),
    "completed": ("Complete", ":material/task_alt:"),
    "no_show": ("No-show", ":material/person_off:"),
}
ON_THE_DAY = {"checked_in", "completed", "no_show"}
STATUS_COLOURS = {"scheduled": "gray", "confirmed": "blue", "checked_in": "orange", "completed": "green",
                  "no_show": "red", "cancelled": "gray"}

ss = st.session_state
if ss.get("_cal_goto"):  # a month-grid entry was clicked: open that day (before the widgets exist)
    ss["cal_day"], ss["cal_view"] = ss.pop("_cal_goto")
ss.setdefault("cal_day", today)
ss.setdefault("cal_view", ce.DEFAULT_VIEW)
ss.setdefault("cal_providers", [own.id] if own and own.id in roster else [])
# A provider deactivated or a visit type retired since the filter was set is dropped from it.
ss["cal_providers"] = [i for i in ss["cal_providers"] if i in roster]
ss["cal_types"] = [i for i in ss.get("cal_types", []) if i in types]


# --- opening and closing the dialogs ------------------------------------------------------------


def open_booking(start: datetime, *, provider_id: int | None = None, type_id: int | None = None,
                 patient_id: int | None = None, waitlist_id: int | None = None) -> None:
    """Prefill the booking dialog (clinic-local date and time of ``start``) and open it."""
    local = timeutil.to_local(start, tz)
    chosen = [p for p in ss.get("cal_providers", []) if p in roster]
    if provider_id not in roster:
        provider_id = chosen[0] if len(chosen) == 1 else ss.get("_bk_last_provider")
    if provider_id not in roster:
        provider_id = own.id if own and own.id in roster else next(iter(roster), None)
    if type_id not in types:
        type_id = ss.get("_bk_last_type") if ss.get("_bk_last_type") in types else None
    ss.update({
        "bk_date": local.date(), "bk_time": local.time().replace(second=0, microsecond=0),
        "bk_provider": provider_id, "bk_type": type_id, "bk_patient": patient_id,
        "bk_mode": "find", "bk_query": "", "bk_reason": "", "bk_notes": "", "bk_any": False,
        "bk_repeat": False, "bk_every": 1, "bk_times": 4, "bk_first": "", "bk_last": "", "bk_phone": "",
        "bk_slots": None, "bk_plan": None, "_bk_added": None,
    })
    ss.pop("bk_dob", None)
    forms.clear_errors(BOOK_FORM)
    forms.clear_errors(QUICK_FORM)
    ss[BOOKING] = {"waitlist_id": waitlist_id}
    ss[DETAILS] = None


def open_details(appointment_id: int) -> None:
    ss[DETAILS] = appointment_id
    ss[FREED] = None
    ss[BOOKING] = None
    ss["cx_reason"] = ""
    ss["_mv_for"] = None  # the move fields start from this appointment's time
    forms.clear_errors(DETAILS_FORM)


def close_dialogs() -> None:
    """Close whichever dialog is open; the calendar remounts with the database's state."""
    ss[BOOKING] = None
    ss[DETAILS] = None
    ss[FREED] = None
    cal.reset(CAL)


def set_error(form: str, exc: ClinicError, fields: set[str]) -> None:
    if isinstance(exc, ValidationError):
        forms.set_errors(form, {f if f in fields else "": m for f, m in exc.errors.items()})
    else:
        forms.set_errors(form, {exc.field if exc.field in fields else "": str(exc)})


# --- booking dialog: callbacks (they run before the rerun that shows their result) -------------


def booking_start() -> datetime | None:
    if ss.get("bk_date") is None or ss.get("bk_time") is None:
        return None
    return ce.local_start(ss["bk_date"], ss["bk_time"], tz)


def booking_values() -> dict:
    """What the dialog holds, or ValidationError naming each missing field."""
    errors = {}
    if ss.get("bk_patient") is None:
        errors["patient"] = "Find the patient, or add them as a new patient."
    if ss.get("bk_type") not in types:
        errors["type"] = "Choose a visit type."
    if ss.get("bk_provider") not in roster:
        errors["provider"] = "Choose a provider."
    start = booking_start()
    if start is None:
        errors["start"] = "Choose the day and time."
    if errors:
        raise ValidationError(errors)
    return {"patient_id": ss["bk_patient"], "provider_id": ss["bk_provider"], "type_id": ss["bk_type"],
            "start": start}


def pick_patient(patient_id: int | None) -> None:
    ss["bk_patient"] = patient_id
    ss["bk_plan"] = None
    forms.clear_errors(BOOK_FORM)


def quick_add() -> None:
    try:
        patient_id = patients.quick_add(conn, first_name=ss.get("bk_first", ""), last_name=ss.get("bk_last", ""),
                                        date_of_birth=ss.get("bk_dob"), phone=ss.get("bk_phone", ""), by=user)
    except ValidationError as exc:
        forms.set_errors(QUICK_FORM, exc.errors)
        return
    except ClinicError as exc:
        forms.set_errors(QUICK_FORM, {exc.field or "": str(exc)})
        return
    forms.clear_errors(QUICK_FORM)
    added = patients.get(conn, patient_id)
    pick_patient(patient_id)
    ss["bk_mode"] = "find"
    ss["_bk_added"] = f"Added {added.display_name} (MRN {added.mrn})."


def find_slots() -> None:
    forms.clear_errors(BOOK_FORM)
    if ss.get("bk_type") not in types:
        forms.set_errors(BOOK_FORM, {"type": "Choose a visit type first."})
        return
    after = ce.search_from(ss.get("bk_date") or today, tz, now)
    try:
        found = appointments.find_next_available(
            conn, ss["bk_type"], provider_id=None if ss.get("bk_any") else ss.get("bk_provider"),
            patient_id=ss.get("bk_patient"), after=after, limit=8)
    except ClinicError as exc:
        set_error(BOOK_FORM, exc, BOOK_FIELDS)
        return
    ss["bk_slots"] = [(s.provider_id, s.provider, s.start) for s in found]


def use_slot(provider_id: int, start: datetime) -> None:
    local = timeutil.to_local(start, tz)
    ss.update({"bk_provider": provider_id, "bk_date": local.date(), "bk_time": local.time(), "bk_plan": None})
    forms.clear_errors(BOOK_FORM)


def booked(patient_id: int, message: str, appointment_id: int | None) -> None:
    entry = (ss.get(BOOKING) or {}).get("waitlist_id")
    if entry and appointment_id:
        try:
            waitlist.mark_booked(conn, entry, appointment_id, by=user)
        except ClinicError:
            pass  # someone else dealt with the entry meanwhile; the booking stands
    ss["_bk_last_type"], ss["_bk_last_provider"] = ss.get("bk_type"), ss.get("bk_provider")
    forms.clear_errors(BOOK_FORM)
    forms.flash(message)
    close_dialogs()


def book_one() -> None:
    forms.clear_errors(BOOK_FORM)
    try:
        values = booking_values()
        appointment_id = appointments.book(conn, **values, user=user, reason=ss.get("bk_reason", ""),
                                           notes=ss.get("bk_notes", ""))
    except ClinicError as exc:
        set_error(BOOK_FORM, exc, BOOK_FIELDS)
        return
    patient = patients.get(conn, values["patient_id"])
    booked(values["patient_id"], f"Booked {patient.display_name} with {roster[values['provider_id']].name}, "
                                 f"{ce.slot_label(values['start'], tz)}.", appointment_id)


def series_params() -> tuple:
    return (ss.get("bk_patient"), ss.get("bk_provider"), ss.get("bk_type"), booking_start(),
            int(ss.get("bk_every") or 1), int(ss.get("bk_times") or 1))


def plan_series() -> None:
    forms.clear_errors(BOOK_FORM)
    try:
        values = booking_values()
        plan = appointments.plan_series(conn, first=values["start"], every_weeks=int(ss["bk_every"]),
                                        times=int(ss["bk_times"]), patient_id=values["patient_id"],
                                        provider_id=values["provider_id"], type_id=values["type_id"])
    except ClinicError as exc:
        set_error(BOOK_FORM, exc, BOOK_FIELDS)
        ss["bk_plan"] = None
        return
    ss["bk_plan"] = {"params": series_params(), "plan": plan}


def book_planned_series() -> None:
    forms.clear_errors(BOOK_FORM)
    planned = ss.get("bk_plan")
    if not planned or planned["params"] != series_params():
        forms.set_errors(BOOK_FORM, {"": "The details changed: check the dates again."})
        ss["bk_plan"] = None
        return
    values = booking_values()
    starts = [o.start for o in planned["plan"] if o.problem is None]
    results = appointments.book_series(conn, starts=starts, user=user, reason=ss.get("bk_reason", ""),
                                       notes=ss.get("bk_notes", ""), patient_id=values["patient_id"],
                                       provider_id=values["provider_id"], type_id=values["type_id"])
    done = [r for r in results if r.problem is None]
    if not done:
        ss["bk_plan"] = {"params": series_params(), "plan": results}
        forms.set_errors(BOOK_FORM, {"": "None of the dates could be booked after all (see why below)."})
        return
    patient = patients.get(conn, values["patient_id"])
    message = (f"Booked {len(done)} appointments for {patient.display_name} with "
               f"{roster[values['provider_id']].name}, from {ce.slot_label(done[0].start, tz)}.")
    if len(done) < len(planned["plan"]):
        message += " The other dates could not be booked."
    booked(values["patient_id"], message, None)


# --- booking dialog -----------------------------------------------------------------------------


def dismissed() -> None:
    close_dialogs()


@st.dialog("Book an appointment", width="large", on_dismiss=dismissed)
def booking_dialog() -> None:
    if not ss.get(BOOKING):
        st.rerun()  # booked or closed by a callback: redraw the whole page
    patient_section()
    st.divider()
    left, right = st.columns(2)
    with left:
        st.selectbox("Visit type", list(types), key="bk_type", placeholder="Choose a visit type",
                     format_func=lambda i: f"{types[i].name} ({types[i].duration_min} min)")
        forms.field_error(BOOK_FORM, "type")
    with right:
        st.selectbox("Provider", list(roster), key="bk_provider", format_func=lambda i: roster[i].name)
        forms.field_error(BOOK_FORM, "provider")
    left, right = st.columns(2)
    with left:
        st.date_input("Day", key="bk_date", format="MM/DD/YYYY")
    with right:
        st.time_input("Time", key="bk_time", step=300, help=f"Clinic time ({tz}).")
    forms.field_error(BOOK_FORM, "start")
    next_free_section()
    left, right = st.columns(2)
    left.text_input("Reason for the visit", key="bk_reason", max_chars=200, placeholder="e.g. Knee pain")
    right.text_input("Notes for the desk", key="bk_notes", max_chars=500, placeholder="e.g. Needs an interpreter")
    repeat = st.toggle("Repeat weekly", key="bk_repeat", help="Book the same time every N weeks.")
    if repeat:
        series_section()
    else:
        left, right = st.columns([1, 1])
        with left:
            st.button("Book", key="bk_book", type="primary", icon=":material/event_available:", on_click=book_one,
                      width="stretch")
        with right:
            st.button("Close", key="bk_close", on_click=close_dialogs, width="stretch")
    forms.form_error(BOOK_FORM)


def patient_section() -> None:
    chosen = patients.get(conn, ss["bk_patient"]) if ss.get("bk_patient") else None
    if ss.get("_bk_added"):
        st.success(ss["_bk_added"], icon=":material/person_add:")
    if chosen is not None:
        with st.container(border=True, horizontal=True, vertical_alignment="center"):
            st.markdown(f"**{md(chosen.display_name)}**  \nDOB {chosen.date_of_birth:%m/%d/%Y} · MRN {md(chosen.mrn)}"
                        f" · {md(display_phone(chosen.phone_mobile, config['country']) or 'no phone')}")
            st.button("Change", key="bk_change_patient", on_click=pick_patient, args=(None,), type="tertiary",
                      icon=":material/swap_horiz:")
        forms.field_error(BOOK_FORM, "patient")
        return
    mode = st.segmented_control("Patient", ["find", "new"], key="bk_mode", required=True,
                                format_func={"find": "Find a patient", "new": "New patient"}.get)
    if mode == "new":
        left, right = st.columns(2)
        with left:
            st.text_input("First name", key="bk_first", max_chars=100)
            forms.field_error(QUICK_FORM, "first_name")
            st.date_input("Date of birth", value=None, key="bk_dob", format="MM/DD/YYYY",
                          min_value=date(1900, 1, 1), max_value=today)
            forms.field_error(QUICK_FORM, "date_of_birth")
        with right:
            st.text_input("Last name", key="bk_last", max_chars=100)
            forms.field_error(QUICK_FORM, "last_name")
            st.text_input("Mobile phone", key="bk_phone", max_chars=40, placeholder="(212) 555-0142")
            forms.field_error(QUICK_FORM, "phone")
        st.button("Add patient", key="bk_quick_add", icon=":material/person_add:", on_click=quick_add)
        forms.form_error(QUICK_FORM)
    else:
        query = st.text_input("Search", key="bk_query", placeholder="Name, date of birth (MM/DD/YYYY), phone or MRN")
        if query.strip():
            found = patients.search(conn, query, limit=8)
            if not found:
                st.caption("No active patient matches. Check the spelling, or add them as a new patient.")
            for p in found:
                st.button(f"{p.display_name} · DOB {p.date_of_birth:%m/%d/%Y} · MRN {p.mrn}"
                          f" · {display_phone(p.phone_mobile, config['country']) or 'no phone'}",
                          key=f"bk_pick_{p.id}", on_click=pick_patient, args=(p.id,), type="tertiary",
                          icon=":material/person:")
    forms.field_error(BOOK_FORM, "patient")


def next_free_section() -> None:
    with st.container(border=True):
        left, right = st.columns([1, 1], vertical_alignment="center")
        with left:
            st.button("Find next free times", key="bk_find", icon=":material/search:", on_click=find_slots,
                      help="For this visit type, from the chosen day on (never in the past).")
        with right:
            st.checkbox("Any provider", key="bk_any")
        slots = ss.get("bk_slots")
        if slots is not None and not slots:
            st.caption("No free time found within the booking horizon.")
        if slots:
            columns = st.columns(4)
            for i, (provider_id, provider, start) in enumerate(slots):
                with columns[i % 4]:
                    st.button(f"{ce.slot_label(start, tz)}  \n{provider}", key=f"bk_slot_{i}", width="stretch",
                              on_click=use_slot, args=(provider_id, start))


def series_section() -> None:
    left, right = st.columns(2)
    with left:
        st.number_input("Every … weeks", key="bk_every", min_value=1, max_value=52, step=1)
        forms.field_error(BOOK_FORM, "every_weeks")
    with right:
        st.number_input("How many visits", key="bk_times", min_value=1, max_value=52, step=1)
        forms.field_error(BOOK_FORM, "times")
    planned = ss.get("bk_plan")
    if planned and planned["params"] == series_params():
        ok = [o for o in planned["plan"] if o.problem is None]
        refused = [o for o in planned["plan"] if o.problem is not None]
        st.dataframe(
            [{"Date": ce.slot_label(o.start, tz), "Can be booked": "Yes" if o.problem is None else "No",
              "Why not": o.problem or ""} for o in planned["plan"]],
            hide_index=True, width="stretch",
        )
        if refused:
            st.warning(f"{len(refused)} of {len(planned['plan'])} dates cannot be booked "
                       "(see why above). The others can.", icon=":material/event_busy:")
        left, right = st.columns(2)
        with left:
            st.button(f"Book {len(ok)} appointments", key="bk_book_series", type="primary", disabled=not ok,
                      icon=":material/event_repeat:", on_click=book_planned_series, width="stretch")
        with right:
            st.button("Close", key="bk_close", on_click=close_dialogs, width="stretch")
    else:
        left, right = st.columns(2)
        with left:
            st.button("Check the dates", key="bk_plan_series", type="primary", icon=":material/fact_check:",
                      on_click=plan_series, width="stretch")
        with right:
            st.button("Close", key="bk_close", on_click=close_dialogs, width="stretch")


# --- details dialog -----------------------------------------------------------------------------


def may_change(appt: appointments.Appointment) -> bool:
    """Clinicians act on their own patients only; the front office on everyone's."""
    if not may_set_status:
        return False
    return user.role != "clinician" or (own is not None and appt.provider_id == own.id)


def change_status(appointment_id: int, to_status: str) -> None:
    forms.clear_errors(DETAILS_FORM)
    try:
        appt = appointments.get(conn, appointment_id)
        if not may_change(appt):
            raise ClinicError("Your role cannot change this appointment.", field="status")
        appointments.change_status(conn, appointment_id, to_status, user=user)
    except ClinicError as exc:
        set_error(DETAILS_FORM, exc, {"status"})
        return
    patient = patients.get(conn, appt.patient_id)
    forms.flash(f"{patient.display_name}: {STATUS_LABELS[to_status].lower()}.")
    close_dialogs()


def cancel_appointment(appointment_id: int) -> None:
    forms.clear_errors(DETAILS_FORM)
    try:
        if not may_book:
            raise ClinicError("Your role cannot cancel appointments.", field="reason")
        appt = appointments.cancel(conn, appointment_id, user=user, reason=ss.get("cx_reason", ""))
    except ClinicError as exc:
        set_error(DETAILS_FORM, exc, {"reason"})
        return
    ss[FREED] = {"provider_id": appt.provider_id, "start": appt.start_at,
                 "minutes": waitlist.freed_minutes(appt.start_at, appt.busy_until)}


def move_appointment(appointment_id: int) -> None:
    forms.clear_errors(DETAILS_FORM)
    if ss.get("mv_date") is None or ss.get("mv_time") is None:
        forms.set_errors(DETAILS_FORM, {"start": "Choose the day and time."})
        return
    start = ce.local_start(ss["mv_date"], ss["mv_time"], tz)
    try:
        appointments.reschedule(conn, appointment_id, start=start, provider_id=ss.get("mv_provider"), user=user)
    except ClinicError as exc:
        set_error(DETAILS_FORM, exc, {"start", "provider"})
        return
    forms.flash(f"Moved to {ce.slot_label(start, tz)} with {roster[ss['mv_provider']].name}.")
    close_dialogs()


def book_from_waitlist(entry: dict) -> None:
    freed = ss.get(FREED) or {}
    open_booking(freed["start"], provider_id=freed["provider_id"], type_id=entry["type_id"],
                 patient_id=entry["patient_id"], waitlist_id=entry["id"])


@st.dialog("Appointment", width="large", on_dismiss=dismissed)
def details_dialog() -> None:
    appointment_id = ss.get(DETAILS)
    if appointment_id is None:
        st.rerun()
    try:
        appt = appointments.get(conn, appointment_id)
    except NotFound as exc:
        st.error(str(exc))
        return
    patient = patients.get(conn, appt.patient_id)
    visit = visit_types.get(conn, appt.type_id)
    provider = everyone.get(appt.provider_id)
    start, end = timeutil.to_local(appt.start_at, tz), timeutil.to_local(appt.end_at, tz)

    with st.container(horizontal=True, vertical_alignment="center", gap="medium"):
        st.subheader(md(patient.display_name), anchor=False, width="content")
        st.badge(STATUS_LABELS[appt.status], color=STATUS_COLOURS.get(appt.status, "gray"))
    st.caption(f"DOB {patient.date_of_birth:%m/%d/%Y} · MRN {md(patient.mrn)} · "
               f"{md(display_phone(patient.phone_mobile, config['country']) or 'no phone')}")
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
        st.markdown(f"**Arrived:** {timeutil.to_local(appt.arrived_at, tz):%H:%M}")
    if appt.status in ("scheduled", "confirmed"):
        # For the patient's own calendar: time, place, provider and visit type; no clinical reason.
        appointment_ics_button(conn, appt.id, key=f"ics_{appt.id}")

    if ss.get(FREED):
        freed_slot_section(appt)
        return

    moves = allowed_moves(appt.status)
    if may_change(appt) and [m for m in moves if m != "cancelled"]:
        on_the_day = frontdesk.attendance_open(start.date(), today)
        with st.container(horizontal=True):
            for move in moves:
                if move == "cancelled":
                    continue
                label, icon = MOVE_LABELS[move]
                waits = move in ON_THE_DAY and not on_the_day
                st.button(label, key=f"dt_{move}", icon=icon, on_click=change_status, args=(appt.id, move),
                          type="primary" if move == "checked_in" and not waits else "secondary", disabled=waits,
                          help="Possible on the day of the visit." if waits else None)
        forms.field_error(DETAILS_FORM, "status")
    if may_book and "cancelled" in moves:
        with st.expander("Cancel this appointment", icon=":material/event_busy:"):
            st.text_input("Why is it cancelled?", key="cx_reason", max_chars=300,
                          placeholder="e.g. Patient request")
            forms.field_error(DETAILS_FORM, "reason")
            st.button("Cancel appointment", key="dt_cancel", on_click=cancel_appointment, args=(appt.id,))
    if may_book and appt.status in RESCHEDULABLE and appt.start_at >= now:
        with st.expander("Move to another time", icon=":material/schedule:"):
            if ss.get("_mv_for") != appt.id:
                ss.update({"_mv_for": appt.id, "mv_date": start.date(), "mv_time": start.time(),
                           "mv_provider": appt.provider_id if appt.provider_id in roster else next(iter(roster), None)})
            left, middle, right = st.columns(3)
            left.date_input("Day", key="mv_date", format="MM/DD/YYYY")
            middle.time_input("Time", key="mv_time", step=300)
            right.selectbox("Provider", list(roster), key="mv_provider", format_func=lambda i: roster[i].name)
            forms.field_error(DETAILS_FORM, "start")
            forms.field_error(DETAILS_FORM, "provider")
            st.button("Move", key="dt_move", on_click=move_appointment, args=(appt.id,))
    forms.form_error(DETAILS_FORM)

    history = appointments.events_for(conn, appt.id)
    if not history.empty:
        st.markdown("**History**")
        history["occurred_at"] = history["occurred_at"].dt.tz_convert(tz)
        history["from_status"] = history["from_status"].map(STATUS_LABELS)
        history["to_status"] = history["to_status"].map(STATUS_LABELS)
        history = history.fillna("—")
        st.dataframe(history, hide_index=True, width="stretch", column_config={
            "occurred_at": st.column_config.DatetimeColumn("When", format="MM/DD/YYYY HH:mm"),
            "from_status": "From", "to_status": "To", "by": "By", "reason": "Reason"})


def freed_slot_section(appt: appointments.Appointment) -> None:
    freed = ss[FREED]
    st.success(f"Cancelled. {ce.slot_label(freed['start'], tz)} is free again "
               f"({freed['minutes']} min).", icon=":material/event_available:")
    matches = waitlist.matches_for_slot(conn, provider_id=freed["provider_id"], start=freed["start"],
                                        minutes=freed["minutes"])
    if matches.empty:
        st.caption("Nobody on the waitlist fits this slot.")
    else:
        st.markdown("**On the waitlist and fitting this slot** (oldest first): call them.")
        for entry in matches.to_dict("records"):
            with st.container(border=True, horizontal=True, vertical_alignment="center"):
                phone = display_phone(entry["phone"], config["country"]) or "no phone"
                st.markdown(f"**{md(entry['patient'])}** · {md(phone)}"
                            f"  \n{md(entry['visit_type'])}" + (f" · {md(entry['note'])}" if entry["note"] else ""))
                if may_book:
                    st.button("Book here", key=f"wl_book_{entry['id']}", on_click=book_from_waitlist, args=(entry,),
                              icon=":material/event_available:")
    st.button("Done", key="dt_done", on_click=close_dialogs, type="primary")


# --- dragging an appointment ----------------------------------------------------------------------


def move_by_drag(action: ce.CalendarAction) -> None:
    """Reschedule a dragged appointment, or refuse and say why. Either way the calendar is
    remounted from the database, so a refused move shows the appointment back where it was."""
    cal.reset(CAL)
    if not may_book:
        ss[REFUSED] = "Your role cannot move appointments."
        return
    if action.appointment_id is None or action.start is None:
        return
    if action.only_end_changed:
        ss[REFUSED] = ("A visit's length comes from its visit type, so it cannot be stretched or shortened. "
                       "Drag the appointment to move it, or change the visit type.")
        return
    target = action.provider_id if action.provider_changed else None
    try:
        appointments.reschedule(conn, action.appointment_id, start=action.start, provider_id=target, user=user)
    except ClinicError as exc:
        ss[REFUSED] = f"Not moved: {exc}"
        return
    appt = appointments.get(conn, action.appointment_id)
    patient = patients.get(conn, appt.patient_id)
    forms.flash(f"Moved {patient.display_name} to {ce.slot_label(appt.start_at, tz)} "
                f"with {everyone[appt.provider_id].name}.")


# --- the screen -----------------------------------------------------------------------------------


def go_to(day: date) -> None:
    ss["cal_day"] = day


st.title("Calendar")
view = ss.get("cal_view") or ce.DEFAULT_VIEW
with st.container(horizontal=True, vertical_alignment="bottom", gap="small"):
    day = st.date_input("Day", key="cal_day", format="MM/DD/YYYY", width=150)
    day = day if isinstance(day, date) else today
    st.button("", icon=":material/chevron_left:", key="cal_prev", help="Back",
              on_click=go_to, args=(ce.shift(view, day, -1),))
    st.button("Today", key="cal_today", on_click=go_to, args=(today,), disabled=day == today)
    st.button("", icon=":material/chevron_right:", key="cal_next", help="Ahead",
              on_click=go_to, args=(ce.shift(view, day, 1),))
    view = st.segmented_control("View", list(ce.VIEWS), key="cal_view", required=True,
                                format_func=lambda v: ce.VIEWS[v][0]) or ce.DEFAULT_VIEW
    active = ce.filter_count(ss.get("cal_providers"), ss.get("cal_types"), [True] if ss.get("cal_cancelled") else [])
    with st.popover(f"Filters ({active})" if active else "Filters", icon=":material/filter_list:"):
        chosen_providers = st.multiselect("Providers", list(roster), key="cal_providers",
                                          placeholder="All providers", format_func=lambda i: roster[i].name)
        chosen_types = st.multiselect("Visit types", list(types), key="cal_types", placeholder="All visit types",
                                      format_func=lambda i: types[i].name)
        show_cancelled = st.toggle("Show cancelled appointments", key="cal_cancelled")

shown = [roster[i] for i in (chosen_providers or roster)]
blocks = [b for p in shown for b in hours.get(p.id, [])]
window = ce.working_window(blocks)
first_day, last_day = ce.visible_days(view, day)
start_at, end_at = ce.visible_bounds(view, day, tz)
rows = appointments.list_between(conn, start_at, end_at, provider_ids=[p.id for p in shown],
                                 type_ids=chosen_types or None, include_cancelled=show_cancelled).to_dict("records")
closures = availability.closures_between(conn, first_day, last_day)
if view == "month":
    events = ce.month_summary_events(rows, tz)
else:
    events = [ce.appointment_event(r, tz, movable=may_book, now=now, with_provider=view != "day") for r in rows]
events += [ce.closure_event(d, reason, window, all_day=view == "month")
           for d, reason in sorted(closures.items()) if d < last_day]
if view in ce.TIME_GRID_VIEWS:  # the grids draw time off as shaded bands; month and list do not
    for p in shown:
        events += [ce.time_off_event(p.id, away, tz)
                   for away in availability.time_off_between(conn, p.id, start_at, end_at)]

summary = f"**{ce.period_label(view, day)}** · {len(rows)} appointment{'s' if len(rows) != 1 else ''}"
if chosen_providers or chosen_types:
    summary += " · showing " + md(", ".join([roster[i].name for i in chosen_providers]
                                             + [types[i].name for i in chosen_types]))
if view == "month":
    hint = "Click a provider's count to open that day" + (" · click an empty day to book" if may_book else "")
else:
    hint = ("Drag across empty time to book · click an appointment for details · drag it to move it"
            if may_book else "Click an appointment for its details")
st.markdown(f"{summary}  \n:gray[{hint} · times in {md(tz)}]")
if view == "week" and len(shown) > 1:
    st.caption("Tip: choose one provider under Filters for a roomier week.")
if view == "day" and day in closures:
    st.info(f"The clinic is closed on {day:%A %d %B}: {md(closures[day] or 'clinic closed')}.",
            icon=":material/event_busy:")
forms.show_flashes()
if ss.get(REFUSED):
    st.error(ss.pop(REFUSED), icon=":material/block:")

action = cal.clinic_calendar(
    events,
    [ce.resource(p.id, p.name, hours.get(p.id, [])) for p in shown],
    view=view, initial_date=day, tz=tz, now=now, window=window,
    key=cal.calendar_key(CAL, view, day.isoformat()),
    business_hours=None if view == "day" else ce.business_hours(blocks),
    weekends=ce.works_weekends(blocks),
    selectable=may_book and view != "list", editable=may_book,
    extra_css=ce.type_stripes_css(types.values()),
)

if action is not None:
    if action.kind in ("select", "dateClick") and may_book:
        open_booking(ce.booking_start(action, window, tz), provider_id=action.provider_id,
                     type_id=ce.type_for_range(action, types.values()))
    elif action.kind == "eventClick" and action.day is not None:
        ss["_cal_goto"] = (action.day, "day")
        st.rerun()
    elif action.kind == "eventClick" and action.appointment_id is not None:
        open_details(action.appointment_id)
    elif action.kind == "eventChange":
        move_by_drag(action)
        st.rerun()

if ss.get(BOOKING):
    booking_dialog()
elif ss.get(DETAILS) is not None:
    details_dialog()
