"""Day sheet: one provider's patients for one day, in time order, on screen and as a printable PDF."""

from __future__ import annotations

import streamlit as st

from clinic import daysheet, ics, timeutil
from components import downloads
from components.db_session import get_conn
from components.frame import require
from components.text import md
from db import appointments, providers, settings

user = require("day_sheet")
conn = get_conn()
config = settings.get_all(conn)
tz = config["timezone"]
clinic_name = config["clinic_name"]

st.title("Day sheet")

choices = {p.id: p for p in providers.list_providers(conn)}
own = providers.for_user(conn, user.id) if user.role == "clinician" else None
if own is not None and own.id not in choices:
    choices = {own.id: own, **choices}

provider_col, day_col, span_col = st.columns([2, 1, 1])
with provider_col:
    provider_id = st.selectbox(
        "Provider",
        list(choices),
        index=list(choices).index(own.id) if own is not None else None,
        format_func=lambda i: choices[i].name,
        placeholder="Choose a provider",
        key="day_sheet_provider",
    )
with day_col:
    day = st.date_input("Day", value=timeutil.today(tz), format="MM/DD/YYYY", key="day_sheet_day")
with span_col:
    span = st.radio(
        "Schedule file covers",
        ics.SPANS,
        format_func={"day": "This day", "week": "Its week"}.get,
        horizontal=True,
        key="day_sheet_span",
        help="What the .ics download holds: the chosen day, or Monday to Sunday of its week.",
    )

if provider_id is None:
    st.info("Choose a provider to see their patients for the day.", icon=":material/person_search:")
    st.stop()

provider = choices[provider_id]
rows = daysheet.rows_from_records(
    appointments.list_rows(conn, *timeutil.day_bounds(day, tz), provider_id=provider.id), tz
)
sheet = daysheet.DaySheet(clinic_name, provider.name, day, rows, timeutil.to_local(timeutil.now_utc(), tz))

first, end = ics.schedule_days(day, span)
schedule_rows = daysheet.rows_from_records(
    appointments.list_rows(conn, *ics.schedule_bounds(day, span, tz), provider_id=provider.id), tz
)

st.subheader(f"{md(provider.name)} · {daysheet.day_label(day)}")
st.caption(daysheet.summary(rows))

pdf_col, ics_col, _ = st.columns([1, 1, 2])
with pdf_col:
    downloads.day_sheet_pdf_button(sheet, key="day_sheet_pdf")
with ics_col:
    downloads.schedule_ics_button(
        schedule_rows, provider=provider.name, clinic_name=clinic_name, first=first, end=end, key="day_sheet_ics"
    )

if not rows:
    st.info(f"No patients are booked with {md(provider.name)} on {daysheet.day_label(day)}.", icon=":material/event_available:")
else:
    st.dataframe(
        daysheet.table_rows(rows),
        hide_index=True,
        width="stretch",
        height="content",  # the whole day at once, no scrolling inside the table
        column_config={
            "Time": st.column_config.TextColumn("Time", width="small"),
            "Age": st.column_config.TextColumn("Age", width="small"),
            "New patient": st.column_config.CheckboxColumn(
                "New patient", help="No earlier completed visit at the clinic."
            ),
            "Alerts": st.column_config.TextColumn("Alerts", help=daysheet.ALERTS_HELP),
        },
    )
