"""Analytics › No-shows: the tiles (rate, no-shows, completed, late cancellations, revenue lost,
each against the period before), the weekly rate, the rate by provider, weekday, hour, visit
type, lead time, age group, new or returning patient and reminder (beside the period before when
comparing), late cancellations beside no-shows, revenue lost per week, and the patients who
missed more than once. Every number is db.reports'."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from clinic import analytics
from components.analytics import charts
from components.analytics.controls import Filters
from components.analytics.summary import no_show_kpis, show_tiles
from components.report_cache import cached
from db import Connection
from db import reports as _reports

reports = cached(_reports)

RATE = "No-show rate = no-shows ÷ (completed + no-shows)"

# by -> (chart title, axis title, what a group is, fixed order of the groups or None)
GROUPINGS = {
    "provider": ("By provider", "Provider", "the provider booked", None),
    "visit_type": ("By visit type", "Visit type", "the visit type", None),
    "weekday": ("By weekday", "Weekday of the appointment", "the clinic-local weekday of the start",
                list(analytics.WEEKDAYS)),
    "hour": ("By hour of day", "Hour the appointment starts", "the clinic-local hour it starts", None),
    "lead_time": ("By lead time", "Days booked ahead", "days from booking to the visit (start date minus booked "
                  "date)", list(analytics.LEAD_TIME_BUCKETS)),
    "age_group": ("By age group", "Patient's age (years)", "the patient's age on the day",
                  list(analytics.AGE_GROUPS)),
    "new_vs_returning": ("New or returning patient", "Patient", "new: the patient's first visit with an "
                         "outcome; returning: any later one", list(analytics.NEW_VS_RETURNING)),
    "reminder": ("By reminder call", "Reminder call", "what the reminder call came to",
                 list(analytics.REMINDER_GROUPS)),
}


def _rates(conn: Connection, by: str, start, end, f: Filters) -> pd.DataFrame:
    frame = reports.no_show_rates(conn, by, start=start, end=end, provider_id=f.provider_id, type_id=f.type_id)
    if by == "hour":  # 0-23 -> "08:00", so the axis reads as a clock
        frame = frame.assign(group=frame["group"].map(lambda h: f"{int(h):02d}:00"))
    return frame


def _by_group_chart(conn: Connection, by: str, f: Filters) -> None:
    title, axis, what, order = GROUPINGS[by]
    frame = _rates(conn, by, f.start, f.end, f)
    before = _rates(conn, by, *f.previous, f) if f.previous else None
    if before is not None and (before.empty or frame.empty):
        before = None  # nothing to compare with (or nothing to show)
    shown = charts.with_previous(frame, before)
    if by == "hour":  # "08:00" < "13:00" as text too; an hour only the period before had goes in its place
        order = sorted(set(shown["group"]))
    compared = " Paler bars: the period before." if before is not None else ""
    charts.bar_chart(
        shown, x="group", y="rate", series="period" if before is not None else None, unit="percent",
        title=title, x_title=axis, y_title="No-show rate", order=order, colours=charts.PERIOD_COLOURS,
        extra=[("no_shows", "No-shows"), ("appointments", "Completed + no-shows")],
        empty="No completed or missed appointments in this period.", key=f"analytics_noshow_{by}",
        file_name=f"no_show_rate_by_{by}.csv",
        caption=f"{RATE}, by {what}; {f.label}, {f.scope}.{compared}",
        csv_columns={**({"period": "Period"} if before is not None else {}), "group": axis,
                     "appointments": "Completed + no-shows", "no_shows": "No-shows", "rate": "No-show rate"},
    )


def no_shows_tab(conn: Connection, f: Filters) -> None:
    seen = reports.no_show_summary(conn, start=f.start, end=f.end, provider_id=f.provider_id, type_id=f.type_id)
    show_tiles(no_show_kpis(conn, f, seen))
    weekly = reports.weekly_no_show_rate(conn, start=f.start, end=f.end, provider_id=f.provider_id,
                                         type_id=f.type_id)
    charts.line_chart(
        weekly if seen["appointments"] else weekly.iloc[0:0], x="week", y="rate", unit="percent",
        title="No-show rate by week", x_title="Week starting (Monday)", y_title="No-show rate",
        extra=[("no_shows", "No-shows"), ("appointments", "Completed + no-shows")], key="analytics_noshow_weekly",
        empty="No completed or missed appointments in this period.", file_name="no_show_rate_by_week.csv",
        caption=f"{RATE}, per week of the appointment's start (clinic time); {f.label}, {f.scope}. The first and "
                "last weeks may be partial.",
        csv_columns={"week": "Week starting", "appointments": "Completed + no-shows", "no_shows": "No-shows",
                     "rate": "No-show rate"},
    )
    left, right = st.columns(2)
    for n, by in enumerate(GROUPINGS):
        with (left if n % 2 == 0 else right):
            _by_group_chart(conn, by, f)

    late = reports.late_cancellations(conn, start=f.start, end=f.end, provider_id=f.provider_id, type_id=f.type_id)
    any_lost = seen["no_shows"] or seen["late_cancels"]
    long = late.melt(id_vars=["week"], value_vars=["no_shows", "late_cancellations"], var_name="what",
                     value_name="appointments").assign(what=lambda d: d["what"].map(
                         {"no_shows": "No-shows", "late_cancellations": "Late cancellations"}))
    charts.bar_chart(
        long if any_lost else long.iloc[0:0], x="week", y="appointments", series="what", unit="count", x_dates=True,
        title="Late cancellations beside no-shows", x_title="Week starting (Monday)", y_title="Appointments",
        colours={"No-shows": charts.OKABE_ITO[3], "Late cancellations": charts.OKABE_ITO[1]},
        key="analytics_late_cancels", file_name="late_cancellations_and_no_shows_by_week.csv",
        empty="No no-shows and no late cancellations in this period.",
        caption=f"Per week of the appointment's start: appointments missed, and appointments cancelled within the "
                f"late-cancel notice; {f.label}, {f.scope}.",
        csv_columns={"week": "Week starting", "what": "What", "appointments": "Appointments"},
    )
    lost = reports.revenue_lost_by_week(conn, start=f.start, end=f.end, provider_id=f.provider_id, type_id=f.type_id)
    charts.bar_chart(
        lost if seen["no_shows"] else lost.iloc[0:0], x="week", y="revenue_lost", unit="money", x_dates=True,
        title="Revenue lost to no-shows", x_title="Week starting (Monday)", y_title="Estimated revenue lost",
        colours={"": charts.OKABE_ITO[3]}, extra=[("no_shows", "No-shows"), ("unpriced", "Without a fee")],
        key="analytics_revenue_lost", file_name="revenue_lost_by_week.csv",
        empty="No no-shows in this period.",
        caption=f"Each no-show at its visit type's fee on the day (the fee schedule), per week; an estimate of what "
                f"the empty slots would have billed; {f.label}, {f.scope}.",
        csv_columns={"week": "Week starting", "no_shows": "No-shows", "revenue_lost": "Estimated revenue lost",
                     "unpriced": "No-shows without a fee"},
    )
    repeat = reports.repeat_no_shows(conn, start=f.start, end=f.end, provider_id=f.provider_id, type_id=f.type_id)
    charts.table(
        repeat, title="Patients who missed more than once", key="analytics_repeat_no_shows",
        file_name="repeat_no_shows.csv", empty="No patient missed two or more appointments in this period.",
        caption=f"Patients with two or more no-shows among their appointments starting {f.label} ({f.scope}), "
                "most no-shows first: worth a call before their next visit.",
        columns={"patient": "Patient", "mrn": "MRN", "phone": "Phone",
                 "no_shows": st.column_config.NumberColumn("No-shows"),
                 "appointments": st.column_config.NumberColumn("Completed + no-shows"),
                 "rate": st.column_config.NumberColumn("No-show rate", format="percent"),
                 "last_no_show": st.column_config.DateColumn("Last no-show", format="MM/DD/YYYY")},
        csv_columns={"patient": "Patient", "mrn": "MRN", "phone": "Phone", "no_shows": "No-shows",
                     "appointments": "Completed + no-shows", "rate": "No-show rate", "last_no_show": "Last no-show"},
    )
