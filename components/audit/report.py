"""The audit report's table: one page of rows in clinic time (in the order picked with the filters),
page navigation, and the whole filtered trail as CSV (built when clicked; the click leaves an
``audit.export`` row).

Reading is audited before the rows are fetched, once per distinct question (filters, sort,
page): the table then includes the read it caused when the filters cover it, so its numbers are
the database's at that moment.
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from clinic import timeutil
from clinic.access import ROLE_LABELS, can_do
from clinic.errors import ClinicError
from db import Connection, audit_report
from db.audit_report import Filters
from db.users import User

PAGE = "audit_page"
ASKED = "_audit_asked"  # the question last audited: (filters, sort, page)
FILTERED = "_audit_filtered"  # the filters and sort the page number belongs to
ERROR = "_audit_error"
TABLE = "audit_table"

def _export(conn: Connection, chosen: Filters, sort: str, user: User) -> bytes:
    """The Download CSV button's file, built when it is clicked, and the export's audit row
    (written there, not in an on_click callback whose rerun would race the browser's download).
    A refusal is recorded by record_export and no file is served."""
    content = audit_report.to_csv(conn, chosen, sort=sort, by=user)
    audit_report.record_export(conn, chosen, by=user, sort=sort)
    return content


def _patient(row: audit_report.AuditRow) -> str:
    if row.patient_id is None:
        return ""
    if row.patient_name is None:
        return f"Patient {row.patient_id}"
    return f"{row.patient_name} (MRN {row.mrn})"


def frame(rows: list[audit_report.AuditRow], tz: str) -> pd.DataFrame:
    """The rows as the table shows them: local times, role labels, who the patient is."""
    return pd.DataFrame({
        "When": [timeutil.to_local(r.occurred_at, tz).replace(tzinfo=None) for r in rows],
        "User": [r.username or "" for r in rows],
        "Name": [r.full_name or "" for r in rows],
        "Role": [ROLE_LABELS.get(r.role, r.role or "") for r in rows],
        "Action": [r.action for r in rows],
        "Category": [(r.category or "").capitalize() for r in rows],
        "Outcome": [(r.outcome or "").capitalize() for r in rows],
        "Patient": [_patient(r) for r in rows],
        "Record": [" ".join(x for x in (r.entity, r.entity_id) if x) for r in rows],
        "Detail": [r.detail or "" for r in rows],
        "Row": [r.id for r in rows],
    })


COLUMNS = {
    "When": st.column_config.DatetimeColumn("When", format="MM/DD/YYYY h:mm:ss a"),
    "Row": st.column_config.NumberColumn("Row", format="%d", help="The audit row's number."),
    "Detail": st.column_config.TextColumn("Detail", width="large"),
}


def file_name(chosen: Filters, tz: str) -> str:
    """audit-trail-20260224-20260302.csv: the period's first and last clinic-local days."""
    if chosen.since is None or chosen.until is None:
        return "audit-trail.csv"
    first = timeutil.to_local(chosen.since, tz).date()
    last = timeutil.to_local(chosen.until - timedelta(microseconds=1), tz).date()
    return f"audit-trail-{first:%Y%m%d}-{last:%Y%m%d}.csv"


def _go(page: int) -> None:
    st.session_state[PAGE] = page


def report(conn: Connection, user: User, chosen: Filters, sort: str, tz: str, span: str) -> None:
    ss = st.session_state
    if ss.get(FILTERED) != (chosen, sort):  # new filters or order: back to the first page
        ss[FILTERED] = (chosen, sort)
        ss[PAGE] = 1
    page = max(1, int(ss.get(PAGE, 1)))
    try:
        if ss.get(ASKED) != (chosen, sort, page):
            audit_report.record_read(conn, chosen, by=user, sort=sort, page=page)
            ss[ASKED] = (chosen, sort, page)
        rows, total = audit_report.search(conn, **chosen.kwargs(), sort=sort, page=page)
    except ClinicError as err:
        st.error(str(err), icon=":material/error:")
        return
    pages = max(1, -(-total // audit_report.PER_PAGE))
    if page > pages:  # rows went (cannot happen today: rows are never deleted), or a stale page
        ss[PAGE] = page = pages
        rows, total = audit_report.search(conn, **chosen.kwargs(), sort=sort, page=page)

    if not total:
        st.info(f"No audit row matches these filters ({span}).", icon=":material/search_off:")
    else:
        first = (page - 1) * audit_report.PER_PAGE + 1
        st.caption(f"{total:,} {'row matches' if total == 1 else 'rows match'} ({span}); times in {tz}.")
        st.dataframe(frame(rows, tz), key=TABLE, hide_index=True, column_config=COLUMNS, width="stretch",
                     height=min(38 + 35 * len(rows), 560))
        with st.container(horizontal=True, vertical_alignment="center", gap="small"):
            st.button("", icon=":material/chevron_left:", key="audit_prev", help="Previous page",
                      disabled=page <= 1, on_click=_go, args=(page - 1,))
            st.markdown(f"Rows {first:,}–{first + len(rows) - 1:,} of {total:,} · page {page} of {pages}",
                        width="content")
            st.button("", icon=":material/chevron_right:", key="audit_next", help="Next page",
                      disabled=page >= pages, on_click=_go, args=(page + 1,))

    error = ss.pop(ERROR, None)
    if error:
        st.error(error, icon=":material/block:")
    if can_do(user.role, audit_report.EXPORT):
        st.download_button(
            "Download CSV", key="audit_csv", icon=":material/download:", mime="text/csv",
            file_name=file_name(chosen, tz),
            data=lambda: _export(conn, chosen, sort, user), on_click="ignore", disabled=total == 0,
            help="Every matching row (not only this page), times in UTC and in clinic time. "
                 "The download is recorded in the audit trail.")
