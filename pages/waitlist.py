"""Waitlist: patients who want an earlier slot. Add someone with the weekdays and start times they
can come (checked against the clinic's hours, errors next to the fields), offer them one of the
next free slots that fit those preferences and book it in one click, or take them off the list.
Slots outside their preferences are shown only when the desk asks for them."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from clinic import frontdesk, intake, timeutil
from clinic import waitlist as prefs
from clinic.access import can_do
from clinic.errors import ClinicError, ValidationError
from components import forms
from components.db_session import get_conn
from components.frame import require
from components.patient_search import patient_search
from components.text import md
from db import patients, providers, settings, visit_types, waitlist

user = require("waitlist")
conn = get_conn()
config = settings.get_all(conn)
tz = config["timezone"]
may_manage = can_do(user.role, "waitlist.manage")
may_book = can_do(user.role, "appointments.book")

ANY = 0  # "Any provider"
ADD, OFFER = "waitlist_add", "waitlist_offer"
ADD_FIELDS = ("wl_search", "wl_patient", "wl_days", "wl_earliest", "wl_latest", "wl_note")
ANY_TIME = "wl_outside_preferences"  # the entry whose offers currently ignore its preferences


def phone_text(value: str | None) -> str:
    return intake.display_phone(value, config["country"])


def local(instant, fmt: str) -> str:
    return timeutil.to_local(instant, tz).strftime(fmt)


people = {entry.id: entry for entry in waitlist.list_entries(conn)}
types = {t.id: t for t in visit_types.list_active(conn)}
roster = {p.id: p.name for p in providers.list_providers(conn)}

# --- actions (callbacks: they run before the page is drawn again) -------------------------------


def add_entry() -> None:
    state = st.session_state
    forms.clear_errors(ADD)
    patient_id = state.get("wl_patient")
    provider_id = state.get("wl_provider") or None
    try:
        entry_id = waitlist.add(conn, patient_id=patient_id, type_id=state.get("wl_type"), provider_id=provider_id,
                                preferred_days=state.get("wl_days") or [], earliest_start=state.get("wl_earliest"),
                                latest_start=state.get("wl_latest"), note=state.get("wl_note") or "", by=user)
    except ValidationError as exc:
        forms.set_errors(ADD, exc.errors)
        return
    except ClinicError as exc:
        forms.set_errors(ADD, {exc.field or "": str(exc)})
        return
    chosen = patients.get(conn, patient_id)
    for key in ADD_FIELDS:
        state.pop(key, None)
    state["waitlist_entry"] = entry_id  # offer the new entry a slot straight away
    visit = types[state["wl_type"]].name if state.get("wl_type") in types else "a visit"
    forms.flash(f"Added {md(chosen.display_name) if chosen else 'the patient'} to the waitlist for {md(visit)} "
                f"with {md(roster.get(provider_id, 'any provider'))}.")


def book_slot(entry_id: int, provider_id: int, start, patient: str, provider: str) -> None:
    entry = people[entry_id]
    forms.clear_errors(OFFER)
    try:
        waitlist.book_from_waitlist(conn, entry_id, provider_id=provider_id, type_id=entry.type_id, start=start,
                                    user=user, notes=entry.note or "")
    except ClinicError as exc:
        forms.set_errors(OFFER, {"": str(exc)})
        return
    st.session_state.pop("waitlist_entry", None)
    st.session_state.pop(ANY_TIME, None)
    forms.flash(f"Booked {md(patient)} with {md(provider)} on {local(start, '%A %d %B at %H:%M')} "
                "and took them off the waitlist.")


def remove_entry(entry_id: int, patient: str) -> None:
    forms.clear_errors(OFFER)
    try:
        waitlist.remove(conn, entry_id, by=user)
    except ClinicError as exc:
        forms.set_errors(OFFER, {"": str(exc)})
    else:
        st.session_state.pop("waitlist_entry", None)
        forms.flash(f"Took {md(patient)} off the waitlist.")


# --- the page ------------------------------------------------------------------------------------

st.title("Waitlist")
forms.show_flashes()

# --- add to the waitlist -------------------------------------------------------------------------

if may_manage:
    busy = bool(st.session_state.get("wl_patient") or st.session_state.get("wl_search") or forms.errors_for(ADD))
    with st.expander("Add a patient to the waitlist", expanded=busy, icon=":material/playlist_add:"):
        chosen = patients.get(conn, st.session_state["wl_patient"]) if st.session_state.get("wl_patient") else None
        if chosen is None:
            picked = patient_search("wl_search", label="Patient", button_label="Pick")
            if picked is not None:
                st.session_state["wl_patient"] = picked
                st.session_state.pop("wl_search", None)
                st.rerun()
        else:
            name_col, change_col = st.columns([5, 1], vertical_alignment="center")
            name_col.markdown(f"**{md(chosen.display_name)}** · born {chosen.date_of_birth:%m/%d/%Y} · "
                              f"MRN {md(chosen.mrn)}" + (f" · {md(phone_text(chosen.phone_mobile))}"
                                                         if chosen.phone_mobile else ""))
            change_col.button("Change", key="wl_change_patient", icon=":material/swap_horiz:",
                              on_click=st.session_state.pop, args=("wl_patient", None))
        forms.field_error(ADD, "patient")
        type_col, provider_col = st.columns(2)
        with type_col:
            st.selectbox("Visit type", list(types), key="wl_type", format_func=lambda i: types[i].name)
            forms.field_error(ADD, "type")
        with provider_col:
            st.selectbox("Provider", [ANY, *roster], key="wl_provider",
                         format_func=lambda i: "Any provider" if i == ANY else roster[i])
            forms.field_error(ADD, "provider")
        days_col, earliest_col, latest_col = st.columns([2, 1, 1])
        with days_col:
            st.multiselect("Preferred days", list(range(7)), key="wl_days",
                           format_func=prefs.DAY_SHORT.__getitem__, placeholder="Any day")
            forms.field_error(ADD, "preferred_days")
        with earliest_col:
            st.time_input("Earliest start", value=None, key="wl_earliest", step=timedelta(minutes=15),
                          help="The earliest time the visit may start (clinic time). Empty: from opening.")
            forms.field_error(ADD, "earliest_start")
        with latest_col:
            st.time_input("Latest start", value=None, key="wl_latest", step=timedelta(minutes=15),
                          help="The latest time the visit may start, included (clinic time). Empty: until closing.")
            forms.field_error(ADD, "latest_start")
        st.text_input("Note", key="wl_note", max_chars=300, placeholder="Anything else, e.g. call the mobile first")
        st.button("Add to waitlist", key="wl_add", type="primary", icon=":material/playlist_add:", on_click=add_entry)
        forms.form_error(ADD)

# --- who is waiting ------------------------------------------------------------------------------

st.subheader(f"Waiting ({len(people)})", divider="gray")
if not people:
    st.info("Nobody is on the waitlist.", icon=":material/hourglass_empty:")
    st.stop()

st.dataframe(
    pd.DataFrame(
        [{"added": local(r.created_at, "%m/%d/%Y"), "patient": r.patient, "phone": phone_text(r.phone),
          "visit_type": r.visit_type, "provider": r.provider, "days": r.preferences.days_label,
          "times": r.preferences.times_label, "note": r.note or ""} for r in people.values()]
    ),
    hide_index=True,
    key="waitlist_table",
    column_config={"added": "Added", "patient": "Patient", "phone": "Phone", "visit_type": "Visit type",
                   "provider": "Provider", "days": "Preferred days", "times": "Start times", "note": "Note"},
)

# --- offer a slot --------------------------------------------------------------------------------

st.subheader("Offer a slot", divider="gray")
entry_col, slots_col = st.columns([1, 1.25], gap="large")
with entry_col:
    if st.session_state.get("waitlist_entry") not in people:
        st.session_state["waitlist_entry"] = next(iter(people))
    entry_id = st.selectbox(
        "Waitlist entry", list(people), key="waitlist_entry",
        format_func=lambda i: f"{people[i].patient} · {people[i].visit_type} · {people[i].provider}",
    )
    entry = people[entry_id]
    phone = phone_text(entry.phone)
    who = "any provider" if entry.provider_id is None else entry.provider
    st.markdown(
        f"**{md(entry.patient)}**" + (f" · {md(phone)}" if phone else " · :red[no phone on file]")
        + f"  \n{md(entry.visit_type)} with {md(who)} · {entry.preferences.label}"
        + f"  \n:gray[on the list since {local(entry.created_at, '%m/%d/%Y')}]"
        + (f"  \n:gray[{md(entry.note)}]" if entry.note else "")
    )
    st.button("Take off the waitlist", key=f"remove_{entry_id}", icon=":material/person_remove:",
              disabled=not may_manage, on_click=remove_entry, args=(entry_id, entry.patient))
    forms.form_error(OFFER)

with slots_col:
    wanted = entry.preferences
    outside = st.session_state.get(ANY_TIME) == entry_id and not wanted.anything
    try:
        offered = waitlist.offers_for(conn, entry, limit=frontdesk.OFFER_SHOWN, keep_to_preferences=not outside)
    except ClinicError as exc:
        st.error(str(exc), icon=":material/error:")
        offered = []
    if outside:
        st.warning(f"Outside their preferences ({wanted.label}): ask the patient before booking.",
                   icon=":material/schedule:")
        st.button("Back to their preferences", key=f"wl_keep_{entry_id}", icon=":material/undo:",
                  on_click=st.session_state.pop, args=(ANY_TIME, None))
    elif not offered and not wanted.anything:
        st.warning(f"Nothing free on their preferred days and times ({wanted.label}) within the booking horizon.",
                   icon=":material/event_busy:")
        st.button("Show other days and times", key=f"wl_other_{entry_id}", icon=":material/search:",
                  on_click=st.session_state.__setitem__, args=(ANY_TIME, entry_id))
    elif wanted.anything:
        st.caption("The next free slots.")
    else:
        st.caption(f"The next free slots on their preferred days and times ({wanted.label}).")
    if not offered and (outside or wanted.anything):
        st.warning("No free slot for this visit in the booking horizon.", icon=":material/event_busy:")
    if offered:
        with st.container(border=True, key="waitlist_slots"):
            for slot in offered:
                when_col, who_col, button_col = st.columns([1.6, 1.8, 1], vertical_alignment="center")
                when_col.markdown(f"**{local(slot.start, '%a %d %b · %H:%M')}**")
                who_col.markdown(md(slot.provider))
                with button_col:
                    st.button(
                        "Book", key=f"offer_{entry_id}_{slot.provider_id}_{local(slot.start, '%Y%m%d%H%M')}",
                        icon=":material/event_available:", disabled=not may_book, width="stretch",
                        on_click=book_slot, args=(entry_id, slot.provider_id, slot.start, entry.patient,
                                                  slot.provider),
                    )
