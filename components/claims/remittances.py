"""The Claims page's "Remittances (835)" tab: upload an 835, review what it would post to which
invoice (and what it leaves to a person, and why) with its totals checked against the payment,
post it, and the remittances imported so far."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from clinic import timeutil
from clinic.billing import CLAIM_STATUS_LABELS
from clinic.errors import ClinicError
from clinic.money import money_text
from clinic.remittance import status_label
from components import forms
from components.text import md
from db import Connection, remittances, settings
from db.remittances import Planned, Review

FORM = "remittance"
GENERATION = "remittance_upload_generation"
OUTCOMES = {"post": "Post", "posted": "Posted", "unmatched": "Unknown claim number",
            "already_posted": "Posted before", "not_posted": "Left for you"}


def outcome_text(outcome: str, reason: str | None, status_after: str | None = None) -> str:
    """What happens to one claim payment, in the clerk's words (a denial is recorded, not paid)."""
    if status_after == "denied" and outcome in ("post", "posted"):
        text = "Record the denial" if outcome == "post" else "Denial recorded"
    else:
        text = OUTCOMES[outcome]
    return text + (f": {reason}" if reason else "")


def remittance_tab(conn: Connection, user, *, may_act: bool) -> None:
    st.caption("An 835 is the insurer's electronic answer to claims sent. Upload it to see what it pays, to which "
               "invoice, before anything is posted. Claims it does not match are listed, never guessed.")
    generation = st.session_state.setdefault(GENERATION, 0)
    upload = st.file_uploader("835 remittance file", key=f"remittance_file_{generation}",
                              type=["835", "txt", "edi", "x12", "era", "dat"],
                              help="As downloaded from the clearinghouse or the payer's portal.", disabled=not may_act)
    forms.field_error(FORM, "file")
    if upload is not None:
        text = upload.getvalue().decode("latin-1")
        try:
            review = remittances.review_835(conn, text, file_name=upload.name)
        except ClinicError as exc:
            st.error(str(exc), icon=":material/error:")
        else:
            _review(review)
            to_post = review.of("post")
            if to_post:
                st.button(f"Post {len(to_post)} claim payments, {money_text(review.to_post_total)}", type="primary",
                          icon=":material/playlist_add_check:", key="remittance_post",
                          on_click=_post, args=(conn, user, text, upload.name))
            else:
                st.caption("Nothing in this file can be posted automatically.")
    forms.form_error(FORM)
    _history(conn)


def _post(conn: Connection, user, text: str, file_name: str) -> None:
    try:
        done = remittances.import_835(conn, text, file_name=file_name, user=user)
    except ClinicError as exc:
        forms.set_errors(FORM, {exc.field if exc.field == "file" else "": str(exc)})
        return
    forms.clear_errors(FORM)
    st.session_state[GENERATION] = st.session_state.get(GENERATION, 0) + 1
    st.session_state["remittance_pick"] = done.remittance_id
    left = f" {done.not_posted} left for you: see the list below." if done.not_posted else ""
    forms.flash(f"Posted {done.posted} claim payments from {md(file_name)}, "
                f"{money_text(done.review.to_post_total)}.{left}")


def _review(review: Review) -> None:
    r = review.remittance
    st.markdown(f"**{md(r.payer_name or r.payer_key)}** · {'check' if r.method == 'CHK' else 'payment'} "
                f"{md(r.trace_number)}" + (f" · {r.paid_on:%m/%d/%Y}" if r.paid_on else ""))
    a, b, c, d = st.columns(4)
    a.metric("Payment", money_text(r.payment_amount), help="BPR02: what the payer sent.")
    b.metric("Claim payments", money_text(review.claims_total), help="The sum of every claim's paid amount (CLP04).")
    c.metric("Provider adjustments", money_text(r.provider_adjustment_total),
             help="PLB: money the payer took back (positive) or added, e.g. interest (negative), outside any "
                  "claim. Not posted to an invoice.")
    d.metric("To post now", money_text(review.to_post_total))
    if review.balanced:
        st.success(f"Claim payments {money_text(review.claims_total)} − provider adjustments "
                   f"{money_text(r.provider_adjustment_total)} = the payment {money_text(r.payment_amount)}.",
                   icon=":material/check:")
    for warning in r.warnings:
        st.caption(f"Note from the validator (does not touch the money): {md(warning)}")
    st.dataframe(_claims_table(review.planned), hide_index=True, key="remittance_review_table",
                 column_config=_CLAIM_COLUMNS)
    if r.provider_adjustments:
        st.markdown("**Provider adjustments**")
        st.dataframe(pd.DataFrame([{"reason": p.reason, "reference": p.reference or "—", "amount": money_text(p.amount)}
                                   for p in r.provider_adjustments]), hide_index=True,
                     column_config={"reason": "Reason code", "reference": "Reference", "amount": "Amount"})


def _claims_table(planned: tuple[Planned, ...]) -> pd.DataFrame:
    return pd.DataFrame([{
        "claim": p.payment.control_number, "patient": p.patient_name or "—",
        "invoice": str(p.invoice_id) if p.invoice_id else "—", "answer": p.status_label, "charge": money_text(p.payment.charge),
        "paid": money_text(p.payment.paid), "write_off": money_text(p.write_off) if p.outcome == "post" else "—",
        "patient_share": money_text(p.patient_share) if p.outcome == "post" else "—",
        "status_after": CLAIM_STATUS_LABELS.get(p.status_after, "—") if p.status_after else "—",
        "outcome": outcome_text(p.outcome, p.reason, p.status_after)} for p in planned])


_CLAIM_COLUMNS = {
    "claim": "Claim", "patient": "Patient", "invoice": "Invoice",
    "answer": "Payer's answer", "charge": "Billed", "paid": "Paid", "write_off": "Written off",
    "patient_share": st.column_config.TextColumn("Patient's share", help="PR: deductible, coinsurance, copay."),
    "status_after": "Claim becomes",
    "outcome": st.column_config.TextColumn("What happens", width="medium"),
}


def _history(conn: Connection) -> None:
    st.subheader("Remittances imported", divider="gray")
    tz = settings.timezone(conn)
    rows = remittances.list_remittances(conn)
    if not rows:
        st.caption("No 835 has been imported yet.")
        return
    st.dataframe(pd.DataFrame([{
        "file": r.file_name, "payer": r.payer_name or "—", "trace": r.trace_number,
        "amount": money_text(r.payment_amount), "plb": money_text(r.provider_adjustment_total),
        "paid_on": r.paid_on, "posted": r.posted, "left": r.not_posted, "by": r.imported_by or "—",
        "at": timeutil.to_local(r.imported_at, tz).replace(tzinfo=None)} for r in rows]), hide_index=True,
        key="remittance_history",
        column_config={"file": "File", "payer": "Payer", "trace": "Check/EFT", "amount": "Payment",
                       "plb": "Provider adj.", "paid_on": st.column_config.DateColumn("Paid on", format="MM/DD/YYYY"),
                       "posted": "Posted", "left": "Left for you", "by": "Imported by",
                       "at": st.column_config.DatetimeColumn("When", format="MM/DD/YYYY h:mm a")})
    by_id = {r.id: r for r in rows}
    if st.session_state.get("remittance_pick") not in by_id:
        st.session_state["remittance_pick"] = rows[0].id
    chosen = st.selectbox("Remittance", list(by_id), key="remittance_pick",
                          format_func=lambda i: f"{by_id[i].file_name} · {by_id[i].payer_name or ''} · "
                                                f"{money_text(by_id[i].payment_amount)}")
    claims = remittances.remittance_claims(conn, chosen)
    st.dataframe(pd.DataFrame([{
        "claim": c.control_number, "invoice": str(c.invoice_id) if c.invoice_id else "—", "answer": status_label(c.status_code), "charge": money_text(c.charge),
        "paid": money_text(c.paid), "outcome": outcome_text(c.outcome, c.reason, c.status_after)}
        for c in claims]), hide_index=True, key="remittance_claims_table",
        column_config={"claim": "Claim", "invoice": "Invoice",
                       "answer": "Payer's answer", "charge": "Billed", "paid": "Paid",
                       "outcome": st.column_config.TextColumn("Outcome", width="large")})
    plb = remittances.provider_adjustments(conn, chosen)
    if plb:
        st.caption("Provider adjustments: " + md("; ".join(
            f"{reason}{f' ({ref})' if ref else ''} {money_text(amount)}" for reason, ref, amount in plb)))
