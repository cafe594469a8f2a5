"""Analytics › Billing: the tiles (charges, collections, net collection rate, A/R and days in A/R at
the period's end, denial rate, each against the period before), charges beside payments and
refunds, the net collection rate over time, A/R by aging bucket at each month end, denial rates
by payer and by reason, claims by status, days from service to payment by payer, and patients
owing for services over 90 days old. Every number is db.billing_reports'.

Billing is the whole clinic's: the provider and visit type filters do not apply here."""

from __future__ import annotations

from datetime import date

import streamlit as st

from clinic import billing
from components.analytics import charts
from components.analytics.controls import Filters
from components.analytics.summary import billing_kpis, show_tiles
from components.report_cache import cached
from db import Connection
from db import billing_reports as _billing_reports

billing_reports = cached(_billing_reports)

AGING_LABELS = {"0-30": "0–30 days", "31-60": "31–60 days", "61-90": "61–90 days", "91-120": "91–120 days",
                "120+": "Over 120 days"}
AGING_COLOURS = dict(zip(AGING_LABELS.values(), ("#009E73", "#56B4E9", "#E69F00", "#D55E00", "#CC79A7")))
MONEY_COLOURS = {"Charges": charts.OKABE_ITO[0], "Payments received": charts.OKABE_ITO[2],
                 "Refunds": charts.OKABE_ITO[3]}
WEEKLY_UP_TO_DAYS = 98  # periods up to 14 weeks are shown by week, longer ones by month


def billing_tab(conn: Connection, f: Filters, today: date) -> None:
    show_tiles(billing_kpis(conn, f))
    st.caption("Billing covers the whole clinic: the provider and visit type chosen above do not apply here.")
    by = "week" if (f.end - f.start).days <= WEEKLY_UP_TO_DAYS else "month"
    per = "Week starting (Monday)" if by == "week" else "Month"
    money = billing_reports.charges_and_collections(conn, start=f.start, end=f.end, by=by)
    moved = money[["charges", "payments", "refunds"]].to_numpy().any() if not money.empty else False
    long = money.melt(id_vars=["period"], value_vars=["charges", "payments", "refunds"], var_name="what",
                      value_name="amount").assign(what=lambda d: d["what"].map(
                          {"charges": "Charges", "payments": "Payments received", "refunds": "Refunds"}))
    charts.bar_chart(
        long if moved else long.iloc[0:0], x="period", y="amount", series="what", unit="money", x_dates=True,
        x_format="%b %d" if by == "week" else "%b %Y", title=f"Charges and collections by {by}", x_title=per,
        y_title="Amount", colours=MONEY_COLOURS,
        key="analytics_charges", file_name=f"charges_and_collections_by_{by}.csv",
        empty="Nothing was charged, paid or refunded in this period.",
        caption=f"Charges: finalised invoices by service date. Payments: money received (patients and insurers), by "
                f"the day it came in. Refunds: money given back. Per {by}, {f.label}.",
        csv_columns={"period": per, "what": "What", "amount": "Amount"},
    )
    rate = money.dropna(subset=["net_collection_rate"]) if not money.empty else money
    charts.line_chart(
        rate, x="period", y="net_collection_rate", unit="percent", key="analytics_net_collection",
        title=f"Net collection rate by {by}", x_title=per, y_title="Net collection rate",
        file_name=f"net_collection_rate_by_{by}.csv", empty="No charges in this period.",
        caption=f"(Payments − refunds) ÷ (charges − contractual adjustments), per {by}: how much of what the "
                f"clinic may collect it did collect. Money comes in weeks after the visit, so recent {by}s read low.",
        csv_columns={"period": per, "charges": "Charges", "payments": "Payments", "refunds": "Refunds",
                     "adjustments": "Contractual adjustments", "net_collection_rate": "Net collection rate"},
    )
    ar = billing_reports.ar_over_time(conn, start=f.start, end=f.end)
    # One bar per day, labelled (a date axis would draw month ends as thin bars at odd ticks).
    ar = ar.assign(bucket=ar["bucket"].map(AGING_LABELS), day=ar["month_end"].dt.strftime("%m/%d/%Y"))
    charts.bar_chart(
        ar if not ar.empty and ar["amount"].any() else ar.iloc[0:0], x="day", y="amount", series="bucket",
        stacked=True, unit="money", colours=AGING_COLOURS,
        key="analytics_ar", title="A/R by age at each month end", x_title="End of the day", y_title="Owed",
        file_name="ar_by_month_end.csv", empty="Nothing was owed at the month ends of this period.",
        caption="What patients and insurers owed at the end of each month (and of the period's last day), split by "
                "days since the service date; the stack is the total A/R.",
        csv_columns={"month_end": "Day", "bucket": "Age", "amount": "Owed"},
    )
    by_payer = billing_reports.denial_rates(conn, start=f.start, end=f.end, by="payer")
    charts.bar_chart(
        by_payer, x="group", y="rate", unit="percent", horizontal=True, key="analytics_denials_payer",
        title="Denial rate by payer", x_title="Payer", y_title="Claims denied ÷ claims sent",
        extra=[("denied", "Denied"), ("claims", "Sent")], colours={"": charts.OKABE_ITO[3]},
        file_name="denial_rate_by_payer.csv", empty="No claims were sent in this period.",
        caption=f"Of the claims first sent {f.label}, the share denied at least once (even if paid after an "
                "appeal), per payer.",
        csv_columns={"group": "Payer", "claims": "Claims sent", "denied": "Denied", "rate": "Denial rate"},
    )
    by_reason = billing_reports.denial_rates(conn, start=f.start, end=f.end, by="reason")
    charts.bar_chart(
        by_reason, x="group", y="rate", unit="percent", horizontal=True, key="analytics_denials_reason",
        title="Denial rate by reason", x_title="Reason", y_title="Claims denied for it ÷ claims sent",
        extra=[("denied", "Denied for it"), ("claims", "Sent")], colours={"": charts.OKABE_ITO[1]},
        file_name="denial_rate_by_reason.csv", empty="No claim sent in this period was denied.",
        caption=f"Of the claims first sent {f.label}, the share denied for each reason (the insurer's code); a "
                "claim denied for two reasons counts in both.",
        csv_columns={"group": "Reason", "claims": "Claims sent", "denied": "Denied", "rate": "Denial rate"},
    )
    status = billing_reports.claims_by_status(conn)
    status = status.assign(label=status["status"].map(billing.CLAIM_STATUS_LABELS))
    charts.bar_chart(
        status if status["claims"].any() else status.iloc[0:0], x="label", y="claims", unit="count",
        key="analytics_claims_status", title="Claims by status today", x_title="Status", y_title="Claims",
        extra=[("amount", "Billed", "$,.2f")], colours={"": charts.OKABE_ITO[0]}, order=list(status["label"]),
        file_name="claims_by_status.csv", empty="No claims yet.",
        caption="Every claim by where it stands today, whatever the period; hover for what they bill.",
        csv_columns={"status": "Status", "claims": "Claims", "amount": "Billed"},
    )
    paid = billing_reports.days_to_payment(conn, start=f.start, end=f.end)
    charts.bar_chart(
        paid, x="payer", y="average_days", unit="days", horizontal=True, key="analytics_days_to_payment",
        title="Days from service to payment by payer", x_title="Payer", y_title="Average days",
        extra=[("median_days", "Median days", ".1f"), ("invoices", "Invoices paid")], colours={"": charts.OKABE_ITO[4]},
        file_name="days_to_payment_by_payer.csv", empty="No invoice was paid in full in this period.",
        caption=f"Invoices paid in full by a payment applied {f.label}: days from the service date to that last "
                "payment, averaged per payer (the primary claim's; patient-only invoices apart).",
        csv_columns={"payer": "Payer", "invoices": "Invoices paid", "average_days": "Average days",
                     "median_days": "Median days"},
    )
    old = billing_reports.patient_balances_over_90(conn, as_of=today)
    charts.table(
        old, title="Patients owing for services over 90 days old", key="analytics_over_90",
        file_name="patient_balances_over_90_days.csv", empty="No patient owes for a service over 90 days old.",
        caption="What patients themselves owe today (no claim waiting) on invoices for services more than 90 days "
                "ago, largest first, whatever the period.",
        columns={"patient": "Patient", "mrn": "MRN",
                 "balance": st.column_config.NumberColumn("Owed", format="dollar"),
                 "oldest_service_date": st.column_config.DateColumn("Oldest service", format="MM/DD/YYYY")},
        csv_columns={"patient": "Patient", "mrn": "MRN", "balance": "Owed", "oldest_service_date": "Oldest service"},
    )

