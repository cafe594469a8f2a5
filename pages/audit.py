"""Admin › Audit trail (admin, manager): who did what, when, to whose record. Filter by period,
user, patient, action, category and outcome; sort; page; download the filtered trail as CSV; and
check that nobody has changed, removed, added or reordered rows (the tamper check).

Reading the report is itself recorded (``audit.read``), and so is each download (``audit.export``).
The patient file's "Who looked" tab lists the views of one record (components.patient_file.access_log).
"""

from __future__ import annotations

import streamlit as st

from clinic import timeutil
from clinic.access import can_do
from components import audit
from components.db_session import get_conn
from components.frame import require
from db import settings

user = require("audit")
conn = get_conn()
tz = settings.timezone(conn)

st.title("Audit trail")
st.caption("Every change, every view of a patient's record, every sign-in and failure, every export, download "
           "and print, with who did it and in which role. Rows are never changed or deleted by the app.")
reviews = can_do(user.role, "records.review_break_glass")
labels = ["Report", "Check the trail", *(["Emergency access"] if reviews else [])]
tabs = dict(zip(labels, st.tabs(labels, key="audit_tab")))
report_tab, check_tab = tabs["Report"], tabs["Check the trail"]
with report_tab:
    chosen, sort, span = audit.filters(conn, timeutil.today(tz), tz)
    audit.report(conn, user, chosen, sort, tz, span)
with check_tab:
    audit.chain_panel(conn, user)
if reviews:
    with tabs["Emergency access"]:
        audit.emergency_review(conn, user, tz)
