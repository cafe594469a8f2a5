"""The Audit trail page's "Emergency access" tab (manager, admin): every break-glass grant waiting
for review, with its reason and what was done under it, and a "Mark reviewed" button with a
note; then the ones already reviewed."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from clinic import timeutil
from clinic.errors import ClinicError
from components import forms
from components.text import md
from db import Connection, break_glass
from db.users import User

FORM = "break_glass_review"


def local(instant, tz: str, fmt: str) -> str:
    """An instant in clinic time ("" for none). Not components.patient_file.context.local: the
    patient file imports the download helpers, which import this package."""
    return "" if instant is None else timeutil.to_local(instant, tz).strftime(fmt)
DONE = "_break_glass_reviewed"


def _review(conn: Connection, user: User, grant_id: int) -> None:
    forms.clear_errors(FORM)
    try:
        break_glass.review(conn, grant_id, note=st.session_state.get(f"bg_note_{grant_id}", ""), by=user)
    except ClinicError as exc:
        forms.set_errors(FORM, {"": str(exc)})
        return
    st.session_state[DONE] = grant_id


def _item(conn: Connection, user: User, item: break_glass.ReviewItem, tz: str, *, pending: bool) -> None:
    g = item.grant
    title = (f"{md(item.user)} opened {md(item.patient)} (MRN {md(item.mrn)}) · "
             f"{local(g.started_at, tz, '%m/%d/%Y %H:%M')}–{local(g.ends_at, tz, '%H:%M')} · "
             f"{item.actions} action{'s' if item.actions != 1 else ''}")
    with st.expander(title, icon=":material/emergency:", expanded=pending):
        st.markdown(f"**Reason:** {md(g.reason)}")
        done = break_glass.actions_under(conn, g.id)
        st.dataframe(
            pd.DataFrame([{"when": local(r[1], tz, "%H:%M:%S"), "action": r[2], "what": f"{r[3] or ''} {r[4] or ''}".strip(),
                           "outcome": r[5]} for r in done], columns=["when", "action", "what", "outcome"]),
            hide_index=True, width="stretch", key=f"bg_actions_{g.id}",
            column_config={"when": "Time", "action": "Action", "what": "Record", "outcome": "Outcome"})
        if pending:
            st.text_input("Review note", key=f"bg_note_{g.id}", max_chars=break_glass.REASON_MAX,
                          placeholder="e.g. Confirmed with the patient's clinician: justified.")
            st.button("Mark reviewed", key=f"bg_review_{g.id}", icon=":material/task_alt:",
                      on_click=_review, args=(conn, user, g.id))
        else:
            st.caption(f"Reviewed by {md(item.reviewer or '—')} on {local(g.reviewed_at, tz, '%m/%d/%Y %H:%M')}"
                       + (f": {md(g.review_note)}" if g.review_note else "."))


def emergency_review(conn: Connection, user: User, tz: str) -> None:
    if st.session_state.pop(DONE, None) is not None:
        st.success("Marked reviewed.", icon=":material/check_circle:")
    forms.form_error(FORM)
    pending = break_glass.for_review(conn)
    st.caption("A clinician opens a record outside their own schedule only by giving a reason, for "
               f"{break_glass.MINUTES} minutes. Each grant is listed here with what was done under it until reviewed.")
    if not pending:
        st.info("No emergency access waiting for review.", icon=":material/task_alt:")
    for item in pending:
        _item(conn, user, item, tz, pending=True)
    reviewed = break_glass.for_review(conn, reviewed=True)
    if reviewed:
        st.subheader(f"Reviewed ({len(reviewed)})", anchor=False)
        for item in reviewed[:50]:
            _item(conn, user, item, tz, pending=False)
