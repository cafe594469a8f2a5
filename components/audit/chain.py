"""The "Check the trail" panel: runs the tamper check (db.audit_chain.verify against the head
file beside the database) and lists every problem it reports by row.

The check is another helper's module: it is imported when the button is pressed, and a build
without it says "Tamper check not available" instead of failing the page.
"""

from __future__ import annotations

import logging

import pandas as pd
import streamlit as st

from clinic.errors import ClinicError
from db import Connection, audit_report
from db.users import User

log = logging.getLogger(__name__)

RESULT = "_audit_chain_result"  # (ok, rows_checked, [(row, kind, message)]) or ("error", message)
UNAVAILABLE = "Tamper check not available"

KIND_LABELS = {
    "changed": "Changed",
    "deleted": "Deleted",
    "inserted": "Inserted",
    "reordered": "Reordered",
    "tail_cut": "Rows cut from the end",
    "head_missing": "Head file missing",
    "head_forged": "Head file forged",
    "unsealed": "Not sealed",
}


def _chain_module():
    """db.audit_chain, or None when this build does not have it."""
    try:
        from db import audit_chain
    except ImportError as exc:
        if getattr(exc, "name", None) not in ("db", "db.audit_chain"):  # missing: quietly unavailable
            log.warning("the tamper check could not be loaded: %s", exc)
        return None
    return audit_chain


def _check(conn: Connection, user: User) -> None:
    chain = _chain_module()
    if chain is None:
        st.session_state[RESULT] = ("error", f"{UNAVAILABLE} in this installation.")
        return
    try:
        report = chain.verify(conn, chain.head_path_for(conn))
    except ClinicError as err:
        st.session_state[RESULT] = ("error", str(err))
        return
    except Exception:  # noqa: BLE001 - a broken check must say so, not show a traceback
        log.exception("the tamper check failed")
        st.session_state[RESULT] = ("error", "The tamper check could not run. The server's log says why.")
        return
    problems = [(p.audit_id, p.kind, p.message) for p in report.problems]
    st.session_state[RESULT] = (bool(report.ok), int(report.rows_checked), problems)
    try:
        audit_report.record_check(conn, by=user, ok=bool(report.ok), rows_checked=int(report.rows_checked),
                                  problems=len(problems))
    except ClinicError as err:
        st.session_state[RESULT] = ("error", str(err))


def chain_panel(conn: Connection, user: User) -> None:
    if _chain_module() is None:
        st.info(f"{UNAVAILABLE}: this installation has no audit chain yet.", icon=":material/info:")
        return
    st.caption("Each audit row is sealed with a keyed checksum over its content and the row before it, and the "
               "newest seal is kept in a file beside the database. The check reads the whole trail and reports "
               "every row changed, deleted, inserted or moved, and rows cut from the end.")
    st.button("Check the trail", key="audit_check", type="primary", icon=":material/verified_user:",
              on_click=_check, args=(conn, user))
    result = st.session_state.get(RESULT)
    if result is None:
        return
    if result[0] == "error":
        st.error(result[1], icon=":material/error:")
        return
    ok, checked, problems = result
    if ok and not problems:
        st.success(f"The trail is intact: {checked:,} row{'s' if checked != 1 else ''} checked.",
                   icon=":material/verified_user:")
        return
    st.error(f"The trail is broken: {len(problems)} problem{'s' if len(problems) != 1 else ''} "
             f"in {checked:,} rows checked.", icon=":material/gpp_bad:")
    st.dataframe(pd.DataFrame({
        "Row": [("" if row is None else str(row)) for row, _, _ in problems],
        "Problem": [KIND_LABELS.get(kind, kind) for _, kind, _ in problems],
        "What the check found": [message for _, _, message in problems],
    }), hide_index=True, key="audit_chain_problems", width="stretch")
