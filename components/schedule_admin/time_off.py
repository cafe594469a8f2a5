"""The Time off tab: upcoming time off (and removing one), and adding time off for a provider."""

from __future__ import annotations

from datetime import time

import pandas as pd
import streamlit as st

from clinic import hours, timeutil
from clinic.errors import ClinicError
from components import forms
from components.schedule_admin.shared import EMPTY, STAMP, Screen, fail, remove_one, seeded, succeed
from components.text import md
from db import appointments, availability

FORM = "time_off"


def draw(screen: Screen) -> None:
    _upcoming(screen)
    _add(screen)


def _label(screen: Screen, t: availability.TimeOff) -> str:
    start, end = timeutil.to_local(t.start_at, screen.tz), timeutil.to_local(t.end_at, screen.tz)
    return f"{t.provider} · {start:%a %d %b %H:%M} – {end:%a %d %b %H:%M} · {t.reason or ''}"


def _upcoming(screen: Screen) -> None:
    upcoming = availability.list_time_off(screen.conn, from_day=timeutil.now_utc())
    st.subheader("Upcoming time off")
    if not upcoming:
        st.info("Nobody has time off coming up.")
        return
    st.dataframe(
        pd.DataFrame([{"provider": t.provider, "start_at": timeutil.to_local(t.start_at, screen.tz),
                       "end_at": timeutil.to_local(t.end_at, screen.tz), "reason": t.reason or EMPTY}
                      for t in upcoming]),
        hide_index=True,
        column_config={
            "provider": "Provider",
            "start_at": st.column_config.DatetimeColumn("From", format=STAMP),
            "end_at": st.column_config.DatetimeColumn("To", format=STAMP),
            "reason": "Reason",
        },
    )
    remove_one(
        {t.id: _label(screen, t) for t in upcoming}, label="Time off to remove", picker="time_off_to_remove",
        button="remove_time_off", done="Time off removed.",
        remove=lambda time_off_id: availability.remove_time_off(screen.conn, time_off_id, by=screen.user),
    )


def _add(screen: Screen) -> None:
    st.subheader("Add time off")
    # Not an st.form: the time fields hide when "Whole days" is ticked.
    provider_id = st.selectbox("Provider", [p.id for p in screen.providers.values() if p.active],
                               format_func=screen.provider_label, key="off_provider")
    forms.field_error(FORM, "provider")
    whole_days = st.checkbox("Whole days", value=True, key="off_whole_days")
    from_col, to_col = st.columns(2)
    with from_col:
        from_day = st.date_input("From", value=screen.today, key="off_from_day", format="YYYY-MM-DD")
        from_time = None if whole_days else st.time_input("From time", value=time(8), key="off_from_time", step=900)
        forms.field_error(FORM, "start")
    with to_col:
        to_day = st.date_input("To", value=screen.today, key="off_to_day", format="YYYY-MM-DD",
                               help="With whole days: the last day off.")
        to_time = None if whole_days else st.time_input("To time", value=time(17), key="off_to_time", step=900)
        forms.field_error(FORM, "end")
    reason_kind = st.radio("Reason", hours.TIME_OFF_REASONS, horizontal=True, key="off_reason_kind")
    details = st.text_input("Details", key=seeded("off_reason_text", ""),
                            help="Required for Other, optional otherwise.", max_chars=200)
    forms.field_error(FORM, "reason")
    if not st.button("Add time off", type="primary", key="add_time_off"):
        return
    try:
        reason = hours.time_off_reason(reason_kind, details)
        start, end = hours.time_off_span(from_day, to_day, screen.tz, start=from_time, end=to_time)
        availability.add_time_off(screen.conn, provider_id, start, end, reason, by=screen.user)
    except ClinicError as exc:
        fail(FORM, exc)
    else:
        counts = appointments.count_by_status(screen.conn, start, end, provider_id=provider_id)
        clashes = sum(n for status, n in counts.items() if status != "cancelled")
        message = f"Added time off for {md(screen.providers[provider_id].name)}."
        if clashes:
            message += (f" {clashes} booked appointment{'s' if clashes > 1 else ''} fall in it and"
                        " were kept: move or cancel them in the calendar.")
        succeed(FORM, message, forget=("off_reason_text",), kind="warning" if clashes else "success")
