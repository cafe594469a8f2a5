"""Home: what matters today for the signed-in role, counted from the database. A clinician linked
to a provider sees their own patients' numbers; everyone else the clinic's. The billing office
(billing, manager, admin) also sees unpaid invoices and claims awaiting an insurer's answer; the
stock office (front desk, manager, admin) items low on stock, lots expiring or expired, and service
contracts to renew. The day's schedule table is only for the roles that work the schedule
(billing sees the counts, no patient's name)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from clinic import analytics, greeting, timeutil
from clinic.scheduling import STATUS_LABELS
from clinic.access import ROLE_LABELS, can_open
from clinic.inventory import RENEWAL_NOTICE_DAYS
from clinic.money import money_text
from components.db_session import get_conn
from components.frame import require
from components.kpi import Tile, percent, tiles
from components.text import md
from db import (appointments, ar_reports, availability, messages, patients, providers, settings, stock_alerts, users,
                vendors)

user = require("home")
conn = get_conn()
config = settings.get_all(conn)
tz = config["timezone"]
today = timeutil.today(tz)
day_start, day_end = timeutil.day_bounds(today, tz)

name = greeting.greeting_name(user.full_name)
st.title(f"Hello, {md(name)}" if name else "Hello")
st.caption(f"{md(config['clinic_name'])} · {today:%A %d %B %Y} · {ROLE_LABELS[user.role]}")

own = providers.for_user(conn, user.id) if user.role == "clinician" else None
provider_id = own.id if own is not None else None
counts = appointments.count_by_status(conn, day_start, day_end, provider_id=provider_id)
booked_today = analytics.booked_count(counts)
waiting = counts["checked_in"]

if own is not None:
    st.caption(f"Counts for your patients ({md(own.name)}).")
tiles([
    Tile("Appointments today", booked_today, "Booked for today, cancelled ones not counted."),
    Tile("Checked in now", waiting, "Arrived and waiting or being seen."),
    Tile("Completed today", counts["completed"]),
    Tile("No-shows today", counts["no_show"]),
])

follow_up = [
    Tile("Open messages for you", messages.count_open_for(conn, user_id=user.id, role=user.role),
         "Open items in the inbox assigned to you or to your role."),
]
if user.role in ("manager", "admin"):
    no_show, completed = appointments.outcome_counts(conn, *timeutil.last_days_bounds(today, 30, tz))
    follow_up.append(
        Tile(
            "No-show rate, last 30 days",
            percent(analytics.no_show_rate(no_show, completed)),
            "No-shows ÷ (completed + no-shows), appointments starting in the 30 days before today.",
        )
    )
if user.role == "admin":
    follow_up += [Tile("Active patients", patients.count_active(conn)), Tile("Active users", users.count_active(conn))]
tiles(follow_up, columns=4)

if can_open(user.role, "ar_aging"):  # the billing office: billing, manager, admin
    unpaid_count, unpaid_total = ar_reports.unpaid_invoices_summary(conn)
    awaiting_count, awaiting_total = ar_reports.claims_awaiting_summary(conn)
    tiles([
        Tile("Unpaid invoices", unpaid_count, "Finalised invoices that still owe something (open or partly paid)."),
        Tile("Owed on them", money_text(unpaid_total), "What those invoices still owe, insurance and patients."),
        Tile("Claims awaiting an answer", awaiting_count, "Sent to the insurer (submitted, accepted or appealed)."),
        Tile("Billed on those claims", money_text(awaiting_total)),
    ], columns=4)

if can_open(user.role, "inventory"):  # the stock office: front desk, manager, admin
    stock = stock_alerts.alert_counts(conn, today=today)
    warning = stock_alerts.warning_days(conn)
    tiles([
        Tile("Items low on stock", stock["low"],
             "Usable on-hand plus what is on order is at or below the reorder point (Inventory › Stock)."),
        Tile(f"Lots expiring within {warning} days", stock["expiring"], "Lots with stock, not yet expired."),
        Tile("Expired lots to write off", stock["expired"], "Expired lots still on the shelves (Stock › Expiry)."),
        Tile("Contracts to renew", len(vendors.contracts_due(conn, today=today)),
             f"Service contracts ending within {RENEWAL_NOTICE_DAYS} days, or ended (Inventory › Vendors and contractors)."),
    ], columns=4)

closed = availability.closures_between(conn, today, today).get(today)
if closed:
    st.info(f"The clinic is closed today: {md(closed)}.", icon=":material/event_busy:")


def schedule_table() -> None:
    """The day's appointments (or the next clinic day's) for a role that works the schedule."""
    day = appointments.list_rows(conn, day_start, day_end, provider_id=provider_id)
    shown_day = today
    if not day:
        # Nothing today (a closure, a weekend): show the next day with appointments instead.
        upcoming = appointments.next_start_after(conn, day_end, provider_id=provider_id)
        if upcoming is not None:
            shown_day = timeutil.to_local(upcoming, tz).date()
            day = appointments.list_rows(conn, *timeutil.day_bounds(shown_day, tz), provider_id=provider_id)
    whose = f"Your patients ({md(own.name)})" if own is not None else "Schedule"
    st.subheader(f"{whose} today" if shown_day == today else f"{whose}, next clinic day: {shown_day:%A %d %B}")

    if not day:
        st.caption("No appointments booked.")
    else:
        st.dataframe(
            pd.DataFrame([
                {"start_at": timeutil.to_local(r.start_at, tz), "patient": r.patient, "mrn": r.mrn,
                 "provider": r.provider, "visit_type": r.visit_type, "status": STATUS_LABELS[r.status],
                 "reason": r.reason or "—"}
                for r in day
            ]),
            hide_index=True,
            column_config={
                "start_at": st.column_config.DatetimeColumn("Time", format="HH:mm"),
                "status": "Status",
                "patient": "Patient",
                "mrn": "MRN",
                "provider": "Provider",
                "visit_type": "Visit type",
                "reason": "Reason",
            },
        )


# Minimum necessary: a role that does not work the schedule (billing) gets the counts above, and
# no patient's name, time or reason is sent to its browser.
if can_open(user.role, "today"):
    schedule_table()
