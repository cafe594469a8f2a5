"""The Analytics tiles, gathered once for the page and the weekly KPI PDF: each tab's figures read
from its db/ function for the period (and the period before, when comparing) and formatted by
clinic.kpi_pdf, so the screen and the printout say the same. Also the weekly summary itself
(:func:`weekly_summary`: the last complete week against the week before, plus the key charts as
tables) and its download button.

No number is computed here: every figure is a db/ function's; this module only picks them.
The PDF is built when the button is clicked (``st.download_button`` with a callable, run on
another thread: db/ functions open their own cursors).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import pandas as pd
import streamlit as st

from clinic import kpi_pdf as kpi
from components.analytics.controls import Filters, period_label
from components.audit.downloads import audited
from components.downloads import pdf_fonts
from components.kpi import Tile, tiles
from components.report_cache import cached
from db import Connection, settings
from db import billing_reports as _billing_reports
from db import inventory_reports as _inventory_reports
from db import reports as _reports
from db import stock_alerts as _stock_alerts
from db import utilization_reports as _utilization_reports

billing_reports, reports, stock_alerts = cached(_billing_reports), cached(_reports), cached(_stock_alerts)
utilization_reports, inventory_reports = cached(_utilization_reports), cached(_inventory_reports)


def show_tiles(items: Sequence[kpi.Kpi]) -> None:
    """The figures as st.metric tiles, the change under each value (green when it went the good way)."""
    tiles([Tile(k.label, k.value, k.help or None, delta=k.delta, delta_color=k.delta_colour) for k in items])


# --- each tab's figures ----------------------------------------------------------------------


def no_show_kpis(conn: Connection, f: Filters, now: dict | None = None) -> list[kpi.Kpi]:
    """``now``: the period's db.reports.no_show_summary, when the caller already has it."""
    if now is None:
        now = reports.no_show_summary(conn, start=f.start, end=f.end, provider_id=f.provider_id, type_id=f.type_id)
    before = (reports.no_show_summary(conn, start=f.previous[0], end=f.previous[1], provider_id=f.provider_id,
                                      type_id=f.type_id) if f.previous else {})
    # No appointments at all before (a new clinic, history not imported): "+1,583" would mislead.
    comparing = bool(before.get("booked"))
    unpriced = f" {now['unpriced']} no-shows had no fee on their day and count $0." if now["unpriced"] else ""
    return [
        kpi.rate("No-show rate", now["rate"], before.get("rate"), comparing=comparing,
                 help="No-shows ÷ (completed + no-shows), appointments starting in the period."),
        kpi.count("No-shows", now["no_shows"], before.get("no_shows"), better=kpi.DOWN, comparing=comparing),
        kpi.count("Completed visits", now["completed"], before.get("completed"), better=kpi.UP, comparing=comparing),
        kpi.count("Late cancellations", now["late_cancels"], before.get("late_cancels"), better=kpi.DOWN,
                  comparing=comparing, help="Cancelled within the late-cancel notice."),
        kpi.money("Revenue lost to no-shows", now["revenue_lost"], before.get("revenue_lost"), better=kpi.DOWN,
                  comparing=comparing, help="Each no-show at its visit type's fee on the day (an estimate)."
                  + unpriced),
    ]


def billing_kpis(conn: Connection, f: Filters) -> list[kpi.Kpi]:
    now = billing_reports.billing_summary(conn, start=f.start, end=f.end)
    before = billing_reports.billing_summary(conn, start=f.previous[0], end=f.previous[1]) if f.previous else {}
    comparing = bool(before.get("charges") or before.get("payments"))  # nothing billed before: no change to show
    as_of = f"{now['ar_as_of']:%m/%d/%Y}"
    return [
        kpi.money("Charges", now["charges"], before.get("charges"), comparing=comparing,
                  help="Finalised invoices, by service date."),
        kpi.money("Collections", now["collections"], before.get("collections"), comparing=comparing,
                  help="Payments received less refunds."),
        kpi.rate("Net collection rate", now["net_collection_rate"], before.get("net_collection_rate"),
                 better=kpi.UP, comparing=comparing,
                 help="(Payments − refunds) ÷ (charges − contractual adjustments)."),
        kpi.money(f"A/R on {as_of}", now["ar_total"], before.get("ar_total"), better=kpi.DOWN, comparing=comparing,
                  help="Everything patients and insurers owed at the end of the period's last day."),
        kpi.days("Days in A/R", now["days_in_ar"], before.get("days_in_ar"), comparing=comparing,
                 help="A/R ÷ average daily charges of the 90 days before."),
        kpi.rate("Denial rate", now["denial_rate"], before.get("denial_rate"), comparing=comparing,
                 help="Claims first sent in the period that were denied at least once ÷ claims sent."),
    ]


def utilization_kpis(conn: Connection, f: Filters) -> list[kpi.Kpi]:
    now = utilization_reports.utilization_summary(conn, start=f.start, end=f.end, provider_id=f.provider_id)
    before = (utilization_reports.utilization_summary(conn, start=f.previous[0], end=f.previous[1],
                                                      provider_id=f.provider_id) if f.previous else {})
    comparing = bool(before.get("available_min") or before.get("booked_min"))  # as no_show_kpis
    return [
        kpi.rate("Utilization", now["rate"], before.get("rate"), better=kpi.UP, comparing=comparing,
                 help="Booked minutes ÷ available minutes (weekly hours less time off and closures); booked = "
                      "every appointment but cancelled ones, no-shows included."),
        kpi.number("Visits per provider-day", now["visits_per_day"], before.get("visits_per_day"),
                   comparing=comparing, help="Completed visits ÷ days on which a provider completed a visit."),
        kpi.count("Completed visits", now["visits"], before.get("visits"), better=kpi.UP, comparing=comparing),
        kpi.count("New patients", now["new_patients"], before.get("new_patients"), better=kpi.UP,
                  comparing=comparing, help="Patients whose first completed visit ever was in the period "
                                            "(whole clinic)."),
    ]


def stock_kpis(conn: Connection, *, today: date) -> list[kpi.Kpi]:
    counts = stock_alerts.alert_counts(conn, today=today)
    warning = stock_alerts.warning_days(conn)
    return [
        kpi.count("Items low on stock", counts["low"], better=kpi.DOWN,
                  help="On hand plus on order at or below the reorder point."),
        kpi.count(f"Lots expiring within {warning} days", counts["expiring"], better=kpi.DOWN),
        kpi.count("Expired lots to write off", counts["expired"], better=kpi.DOWN),
        kpi.count("Stock-outs at visits, open", counts["shortfalls"], better=kpi.DOWN,
                  help="Visits whose supply kit could not be taken in full, not yet resolved."),
    ]


# --- the weekly summary ------------------------------------------------------------------------


def _pct(rate: float | None) -> str:
    return "—" if rate is None or pd.isna(rate) else f"{rate:.1%}"  # NaN/None: nothing to divide by


def _weekly_tables(conn: Connection, f: Filters, today: date) -> list[kpi.Table]:
    eight_weeks = f.end - timedelta(weeks=8)
    weekly = reports.weekly_no_show_rate(conn, start=eight_weeks, end=f.end, provider_id=f.provider_id,
                                         type_id=f.type_id)
    by_provider = reports.no_show_rates(conn, "provider", start=f.start, end=f.end, provider_id=f.provider_id,
                                        type_id=f.type_id)
    usage = utilization_reports.utilization(conn, start=f.start, end=f.end, provider_id=f.provider_id)
    low = inventory_reports.on_hand_vs_reorder(conn, today=today)
    low = low[low["low"]]
    return [
        kpi.Table("No-show rate, last 8 weeks",
                  "No-shows ÷ (completed + no-shows) per week (Monday to Sunday) of the appointment's start.",
                  (("Week of", 40, "LEFT"), ("Completed + no-shows", 50, "RIGHT"), ("No-shows", 40, "RIGHT"),
                   ("Rate", 40, "RIGHT")),
                  [(f"{r.week:%m/%d/%Y}", f"{r.appointments:,}", f"{r.no_shows:,}", _pct(r.rate))
                   for r in weekly.itertuples()]),
        kpi.Table("No-shows by provider", "The week's no-show rate per provider.",
                  (("Provider", 80, "LEFT"), ("Completed + no-shows", 40, "RIGHT"), ("No-shows", 30, "RIGHT"),
                   ("Rate", 30, "RIGHT")),
                  [(r.group, f"{r.appointments:,}", f"{r.no_shows:,}", _pct(r.rate)) for r in by_provider.itertuples()],
                  empty="No completed or missed visits this week."),
        kpi.Table("Utilization by provider", "Booked minutes ÷ available minutes (weekly hours less time off and "
                  "closures), the week's appointments that were not cancelled.",
                  (("Provider", 80, "LEFT"), ("Booked (min)", 35, "RIGHT"), ("Available (min)", 35, "RIGHT"),
                   ("Utilization", 30, "RIGHT")),
                  [(r.provider, f"{r.booked_min:,}", f"{r.available_min:,}", _pct(r.rate)) for r in usage.itertuples()],
                  empty="No provider had hours or bookings this week."),
        kpi.Table("Items low on stock", "Active items whose usable stock plus what is on order is at or below the "
                  "reorder point, today.",
                  (("Item", 80, "LEFT"), ("SKU", 35, "LEFT"), ("On hand", 25, "RIGHT"), ("On order", 25, "RIGHT"),
                   ("Reorder point", 25, "RIGHT")),
                  [(r.item, r.sku, f"{r.on_hand:,}", f"{r.on_order:,}", f"{r.reorder_point:,}")
                   for r in low.itertuples()],
                  empty="No item is low on stock."),
    ]


def weekly_summary(conn: Connection, *, today: date, provider_id: int | None = None, type_id: int | None = None,
                   provider_name: str | None = None, type_name: str | None = None) -> kpi.Summary:
    """The last complete week (Monday to Sunday) against the week before, for the given provider and
    visit type (all when None)."""
    start, end = kpi.last_week(today)
    f = Filters(start=start, end=end, previous=(start - timedelta(weeks=1), start), provider_id=provider_id,
                type_id=type_id, provider_name=provider_name, type_name=type_name)
    booked = utilization_kpis(conn, f)[0]  # the other (completed visits) is among the no-show figures
    groups = [("Appointments and no-shows", [booked, *no_show_kpis(conn, f)]),
              ("Billing (whole clinic)", billing_kpis(conn, f)), ("Stock today", stock_kpis(conn, today=today))]
    return kpi.Summary(clinic_name=settings.get(conn, "clinic_name"), start=start, end=end,
                       scope=f.scope[0].upper() + f.scope[1:], groups=groups, tables=_weekly_tables(conn, f, today))


def weekly_pdf_button(conn: Connection, f: Filters, today: date) -> None:
    """"Download weekly KPI summary (PDF)": the last complete week, for the provider and visit type chosen."""
    start, end = kpi.last_week(today)
    fonts = pdf_fonts()
    st.download_button(
        "Download weekly KPI summary (PDF)", key="analytics_weekly_pdf", icon=":material/print:",
        **audited("kpi_pdf", lambda: kpi.kpi_pdf(weekly_summary(conn, today=today, provider_id=f.provider_id, type_id=f.type_id,
                                                provider_name=f.provider_name, type_name=f.type_name), **fonts), category="security", entity="kpi_summary",
                  detail={"week": start.isoformat(), "provider_id": f.provider_id, "type_id": f.type_id}),
        mime="application/pdf", file_name=kpi.filename(start),
        help=f"The week {period_label(start, end)} against the week before: the tiles and the key charts as "
             "tables, for the provider and visit type chosen.",
    )

