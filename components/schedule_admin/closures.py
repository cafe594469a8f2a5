"""The Closures and holidays tab: days the clinic closes (listed, removed, added), and the public
holidays of the clinic's calendar, each switched on or off."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from clinic import timeutil
from clinic.errors import ClinicError
from components import forms
from components.schedule_admin.shared import EMPTY, Screen, fail, remove_one, seeded, succeed
from components.text import md
from db import appointments, availability, settings

FORM = "closure"


def draw(screen: Screen) -> None:
    st.subheader("Clinic closures")
    _closures(screen)
    _add(screen)
    st.subheader("Public holidays")
    _holidays(screen)


def _closures(screen: Screen) -> None:
    closures = availability.list_closures(screen.conn)
    if not closures:
        st.info("No closures besides public holidays.")
        return
    st.dataframe(
        pd.DataFrame([{"day": c.day, "reason": c.reason or EMPTY} for c in closures]),
        hide_index=True,
        column_config={"day": st.column_config.DateColumn("Day", format="ddd DD MMM YYYY"), "reason": "Reason"},
    )
    remove_one(
        {c.id: f"{c.day:%a %d %b %Y} · {c.reason or 'Clinic closed'}" for c in closures},
        label="Closure to remove", picker="closure_to_remove", button="remove_closure",
        done="Closure removed: the day can be booked again.",
        remove=lambda closure_id: availability.remove_closure(screen.conn, closure_id, by=screen.user),
    )


def _add(screen: Screen) -> None:
    with st.form(FORM):
        st.markdown("**Close the clinic for a day**")
        day = st.date_input("Day", value=screen.today, key="closure_day", format="YYYY-MM-DD")
        forms.field_error(FORM, "day")
        reason = st.text_input("Reason", key=seeded("closure_reason", ""), max_chars=200,
                               placeholder="e.g. Staff training, flooding, move")
        add = st.form_submit_button("Add closure", type="primary")
    forms.form_error(FORM)
    if not add:
        return
    try:
        availability.add_closure(screen.conn, day, reason, by=screen.user)
    except ClinicError as exc:
        fail(FORM, exc)
    else:
        counts = appointments.count_by_status(screen.conn, *timeutil.day_bounds(day, screen.tz))
        booked = sum(n for status, n in counts.items() if status != "cancelled")
        message = f"The clinic is closed on {day:%A %d %B %Y}."
        if booked:
            message += (f" {booked} booked appointment{'s' if booked > 1 else ''} on that day"
                        " were kept: move or cancel them in the calendar.")
        succeed(FORM, message, forget=("closure_reason",), kind="warning" if booked else "success")


def _holidays(screen: Screen) -> None:
    config = settings.get_all(screen.conn)
    st.caption(f"From the holiday calendar of {md(config['country'])}-{md(config['subdivision'])}. "
               "Switch one off when the clinic opens on that day.")
    year = st.number_input("Year", min_value=2000, max_value=2100, value=screen.today.year, step=1,
                           key="holiday_year")
    holidays = availability.holidays_with_state(screen.conn, int(year))
    if not holidays:
        st.info("No public holidays known for this country and year.")
    for day, name, closed in holidays:
        day_col, name_col, toggle_col = st.columns([1, 2, 1], vertical_alignment="center")
        day_col.write(f"{day:%a %d %b %Y}")
        name_col.write(md(name))
        now_closed = toggle_col.toggle("Clinic closed", value=closed, key=f"holiday_{day.isoformat()}")
        if now_closed != closed:
            try:
                availability.set_holiday_closed(screen.conn, day, now_closed, by=screen.user)
            except ClinicError as exc:
                fail("holidays", exc)
            else:
                state = "closed" if now_closed else "open"
                succeed("holidays", f"{md(name)}: the clinic is {state} on {day:%d %B %Y}.")
    forms.form_error("holidays")
