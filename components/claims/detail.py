"""One claim as the clerk reads it: who and what it bills, its lines, the insurer's answers with
their adjustments, and its history (every status change, when and by whom)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from clinic import carc, timeutil
from clinic.billing import CLAIM_STATUS_LABELS
from clinic.claims import REMAINDER_LABELS
from clinic.money import money_text
from components.text import md
from db import Connection
from db.claim_answers import claim_answers
from db.claim_batches import send_problems
from db.claims import Claim, claim_events, claim_lines

RANK_LABELS = {1: "primary", 2: "secondary"}


def show(conn: Connection, claim: Claim, tz: str) -> None:
    st.subheader(f"Claim {claim.control_number} · {CLAIM_STATUS_LABELS.get(claim.status, claim.status)}", divider="gray")
    st.markdown(
        f"**{md(claim.patient_name)}** · {md(claim.payer_name)} ({RANK_LABELS.get(claim.rank, claim.rank)}) · "
        f"member {md(claim.member_id)}" + (f", group {md(claim.group_number)}" if claim.group_number else "")
        + f"  \nService {claim.service_date:%m/%d/%Y} · invoice {claim.invoice_id} · billed "
        f"{money_text(claim.total_charge)} · the invoice still owes {money_text(claim.invoice_balance)}"
        + (f"  \nDiagnoses: {md(', '.join(f'{chr(65 + n)} {d}' for n, d in enumerate(claim.diagnoses)))}"
           if claim.diagnoses else ""))
    if claim.status == "draft":
        problems = send_problems(conn, claim.id)
        if problems:
            st.warning("Not ready to send electronically:\n\n" + "\n".join(f"- {md(p)}" for p in problems),
                       icon=":material/report:")
    lines = claim_lines(conn, claim.id)
    st.dataframe(
        pd.DataFrame([{"n": x.position, "code": x.code, "description": x.description, "quantity": x.quantity,
                       "charge": money_text(x.charge), "pointers": x.pointers or "—"} for x in lines],
                     columns=["n", "code", "description", "quantity", "charge", "pointers"]),
        hide_index=True, key=f"claim_{claim.id}_lines",
        column_config={"n": "Line", "code": "Code", "description": "Description", "quantity": "Qty",
                       "charge": "Charge", "pointers": "Diagnosis pointers"},
    )
    answers = claim_answers(conn, claim.id)
    if answers:
        st.markdown("**Insurer's answers**")
        for answer in answers:
            st.caption(f"Received {answer.received_on:%m/%d/%Y} · paid {money_text(answer.paid)} · "
                       f"{CLAIM_STATUS_LABELS.get(answer.status_after, answer.status_after)} · "
                       f"{REMAINDER_LABELS.get(answer.remainder_to, answer.remainder_to)}"
                       + (f" · {md(answer.note)}" if answer.note else ""))
            st.dataframe(
                pd.DataFrame([{"n": x.position, "code": x.code, "charge": money_text(x.charge),
                               "allowed": money_text(x.allowed), "paid": money_text(x.paid),
                               "adjustments": "; ".join(f"{carc.label(g, r)} {money_text(a)}" for g, r, a, _n in
                                                        x.adjustments) or "—"} for x in answer.lines],
                             columns=["n", "code", "charge", "allowed", "paid", "adjustments"]),
                hide_index=True, key=f"claim_answer_{answer.id}",
                column_config={"n": "Line", "code": "Code", "charge": "Charge", "allowed": "Allowed", "paid": "Paid",
                               "adjustments": st.column_config.TextColumn("Adjustments", width="large")},
            )
    with st.expander("History", expanded=False):
        for event in claim_events(conn, claim.id):
            when = timeutil.to_local(event.changed_at, tz)
            move = (CLAIM_STATUS_LABELS.get(event.to_status, event.to_status) if event.from_status is None else
                    f"{CLAIM_STATUS_LABELS.get(event.from_status, event.from_status)} → "
                    f"{CLAIM_STATUS_LABELS.get(event.to_status, event.to_status)}")
            st.markdown(f"{when:%m/%d/%Y %I:%M %p} · **{move}** · {md(event.by_name or 'system')}"
                        + (f"  \n{md(event.note)}" if event.note else ""))
