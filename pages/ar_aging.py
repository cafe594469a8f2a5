"""Billing › A/R aging (billing, manager, admin): who owes the clinic what, by days since the
service date on a chosen day, in DESIGN.md's buckets. Split into insurance A/R (a claim is still
waiting) and patient A/R, then by payer. Every number is the database's (db.ar_reports), shown as
text; each row's buckets add up to its total and the rows to the clinic's total, to the cent."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from clinic import timeutil
from clinic.billing import AGING_KEYS
from clinic.money import money_text
from components.db_session import get_conn
from components.frame import require
from components.kpi import Tile, tiles
from components.report_cache import cached
from db import ar_reports, settings

user = require("ar_aging")
conn = get_conn()
tz = settings.timezone(conn)
today = timeutil.today(tz)

BUCKET_LABELS = {"0-30": "0–30 days", "31-60": "31–60 days", "61-90": "61–90 days", "91-120": "91–120 days",
                 "120+": "Over 120 days"}


def money_columns(buckets: dict) -> dict[str, str]:
    return {**{BUCKET_LABELS[k]: money_text(buckets[k]) for k in AGING_KEYS}, "Total": money_text(buckets["total"])}


st.title("A/R aging")
as_of = st.date_input("As of", value=today, max_value=today, key="aging_as_of", format="MM/DD/YYYY",
                      help="Ages every balance owed now by the days from its service date to this day.")
# Kept until the next write (components.report_cache): each read totals every owing invoice.
aging = cached(ar_reports)
split = aging.aging_split(conn, as_of=as_of)

tiles([
    Tile("Total A/R", money_text(split.total["total"]), "Everything finalised invoices still owe."),
    Tile("Insurance A/R", money_text(split.insurance["total"]), "Invoices with a claim the insurer has not answered."),
    Tile("Patient A/R", money_text(split.patient["total"]), "What patients owe themselves."),
])

st.subheader("By days since the service date", divider="gray")
st.dataframe(
    pd.DataFrame([{"Who owes": "Insurance", **money_columns(split.insurance)},
                  {"Who owes": "Patients", **money_columns(split.patient)},
                  {"Who owes": "Total", **money_columns(split.total)}]),
    hide_index=True, key="aging_buckets",
)
st.caption("Each row's buckets add up to its total; insurance and patients add up to the total.")

st.subheader("By payer", divider="gray")
payers = aging.aging_by_payer(conn, as_of=as_of)
if not payers:
    st.info("Nothing is owed: every finalised invoice is paid.", icon=":material/celebration:")
else:
    st.dataframe(
        pd.DataFrame([{"Payer": row.name, "Invoices": row.invoices, **money_columns(row.buckets)} for row in payers]),
        hide_index=True, key="aging_payers",
    )
    st.caption(f"“{ar_reports.PATIENT_ROW}” is what patients owe themselves (no claim waiting). "
               "Insurance rows are largest first.")
