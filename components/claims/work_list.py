"""The claims work list: tiles for what needs attention, then one tab per group (every open
claim by status and age, denied with reasons, no answer in 30 days, near the filing limit)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from clinic.billing import CLAIM_STATUS_LABELS
from clinic.claims import FILING_WARNING_DAYS, UNANSWERED_DAYS
from clinic.money import money_text
from components.kpi import Tile, tiles
from db.claim_work import WorkItem, WorkList

RANK_LABELS = {1: "Primary", 2: "Secondary"}
# The most claims a table (and the claim picker) lists: the first, the most urgent in each table's
# order. A large clinic has tens of thousands of open claims, seconds to build and send on every
# rerun; "Find any claim" opens any of them.
LIST_LIMIT = 2_000


def item_label(item: WorkItem) -> str:
    """How a claim reads in the picker: number, patient, payer, status."""
    return (f"{item.control_number} · {item.patient_name} · {item.payer_name} · "
            f"{CLAIM_STATUS_LABELS.get(item.status, item.status)}")


def _table(items: list[WorkItem], extra: str | None = None) -> pd.DataFrame:
    rows = []
    for i in items:
        row = {"claim": i.control_number, "patient": i.patient_name, "payer": i.payer_name,
               "rank": RANK_LABELS.get(i.rank, str(i.rank)), "status": CLAIM_STATUS_LABELS.get(i.status, i.status),
               "service": i.service_date, "submitted": i.submitted_on, "age": i.age,
               "charge": money_text(i.total_charge), "balance": money_text(i.invoice_balance)}
        if extra == "reasons":
            row["reasons"] = "; ".join(i.reasons) or "—"
        elif extra == "days_left":
            row["days_left"] = i.filing_days_left
        rows.append(row)
    columns = ["claim", "patient", "payer", "rank", "status", "service", "submitted", "age", "charge", "balance"]
    return pd.DataFrame(rows, columns=columns + ([extra] if extra else []))


_COLUMNS = {
    "claim": "Claim",
    "patient": "Patient",
    "payer": "Payer",
    "rank": "Insurer",
    "status": "Status",
    "service": st.column_config.DateColumn("Service", format="MM/DD/YYYY"),
    "submitted": st.column_config.DateColumn("Submitted", format="MM/DD/YYYY"),
    "age": st.column_config.NumberColumn("Age (days)", help="Days since submitted, or since the service if not sent yet."),
    "charge": "Billed",
    "balance": st.column_config.TextColumn("Invoice balance", help="What the invoice still owes in all."),
    "reasons": st.column_config.TextColumn("Why denied", width="large"),
    "days_left": st.column_config.NumberColumn("Days left to file", help="Negative: the limit has passed."),
}


def _show(items: list[WorkItem], key: str, *, extra: str | None = None, empty: str) -> None:
    if not items:
        st.caption(empty)
        return
    st.dataframe(_table(items[:LIST_LIMIT], extra), hide_index=True, key=key, column_config=_COLUMNS)
    if len(items) > LIST_LIMIT:
        st.caption(f"The first {LIST_LIMIT:,} of these {len(items):,} claims are listed, the most urgent first; "
                   "“Find any claim” below opens any of them.")


def show(work: WorkList, *, awaiting_count: int, awaiting_total) -> None:
    tiles([
        Tile("Awaiting an answer", f"{awaiting_count:,}", "Claims submitted, accepted or appealed."),
        Tile("Billed on those claims", money_text(awaiting_total), "What the claims awaiting an answer bill in all."),
        Tile("Denied", len(work.denied), "Appeal them, correct and resubmit, or bill the patient."),
        Tile(f"No answer in {UNANSWERED_DAYS} days", len(work.unanswered), "Call the insurer about these."),
        Tile("Near the filing limit", len(work.near_filing_limit),
             f"Not yet with the insurer and {FILING_WARNING_DAYS} days or fewer to the payer's limit."),
    ])
    by_status, denied, silent, limit = st.tabs(["By status", f"Denied ({len(work.denied)})",
                                                f"No answer in {UNANSWERED_DAYS} days ({len(work.unanswered)})",
                                                f"Near filing limit ({len(work.near_filing_limit)})"])
    with by_status:
        st.dataframe(
            pd.DataFrame([{"status": CLAIM_STATUS_LABELS[s.status], "count": s.count, "billed": money_text(s.total),
                           "average": s.average_days, "oldest": s.oldest_days} for s in work.by_status],
                         columns=["status", "count", "billed", "average", "oldest"]),
            hide_index=True, key="claims_by_status",
            column_config={"status": "Status", "count": "Claims", "billed": "Billed",
                           "average": st.column_config.NumberColumn("Average age (days)"),
                           "oldest": st.column_config.NumberColumn("Oldest (days)")},
        )
        _show(work.open_items, "claims_open", empty="No claim needs work: every one is answered and settled.")
    with denied:
        _show(work.denied, "claims_denied", extra="reasons", empty="No denied claims.")
    with silent:
        _show(work.unanswered, "claims_unanswered", empty=f"Every claim sent over {UNANSWERED_DAYS} days ago has an answer.")
    with limit:
        _show(work.near_filing_limit, "claims_near_limit", extra="days_left", empty="No claim is near its filing limit.")
