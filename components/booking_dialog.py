"""The calendar's booking dialog: choose or quick-add the patient, the visit type, provider and
time (or one of the next free times), then book once or as a weekly series. Booking a waitlist
patient into a freed slot books and closes their waitlist entry in one step.

:func:`open_booking` prefills it (from a click on the calendar or from the waitlist);
:func:`booking_dialog` draws it. Button callbacks run before the rerun that shows their result.
"""

from __future__ import annotations

from datetime import date, datetime

import streamlit as st

from clinic import calendar_events as ce
from clinic import timeutil
from clinic.errors import ClinicError, ValidationError
from clinic.intake import display_phone
from components import forms
from components.calendar_state import BOOKING, DETAILS, CalendarContext, close_dialogs, set_error
from components.text import md
from db import appointments, patients, slots, waitlist

BOOK_FORM, QUICK_FORM = "cal_book", "cal_quick_add"
BOOK_FIELDS = {"patient", "type", "provider", "start", "reason", "notes", "every_weeks", "times"}

ss = st.session_state


def open_booking(ctx: CalendarContext, start: datetime, *, provider_id: int | None = None,
                 type_id: int | None = None, patient_id: int | None = None, waitlist_id: int | None = None) -> None:
    """Prefill the booking dialog (clinic-local date and time of ``start``) and open it.
    With ``waitlist_id``, booking ``patient_id`` also closes that waitlist entry."""
    local = timeutil.to_local(start, ctx.tz)
    roster, own = ctx.roster, ctx.own
    chosen = [p for p in ss.get("cal_providers", []) if p in roster]
    if provider_id not in roster:
        provider_id = chosen[0] if len(chosen) == 1 else ss.get("_bk_last_provider")
    if provider_id not in roster:
        provider_id = own.id if own and own.id in roster else next(iter(roster), None)
    if type_id not in ctx.types:
        type_id = ss.get("_bk_last_type") if ss.get("_bk_last_type") in ctx.types else None
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
    ss[BOOKING] = {"waitlist_id": waitlist_id, "patient_id": patient_id if waitlist_id else None}
    ss[DETAILS] = None


# --- callbacks ----------------------------------------------------------------------------------


def _start(ctx: CalendarContext) -> datetime | None:
    if ss.get("bk_date") is None or ss.get("bk_time") is None:
        return None
    return ce.local_start(ss["bk_date"], ss["bk_time"], ctx.tz)


def _values(ctx: CalendarContext) -> dict:
    """What the dialog holds, or ValidationError naming each missing field."""
    errors = {}
    if ss.get("bk_patient") is None:
        errors["patient"] = "Find the patient, or add them as a new patient."
    if ss.get("bk_type") not in ctx.types:
        errors["type"] = "Choose a visit type."
    if ss.get("bk_provider") not in ctx.roster:
        errors["provider"] = "Choose a provider."
    start = _start(ctx)
    if start is None:
        errors["start"] = "Choose the day and time."
    if errors:
        raise ValidationError(errors)
    return {"patient_id": ss["bk_patient"], "provider_id": ss["bk_provider"], "type_id": ss["bk_type"],
            "start": start}


def _waitlist_entry(patient_id: int) -> int | None:
    """The waitlist entry this booking closes: the one it was opened from, while its patient is chosen."""
    opened = ss.get(BOOKING) or {}
    return opened.get("waitlist_id") if opened.get("patient_id") == patient_id else None


def _pick_patient(patient_id: int | None) -> None:
    ss["bk_patient"] = patient_id
    ss["bk_plan"] = None
    forms.clear_errors(BOOK_FORM)


def _quick_add(ctx: CalendarContext) -> None:
    try:
        patient_id = patients.quick_add(ctx.conn, first_name=ss.get("bk_first", ""), last_name=ss.get("bk_last", ""),
                                        date_of_birth=ss.get("bk_dob"), phone=ss.get("bk_phone", ""), by=ctx.user)
    except ValidationError as exc:
        forms.set_errors(QUICK_FORM, exc.errors)
        return
    except ClinicError as exc:
        forms.set_errors(QUICK_FORM, {exc.field or "": str(exc)})
        return
    forms.clear_errors(QUICK_FORM)
    added = patients.get(ctx.conn, patient_id)
    _pick_patient(patient_id)
    ss["bk_mode"] = "find"
    ss["_bk_added"] = f"Added {added.display_name} (MRN {added.mrn})."


def _find_slots(ctx: CalendarContext) -> None:
    forms.clear_errors(BOOK_FORM)
    if ss.get("bk_type") not in ctx.types:
        forms.set_errors(BOOK_FORM, {"type": "Choose a visit type first."})
        return
    after = ce.search_from(ss.get("bk_date") or ctx.today, ctx.tz, ctx.now)
    try:
        found = slots.find_next_available(
            ctx.conn, ss["bk_type"], provider_id=None if ss.get("bk_any") else ss.get("bk_provider"),
            patient_id=ss.get("bk_patient"), after=after, limit=8)
    except ClinicError as exc:
        set_error(BOOK_FORM, exc, BOOK_FIELDS)
        return
    ss["bk_slots"] = [(s.provider_id, s.provider, s.start) for s in found]


def _use_slot(ctx: CalendarContext, provider_id: int, start: datetime) -> None:
    local = timeutil.to_local(start, ctx.tz)
    ss.update({"bk_provider": provider_id, "bk_date": local.date(), "bk_time": local.time(), "bk_plan": None})
    forms.clear_errors(BOOK_FORM)


def _booked(message: str) -> None:
    ss["_bk_last_type"], ss["_bk_last_provider"] = ss.get("bk_type"), ss.get("bk_provider")
    forms.clear_errors(BOOK_FORM)
    forms.flash(message)
    close_dialogs()


def _book_one(ctx: CalendarContext) -> None:
    forms.clear_errors(BOOK_FORM)
    try:
        values = _values(ctx)
        entry = _waitlist_entry(values["patient_id"])
        extra = {"user": ctx.user, "reason": ss.get("bk_reason", ""), "notes": ss.get("bk_notes", "")}
        if entry is not None:
            waitlist.book_from_waitlist(ctx.conn, entry, provider_id=values["provider_id"], type_id=values["type_id"],
                                        start=values["start"], **extra)
        else:
            appointments.book(ctx.conn, **values, **extra)
    except ClinicError as exc:
        set_error(BOOK_FORM, exc, BOOK_FIELDS)
        return
    patient = patients.get(ctx.conn, values["patient_id"])
    _booked(f"Booked {patient.display_name} with {ctx.roster[values['provider_id']].name}, "
            f"{ce.slot_label(values['start'], ctx.tz)}.")


def _series_params(ctx: CalendarContext) -> tuple:
    return (ss.get("bk_patient"), ss.get("bk_provider"), ss.get("bk_type"), _start(ctx),
            int(ss.get("bk_every") or 1), int(ss.get("bk_times") or 1))


def _plan_series(ctx: CalendarContext) -> None:
    forms.clear_errors(BOOK_FORM)
    try:
        values = _values(ctx)
        plan = slots.plan_series(ctx.conn, first=values["start"], every_weeks=int(ss["bk_every"]),
                                 times=int(ss["bk_times"]), patient_id=values["patient_id"],
                                 provider_id=values["provider_id"], type_id=values["type_id"])
    except ClinicError as exc:
        set_error(BOOK_FORM, exc, BOOK_FIELDS)
        ss["bk_plan"] = None
        return
    ss["bk_plan"] = {"params": _series_params(ctx), "plan": plan}


def _book_planned_series(ctx: CalendarContext) -> None:
    forms.clear_errors(BOOK_FORM)
    planned = ss.get("bk_plan")
    if not planned or planned["params"] != _series_params(ctx):
        forms.set_errors(BOOK_FORM, {"": "The details changed: check the dates again."})
        ss["bk_plan"] = None
        return
    values = _values(ctx)
    starts = [o.start for o in planned["plan"] if o.problem is None]
    results = slots.book_series(ctx.conn, starts=starts, user=ctx.user, reason=ss.get("bk_reason", ""),
                                notes=ss.get("bk_notes", ""), patient_id=values["patient_id"],
                                provider_id=values["provider_id"], type_id=values["type_id"])
    done = [r for r in results if r.problem is None]
    if not done:
        ss["bk_plan"] = {"params": _series_params(ctx), "plan": results}
        forms.set_errors(BOOK_FORM, {"": "None of the dates could be booked after all (see why below)."})
        return
    patient = patients.get(ctx.conn, values["patient_id"])
    message = (f"Booked {len(done)} appointments for {patient.display_name} with "
               f"{ctx.roster[values['provider_id']].name}, from {ce.slot_label(done[0].start, ctx.tz)}.")
    if len(done) < len(planned["plan"]):
        message += " The other dates could not be booked."
    _booked(message)


# --- the dialog -----------------------------------------------------------------------------------


@st.dialog("Book an appointment", width="large", on_dismiss=close_dialogs)
def booking_dialog(ctx: CalendarContext) -> None:
    if not ss.get(BOOKING):
        st.rerun()  # booked or closed by a callback: redraw the whole page
    types, roster = ctx.types, ctx.roster
    _patient_section(ctx)
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
        st.time_input("Time", key="bk_time", step=300, help=f"Clinic time ({ctx.tz}).")
    forms.field_error(BOOK_FORM, "start")
    _next_free_section(ctx)
    left, right = st.columns(2)
    left.text_input("Reason for the visit", key="bk_reason", max_chars=200, placeholder="e.g. Knee pain")
    right.text_input("Notes for the desk", key="bk_notes", max_chars=500, placeholder="e.g. Needs an interpreter")
    repeat = st.toggle("Repeat weekly", key="bk_repeat", help="Book the same time every N weeks.")
    if repeat:
        _series_section(ctx)
    else:
        _buttons("Book", "bk_book", ":material/event_available:", _book_one, ctx)
    forms.form_error(BOOK_FORM)


def _buttons(label: str, key: str, icon: str, action, ctx: CalendarContext, disabled: bool = False) -> None:
    """The dialog's main button and Close, side by side."""
    left, right = st.columns(2)
    with left:
        st.button(label, key=key, type="primary", icon=icon, on_click=action, args=(ctx,), disabled=disabled,
                  width="stretch")
    with right:
        st.button("Close", key="bk_close", on_click=close_dialogs, width="stretch")


def _patient_line(patient, country: str) -> str:
    return (f"{patient.display_name} · DOB {patient.date_of_birth:%m/%d/%Y} · MRN {patient.mrn}"
            f" · {display_phone(patient.phone_mobile, country) or 'no phone'}")


def _patient_section(ctx: CalendarContext) -> None:
    chosen = patients.get(ctx.conn, ss["bk_patient"]) if ss.get("bk_patient") else None
    if ss.get("_bk_added"):
        st.success(ss["_bk_added"], icon=":material/person_add:")
    if chosen is not None:
        with st.container(border=True, horizontal=True, vertical_alignment="center"):
            st.markdown(f"**{md(chosen.display_name)}**  \nDOB {chosen.date_of_birth:%m/%d/%Y} · MRN {md(chosen.mrn)}"
                        f" · {md(display_phone(chosen.phone_mobile, ctx.country) or 'no phone')}")
            st.button("Change", key="bk_change_patient", on_click=_pick_patient, args=(None,), type="tertiary",
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
                          min_value=date(1900, 1, 1), max_value=ctx.today)
            forms.field_error(QUICK_FORM, "date_of_birth")
        with right:
            st.text_input("Last name", key="bk_last", max_chars=100)
            forms.field_error(QUICK_FORM, "last_name")
            st.text_input("Mobile phone", key="bk_phone", max_chars=40, placeholder="(212) 555-0142")
            forms.field_error(QUICK_FORM, "phone")
        st.button("Add patient", key="bk_quick_add", icon=":material/person_add:", on_click=_quick_add, args=(ctx,))
        forms.form_error(QUICK_FORM)
    else:
        query = st.text_input("Search", key="bk_query", placeholder="Name, date of birth (MM/DD/YYYY), phone or MRN")
        if query.strip():
            found = patients.search(ctx.conn, query, limit=8)
            if not found:
                st.caption("No active patient matches. Check the spelling, or add them as a new patient.")
            for p in found:
                st.button(_patient_line(p, ctx.country), key=f"bk_pick_{p.id}", on_click=_pick_patient, args=(p.id,),
                          type="tertiary", icon=":material/person:")
    forms.field_error(BOOK_FORM, "patient")


def _next_free_section(ctx: CalendarContext) -> None:
    with st.container(border=True):
        left, right = st.columns([1, 1], vertical_alignment="center")
        with left:
            st.button("Find next free times", key="bk_find", icon=":material/search:", on_click=_find_slots,
                      args=(ctx,), help="For this visit type, from the chosen day on (never in the past).")
        with right:
            st.checkbox("Any provider", key="bk_any")
        found = ss.get("bk_slots")
        if found is not None and not found:
            st.caption("No free time found within the booking horizon.")
        if found:
            columns = st.columns(4)
            for i, (provider_id, provider, start) in enumerate(found):
                with columns[i % 4]:
                    st.button(f"{ce.slot_label(start, ctx.tz)}  \n{provider}", key=f"bk_slot_{i}", width="stretch",
                              on_click=_use_slot, args=(ctx, provider_id, start))


def _series_section(ctx: CalendarContext) -> None:
    left, right = st.columns(2)
    with left:
        st.number_input("Every … weeks", key="bk_every", min_value=1, max_value=52, step=1)
        forms.field_error(BOOK_FORM, "every_weeks")
    with right:
        st.number_input("How many visits", key="bk_times", min_value=1, max_value=52, step=1)
        forms.field_error(BOOK_FORM, "times")
    planned = ss.get("bk_plan")
    if not planned or planned["params"] != _series_params(ctx):
        _buttons("Check the dates", "bk_plan_series", ":material/fact_check:", _plan_series, ctx)
        return
    ok = [o for o in planned["plan"] if o.problem is None]
    refused = [o for o in planned["plan"] if o.problem is not None]
    st.dataframe(
        [{"Date": ce.slot_label(o.start, ctx.tz), "Can be booked": "Yes" if o.problem is None else "No",
          "Why not": o.problem or ""} for o in planned["plan"]],
        hide_index=True, width="stretch",
    )
    if refused:
        st.warning(f"{len(refused)} of {len(planned['plan'])} dates cannot be booked "
                   "(see why above). The others can.", icon=":material/event_busy:")
    _buttons(f"Book {len(ok)} appointments", "bk_book_series", ":material/event_repeat:", _book_planned_series, ctx,
             disabled=not ok)
