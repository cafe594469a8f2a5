"""Billing › Claims (billing, manager, admin), three tabs: the work list (by status and age, denied
with reasons, no answer in 30 days, near the payer's filing limit), invoices ready to claim, and
one claim opened: its lines, answers and history, its status buttons, and the form that posts the
insurer's answer line by line; sending draft claims as an 837P file (and the files sent); and
importing an 835 remittance after reviewing it."""

from __future__ import annotations

import streamlit as st

from clinic import timeutil
from clinic.access import can_do
from clinic.billing import CLAIMS_AWAITING
from clinic.errors import ClinicError
from clinic.money import money_text
from components import forms
from components.claims import actions, answer_form, batches, detail, remittances, work_list
from components.db_session import get_conn
from components.frame import require
from components.report_cache import cached
from db import claim_work, claims, settings

user = require("claims")
conn = get_conn()
tz = settings.timezone(conn)
today = timeutil.today(tz)
may_act = can_do(user.role, "billing.claim")
PICK = "claims_pick"


def make_claim(invoice_id: int) -> None:
    try:
        claim_id = claims.create_claim(conn, invoice_id, user=user)
    except ClinicError as exc:
        forms.set_errors("claims_make", {"": str(exc)})
        return
    forms.clear_errors("claims_make")
    st.session_state[PICK] = claim_id
    forms.flash(f"Claim {claims.get_claim(conn, claim_id).control_number} made from invoice {invoice_id}: "
                "check it, then submit it.")


st.title("Claims")
st.caption("Claims to insurers made from finalised invoices: what waits for an answer, what was denied and why, "
           "what needs a call, and what must be filed soon.")
forms.show_flashes()

TABS = ("Work list", "Send claims (837P)", "Remittances (835)")
work_tab, send_tab, remit_tab = st.tabs(TABS, key="claims_tab", bind="query-params")


# Kept until the next write (components.report_cache): a clerk's clicks that change nothing (a tab, a
# claim opened, a filter) do not total a large clinic's claims again. Shared, not copied: the work list
# of a large clinic is tens of thousands of claims (read-only here).
work_reads = cached(claim_work, shared=True)


def work_list_tab() -> None:
    work = work_reads.claim_work_list(conn, as_of=today)
    work_list.show(work, awaiting_count=work_reads.claims_awaiting_count(conn),
                   awaiting_total=work_reads.claims_awaiting_total(conn))

    ready = work_reads.unclaimed_invoices(conn)
    with st.expander(f"Invoices ready to claim ({len(ready)})", expanded=False):
        if not ready:
            st.caption("Every finalised invoice of an insured patient has its claim.")
        else:
            ready_by_id = {r.invoice_id: r for r in ready}
            chosen_invoice = st.selectbox(
                "Invoice", list(ready_by_id), key="claims_ready_invoice",
                format_func=lambda i: (f"Invoice {i} · {ready_by_id[i].patient_name} · {ready_by_id[i].payer_name} · "
                                       f"{ready_by_id[i].service_date:%m/%d/%Y} · owes {money_text(ready_by_id[i].balance)}"))
            if may_act:
                st.button("Make claim", key="claims_make_button", icon=":material/note_add:", on_click=make_claim,
                          args=(chosen_invoice,))
            forms.form_error("claims_make")

    st.subheader("Open a claim", divider="gray")
    search = st.text_input("Find any claim", key="claims_find", placeholder="Claim number or patient name",
                           help=f"Empty: choose among the first {work_list.LIST_LIMIT:,} open claims of the work list.")
    if search.strip():
        found = claims.find_claims(conn, text=search)
        labels = {c.id: f"{c.control_number} · {c.patient_name} · {c.payer_name} · {c.status.replace('_', ' ')}"
                  for c in found}
    else:
        labels = {i.claim_id: work_list.item_label(i) for i in work.open_items[:work_list.LIST_LIMIT]}
    picked = st.session_state.get(PICK)
    if picked is not None and picked not in labels:
        # A claim just made or answered (now paid) stays open on the page.
        try:
            c = claims.get_claim(conn, picked)
            labels = {c.id: f"{c.control_number} · {c.patient_name} · {c.payer_name} · {c.status.replace('_', ' ')}",
                      **labels}
        except ClinicError:
            st.session_state.pop(PICK)
    if not labels:
        st.caption("No claim matches." if search.strip() else "No open claims.")
        return
    claim_id = st.selectbox("Claim", list(labels), key=PICK, format_func=labels.get, index=None,
                            placeholder="Choose a claim")
    if claim_id is None:
        return

    claim = claims.get_claim(conn, claim_id)
    detail.show(conn, claim, tz)
    actions.buttons(conn, user, claim, may_act=may_act)
    if may_act and (claim.status in CLAIMS_AWAITING or claim.status == "partially_paid"):
        answer_form.answer_form(conn, user, claim, today=today)
    elif claim.status == "draft":
        st.caption("Submit the claim before posting the insurer's answer.")


if work_tab.open:
    with work_tab:
        work_list_tab()
if send_tab.open:
    with send_tab:
        batches.send_tab(conn, user, may_act=may_act)
if remit_tab.open:
    with remit_tab:
        remittances.remittance_tab(conn, user, may_act=may_act)
