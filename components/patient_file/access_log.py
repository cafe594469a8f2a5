"""The patient file's "Who looked" tab (roles that may read the audit trail: admin, manager):
every view, download, print and export of this patient's record, with who, in which role, when,
what and the outcome (the accounting of disclosures; db.audit_report.who_looked).

The list is read only when asked for (a button), and that read is itself an ``audit.read`` row
naming the patient: opening a file does not read its audit trail.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from clinic import timeutil
from clinic.access import ROLE_LABELS
from clinic.errors import ClinicError
from components.patient_file.context import FileContext
from db import audit_report

SHOWN = "_pf_who_looked"  # the patient whose list was asked for (and audited) in this session

WHAT = {
    "patient.view": "Opened the file",
    "document.download": "Downloaded a document",
}


def _show(ctx: FileContext) -> None:
    try:
        audit_report.record_who_looked(ctx.conn, ctx.id, by=ctx.user)
    except ClinicError as err:
        st.session_state[SHOWN] = ("refused", ctx.id, str(err))
        return
    st.session_state[SHOWN] = ("shown", ctx.id, None)


def _what(action: str) -> str:
    if action in WHAT:
        return WHAT[action]
    if action.startswith("export."):
        return "Downloaded or printed: " + action.removeprefix("export.").replace("_", " ")
    return action


def access_log_tab(ctx: FileContext) -> None:
    st.caption("Everyone who opened this record, downloaded or printed from it, newest first. "
               "Asking for the list is recorded in the audit trail too.")
    shown = st.session_state.get(SHOWN)
    if not shown or shown[1] != ctx.id:
        st.button("Show who looked at this record", key=f"pf_who_looked_{ctx.id}", icon=":material/visibility:",
                  on_click=_show, args=(ctx,))
        return
    if shown[0] == "refused":
        st.error(shown[2], icon=":material/block:")
        return
    rows = audit_report.who_looked(ctx.conn, ctx.id)
    if not rows:
        st.info("Nobody has opened this record yet.", icon=":material/visibility_off:")
        return
    st.dataframe(
        pd.DataFrame({
            "When": [timeutil.to_local(r.occurred_at, ctx.tz).replace(tzinfo=None) for r in rows],
            "Who": [r.username or "" for r in rows],
            "Name": [r.full_name or "" for r in rows],
            "Role": [ROLE_LABELS.get(r.role, r.role or "") for r in rows],
            "What": [_what(r.action) for r in rows],
            "Outcome": [(r.outcome or "").capitalize() for r in rows],
            "Record": [" ".join(x for x in (r.entity, r.entity_id) if x) for r in rows],
        }),
        hide_index=True, width="stretch", key=f"pf_who_looked_table_{ctx.id}",
        column_config={"When": st.column_config.DatetimeColumn("When", format="MM/DD/YYYY h:mm:ss a")},
    )
    st.caption(f"{len(rows):,} time{'s' if len(rows) != 1 else ''} looked at; times in {ctx.tz}.")
