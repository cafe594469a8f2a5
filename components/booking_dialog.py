"""The booking dialog: choose or quick-add the patient (components/booking_patient.py), the
visit type, provider and time (or one of the next free times), then book once or as a weekly
series. Booking a waitlist patient into a freed slot books and closes their waitlist entry in
one step.

:func:`open_booking` opens it, prefilled (from a click on the calendar, a free gap on Today, the
waitlist), from any page; :func:`render_booking`, called once per run by the page, draws it when
open. Button callbacks run before the rerun that shows their result.
"""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from clinic import calendar_events as ce
from clinic import timeutil
from clinic.errors import ClinicError, ValidationError
from components import booking_patient, forms
from components.text import md
from components.booking_patient import BOOK_FORM
from components.calendar_state import (BOOKED, BOOKING, DETAILS, BookingContext, close_dialogs,
                                       load_booking_context, set_error)
from db import Connection, appointments, patients, slots, users, waitlist

BOOK_FIELDS = {"patient", "type", "provider", "start", "reason", "notes", "every_weeks", "times"}

ss = st.session_state


def open_booking(start: datetime, *, provider_id: int | None = None, type_id: int | None = None,
                 patient_id: int | None = None, waitlist_id: int | None = None) -> None:
    """Open the booking dialog at ``start`` (an aware instant), prefilled with what is known.
    Works from any page, in a callback or in the script; :func:`render_booking` draws it.
    With ``waitlist_id``, booking ``patient_id`` also closes that waitlist entry."""
    ss[BOOKING] = {"waitlist_id": waitlist_id, "patient_id": patient_id if waitlist_id else None,
                   "prefill": {"start": start, "provider_id": provider_id, "type_id": type_id, "patient_id": patient_id}}
    ss[DETAILS] = None


def render_booking(conn: Connection, user: users.User, *, ctx: BookingContext | None = None) -> None:
    """Draw the booking dialog when it is open: a page calls this once per run, after anything
    that may open it. Loads its own context unless the page passes one it already has."""
    if not ss.get(BOOKING):
        return
    ctx = ctx or load_booking_context(conn, user)
    prefill = ss[BOOKING].pop("prefill", None)
    if prefill is not None:
        _prefill(ctx, **prefill)
    booking_dialog(ctx)


def _prefill(ctx: BookingContext, start: datetime, provider_id: int | None, type_id: int | None,
             patient_id: int | None) -> None:
    """Fill the dialog's fields (clinic-local date and time of ``start``) before they are drawn.
    No provider given: the one the calendar is filtered to, else the last one booked with, the
    clinician's own, or the first."""
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
        "bk_reason": "", "bk_notes": "", "bk_any": False,
        "bk_repeat": False, "bk_every": 1, "bk_times": 4, "bk_slots": None, "bk_plan": None,
    })
    booking_patient.reset()
    forms.clear_errors(BOOK_FORM)


# --- callbacks ----------------------------------------------------------------------------------


def _start(ctx: BookingContext) -> datetime | None:
    if ss.get("bk_date") is None or ss.get("bk_time") is None:
        return None
    return ce.local_start(ss["bk_date"], ss["bk_time"], ctx.tz)


def _values(ctx: BookingContext) -> dict:
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


def _find_slots(ctx: BookingContext) -> None:
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


def _use_slot(ctx: BookingContext, provider_id: int, start: datetime) -> None:
    local = timeutil.to_local(start, ctx.tz)
    ss.update({"bk_provider": provider_id, "bk_date": local.date(), "bk_time": local.time(), "bk_plan": None})
    forms.clear_errors(BOOK_FORM)


def _booked(message: str, start: datetime) -> None:
    ss["_bk_last_type"], ss["_bk_last_provider"] = ss.get("bk_type"), ss.get("bk_provider")
    ss[BOOKED] = start  # the calendar reopens at it
    forms.clear_errors(BOOK_FORM)
    forms.flash(message)
    close_dialogs()


def _book_one(ctx: BookingContext) -> None:
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
    _booked(f"Booked {md(patient.display_name)} with {md(ctx.roster[values['provider_id']].name)}, "
            f"{ce.slot_label(values['start'], ctx.tz)}.", values["start"])


def _series_params(ctx: BookingContext) -> tuple:
    return (ss.get("bk_patient"), ss.get("bk_provider"), ss.get("bk_type"), _start(ctx),
            int(ss.get("bk_every") or 1), int(ss.get("bk_times") or 1))


def _plan_series(ctx: BookingContext) -> None:
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


def _book_planned_series(ctx: BookingContext) -> None:
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
    message = (f"Booked {len(done)} appointments for {md(patient.display_name)} with "
               f"{md(ctx.roster[values['provider_id']].name)}, from {ce.slot_label(done[0].start, ctx.tz)}.")
    if len(done) < len(planned["plan"]):
        message += " The other dates could not be booked."
    _booked(message, done[0].start)


# --- the dialog -----------------------------------------------------------------------------------


@st.dialog("Book an appointment", width="large", on_dismiss=close_dialogs)
def booking_dialog(ctx: BookingContext) -> None:
    if not ss.get(BOOKING):
        st.rerun()  # booked or closed by a callback: redraw the whole page
    types, roster = ctx.types, ctx.roster
    booking_patient.section(ctx)
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


def _buttons(label: str, key: str, icon: str, action, ctx: BookingContext, disabled: bool = False) -> None:
    """The dialog's main button and Close, side by side."""
    left, right = st.columns(2)
    with left:
        st.button(label, key=key, type="primary", icon=icon, on_click=action, args=(ctx,), disabled=disabled,
                  width="stretch")
    with right:
        st.button("Close", key="bk_close", on_click=close_dialogs, width="stretch")


def _next_free_section(ctx: BookingContext) -> None:
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
                    st.button(f"{ce.slot_label(start, ctx.tz)}  \n{md(provider)}", key=f"bk_slot_{i}", width="stretch",
                              on_click=_use_slot, args=(ctx, provider_id, start))


def _series_section(ctx: BookingContext) -> None:
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
