"""Analytics › Utilization: how full the providers' hours are (booked minutes ÷ available minutes
per provider per week), new patients per month and completed visits per provider-day. Every
number is db.reports'."""

from __future__ import annotations

from components.analytics import charts
from components.analytics.controls import Filters
from components.analytics.summary import show_tiles, utilization_kpis
from components.report_cache import cached
from db import Connection
from db import reports as _reports
from db import utilization_reports as _utilization_reports

reports, utilization_reports = cached(_reports), cached(_utilization_reports)


def utilization_tab(conn: Connection, f: Filters) -> None:
    show_tiles(utilization_kpis(conn, f))
    weekly = utilization_reports.utilization(conn, start=f.start, end=f.end, provider_id=f.provider_id)
    who = f.provider_name or "each provider"
    charts.line_chart(
        weekly, x="week", y="rate", series="provider", unit="percent", key="analytics_utilization",
        title="Utilization by provider and week", x_title="Week starting (Monday)", y_title="Booked ÷ available",
        extra=[("booked_min", "Booked minutes", ",d"), ("available_min", "Available minutes", ",d")],
        empty="No provider had working hours or bookings in this period.", file_name="utilization_by_week.csv",
        caption=f"Minutes booked (appointments not cancelled, no-shows included) ÷ minutes available (weekly hours "
                f"less time off, closures and holidays), per week, {who}; {f.label}. Above 100 %: booked beyond "
                "their hours. Every visit type counts.",
        csv_columns={"week": "Week starting", "provider": "Provider", "booked_min": "Booked minutes",
                     "available_min": "Available minutes", "rate": "Utilization"},
    )
    new = utilization_reports.new_patients_by_month(conn, start=f.start, end=f.end)
    charts.bar_chart(
        new if new["new_patients"].any() else new.iloc[0:0], x="month", y="new_patients", unit="count",
        x_dates=True, x_format="%b %Y", key="analytics_new_patients", title="New patients by month",
        x_title="Month", y_title="New patients", file_name="new_patients_by_month.csv",
        empty="No new patient was seen in this period.",
        caption=f"Patients whose first completed visit ever falls in the month, the whole clinic; {f.label} (the "
                "first and last months count only the period's days).",
        csv_columns={"month": "Month", "new_patients": "New patients"},
    )
    per_day = utilization_reports.visits_per_provider_day(conn, start=f.start, end=f.end)
    charts.bar_chart(
        per_day, x="provider", y="visits_per_day", unit="number", horizontal=True, key="analytics_visits_per_day",
        title="Visits per provider-day", x_title="Provider", y_title="Completed visits per day seeing patients",
        extra=[("visits", "Completed visits"), ("days", "Days seeing patients")],
        file_name="visits_per_provider_day.csv", empty="No completed visits in this period.",
        caption=f"Completed visits ÷ the days the provider saw at least one patient, every provider; {f.label}.",
        csv_columns={"provider": "Provider", "days": "Days seeing patients", "visits": "Completed visits",
                     "visits_per_day": "Visits per day"},
    )
