"""The Claims page's "Send claims" tab: the draft claims, each ready or with what stops it (in
words the clerk can act on), sending them as one 837P file, and the files sent, each downloadable
again exactly as it was sent."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from clinic import timeutil
from clinic.errors import ClinicError
from clinic.money import ZERO, money_text
from clinic.practice import USAGES
from components import forms
from components.claims.work_list import RANK_LABELS
from db import Connection, claim_batches, payers, settings

FORM = "claim_send"
ALL = 0


def send_tab(conn: Connection, user, *, may_act: bool) -> None:
    st.caption("Draft claims go to the clearinghouse as one 837P file. Each is checked first for what a payer "
               "would reject; the file is validated before it is kept, and sending marks its claims submitted.")
    for problem in claim_batches.identity_problems(conn):
        st.warning(problem, icon=":material/settings:")
    payer_by_id = {p.id: p.name for p in payers.list_payers(conn) if p.kind != "self_pay"}
    left, right = st.columns([2, 1])
    payer_id = left.selectbox("Payer", [ALL, *payer_by_id], key="claim_send_payer",
                              format_func=lambda i: "Every payer" if i == ALL else payer_by_id[i])
    since = right.date_input("Services from", value=None, key="claim_send_since", format="MM/DD/YYYY",
                             help="Leave empty for every draft claim.")
    drafts = claim_batches.draft_claims(conn, payer_id=payer_id or None, since=since)
    ready = [d for d in drafts if d.ready]
    if not drafts:
        st.info("No draft claims to send.", icon=":material/done_all:")
    else:
        st.markdown(f"**{len(ready)} of {len(drafts)} draft claims ready**, "
                    f"{money_text(sum((d.total_charge for d in ready), ZERO))} billed.")
        table = pd.DataFrame([{
            "claim": d.control_number, "patient": d.patient_name, "payer": d.payer_name,
            "rank": RANK_LABELS.get(d.rank, str(d.rank)), "service": d.service_date,
            "charge": money_text(d.total_charge), "ready": "Ready" if d.ready else " ".join(d.problems)}
            for d in drafts])
        picked = st.dataframe(
            table, hide_index=True, key="claim_send_table", on_select="rerun", selection_mode="multi-row",
            column_config={"claim": "Claim", "patient": "Patient", "payer": "Payer", "rank": "Insurer",
                           "service": st.column_config.DateColumn("Service", format="MM/DD/YYYY"),
                           "charge": "Billed", "ready": st.column_config.TextColumn("Ready to send?", width="large")})
        chosen = [drafts[i].claim_id for i in picked.selection.rows]
        if may_act:
            one, two = st.columns(2)
            one.button(f"Send the {len(ready)} ready claims", type="primary", icon=":material/send:",
                       key="claim_send_all", disabled=not ready, on_click=_send, args=(conn, user, None, payer_id, since))
            two.button(f"Send the {len(chosen)} chosen claims" if chosen else "Choose rows to send only those",
                       icon=":material/checklist:", key="claim_send_chosen", disabled=not chosen,
                       on_click=_send, args=(conn, user, chosen, payer_id, since))
        forms.form_error(FORM)
    _batch_list(conn, user)


def _send(conn: Connection, user, chosen: list[int] | None, payer_id: int, since) -> None:
    try:
        sent = claim_batches.send_batch(conn, user=user, claim_ids=chosen, payer_id=payer_id or None,
                                        since=None if chosen else since)
    except ClinicError as exc:
        forms.set_errors(FORM, {"": str(exc)})
        return
    forms.clear_errors(FORM)
    st.session_state.pop("claim_send_table", None)
    b = sent.batch
    skipped = f" {len(sent.skipped)} draft claims were left out until they are fixed." if sent.skipped else ""
    forms.flash(f"Claim file {b.file_name} is ready: {b.claim_count} claims, {money_text(b.total_charge)}, now "
                f"submitted. Download it below and upload it to the clearinghouse.{skipped}")
    st.session_state["claim_batch_pick"] = b.id


def _batch_list(conn: Connection, user) -> None:
    st.subheader("Claim files sent", divider="gray")
    tz = settings.timezone(conn)
    batches = claim_batches.list_batches(conn)
    if not batches:
        st.caption("No claim file has been sent yet.")
        return
    st.dataframe(pd.DataFrame([{
        "file": b.file_name, "claims": b.claim_count, "total": money_text(b.total_charge),
        "usage": "Test" if b.usage == "T" else "Production", "by": b.created_by or "—",
        "at": timeutil.to_local(b.created_at, tz).replace(tzinfo=None)}
        for b in batches]), hide_index=True, key="claim_batch_table",
        column_config={"file": "File", "claims": "Claims", "total": "Billed", "usage": st.column_config.TextColumn(
            "Kind", help=" ".join(USAGES.values())), "by": "Sent by",
            "at": st.column_config.DatetimeColumn("When", format="MM/DD/YYYY h:mm a")})
    by_id = {b.id: b for b in batches}
    if st.session_state.get("claim_batch_pick") not in by_id:
        st.session_state["claim_batch_pick"] = batches[0].id
    pick, download = st.columns([3, 1], vertical_alignment="bottom")
    batch_id = pick.selectbox("File", list(by_id), key="claim_batch_pick",
                              format_func=lambda i: claim_batches.batch_summary(by_id[i]))
    download.download_button(
        "Download again", data=lambda: claim_batches.batch_file(conn, batch_id, user=user)[1],
        file_name=by_id[batch_id].file_name, mime="text/plain", icon=":material/download:", on_click="ignore",
        key="claim_batch_download", help="The 837P file exactly as it was sent.")
